/**
 * Residents per building: footprint m² × floors ÷ floor area per resident.
 *
 * Sources (../shared/docs/DOMAIN.md, "People and time"):
 *  - floor area per resident: urban China 2020 census 36.5 m² (default); Jiangsu urban 2020 48.3 m²
 *    (Jiangsu Statistical Yearbook 2021); Changzhou > 50 m². Planners may change it.
 *  - floors from `building:levels`, else `height` ÷ 3 m, else a per-type default (DOMAIN.md "Population estimate").
 * The per-type floor defaults below are ASSUMPTIONS (no primary source): 6 floors for a block of flats is the
 * common walk-up height, since GB 50096-2011 (住宅设计规范) requires lifts from the 7th floor; 2 for houses.
 */
import { z } from 'zod';
import type { Tags } from './hazards.ts';

/** building=* values whose floors are homes. building=yes joins them inside a residential area. */
export const RESIDENTIAL_USES = [
  'residential', 'apartments', 'house', 'detached', 'dormitory', 'terrace', 'semidetached_house',
] as const;

export const PopulationParams = z.object({
  /** m² of floor per resident — urban China 2020 census (DOMAIN.md). */
  floorAreaPerResident: z.number().positive().default(36.5),
  /** metres per storey used to turn `height` into floors (DOMAIN.md). */
  metresPerFloor: z.number().positive().default(3),
  /** floors when neither building:levels nor height is tagged (assumptions, see the file header). */
  defaultFloors: z.record(z.string(), z.number().positive()).default({
    residential: 6, apartments: 6, dormitory: 6, yes: 6,
    house: 2, detached: 2, terrace: 2, semidetached_house: 2,
  }),
  /** floors for a residential type missing from defaultFloors. */
  fallbackFloors: z.number().positive().default(6),
});
export type PopulationParams = z.infer<typeof PopulationParams>;
export const DEFAULT_POPULATION_PARAMS: PopulationParams = PopulationParams.parse({});

export interface BuildingForPopulation {
  use: string; // building=* value
  levels?: number | null;
  heightM?: number | null;
  footprintM2: number;
  /** true when the building lies in a residential community or landuse=residential area */
  inResidentialArea?: boolean;
}

export function isResidential(use: string, inResidentialArea = false): boolean {
  if ((RESIDENTIAL_USES as readonly string[]).includes(use)) return true;
  return use === 'yes' && inResidentialArea;
}

/** Parse OSM `building:levels` ("6", "5;6", "4.5") to a whole number of floors (≥ 1), or null. */
export function parseLevels(v: string | undefined): number | null {
  if (!v) return null;
  const nums = v.split(/[;,]/).map((s) => Number.parseFloat(s.trim())).filter((n) => Number.isFinite(n) && n > 0);
  if (!nums.length) return null;
  const n = Math.max(1, Math.round(Math.max(...nums))); // stored as an integer column
  return n < 300 ? n : null;
}

/** Parse OSM `height` ("18", "18 m", "18.5m", "60'") to metres, or null. */
export function parseHeight(v: string | undefined): number | null {
  if (!v) return null;
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*(m|metres|meters|ft|')?\s*$/i.exec(v);
  if (!m) return null;
  let h = Number(m[1]);
  if (m[2] && /ft|'/i.test(m[2])) h *= 0.3048;
  return h > 0 && h < 1000 ? h : null;
}

/** Floors used for the estimate: levels, else height ÷ metres per floor (at least 1), else the type's default. */
export function floorsFor(b: Pick<BuildingForPopulation, 'use' | 'levels' | 'heightM'>, p: PopulationParams = DEFAULT_POPULATION_PARAMS): number {
  if (b.levels != null && b.levels > 0) return b.levels;
  if (b.heightM != null && b.heightM > 0) return Math.max(1, Math.round(b.heightM / p.metresPerFloor));
  return p.defaultFloors[b.use] ?? p.fallbackFloors;
}

/** Estimated residents (rounded); 0 for non-residential buildings. */
export function estimatePopulation(b: BuildingForPopulation, p: PopulationParams = DEFAULT_POPULATION_PARAMS): number {
  if (!isResidential(b.use, b.inResidentialArea)) return 0;
  if (!(b.footprintM2 > 0)) return 0;
  return Math.round((b.footprintM2 * floorsFor(b, p)) / p.floorAreaPerResident);
}

/** A planner's override wins over the estimate. */
export function effectivePopulation(b: { population_est: number; population_override?: number | null }): number {
  return b.population_override ?? b.population_est;
}

/** levels/height read from OSM tags (for the importer). */
export function buildingDims(tags: Tags): { levels: number | null; heightM: number | null } {
  return { levels: parseLevels(tags['building:levels']), heightM: parseHeight(tags.height) };
}
