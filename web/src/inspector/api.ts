/**
 * Typed calls for the inspector and operations pages: accounts (cookie session + CSRF token for writes),
 * the current plan's coverage, plan result layers, the yearly inspection and the operations records.
 * Shapes follow server/plans/routes.ts, server/auth/index.ts and server/ops/*.ts.
 */
import type { FeatureCollection } from 'geojson';
import { ApiError } from '../api/client.ts';

export type Role = 'admin' | 'planner' | 'inspector' | 'reporter';
export interface User {
  id: number;
  username: string;
  role: Role;
  communityIds: number[];
}
export interface Session {
  user: User;
  csrfToken: string;
}

let csrfToken: string | null = null;

async function call<T>(method: string, path: string, body?: unknown, opts: { signal?: AbortSignal; ifMatch?: number | null } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  if (opts.ifMatch != null) headers['If-Match'] = `"${opts.ifMatch}"`;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin', signal: opts.signal });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError((e as Error).message || 'network error', 0);
  }
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try {
      const b = (await res.json()) as { error?: { message?: string } | string };
      const m = typeof b.error === 'string' ? b.error : b.error?.message;
      if (m) message = m;
    } catch {
      /* not JSON */
    }
    throw new ApiError(message, res.status);
  }
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

const get = <T>(path: string, signal?: AbortSignal) => call<T>('GET', path, undefined, { signal });

// ---- accounts ----

export async function login(username: string, password: string): Promise<Session> {
  const s = await call<Session>('POST', '/api/auth/login', { username, password });
  csrfToken = s.csrfToken;
  return s;
}

