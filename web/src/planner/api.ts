/**
 * The planner's calls to our API: session (cookie + CSRF token), zones, sites and plans. Reads go through plain
 * fetch; every write sends `X-CSRF-Token` and, for an existing record, `If-Match: "<version>"`.
 * Shapes follow server/auth/index.ts, server/edit/{zones,sites}.ts and server/plans/routes.ts.
 */
import type { Feature, FeatureCollection, Geometry, LineString, MultiPolygon, Point, Polygon } from 'geojson';

export type Role = 'admin' | 'planner' | 'inspector' | 'reporter';
export interface User {
  id: number;
  username: string;
  role: Role;
  communityIds: number[];
}

/** Hazards a plan can be run for (server/engine/types.ts HAZARDS). */
export const PLAN_HAZARDS = ['earthquake', 'air_raid', 'fire', 'flood'] as const;
export type PlanHazard = (typeof PLAN_HAZARDS)[number];
/** Hazards a site or zone can be tagged with (server/domain/hazards.ts HAZARDS). */
export const SITE_HAZARDS = ['earthquake', 'fire', 'flood', 'air_raid', 'landslide', 'tsunami', 'storm_surge', 'volcano'] as const;
export type SiteHazard = (typeof SITE_HAZARDS)[number];
export const SITE_KINDS = ['green_space', 'park', 'square', 'playground', 'pitch', 'civil_defence_work', 'assembly_point'] as const;
export type SiteKind = (typeof SITE_KINDS)[number];
export const SITE_LEVELS = ['emergency', 'fixed'] as const;
export type SiteLevel = (typeof SITE_LEVELS)[number];

export type ZoneGeometry = Polygon | MultiPolygon;

export interface Zone {
  id: number;
  name: string;
  geometry: ZoneGeometry;
  siteIds: number[];
  hazard: SiteHazard | null;
  notes: string | null;
  areaM2: number;
  version: number;
}

export interface ZoneInput {
  name: string;
  geometry?: ZoneGeometry;
  siteIds: number[];
  hazard: SiteHazard | null;
  notes: string | null;
}

export interface Site {
  id: number;
  name: string | null;
  kind: SiteKind;
  level: SiteLevel;
  status: 'open' | 'closed';
  hazards: SiteHazard[];
  geometry: Point | Polygon | MultiPolygon;
  areaM2: number | null;
  effectiveAreaM2: number | null;
  capacity: number;
  capacityOverride: number | null;
  effectiveCapacity: number;
  communityId: number | null;
  version: number;
}

export interface SiteInput {
  name: string;
  kind: SiteKind;
  level: SiteLevel;
  status: 'open' | 'closed';
  hazards: SiteHazard[];
  capacityOverride: number | null;
  geometry?: Point | Polygon;
}

/** A site as listed by GET /api/layers/sites (feature properties). */
export interface SiteListItem {
  id: number;
  name: string | null;
  kind: SiteKind;
  level: SiteLevel;
  capacity: number;
  status: 'open' | 'closed';
  hazards: SiteHazard[];
  center: [number, number];
  geometry: Geometry;
}

export interface PlanOptionsInput {
  reachM?: { emergency?: number; fixed?: number };
  walkSpeedMps?: { normal?: number; vulnerable?: number };
  /** re-plan only these communities' buildings (with a baseline, the others' people stay at their baseline sites) */
  communityIds?: number[];
}

export interface Closures {
  edgeIds: number[];
  siteIds: number[];
  lines: [number, number][][];
  areas: [number, number][][];
}

export interface PlanSummary {
  hazard: string;
  buildings: number;
  population: number;
  sites: number;
  assignedPopulation: number;
  unplacedPopulation: number;
  coveredPopulationShare: number;
  maxSiteUtilisation: number;
  signs: number;
  guidesNeeded: number;
  guidesAssigned: number;
  guidesShortfall: number;
  [k: string]: unknown;
}

export interface PlanMeta {
  id: number;
  hazard: PlanHazard;
  name: string | null;
  baselineId: number | null;
  summary: PlanSummary;
  createdBy: string | null;
  createdAt: string;
}

