/**
 * Evacuation-site capacity = effective area ÷ area per person.
 *
 * Sources (../shared/docs/DOMAIN.md, "Site capacity and reach"):
 *  - area per person: emergency shelter ≥ 1 m², fixed shelter ≥ 2 m² — GB 50413-2007 §8.2.8–8.2.9.
 *  - civil-defence works (人防工程): 1.0 m² of shelter floor per person — GB 50225, UNCONFIRMED (read only in
 *    secondary sources, not in the primary text): keep it configurable and show it as unconfirmed.
 *  - effective area = the usable open part: exclude water, buildings, dense trees, steep slopes — GB 51143 /
 *    GB 21734 definitions. Buildings and water come from the map; everything the map does not show (trees,
 *    slopes, fixtures) is covered by `unmappedObstacleShare`, an ASSUMPTION with no source (default 0.2) that
 *    planners should set for their area.
 *  - minimum site size: emergency ≥ 0.1 ha, fixed ≥ 1 ha — GB 50413-2007 §8.2.8 (reported, not enforced).
 * A planner's capacity_override always wins; a capacity published by the site's own list comes next.
 */
import { z } from 'zod';
import type { SiteKind } from './hazards.ts';

export type SiteLevel = 'emergency' | 'fixed';

export const CapacityParams = z.object({
  /** m² per person, emergency shelter — GB 50413-2007 §8.2.8 */
  emergencyM2PerPerson: z.number().positive().default(1),
  /** m² per person, fixed shelter — GB 50413-2007 §8.2.9 */
  fixedM2PerPerson: z.number().positive().default(2),
  /** m² of floor per person in civil-defence works — GB 50225 (unconfirmed) */
  civilDefenceM2PerPerson: z.number().positive().default(1),
  /** share of the open part lost to obstacles the map does not show — assumption, no source */
  unmappedObstacleShare: z.number().min(0).max(0.95).default(0.2),
  /** minimum site areas in m² — GB 50413-2007 §8.2.8 (0.1 ha, 1 ha) */
  minEmergencyAreaM2: z.number().nonnegative().default(1000),
  minFixedAreaM2: z.number().nonnegative().default(10000),
});
export type CapacityParams = z.infer<typeof CapacityParams>;
export const DEFAULT_CAPACITY_PARAMS: CapacityParams = CapacityParams.parse({});

/** Which figures are confirmed in a primary source (for the UI). */
export const CAPACITY_SOURCES = {
  emergencyM2PerPerson: { source: 'GB 50413-2007 §8.2.8', confirmed: true },
  fixedM2PerPerson: { source: 'GB 50413-2007 §8.2.9', confirmed: true },
  civilDefenceM2PerPerson: { source: 'GB 50225', confirmed: false },
  unmappedObstacleShare: { source: 'assumption', confirmed: false },
} as const;

export function m2PerPerson(kind: SiteKind, level: SiteLevel, p: CapacityParams = DEFAULT_CAPACITY_PARAMS): number {
  if (kind === 'civil_defence_work') return p.civilDefenceM2PerPerson;
  return level === 'fixed' ? p.fixedM2PerPerson : p.emergencyM2PerPerson;
}

export interface SiteForArea {
  kind: SiteKind;
  /** whole area of the site, m² (for civil-defence works: their floor area) */
  areaM2: number;
  /** m² of buildings inside an open site */
  buildingsM2?: number;
  /** m² of water inside an open site */
  waterM2?: number;
}

/**
 * Effective area: for open sites, (area − buildings − water) × (1 − unmapped obstacle share); civil-defence works
 * are floor area already, so the whole area counts.
 */
export function effectiveArea(s: SiteForArea, p: CapacityParams = DEFAULT_CAPACITY_PARAMS): number {
  if (s.kind === 'civil_defence_work') return Math.max(0, s.areaM2);
  const open = Math.max(0, s.areaM2 - (s.buildingsM2 ?? 0) - (s.waterM2 ?? 0));
  return open * (1 - p.unmappedObstacleShare);
}

export interface SiteForCapacity {
  kind: SiteKind;
  level: SiteLevel;
  effectiveAreaM2: number;
  /** a capacity published by the site's source list (e.g. 預計收容人數) */
  listedCapacity?: number | null;
}

/** Computed capacity (people, rounded down): listed capacity if the source gives one, else area ÷ m² per person. */
export function siteCapacity(s: SiteForCapacity, p: CapacityParams = DEFAULT_CAPACITY_PARAMS): number {
  if (s.listedCapacity != null && s.listedCapacity >= 0) return Math.floor(s.listedCapacity);
  if (!(s.effectiveAreaM2 > 0)) return 0;
  return Math.floor(s.effectiveAreaM2 / m2PerPerson(s.kind, s.level, p));
}

/** The capacity plans use: the planner's override wins. */
export function effectiveCapacity(s: { capacity: number; capacity_override?: number | null }): number {
  return s.capacity_override ?? s.capacity;
}

/** Whether a site meets the minimum size for its level (GB 50413-2007 §8.2.8); civil-defence works are exempt. */
export function meetsMinimumSize(s: { kind: SiteKind; level: SiteLevel; areaM2: number }, p: CapacityParams = DEFAULT_CAPACITY_PARAMS): boolean {
  if (s.kind === 'civil_defence_work') return true;
  return s.areaM2 >= (s.level === 'fixed' ? p.minFixedAreaM2 : p.minEmergencyAreaM2);
}
