/**
 * The map style, built in our code: our own vector tiles only, no external URL of any kind.
 * No `glyphs`: labels use the bundled Noto Sans SC slices (font-faces) and local fonts.
 */
import type {
  ExpressionSpecification,
  FontFacesSpecification,
  LayerSpecification,
  StyleSpecification,
} from 'maplibre-gl';
import type { Feature, FeatureCollection, Point } from 'geojson';

export const COMMUNITY_LABELS = 'community-labels';

export const TILE_LAYERS = ['communities', 'zones', 'sites', 'roads', 'buildings'] as const;
export type TileLayer = (typeof TILE_LAYERS)[number];

/** Groups the layer switcher toggles, each a set of style layer ids. */
export const LAYER_GROUPS = ['communities', 'zones', 'sites', 'roads', 'buildings', 'labels'] as const;
export type LayerGroup = (typeof LAYER_GROUPS)[number];

export const SITE_KINDS = [
  'park',
  'green_space',
  'square',
  'playground',
  'pitch',
  'civil_defence_work',
  'assembly_point',
] as const;

/** Site colours by kind: distinguishable for common colour-vision deficiencies, dark enough for white text. */
export const SITE_COLORS: Record<(typeof SITE_KINDS)[number] | 'other', string> = {
  park: '#2e7d32',
  green_space: '#66a84a',
  square: '#c77c02',
  playground: '#d4a017',
  pitch: '#00838f',
  civil_defence_work: '#6a1b9a',
  assembly_point: '#c62828',
  other: '#607d8b',
};

export const COLORS = {
  background: '#f3f1ec',
  communityFill: '#e6dfd0',
  communityLine: '#8c7b5a',
  zoneFill: '#1565c0',
  zoneLine: '#0d47a1',
  residential: '#d9c6b0',
  otherBuilding: '#cfcac4',
  buildingLine: '#a89a8a',
  roadMajor: '#f3b54a',
  roadMinor: '#ffffff',
  roadService: '#ffffff',
  footway: '#9a8f82',
  roadCasing: '#b7aea2',
  label: '#2b2b2b',
  halo: '#ffffff',
  route: [0, 99, 206] as [number, number, number],
};

/** Road classes as styled (OSM highway values → class). */
export const ROAD_CLASSES = {
  major: ['motorway', 'trunk', 'primary', 'secondary', 'motorway_link', 'trunk_link', 'primary_link', 'secondary_link'],
  minor: ['tertiary', 'tertiary_link', 'unclassified', 'residential', 'living_street', 'road'],
  service: ['service'],
  footway: ['footway', 'path', 'pedestrian', 'steps', 'cycleway', 'track', 'corridor', 'bridleway'],
} as const;

const highway: ExpressionSpecification = ['get', 'highway'];
const inClass = (c: keyof typeof ROAD_CLASSES): ExpressionSpecification => ['in', highway, ['literal', [...ROAD_CLASSES[c]]]];

/** Line width by zoom for a road of `base` metres-ish visual width at z16. */
const roadWidth = (z14: number, z18: number): ExpressionSpecification => ['interpolate', ['exponential', 1.6], ['zoom'], 12, z14 / 4, 14, z14, 18, z18];

export interface StyleOptions {
  /** Data version from /api/health; appended to tile URLs so caches stay correct after an import. */
  dataVersion: string;
  /** Origin to build absolute tile URLs from (the worker needs absolute ones). Default: location.origin. */
  origin?: string;
  /** font-faces for labels (see fonts.ts); omitted in tests. */
  fontFaces?: FontFacesSpecification;
  labelFont?: string;
  /** Show buildings as 3-D extrusions. */
  extrude?: boolean;
  /** Which groups are visible (default: all). */
  visible?: Partial<Record<LayerGroup, boolean>>;
}

export function tileUrl(origin: string, layer: TileLayer, dataVersion: string): string {
  return `${origin}/api/tiles/${layer}/{z}/{x}/{y}.mvt?v=${encodeURIComponent(dataVersion)}`;
}

