/**
 * terra-draw on our MapLibre map: polygon and point drawing with snapping (to drawn vertices and edges, and to
 * community and site outlines), and a select mode to drag, insert (midpoints) and delete vertices.
 * terra-draw is only the view: every finished gesture is reported as a geometry, the draft (draft.ts) holds the
 * truth, and `sync()` puts the draft's features back on the map (after undo / redo, loading, saving).
 */
import {
  TerraDraw,
  TerraDrawPointMode,
  TerraDrawPolygonMode,
  TerraDrawRenderMode,
  TerraDrawSelectMode,
  ValidateNotSelfIntersecting,
  type GeoJSONStoreFeatures,
  type SnapToCustom,
} from 'terra-draw';
import { TerraDrawMapLibreGLAdapter } from 'terra-draw-maplibre-gl-adapter';
import type { Point, Polygon, Position } from 'geojson';
import type { MapLibreMap } from '../map/maplibre.ts';
import type { DraftFeature } from './draft.ts';

export type DrawMode = 'static' | 'polygon' | 'point' | 'select';

export interface DrawingCallbacks {
  /** A polygon or point was drawn (new key = terra-draw id) or an existing one reshaped (key of the draft). */
  onDrawn(key: string, geometry: Polygon | Point, how: 'created' | 'edited'): void;
  onSelect(key: string | null): void;
}

export interface Drawing {
  setMode(mode: DrawMode): void;
  /** Make the drawn features equal to `features` (polygons and points only). */
  sync(features: DraftFeature[]): void;
  select(key: string | null): void;
  /** Vertices to snap to (community and site outlines), as [lon, lat]. */
  setSnapTargets(points: Position[]): void;
  destroy(): void;
}

/** Pixels within which a vertex snaps to an outline vertex. */
export const SNAP_PX = 12;

const COLOR = '#0d47a1';
const NEW_COLOR = '#c2185b';

let counter = 0;
const idStrategy = {
  isValidId: (id: unknown) => typeof id === 'string' && id.length > 0 && id.length <= 80,
  getId: () => `new-${Date.now().toString(36)}-d${++counter}`,
};

export function createDrawing(map: MapLibreMap, cb: DrawingCallbacks): Drawing {
  let snapTargets: Position[] = [];
  const toCustom: SnapToCustom = (event, ctx) => {
    let best: Position | undefined;
    let bestD = SNAP_PX;
    for (const p of snapTargets) {
      const { x, y } = ctx.project(p[0], p[1]);
      const d = Math.hypot(x - event.containerX, y - event.containerY);
      if (d < bestD) {
        bestD = d;
        best = p;
      }
    }
    return best;
  };
  const snapping = { toCoordinate: true, toLine: true, toCustom };
  const draw = new TerraDraw({
    adapter: new TerraDrawMapLibreGLAdapter({ map, coordinatePrecision: 9 }),
    idStrategy,
    modes: [
      new TerraDrawRenderMode({ modeName: 'static', styles: {} }),
      new TerraDrawPolygonMode({
        snapping,
        validation: (f) => ValidateNotSelfIntersecting(f),
        styles: { fillColor: NEW_COLOR, outlineColor: NEW_COLOR, fillOpacity: 0.15, outlineWidth: 2, closingPointColor: NEW_COLOR, snappingPointColor: '#ff6f00' },
      }),
      new TerraDrawPointMode({ styles: { pointColor: NEW_COLOR, pointWidth: 8, pointOutlineColor: '#ffffff', pointOutlineWidth: 2 } }),
      new TerraDrawSelectMode({
        flags: {
          polygon: {
            feature: {
              draggable: false,
              validation: (f) => ValidateNotSelfIntersecting(f),
              coordinates: { draggable: true, midpoints: true, deletable: true, snappable: snapping },
            },
          },
          point: { feature: { draggable: true } },
        },
        styles: { selectedPolygonColor: COLOR, selectedPolygonOutlineColor: COLOR, selectedPolygonFillOpacity: 0.2, selectionPointColor: COLOR, midPointColor: '#90caf9' },
      }),
    ],
  });
  draw.start();
  let mode: DrawMode = 'static';
  draw.setMode('static');

  draw.on('finish', (id, ctx) => {
    const f = draw.getSnapshotFeature(id);
    if (!f) return;
    const g = f.geometry as Polygon | Point;
    if (g.type !== 'Polygon' && g.type !== 'Point') return;
    const how = ctx.mode === 'select' ? 'edited' : 'created';
    cb.onDrawn(String(id), g, how);
  });
  draw.on('select', (id) => cb.onSelect(String(id)));
  draw.on('deselect', () => cb.onSelect(null));

  const selectedIds = () => draw.getSnapshot().filter((f) => f.properties?.selected).map((f) => String(f.id));

  return {
    setMode(m) {
      if (m === mode) return;
      for (const id of selectedIds()) draw.deselectFeature(id);
      mode = m;
      draw.setMode(m);
    },
    sync(features) {
      const want = new Map(features.filter((f) => f.geometry.type === 'Polygon' || f.geometry.type === 'Point').map((f) => [f.key, f]));
      const have = new Map(draw.getSnapshot().map((f) => [String(f.id), f]));
      const selected = new Set(selectedIds());
      const remove: string[] = [];
      for (const [id, f] of have) {
        const w = want.get(id);
        if (!w) remove.push(id);
        else if (JSON.stringify(w.geometry) !== JSON.stringify(f.geometry)) {
          if (selected.has(id)) draw.deselectFeature(id);
          draw.updateFeatureGeometry(id, w.geometry as Polygon | Point);
        }
      }
      for (const id of remove) if (selected.has(id)) draw.deselectFeature(id);
      if (remove.length) draw.removeFeatures(remove);
      const add: GeoJSONStoreFeatures[] = [];
      for (const [key, f] of want) {
        if (have.has(key)) continue;
        add.push({ type: 'Feature', id: key, geometry: f.geometry as Polygon | Point, properties: { mode: f.geometry.type === 'Point' ? 'point' : 'polygon' } });
      }
      if (add.length) {
        const res = draw.addFeatures(add);
        const bad = res.filter((r) => !r.valid);
        if (bad.length) console.warn('terra-draw refused', bad);
      }
    },
    select(key) {
      for (const id of selectedIds()) if (id !== key) draw.deselectFeature(id);
      if (key && draw.getSnapshotFeature(key)) {
        if (mode !== 'select') {
          mode = 'select';
          draw.setMode('select');
        }
        draw.selectFeature(key);
      }
    },
    setSnapTargets(points) {
      snapTargets = points;
    },
    destroy() {
      try {
        draw.stop();
      } catch {
        /* map already removed */
      }
    },
  };
}

/** Outline vertices of polygons (deduplicated), for snapping. */
export function outlineVertices(geoms: (GeoJSON.Geometry | null)[]): Position[] {
  const seen = new Set<string>();
  const out: Position[] = [];
  const ring = (r: Position[]) => {
    for (const p of r) {
      const k = `${p[0].toFixed(7)},${p[1].toFixed(7)}`;
      if (!seen.has(k)) {
        seen.add(k);
        out.push([p[0], p[1]]);
      }
    }
  };
  for (const g of geoms) {
    if (!g) continue;
    if (g.type === 'Polygon') g.coordinates.forEach(ring);
    else if (g.type === 'MultiPolygon') g.coordinates.forEach((p) => p.forEach(ring));
    else if (g.type === 'Point') ring([g.coordinates]);
  }
  return out;
}
