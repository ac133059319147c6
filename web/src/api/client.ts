/** Typed calls to our own API (same origin). Shapes follow the API contract described in issue 4. */
import type { FeatureCollection, LineString, Geometry } from 'geojson';

export type LonLat = [number, number];
export type BBox = [number, number, number, number];

export interface SearchHit {
  type: 'building' | 'community' | 'site';
  id: string | number;
  name: string;
  center: LonLat;
}

export interface SiteSummary {
  id: string | number;
  name: string;
  kind: string;
  level?: string;
  capacity?: number;
  status?: string;
}

export interface Step {
  instruction: string;
  distanceM: number;
}

export interface NearestSite {
  site: SiteSummary;
  distanceM: number;
  minutes: number;
  minutesVulnerable: number;
  route: LineString | null;
  steps: Step[];
}

export interface NearestAnswer {
  from: { lon: number; lat: number; snapDistanceM: number };
  sites: NearestSite[];
}

export interface BuildingPlan {
  building: { id: string | number; name: string; population: number; levels: number; communityName: string | null };
  planId: string | number | null;
  hazard: string | null;
  site: { id: string | number; name: string; kind: string } | null;
  distanceM: number | null;
  minutes: number | null;
  minutesVulnerable: number | null;
  route: LineString | null;
  steps: Step[];
  signs: { id: string | number; kind: string; lon: number; lat: number; text: string }[];
  guides: { name: string; role: string }[];
  unplacedReason: string | null;
}

export interface Health {
  dataVersion: string;
  raw: Record<string, unknown>;
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, { headers: { accept: 'application/json' }, signal });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError((e as Error).message || 'network error', 0);
  }
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try {
      const body = (await res.json()) as { error?: { message?: string } | string; message?: string };
      const m = typeof body.error === 'string' ? body.error : (body.error?.message ?? body.message);
      if (m) message = m;
    } catch {
      /* not JSON */
    }
    throw new ApiError(message, res.status);
  }
  return (await res.json()) as T;
}

/** The data version, read tolerantly (dataVersion, data_version, version, data.version …). */
export function dataVersionOf(h: Record<string, unknown>): string {
  const pick = (o: unknown): unknown => {
    if (!o || typeof o !== 'object') return undefined;
    const r = o as Record<string, unknown>;
    return r.dataVersion ?? r.data_version ?? r.dataversion ?? (typeof r.data === 'object' ? pick(r.data) : undefined) ?? r.version;
  };
  const v = pick(h);
  return v === undefined || v === null ? '0' : String(v);
}

export async function getHealth(signal?: AbortSignal): Promise<Health> {
  const raw = await getJson<Record<string, unknown>>('/api/health', signal);
  return { dataVersion: dataVersionOf(raw), raw };
}

export function getLayer(layer: string, opts: { bbox?: BBox; limit?: number } = {}, signal?: AbortSignal) {
  const p = new URLSearchParams();
  if (opts.bbox) p.set('bbox', opts.bbox.join(','));
  if (opts.limit) p.set('limit', String(opts.limit));
  const qs = p.toString();
  return getJson<FeatureCollection>(`/api/layers/${encodeURIComponent(layer)}${qs ? `?${qs}` : ''}`, signal);
}

export async function search(q: string, signal?: AbortSignal): Promise<SearchHit[]> {
  const body = await getJson<SearchHit[] | { results?: SearchHit[]; items?: SearchHit[] }>(
    `/api/search?q=${encodeURIComponent(q)}`,
    signal,
  );
  return Array.isArray(body) ? body : (body.results ?? body.items ?? []);
}

export function nearest(lon: number, lat: number, k = 3, signal?: AbortSignal) {
  return getJson<NearestAnswer>(`/api/nearest?lon=${lon}&lat=${lat}&k=${k}`, signal);
}

export function buildingPlan(id: string | number, signal?: AbortSignal) {
  return getJson<BuildingPlan>(`/api/buildings/${encodeURIComponent(String(id))}/plan`, signal);
}

/** Bounding box of any GeoJSON, or null when it has no coordinates. */
export function bboxOf(g: FeatureCollection | Geometry | null | undefined): BBox | null {
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  const visit = (c: unknown): void => {
    if (!Array.isArray(c)) return;
    if (typeof c[0] === 'number' && typeof c[1] === 'number') {
      const [x, y] = c as number[];
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
      return;
    }
    for (const d of c) visit(d);
  };
  const walk = (o: any): void => {
    if (!o) return;
    if (o.type === 'FeatureCollection') o.features?.forEach((f: any) => walk(f.geometry));
    else if (o.type === 'Feature') walk(o.geometry);
    else if (o.type === 'GeometryCollection') o.geometries?.forEach(walk);
    else visit(o.coordinates);
  };
  walk(g);
  return Number.isFinite(minX) ? [minX, minY, maxX, maxY] : null;
}