export function buildStyle(opts: StyleOptions): StyleSpecification {
  const origin = opts.origin ?? (typeof location !== 'undefined' ? location.origin : 'http://localhost');
  const font = [opts.labelFont ?? 'Noto Sans SC Regular'];
  const sources: StyleSpecification['sources'] = {};
  for (const l of TILE_LAYERS) {
    sources[l] = {
      type: 'vector',
      tiles: [tileUrl(origin, l, opts.dataVersion)],
      minzoom: l === 'communities' ? 8 : 12,
      maxzoom: 16,
    };
  }
  // One label point per community (tile-clipped polygons would label every tile piece); MapView
  // fills it from /api/layers/communities.
  sources[COMMUNITY_LABELS] = { type: 'geojson', data: { type: 'FeatureCollection', features: [] } };

  const siteColor: ExpressionSpecification = [
    'match',
    ['get', 'kind'],
    ...SITE_KINDS.flatMap((k) => [k, SITE_COLORS[k]]),
    SITE_COLORS.other,
  ] as unknown as ExpressionSpecification;
  const closed: ExpressionSpecification = ['==', ['get', 'status'], 'closed'];
  const isPoly: ExpressionSpecification = ['==', ['geometry-type'], 'Polygon'];
  const isPoint: ExpressionSpecification = ['==', ['geometry-type'], 'Point'];
  const isResidential: ExpressionSpecification = ['in', ['get', 'use'], ['literal', ['residential', 'apartments', 'house', 'dormitory']]];

  // Zoom must be the top-level input, so the class switch goes inside each stop.
  const byClass = (major: number, minor: number, service: number): ExpressionSpecification => ['case', inClass('major'), major, inClass('minor'), minor, service];
  const casingWidth: ExpressionSpecification = ['interpolate', ['exponential', 1.6], ['zoom'], 12, byClass(2, 1.2, 0.6), 14, byClass(6, 4, 2.5), 18, byClass(26, 18, 10)];

  const text = (size: number): ExpressionSpecification => ['interpolate', ['linear'], ['zoom'], 13, size - 2, 18, size + 2];

  const layers: (LayerSpecification & { metadata?: { group: LayerGroup } })[] = [
    { id: 'background', type: 'background', paint: { 'background-color': COLORS.background } },

    // Communities (小区 / 社区): a tint under everything, outlined.
    g('communities', { id: 'communities-fill', type: 'fill', source: 'communities', 'source-layer': 'communities', paint: { 'fill-color': COLORS.communityFill, 'fill-opacity': 0.55 } }),
    g('communities', { id: 'communities-line', type: 'line', source: 'communities', 'source-layer': 'communities', paint: { 'line-color': COLORS.communityLine, 'line-width': ['interpolate', ['linear'], ['zoom'], 12, 1, 17, 2.5], 'line-dasharray': [3, 2] } }),

    // Evacuation sites: polygons filled by kind, closed ones hatched grey.
    g('sites', { id: 'sites-fill', type: 'fill', source: 'sites', 'source-layer': 'sites', filter: isPoly, paint: { 'fill-color': ['case', closed, '#9e9e9e', siteColor], 'fill-opacity': ['case', closed, 0.35, 0.55] } }),
    g('sites', { id: 'sites-line', type: 'line', source: 'sites', 'source-layer': 'sites', filter: isPoly, paint: { 'line-color': ['case', closed, '#757575', siteColor], 'line-width': 1.5 } }),

    // Zones drawn by planners.
    g('zones', { id: 'zones-fill', type: 'fill', source: 'zones', 'source-layer': 'zones', paint: { 'fill-color': COLORS.zoneFill, 'fill-opacity': 0.08 } }),
    g('zones', { id: 'zones-line', type: 'line', source: 'zones', 'source-layer': 'zones', paint: { 'line-color': COLORS.zoneLine, 'line-width': 2, 'line-dasharray': [4, 2] } }),

    // Roads by class: footways thin and dashed, service/minor white with casing, major amber.
    g('roads', { id: 'roads-footway', type: 'line', source: 'roads', 'source-layer': 'roads', filter: inClass('footway'), layout: { 'line-cap': 'round' }, paint: { 'line-color': COLORS.footway, 'line-width': roadWidth(0.8, 2.5), 'line-dasharray': [2, 1.5] } }),
    g('roads', { id: 'roads-casing', type: 'line', source: 'roads', 'source-layer': 'roads', filter: ['any', inClass('service'), inClass('minor'), inClass('major')], layout: { 'line-cap': 'round', 'line-join': 'round' }, paint: { 'line-color': COLORS.roadCasing, 'line-width': casingWidth } }),
    g('roads', { id: 'roads-service', type: 'line', source: 'roads', 'source-layer': 'roads', filter: inClass('service'), layout: { 'line-cap': 'round', 'line-join': 'round' }, paint: { 'line-color': COLORS.roadService, 'line-width': roadWidth(1.5, 8) } }),
    g('roads', { id: 'roads-minor', type: 'line', source: 'roads', 'source-layer': 'roads', filter: inClass('minor'), layout: { 'line-cap': 'round', 'line-join': 'round' }, paint: { 'line-color': COLORS.roadMinor, 'line-width': roadWidth(3, 15) } }),
    g('roads', { id: 'roads-major', type: 'line', source: 'roads', 'source-layer': 'roads', filter: inClass('major'), layout: { 'line-cap': 'round', 'line-join': 'round' }, paint: { 'line-color': COLORS.roadMajor, 'line-width': roadWidth(5, 22) } }),
    // Any class we did not list still shows, thin.
    g('roads', { id: 'roads-other', type: 'line', source: 'roads', 'source-layer': 'roads', filter: ['!', ['any', inClass('footway'), inClass('service'), inClass('minor'), inClass('major')]], paint: { 'line-color': COLORS.roadCasing, 'line-width': 1 } }),

    // Buildings: flat fills, or extrusions (3 m per level).
    opts.extrude
      ? g('buildings', { id: 'buildings-3d', type: 'fill-extrusion', source: 'buildings', 'source-layer': 'buildings', minzoom: 14, paint: { 'fill-extrusion-color': ['case', isResidential, COLORS.residential, COLORS.otherBuilding], 'fill-extrusion-height': ['*', 3, ['coalesce', ['to-number', ['get', 'levels']], 2]], 'fill-extrusion-opacity': 0.85 } })
      : g('buildings', { id: 'buildings-fill', type: 'fill', source: 'buildings', 'source-layer': 'buildings', minzoom: 13, paint: { 'fill-color': ['case', isResidential, COLORS.residential, COLORS.otherBuilding], 'fill-outline-color': COLORS.buildingLine } }),

    // Site points (civil-defence works, assembly points) on top of buildings.
    g('sites', { id: 'sites-point', type: 'circle', source: 'sites', 'source-layer': 'sites', filter: isPoint, paint: { 'circle-color': ['case', closed, '#9e9e9e', siteColor], 'circle-radius': ['interpolate', ['linear'], ['zoom'], 12, 4, 18, 10], 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 2 } }),

    // Labels.
    g('labels', { id: 'label-roads', type: 'symbol', source: 'roads', 'source-layer': 'roads', minzoom: 15, filter: ['all', ['has', 'name'], ['!=', ['get', 'name'], '']], layout: { 'symbol-placement': 'line', 'text-field': ['get', 'name'], 'text-font': font, 'text-size': text(12), 'text-max-angle': 30 }, paint: { 'text-color': '#5a4e40', 'text-halo-color': COLORS.halo, 'text-halo-width': 1.5 } }),
    g('labels', { id: 'label-buildings', type: 'symbol', source: 'buildings', 'source-layer': 'buildings', minzoom: 16, filter: ['all', ['has', 'name'], ['!=', ['get', 'name'], '']], layout: { 'text-field': ['get', 'name'], 'text-font': font, 'text-size': text(11), 'text-max-width': 6 }, paint: { 'text-color': '#4a3f35', 'text-halo-color': COLORS.halo, 'text-halo-width': 1.2 } }),
    g('labels', { id: 'label-sites', type: 'symbol', source: 'sites', 'source-layer': 'sites', minzoom: 13, filter: ['all', ['has', 'name'], ['!=', ['get', 'name'], '']], layout: { 'text-field': ['get', 'name'], 'text-font': font, 'text-size': text(13), 'text-max-width': 8, 'text-variable-anchor': ['top', 'bottom', 'center'], 'text-radial-offset': 0.8 }, paint: { 'text-color': ['case', closed, '#616161', ['match', ['get', 'kind'], ...SITE_KINDS.flatMap((k) => [k, darken(SITE_COLORS[k])]), '#37474f']] as unknown as ExpressionSpecification, 'text-halo-color': COLORS.halo, 'text-halo-width': 1.8 } }),
    g('labels', { id: 'label-communities', type: 'symbol', source: COMMUNITY_LABELS, maxzoom: 17, filter: ['all', ['has', 'name'], ['!=', ['get', 'name'], '']], layout: { 'text-field': ['get', 'name'], 'text-font': font, 'text-size': text(15), 'text-max-width': 8, 'text-padding': 20 }, paint: { 'text-color': '#3e2f1c', 'text-halo-color': COLORS.halo, 'text-halo-width': 2 } }),
  ];

  for (const l of layers) {
    const group = l.metadata?.group;
    if (group && opts.visible && opts.visible[group] === false) {
      (l as { layout?: Record<string, unknown> }).layout = { ...(l as { layout?: Record<string, unknown> }).layout, visibility: 'none' };
    }
  }

  const style: StyleSpecification = { version: 8, name: 'community-evacuation', sources, layers };
  if (opts.fontFaces && Object.keys(opts.fontFaces).length) style['font-faces'] = opts.fontFaces;
  return style;
}