export interface SiteCoverage {
  id: number;
  name: string | null;
  level: SiteLevel;
  eligible: boolean;
  why: string | null;
  capacity: number;
  load: number;
  utilisation: number;
  buildings: number;
  entrances: number;
  clearanceS: number;
  coverageLost: number;
}

export interface PlanDetail extends PlanMeta {
  options: Record<string, unknown>;
  closures: unknown;
  coverage: { sites: SiteCoverage[]; coveredShare?: number; population?: number; [k: string]: unknown } | null;
}

export interface PlanDiff {
  plan: number;
  other: number;
  buildingsChangingSite: number;
  peopleChangingSite: number;
  newlyUnplacedPeople: number;
  maxSecondsAdded: number;
  changes: {
    buildingId: number;
    name: string | null;
    population: number;
    from: number | null;
    to: number | null;
    distanceFromM: number | null;
    distanceToM: number | null;
    secondsAdded: number | null;
    newlyUnplaced: boolean;
    reason: string | null;
  }[];
}

export interface PlanSign {
  id: string;
  kind: string;
  lon: number;
  lat: number;
  floor: number | null;
  arrows: { site: string; bearing: number | null; site_id: number; distance_m: number }[];
  text: string;
}

export interface BuildingPlanFull {
  building: { id: number; name: string | null; population: number; levels: number; communityId: number | null; communityName: string | null; center: [number, number] };
  planId: number | null;
  hazard: string | null;
  site: { id: number; name: string | null; kind: string; level: string; center: [number, number] } | null;
  distanceM: number | null;
  minutes: number | null;
  minutesVulnerable: number | null;
  route: LineString | null;
  steps: { instruction: string; instructionEn?: string; distanceM: number }[];
  unplacedReason: string | null;
  signs: PlanSign[];
  guides: { needed: number; assigned: number; rule: string; names: string[] }[];
}

export class PlannerApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | null = null,
    readonly details: unknown = null,
  ) {
    super(message);
    this.name = 'PlannerApiError';
  }
  get stale() {
    return this.status === 409;
  }
}

/** The CSRF token of the current session; set by login / me, sent with every write. */
let csrfToken: string | null = null;
export function setCsrfToken(t: string | null) {
  csrfToken = t;
}

async function request<T>(method: string, path: string, opts: { body?: unknown; version?: number; signal?: AbortSignal } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  if (opts.version !== undefined) headers['If-Match'] = `"${opts.version}"`;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      credentials: 'same-origin',
      signal: opts.signal,
    });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new PlannerApiError((e as Error).message || 'network error', 0);
  }
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    let code: string | null = null;
    let details: unknown = null;
    try {
      const b = (await res.json()) as { error?: { code?: string; message?: string; details?: unknown } | string };
      if (typeof b.error === 'string') message = b.error;
      else if (b.error) {
        message = b.error.message ?? message;
        code = b.error.code ?? null;
        details = b.error.details ?? null;
      }
    } catch {
      /* not JSON */
    }
    throw new PlannerApiError(message, res.status, code, details);
  }
  return (await res.json()) as T;
}

// --- session -------------------------------------------------------------------------------------------------

export async function me(signal?: AbortSignal): Promise<User | null> {
  const r = await request<{ user: User | null; csrfToken: string | null }>('GET', '/api/auth/me', { signal });
  setCsrfToken(r.csrfToken);
  return r.user;
}

export async function login(username: string, password: string): Promise<User> {
  const r = await request<{ user: User; csrfToken: string }>('POST', '/api/auth/login', { body: { username, password } });
  setCsrfToken(r.csrfToken);
  return r.user;
}

export async function logout(): Promise<void> {
  await request('POST', '/api/auth/logout', { body: {} });
  setCsrfToken(null);
}

export const canPlan = (u: User | null) => !!u && (u.role === 'planner' || u.role === 'admin');

// --- zones ---------------------------------------------------------------------------------------------------

