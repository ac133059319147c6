import { describe, expect, it } from 'vitest';
import {
  estimatePopulation, floorsFor, isResidential, parseHeight, parseLevels, effectivePopulation, DEFAULT_POPULATION_PARAMS, PopulationParams,
} from '../../../server/domain/population.ts';
import {
  effectiveArea, siteCapacity, m2PerPerson, effectiveCapacity, meetsMinimumSize, CapacityParams,
} from '../../../server/domain/capacity.ts';
import { defaultHazards, hazardsFromTags, siteKindFromTags, siteSuits } from '../../../server/domain/hazards.ts';

describe('population', () => {
  it('uses building:levels, then height ÷ 3 m, then the type default', () => {
    expect(floorsFor({ use: 'residential', levels: 18 })).toBe(18);
    expect(floorsFor({ use: 'residential', heightM: 54 })).toBe(18);
    expect(floorsFor({ use: 'residential', heightM: 1 })).toBe(1);
    expect(floorsFor({ use: 'apartments' })).toBe(6);
    expect(floorsFor({ use: 'house' })).toBe(2);
  });
  it('footprint × floors ÷ 36.5 m² (census 2020) for residential types only', () => {
    // 600 m² × 6 floors / 36.5 = 98.6 → 99
    expect(estimatePopulation({ use: 'residential', footprintM2: 600, levels: 6 })).toBe(99);
    expect(estimatePopulation({ use: 'dormitory', footprintM2: 730, levels: 1 })).toBe(20);
    expect(estimatePopulation({ use: 'school', footprintM2: 5000, levels: 4 })).toBe(0);
    expect(estimatePopulation({ use: 'yes', footprintM2: 600, levels: 6 })).toBe(0);
    expect(estimatePopulation({ use: 'yes', footprintM2: 600, levels: 6, inResidentialArea: true })).toBe(99);
    expect(estimatePopulation({ use: 'residential', footprintM2: 0, levels: 6 })).toBe(0);
  });
  it('takes another floor area per resident (Jiangsu 48.3 m²)', () => {
    const p = PopulationParams.parse({ floorAreaPerResident: 48.3 });
    expect(estimatePopulation({ use: 'residential', footprintM2: 483, levels: 10 }, p)).toBe(100);
  });
  it('residential types', () => {
    for (const u of ['residential', 'apartments', 'house', 'detached', 'dormitory', 'terrace', 'semidetached_house'])
      expect(isResidential(u)).toBe(true);
    expect(isResidential('commercial', true)).toBe(false);
    expect(isResidential('yes', true)).toBe(true);
  });
  it('parses tags', () => {
    expect(parseLevels('6')).toBe(6);
    expect(parseLevels('5;7')).toBe(7);
    expect(parseLevels('4.5')).toBe(5);
    expect(parseLevels('abc')).toBeNull();
    expect(parseLevels('0')).toBeNull();
    expect(parseHeight('18 m')).toBe(18);
    expect(parseHeight('30ft')).toBeCloseTo(9.144);
    expect(parseHeight('tall')).toBeNull();
  });
  it('override wins', () => {
    expect(effectivePopulation({ population_est: 50, population_override: 0 })).toBe(0);
    expect(effectivePopulation({ population_est: 50, population_override: null })).toBe(50);
    expect(DEFAULT_POPULATION_PARAMS.floorAreaPerResident).toBe(36.5);
  });
});