function g<T extends LayerSpecification>(group: LayerGroup, layer: T): T & { metadata: { group: LayerGroup } } {
  return { ...layer, metadata: { group } };
}

/** Style layer ids per switcher group. */
export function layerIdsByGroup(style: StyleSpecification): Record<LayerGroup, string[]> {
  const out = Object.fromEntries(LAYER_GROUPS.map((k) => [k, [] as string[]])) as unknown as Record<LayerGroup, string[]>;
  for (const l of style.layers) {
    const group = (l.metadata as { group?: LayerGroup } | undefined)?.group;
    if (group) out[group].push(l.id);
  }
  return out;
}

function darken(hex: string): string {
  const n = parseInt(hex.slice(1), 16);
  const f = (v: number) => Math.round(v * 0.7).toString(16).padStart(2, '0');
  return `#${f((n >> 16) & 255)}${f((n >> 8) & 255)}${f(n & 255)}`;
}

/** Every URL in a style (sources, sprite, glyphs, font-faces) — used to prove the style is offline. */
export function styleUrls(style: StyleSpecification): string[] {
  const urls: string[] = [];
  for (const s of Object.values(style.sources)) {
    const src = s as { tiles?: string[]; url?: string; data?: unknown };
    if (src.tiles) urls.push(...src.tiles);
    if (src.url) urls.push(src.url);
    if (typeof src.data === 'string') urls.push(src.data);
  }
  if (typeof style.sprite === 'string') urls.push(style.sprite);
  else if (Array.isArray(style.sprite)) urls.push(...style.sprite.map((s) => s.url));
  if (style.glyphs) urls.push(style.glyphs);
  for (const v of Object.values(style['font-faces'] ?? {})) {
    if (typeof v === 'string') urls.push(v);
    else urls.push(...v.map((f) => f.url));
  }
  return urls;
}

/** Label points for polygons: the centroid of each feature's largest outer ring. */
export function labelPoints(fc: FeatureCollection): FeatureCollection<Point> {
  const out: Feature<Point>[] = [];
  for (const f of fc.features) {
    const g = f.geometry;
    if (!g) continue;
    const polys = g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : [];
    let best: { a: number; c: [number, number] } | null = null;
    for (const poly of polys) {
      const ring = poly[0];
      let a = 0, cx = 0, cy = 0;
      for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        const k = ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
        a += k;
        cx += (ring[j][0] + ring[i][0]) * k;
        cy += (ring[j][1] + ring[i][1]) * k;
      }
      if (a === 0) continue;
      const c: [number, number] = [cx / (3 * a), cy / (3 * a)];
      if (!best || Math.abs(a) > best.a) best = { a: Math.abs(a), c };
    }
    if (best) out.push({ type: 'Feature', properties: { name: f.properties?.name ?? '' }, geometry: { type: 'Point', coordinates: best.c } });
  }
  return { type: 'FeatureCollection', features: out };
}
