/** deck.gl layers for evacuation routes: the chosen route bold, alternatives thin, start and end points. */
import { PathLayer, ScatterplotLayer } from '@deck.gl/layers';
import type { Layer } from '@deck.gl/core';
import type { LineString } from 'geojson';
import { COLORS } from './style.ts';

export interface RouteDraw {
  id: string;
  route: LineString | null;
  selected: boolean;
}

type Pt = [number, number];

export function routeLayers(routes: RouteDraw[], origin?: Pt | null): Layer[] {
  const withPath = routes.filter((r) => r.route && r.route.coordinates.length >= 2);
  // Unselected first so the selected one is drawn on top.
  const data = [...withPath].sort((a, b) => Number(a.selected) - Number(b.selected));
  const ends: { p: Pt; kind: 'origin' | 'site' }[] = [];
  for (const r of withPath) {
    const c = r.route!.coordinates;
    if (r.selected) ends.push({ p: c[c.length - 1] as Pt, kind: 'site' });
  }
  const start = origin ?? (data.length ? (data[data.length - 1].route!.coordinates[0] as Pt) : null);
  if (start) ends.push({ p: start, kind: 'origin' });
  return [
    new PathLayer<RouteDraw>({
      id: 'routes',
      data,
      getPath: (d) => d.route!.coordinates as Pt[],
      getColor: (d) => (d.selected ? [...COLORS.route, 235] : [90, 90, 90, 150]),
      getWidth: (d) => (d.selected ? 7 : 4),
      widthUnits: 'pixels',
      widthMinPixels: 3,
      capRounded: true,
      jointRounded: true,
      updateTriggers: { getColor: data.map((d) => d.selected).join(), getWidth: data.map((d) => d.selected).join() },
    }) as unknown as Layer,
    new ScatterplotLayer<{ p: Pt; kind: string }>({
      id: 'route-ends',
      data: ends,
      getPosition: (d) => d.p,
      getFillColor: (d) => (d.kind === 'origin' ? [255, 255, 255, 255] : [198, 40, 40, 255]),
      getLineColor: (d) => (d.kind === 'origin' ? [...COLORS.route, 255] : [255, 255, 255, 255]),
      getRadius: 8,
      radiusUnits: 'pixels',
      stroked: true,
      lineWidthUnits: 'pixels',
      getLineWidth: 3,
    }) as unknown as Layer,
  ];
}
