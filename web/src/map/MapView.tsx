import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Layer } from '@deck.gl/core';
import { MapLibreOverlay } from '@deck.gl/maplibre';
import { maplibregl, type MapLibreMap } from './maplibre.ts';
import { buildStyle, COMMUNITY_LABELS, labelPoints, layerIdsByGroup, LAYER_GROUPS, type LayerGroup } from './style.ts';
import type { GeoJSONSource } from 'maplibre-gl';
import type { FeatureCollection } from 'geojson';
import { labelFontFaces, LABEL_FONT } from './fonts.ts';
import { bboxOf, getLayer, type BBox } from '../api/client.ts';

export type Visibility = Record<LayerGroup, boolean>;
export const ALL_VISIBLE: Visibility = Object.fromEntries(LAYER_GROUPS.map((g) => [g, true])) as Visibility;

export interface MapViewProps {
  dataVersion: string;
  visible?: Visibility;
  extrude?: boolean;
  /** deck.gl layers drawn over the map (routes, points …). */
  deckLayers?: Layer[];
  /** When set (or changed), the camera fits this box. Otherwise the data's extent. */
  focus?: BBox | null;
  className?: string;
  onReady?: (map: MapLibreMap) => void;
}

/** Where the data is (communities first, then sites, then a sample of buildings), and the communities. */
export async function dataExtent(signal?: AbortSignal): Promise<{ bbox: BBox | null; communities: FeatureCollection | null }> {
  let communities: FeatureCollection | null = null;
  for (const [layer, limit] of [['communities', 5000], ['sites', 5000], ['buildings', 2000]] as const) {
    try {
      const fc = await getLayer(layer, { limit }, signal);
      if (layer === 'communities') communities = fc;
      const b = bboxOf(fc);
      if (b) return { bbox: b, communities };
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
    }
  }
  return { bbox: null, communities };
}

function padBox([w, s, e, n]: BBox): BBox {
  // A single point (or a tiny box) still gets a street-level view.
  const min = 0.002;
  const dx = Math.max(0, min - (e - w)) / 2;
  const dy = Math.max(0, min - (n - s)) / 2;
  return [w - dx, s - dy, e + dx, n + dy];
}

export function MapView({ dataVersion, visible = ALL_VISIBLE, extrude = false, deckLayers, focus, className, onReady }: MapViewProps) {
  const { t } = useTranslation();
  const container = useRef<HTMLDivElement>(null);
  const mapRef = useRef<MapLibreMap | null>(null);
  const overlayRef = useRef<MapLibreOverlay | null>(null);
  const [status, setStatus] = useState<'loading' | 'ready' | 'error'>('loading');
  const [error, setError] = useState<string | null>(null);
  const visibleRef = useRef(visible);
  visibleRef.current = visible;
  const focusRef = useRef(focus);
  focusRef.current = focus;

  // Create the map once per data version / 3-D mode.
  useEffect(() => {
    if (!container.current) return;
    const ctrl = new AbortController();
    let map: MapLibreMap;
    try {
      map = new maplibregl.Map({
        container: container.current,
        style: buildStyle({ dataVersion, extrude, visible: visibleRef.current, fontFaces: labelFontFaces(), labelFont: LABEL_FONT }),
        center: [116.3, 39.99],
        zoom: 14,
        maxPitch: 60,
        attributionControl: false,
        // Regular map shortcuts work from the keyboard once the canvas has focus.
        keyboard: true,
        cooperativeGestures: false,
      });
    } catch (e) {
      setStatus('error');
      setError((e as Error).message);
      return;
    }
    mapRef.current = map;
    (globalThis as { __cepMap?: MapLibreMap }).__cepMap = map; // for the browser tests
    map.addControl(new maplibregl.NavigationControl({ visualizePitch: true }), 'top-right');
    map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
    map.addControl(new maplibregl.AttributionControl({ compact: true, customAttribution: t('map.attribution') }), 'bottom-right');
    const overlay = new MapLibreOverlay({ interleaved: false, layers: [] });
    overlayRef.current = overlay;
    map.addControl(overlay);
    map.on('load', () => {
      setStatus('ready');
      onReady?.(map);
    });
    map.on('error', (ev) => {
      // Tile errors are per tile; only report when the style itself fails.
      if (!map.isStyleLoaded() && ev.error) {
        setStatus('error');
        setError(ev.error.message);
      }
    });
    dataExtent(ctrl.signal)
      .then(({ bbox, communities }) => {
        if (mapRef.current !== map) return;
        if (bbox && !focusRef.current) map.fitBounds(padBox(bbox), { padding: 24, animate: false, maxZoom: 17 });
        if (communities) {
          const setLabels = () => (map.getSource(COMMUNITY_LABELS) as GeoJSONSource | undefined)?.setData(labelPoints(communities));
          if (map.isStyleLoaded()) setLabels();
          else map.once('load', setLabels);
        }
      })
      .catch(() => {});
    const canvas = map.getCanvas();
    canvas.setAttribute('aria-label', t('map.label'));
    return () => {
      ctrl.abort();
      overlayRef.current = null;
      mapRef.current = null;
      map.remove();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [dataVersion, extrude]);

  // Layer visibility.
  useEffect(() => {
    const map = mapRef.current;
    if (!map) return;
    const apply = () => {
      const style = map.getStyle();
      if (!style) return;
      const ids = layerIdsByGroup(style);
      for (const g of LAYER_GROUPS) {
        for (const id of ids[g]) if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', visible[g] ? 'visible' : 'none');
      }
    };
    if (map.isStyleLoaded()) apply();
    else map.once('load', apply);
  }, [visible]);

  // deck.gl layers.
  useEffect(() => {
    overlayRef.current?.setProps({ layers: deckLayers ?? [] });
  }, [deckLayers, status]);

  // Focus box.
  useEffect(() => {
    const map = mapRef.current;
    if (!map || !focus) return;
    map.fitBounds(padBox(focus), { padding: { top: 40, bottom: 40, left: 40, right: 40 }, maxZoom: 17, duration: 600 });
  }, [focus?.join(',')]);

  // The canvas label follows the language.
  useEffect(() => {
    mapRef.current?.getCanvas().setAttribute('aria-label', t('map.label'));
  }, [t]);

  return (
    <div className={`map-wrap ${className ?? ''}`}>
      <div ref={container} className="map" data-testid="map" data-status={status} />
      {status === 'loading' && (
        <p className="map-status" role="status">
          {t('map.loading')}
        </p>
      )}
      {status === 'error' && (
        <p className="map-status error" role="alert">
          {t('map.failed', { message: error ?? '' })}
        </p>
      )}
    </div>
  );
}