/** The signed-in user, or null (401). */
export async function me(signal?: AbortSignal): Promise<Session | null> {
  try {
    const s = await get<Session>('/api/auth/me', signal);
    csrfToken = s.csrfToken;
    return s;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
}

export async function logout(): Promise<void> {
  try {
    await call('POST', '/api/auth/logout', {});
  } finally {
    csrfToken = null;
  }
}

// ---- coverage and plans ----

export interface AreaSummary {
  id: number;
  name: string;
  buildings: number;
  population: number;
  coveredPopulation: number;
  coveredShare: number;
  assignedPopulation: number;
  unplacedPopulation: number;
  clearanceS: number;
  clearanceVulnerableS: number;
}

export interface SiteCoverage {
  id: number;
  name: string | null;
  level?: string;
  load: number;
  capacity: number;
  utilisation: number;
  eligible: boolean;
  buildings: number;
  coverageLost?: number;
  clearanceS?: number;
  why?: string | null;
}

export interface PlanSummary {
  population: number;
  assignedPopulation: number;
  unplacedPopulation: number;
  coveredPopulationShare: number;
  maxSiteUtilisation: number;
  signs: number;
  guidesNeeded: number;
  guidesAssigned: number;
  guidesShortfall?: number;
  sites?: number;
  buildings?: number;
  [k: string]: unknown;
}

export interface Coverage {
  planId: number;
  hazard: string;
  createdAt: string;
  summary: PlanSummary;
  coverage: {
    population: number;
    coveredPopulation: number;
    coveredShare: number;
    sites: SiteCoverage[];
    communities: AreaSummary[];
    zones: AreaSummary[];
    uncovered: { id: number; building: number; people: number; reason: string }[];
    capacity: { total: number; population: number; shortfall: number; unplacedAllFull: number };
    criticality: { id: number; site: number; coverageLost: number; assigned: number }[];
    addCapacity?: unknown[];
  };
}

export const getCoverage = (signal?: AbortSignal) => get<Coverage>('/api/coverage', signal);

export const layer = (id: string, limit = 100_000, signal?: AbortSignal) => get<FeatureCollection>(`/api/layers/${id}?limit=${limit}`, signal);

export interface PlanMeta {
  id: number;
  hazard: string;
  name: string | null;
  baselineId: number | null;
  createdAt: string;
}
export const listPlans = (signal?: AbortSignal) => get<{ plans: PlanMeta[] }>('/api/plans', signal);

export const runWhatIf = (baselineId: number, closures: { edgeIds?: number[]; siteIds?: number[] }, hazard: string, name: string) =>
  call<{ id: number; hazard: string; summary: PlanSummary }>('POST', '/api/plans', {
    baselineId,
    hazard,
    name,
    closures: { edgeIds: closures.edgeIds ?? [], siteIds: closures.siteIds ?? [] },
  });

export interface PlanDiff {
  plan: number;
  other: number;
  buildingsChangingSite: number;
  peopleChangingSite: number;
  newlyUnplacedPeople: number;
  maxSecondsAdded: number;
}
export const planDiff = (id: number, other: number) => get<PlanDiff>(`/api/plans/${id}/diff/${other}`);

// ---- yearly inspection ----

// The checklist's shape is the server's own (type-only imports: nothing from the server is bundled).
import type { CheckCode } from '../../../server/ops/config.ts';
import type { Checklist as ServerChecklist } from '../../../server/ops/inspection.ts';
export type { CheckCode };
export type { CheckItem } from '../../../server/ops/inspection.ts';

/** A community's checklist as GET /api/communities/{id}/inspection returns it: the computed list plus the saved record. */
export interface Checklist extends ServerChecklist {
  status: 'not_started' | 'draft' | 'final';
  notes: string | null;
  inspector: string | null;
  finalisedAt: string | null;
  version: number | null;
}

export const getChecklist = (communityId: number, year: number, signal?: AbortSignal) =>
  get<Checklist>(`/api/communities/${communityId}/inspection?year=${year}`, signal);

export interface ChecklistEdit {
  items: Partial<Record<CheckCode, { score?: number | null; pass?: boolean | null; note?: string | null }>>;
  notes?: string | null;
  status?: 'draft' | 'final';
}
export const putChecklist = (communityId: number, year: number, body: ChecklistEdit, version: number | null) =>
  call<Checklist>('PUT', `/api/communities/${communityId}/inspection?year=${year}`, version == null ? body : { ...body, version }, { ifMatch: version });

export interface RollUp {
  year: number;
  communities: number;
  passing: number;
  passShare: number;
  finalised: number;
  passingByItem: Record<CheckCode, number>;
  results: { communityId: number; communityName: string; status: string; totalScore: number; maxScore: number; pass: boolean; failedRequired: CheckCode[] }[];
}
export const getRollUp = (year: number, signal?: AbortSignal) => get<RollUp>(`/api/inspections?year=${year}`, signal);
export const exportCsvUrl = (year: number) => `/api/inspections/export.csv?year=${year}`;

// ---- operations ----

export interface Station {
  id: number;
  communityId: number;
  communityName: string;
  name: string;
  head: { name: string; title: string };
  staff: { name: string; duty?: string | null }[];
  contact: string | null;
  address: string | null;
  location: { lon: number; lat: number } | null;
  foundedOn: string | null;
}
export interface StationProgress {
  communities: number;
  withStation: number;
  share: number;
  today: string;
  targets: { share: number; deadline: string | null; label: string; met: boolean; stationsNeeded: number; overdue: boolean }[];
  communitiesWithout: { id: number; name: string }[];
}
export const getStations = (signal?: AbortSignal) => get<{ stations: Station[] }>('/api/stations', signal);
export const getStationProgress = (signal?: AbortSignal) => get<StationProgress>('/api/stations/progress', signal);

export interface TeamCheck {
  communityId: number;
  communityName: string;
  core: number;
  total: number;
  rule: { coreMin: number; coreMax: number; totalMin: number; totalMax: number };
  ok: boolean;
  violations: { code: string; message: string; actual: number; limit: number }[];
}
export const getTeamCheck = (signal?: AbortSignal) => get<{ communities: number; violating: number; checks: TeamCheck[] }>('/api/volunteers/team-check', signal);

export interface EquipmentStatus {
  communityId: number;
  communityName: string;
  complete: boolean;
  missing: number;
  expired: number;
  expiringSoon: number;
  categoriesMissing: string[];
  minimumsSource: string;
}
export const getEquipmentStatus = (signal?: AbortSignal) =>
  get<{ today: string; communities: number; complete: number; statuses: EquipmentStatus[] }>('/api/equipment/status', signal);

export interface Incident {
  id: number;
  communityId: number | null;
  kind: string;
  location: { lon: number; lat: number } | null;
  text?: string;
  status: 'open' | 'in_hand' | 'resolved';
  reportedAt: string;
  dueAt: string;
  resolvedAt: string | null;
  overdue: boolean;
  escalated: boolean;
  escalationLevel: number;
  remainingS: number;
  resolvedLate: boolean | null;
  closable: boolean;
  version: number;
}
export const getIncidents = (signal?: AbortSignal) => get<{ now: string; incidents: Incident[] }>('/api/incidents?limit=1000', signal);

export interface Closure {
  incidentId: number;
  kind: string;
  closedEdgeIds?: number[];
  closedSiteIds?: number[];
  matches: { id: number; distanceM: number; name: string | null }[];
}
export const getClosure = (incidentId: number) => get<Closure>(`/api/incidents/${incidentId}/closure`);