export async function listZones(signal?: AbortSignal): Promise<Zone[]> {
  return (await request<{ zones: Zone[] }>('GET', '/api/zones?limit=1000', { signal })).zones;
}
export const createZone = (z: ZoneInput) => request<Zone>('POST', '/api/zones', { body: z });
export const patchZone = (id: number, version: number, z: Partial<ZoneInput>) => request<Zone>('PATCH', `/api/zones/${id}`, { body: z, version });
export const deleteZone = (id: number, version: number) => request<{ deleted: { id: number } }>('DELETE', `/api/zones/${id}`, { version });

// --- sites ---------------------------------------------------------------------------------------------------

export async function listSites(signal?: AbortSignal): Promise<SiteListItem[]> {
  const fc = await request<FeatureCollection>('GET', '/api/layers/sites?limit=10000', { signal });
  return fc.features.map((f) => {
    const p = f.properties as Record<string, any>;
    return {
      id: Number(p.id ?? f.id),
      name: p.name ?? null,
      kind: p.kind,
      level: p.level,
      capacity: Number(p.capacity ?? 0),
      status: p.status ?? 'open',
      hazards: p.hazards ?? [],
      center: centerOf(f.geometry),
      geometry: f.geometry,
    };
  });
}
export const getSite = (id: number, signal?: AbortSignal) => request<Site>('GET', `/api/sites/${id}`, { signal });
export const createSite = (s: SiteInput & { geometry: Point | Polygon }) => request<Site>('POST', '/api/sites', { body: s });
export const patchSite = (id: number, version: number, s: Partial<SiteInput>) => request<Site>('PATCH', `/api/sites/${id}`, { body: s, version });

// --- plans ---------------------------------------------------------------------------------------------------

export interface RunPlanInput {
  hazard: PlanHazard;
  name?: string;
  baselineId?: number;
  options?: PlanOptionsInput;
  closures?: Partial<Closures>;
}
export const runPlan = (body: RunPlanInput, signal?: AbortSignal) =>
  request<{ id: number; hazard: PlanHazard; summary: PlanSummary }>('POST', '/api/plans', { body, signal });
export async function listPlans(signal?: AbortSignal): Promise<PlanMeta[]> {
  return (await request<{ plans: PlanMeta[] }>('GET', '/api/plans', { signal })).plans;
}
export const getPlan = (id: number, signal?: AbortSignal) => request<PlanDetail>('GET', `/api/plans/${id}`, { signal });
export const planDiff = (base: number, other: number, signal?: AbortSignal) => request<PlanDiff>('GET', `/api/plans/${base}/diff/${other}`, { signal });
export const buildingPlanFull = (id: number, planId?: number | null, signal?: AbortSignal) =>
  request<BuildingPlanFull>('GET', `/api/buildings/${id}/plan${planId ? `?planId=${planId}` : ''}`, { signal });
export const signsCsvUrl = (planId: number) => `/api/plans/${planId}/signs.csv`;

/** Plan result layers of the current plan, by id as the API's layer registry names them. */
export const RESULT_LAYERS = ['plan_buildings', 'plan_routes', 'plan_flows', 'plan_signs', 'plan_guides', 'plan_entrances'] as const;
export type ResultLayer = (typeof RESULT_LAYERS)[number];
export const layerUrl = (layer: string, limit = 10000) => `/api/layers/${layer}?limit=${limit}`;
export const fetchLayer = (layer: string, signal?: AbortSignal) => request<FeatureCollection>('GET', layerUrl(layer), { signal });

/** A point for a geometry: the point itself, or the mean of a polygon's outer ring. */
export function centerOf(g: Geometry | null | undefined): [number, number] {
  if (!g) return [0, 0];
  if (g.type === 'Point') return g.coordinates as [number, number];
  const ring = g.type === 'Polygon' ? g.coordinates[0] : g.type === 'MultiPolygon' ? g.coordinates[0]?.[0] : g.type === 'LineString' ? g.coordinates : null;
  if (!ring?.length) return [0, 0];
  const pts = ring.length > 1 && ring[0][0] === ring[ring.length - 1][0] && ring[0][1] === ring[ring.length - 1][1] ? ring.slice(0, -1) : ring;
  return [pts.reduce((s, p) => s + p[0], 0) / pts.length, pts.reduce((s, p) => s + p[1], 0) / pts.length];
}

export type { Feature, FeatureCollection };
