/** Loading a plan's results: the plan (summary, site coverage), its result layers (paged), building names. */
import type { Feature, FeatureCollection } from 'geojson';
import { getPlan, listPlans, RESULT_LAYERS, type PlanDetail, type PlanMeta, type ResultLayer } from './api.ts';
import type { ResultData } from './resultLayers.ts';

const PAGE = 10_000;
/** Most features read per layer (the API pages at 10,000). */
export const MAX_FEATURES = 200_000;

/** Every feature of a layer, page by page. */
export async function fetchAllFeatures(layer: string, signal?: AbortSignal): Promise<FeatureCollection> {
  const features: Feature[] = [];
  for (let offset = 0; offset < MAX_FEATURES; offset += PAGE) {
    const res = await fetch(`/api/layers/${layer}?limit=${PAGE}&offset=${offset}`, { headers: { accept: 'application/geo+json, application/json' }, signal });
    if (!res.ok) throw new Error(`${layer}: ${res.status} ${res.statusText}`);
    const fc = (await res.json()) as FeatureCollection & { numberReturned?: number };
    features.push(...fc.features);
    if (fc.features.length < PAGE) break;
  }
  return { type: 'FeatureCollection', features };
}

export interface BuildingInfo {
  id: number;
  name: string | null;
  communityId: number | null;
  population: number;
}

export interface Results {
  plans: PlanMeta[];
  plan: PlanDetail | null;
  data: ResultData;
  buildings: Map<number, BuildingInfo>;
  communities: { id: number; name: string }[];
  /** Community outlines (snapping targets for drawing). */
  communityFc: FeatureCollection;
}

/** The current plan is the newest that is not a what-if: the one the result layers show. */
export const currentPlanOf = (plans: PlanMeta[]) => plans.find((p) => p.baselineId === null) ?? null;

export async function loadResults(signal?: AbortSignal): Promise<Results> {
  const plans = await listPlans(signal);
  const cur = currentPlanOf(plans);
  const [plan, layers, buildingsFc, communitiesFc] = await Promise.all([
    cur ? getPlan(cur.id, signal) : Promise.resolve(null),
    cur ? Promise.all(RESULT_LAYERS.map((l) => fetchAllFeatures(l, signal))) : Promise.resolve([]),
    fetchAllFeatures('buildings', signal),
    fetchAllFeatures('communities', signal),
  ]);
  const data: ResultData = {};
  RESULT_LAYERS.forEach((l: ResultLayer, i) => {
    if (layers[i]) data[l] = layers[i];
  });
  const buildings = new Map<number, BuildingInfo>();
  for (const f of buildingsFc.features) {
    const p = f.properties ?? {};
    const id = Number(p.id ?? f.id);
    buildings.set(id, { id, name: p.name ?? null, communityId: p.community_id ?? null, population: Number(p.population ?? 0) });
  }
  const communities = communitiesFc.features
    .map((f) => ({ id: Number(f.properties?.id ?? f.id), name: String(f.properties?.name ?? `#${f.id}`) }))
    .sort((a, b) => a.name.localeCompare(b.name, 'zh-CN'));
  return { plans, plan, data, buildings, communities, communityFc: communitiesFc };
}