describe('capacity', () => {
  it('m² per person by level and kind (GB 50413-2007, GB 50225)', () => {
    expect(m2PerPerson('park', 'emergency')).toBe(1);
    expect(m2PerPerson('park', 'fixed')).toBe(2);
    expect(m2PerPerson('civil_defence_work', 'fixed')).toBe(1);
  });
  it('effective area excludes buildings and water, then the unmapped share', () => {
    expect(effectiveArea({ kind: 'park', areaM2: 10000, buildingsM2: 1000, waterM2: 2000 })).toBeCloseTo(7000 * 0.8);
    expect(effectiveArea({ kind: 'park', areaM2: 100, buildingsM2: 300 })).toBe(0);
    expect(effectiveArea({ kind: 'civil_defence_work', areaM2: 1200 })).toBe(1200);
    const p = CapacityParams.parse({ unmappedObstacleShare: 0 });
    expect(effectiveArea({ kind: 'square', areaM2: 5000, buildingsM2: 500 }, p)).toBe(4500);
  });
  it('capacity = effective area ÷ m² per person, listed capacity first, override wins', () => {
    expect(siteCapacity({ kind: 'park', level: 'emergency', effectiveAreaM2: 5600.7 })).toBe(5600);
    expect(siteCapacity({ kind: 'park', level: 'fixed', effectiveAreaM2: 5600 })).toBe(2800);
    expect(siteCapacity({ kind: 'assembly_point', level: 'fixed', effectiveAreaM2: 0, listedCapacity: 157 })).toBe(157);
    expect(siteCapacity({ kind: 'civil_defence_work', level: 'emergency', effectiveAreaM2: 800 })).toBe(800);
    expect(effectiveCapacity({ capacity: 2800, capacity_override: 1000 })).toBe(1000);
    expect(effectiveCapacity({ capacity: 2800 })).toBe(2800);
  });
  it('minimum sizes (GB 50413-2007 §8.2.8)', () => {
    expect(meetsMinimumSize({ kind: 'park', level: 'emergency', areaM2: 999 })).toBe(false);
    expect(meetsMinimumSize({ kind: 'park', level: 'emergency', areaM2: 1000 })).toBe(true);
    expect(meetsMinimumSize({ kind: 'park', level: 'fixed', areaM2: 9000 })).toBe(false);
  });
});

describe('hazards', () => {
  it('maps OSM tags to site kinds (DOMAIN.md)', () => {
    expect(siteKindFromTags({ leisure: 'park' })).toBe('park');
    expect(siteKindFromTags({ leisure: 'garden' })).toBe('green_space');
    expect(siteKindFromTags({ leisure: 'playground' })).toBe('playground');
    for (const v of ['pitch', 'stadium', 'track']) expect(siteKindFromTags({ leisure: v })).toBe('pitch');
    for (const v of ['grass', 'recreation_ground', 'village_green']) expect(siteKindFromTags({ landuse: v })).toBe('green_space');
    expect(siteKindFromTags({ place: 'square' })).toBe('square');
    expect(siteKindFromTags({ highway: 'pedestrian', area: 'yes' })).toBe('square');
    expect(siteKindFromTags({ highway: 'pedestrian' })).toBeNull();
    expect(siteKindFromTags({ emergency: 'assembly_point' })).toBe('assembly_point');
    expect(siteKindFromTags({ amenity: 'shelter' })).toBeNull();
    expect(siteKindFromTags({ amenity: 'shelter', leisure: 'park' })).toBeNull();
    expect(siteKindFromTags({ leisure: 'sports_centre' })).toBeNull();
    expect(siteKindFromTags({ building: 'yes' })).toBeNull();
  });
  it('default hazards per kind; flood only when flagged', () => {
    expect(defaultHazards('park')).toEqual(['earthquake', 'fire']);
    expect(defaultHazards('civil_defence_work')).toEqual(['air_raid']);
    expect(siteSuits({ kind: 'park' }, 'flood')).toBe(false);
    expect(siteSuits({ kind: 'park', hazards: ['flood'] }, 'flood')).toBe(true);
    expect(siteSuits({ kind: 'civil_defence_work', hazards: [] }, 'air_raid')).toBe(true);
    expect(siteSuits({ kind: 'square' }, 'air_raid')).toBe(false);
  });
  it('reads assembly_point:<hazard>', () => {
    expect(hazardsFromTags({ emergency: 'assembly_point' }, 'assembly_point')).toBeNull();
    expect(hazardsFromTags({ 'assembly_point:flood': 'yes', 'assembly_point:earthquake': 'yes' }, 'assembly_point')).toEqual(['flood', 'earthquake']);
    expect(hazardsFromTags({ 'assembly_point:fire': 'no' }, 'assembly_point')).toEqual(['earthquake']);
  });
});
