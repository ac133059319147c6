/** Small geometry helpers for the inspector map and scopes (pure; EPSG:4326 lon/lat). */
import type { Feature, FeatureCollection, Geometry, Position } from 'geojson';

/** A representative point: the middle of the bounding box of the first ring / line / point. */
export function centerOf(g: Geometry | null | undefined): [number, number] | null {
  if (!g) return null;
  const pts: Position[] = [];
  const walk = (c: unknown): void => {
    if (!Array.isArray(c)) return;
    if (typeof c[0] === 'number') pts.push(c as Position);
    else for (const d of c) walk(d);
  };
  if (g.type === 'GeometryCollection') g.geometries.forEach((x) => walk((x as { coordinates?: unknown }).coordinates));
  else walk(g.coordinates);
  if (!pts.length) return null;
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const [x, y] of pts) {
    minX = Math.min(minX, x);
    maxX = Math.max(maxX, x);
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  }
  return [(minX + maxX) / 2, (minY + maxY) / 2];
}

function inRing(p: [number, number], ring: Position[]): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Is the point inside the (Multi)Polygon (holes respected)? */
export function pointInArea(p: [number, number], g: Geometry | null | undefined): boolean {
  if (!g) return false;
  const polys = g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : [];
  return polys.some((rings) => rings.length > 0 && inRing(p, rings[0]) && !rings.slice(1).some((h) => inRing(p, h)));
}

/** Features of `fc` whose centre lies in `area`. */
export function featuresIn<T extends Feature>(fc: T[], area: Geometry | null | undefined): T[] {
  if (!area) return fc;
  return fc.filter((f) => {
    const c = centerOf(f.geometry);
    return c !== null && pointInArea(c, area);
  });
}

export function byId(fc: FeatureCollection | null | undefined): Map<number, Feature> {
  const m = new Map<number, Feature>();
  for (const f of fc?.features ?? []) {
    const id = Number((f.properties as { id?: unknown } | null)?.id ?? f.id);
    if (Number.isFinite(id)) m.set(id, f);
  }
  return m;
}
