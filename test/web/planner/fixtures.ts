/** API answers for the planner's component tests, in the shapes of server/edit, server/plans and server/auth. */
import type { Polygon } from 'geojson';

export const csrf = 'csrf-token-for-tests';
export const plannerUser = { id: 4, username: 'plan1', role: 'planner', communityIds: [] };

export const square = (x: number, y: number, d = 0.001): Polygon => ({
  type: 'Polygon',
  coordinates: [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]],
});

export const sitesFc = {
  type: 'FeatureCollection',
  features: [
    { type: 'Feature', id: 1, geometry: { type: 'MultiPolygon', coordinates: [square(120.001, 31.001).coordinates] }, properties: { id: 1, name: '翠竹公园', kind: 'park', level: 'emergency', capacity: 759, status: 'open', hazards: ['earthquake'] } },
    { type: 'Feature', id: 2, geometry: { type: 'Point', coordinates: [120.004, 31.002] }, properties: { id: 2, name: '2号人防工程', kind: 'civil_defence_work', level: 'emergency', capacity: 300, status: 'open', hazards: ['air_raid'] } },
  ],
};

export const site1 = {
  id: 1, name: '翠竹公园', kind: 'park', level: 'emergency', status: 'open', hazards: ['earthquake'], designated: true, address: null, source: 'osm',
  geometry: { type: 'MultiPolygon', coordinates: [square(120.001, 31.001).coordinates] }, areaM2: 949.7, effectiveAreaM2: 759.7, effectiveAreaSource: 'computed',
  capacity: 759, capacityOverride: null, effectiveCapacity: 759, listedCapacity: null, communityId: 1, version: 3, updatedAt: '2026-11-29T00:00:00Z',
};

export const zone1 = {
  id: 1, name: '东区', geometry: { type: 'MultiPolygon', coordinates: [square(120, 31).coordinates] }, siteIds: [1], hazard: null, notes: null,
  areaM2: 10_000, version: 1, createdAt: '2026-11-29T00:00:00Z', updatedAt: '2026-11-29T00:00:00Z',
};

export const summary = {
  hazard: 'earthquake', buildings: 3, population: 300, sites: 2, assignedPopulation: 220, unplacedPopulation: 80,
  coveredPopulationShare: 0.7333, maxSiteUtilisation: 0.9, signs: 5, guidesNeeded: 4, guidesAssigned: 1, guidesShortfall: 3,
};

export const planMeta = (id: number, baselineId: number | null = null) => ({
  id, hazard: 'earthquake', name: null, baselineId, summary, dataVersion: 3, createdBy: 'plan1', createdAt: '2026-11-29T00:00:00Z',
});

export const planDetail = (id: number) => ({
  ...planMeta(id),
  options: {},
  closures: null,
  inputs: {},
  timings: {},
  coverage: {
    sites: [
      { id: 1, name: '翠竹公园', level: 'emergency', eligible: true, why: null, capacity: 759, load: 683, utilisation: 0.9, buildings: 2, entrances: 1, clearanceS: 400, coverageLost: 0 },
      { id: 2, name: '2号人防工程', level: 'emergency', eligible: false, why: 'hazard', capacity: 300, load: 0, utilisation: 0, buildings: 0, entrances: 1, clearanceS: 0, coverageLost: 0 },
    ],
  },
});

const fc = (features: unknown[]) => ({ type: 'FeatureCollection', features, numberMatched: features.length, numberReturned: features.length });

export const layers: Record<string, unknown> = {
  plan_buildings: fc([
    { type: 'Feature', id: 1, geometry: square(120.0001, 31.0001, 0.0002), properties: { plan_id: 1, building_id: 11, site_id: 1, distance_m: 140, minutes: 2.4, population: 120, split: false, reason: null } },
    { type: 'Feature', id: 2, geometry: square(120.0005, 31.0001, 0.0002), properties: { plan_id: 1, building_id: 12, site_id: 1, distance_m: 200, minutes: 3.4, population: 100, split: false, reason: null } },
    { type: 'Feature', id: 3, geometry: square(120.0009, 31.0001, 0.0002), properties: { plan_id: 1, building_id: 13, site_id: null, distance_m: null, minutes: null, population: 80, split: false, reason: 'no_site_in_reach' } },
  ]),
  plan_routes: fc([{ type: 'Feature', id: 1, geometry: { type: 'LineString', coordinates: [[120.0002, 31.0001], [120.001, 31.001]] }, properties: { building_id: 11, site_id: 1, people: 120 } }]),
  plan_flows: fc([
    { type: 'Feature', id: 1, geometry: { type: 'LineString', coordinates: [[120.0002, 31.0001], [120.0006, 31.0001]] }, properties: { edge_id: 5, people: 220 } },
    { type: 'Feature', id: 2, geometry: { type: 'LineString', coordinates: [[120.0006, 31.0001], [120.001, 31.001]] }, properties: { edge_id: 6, people: 55 } },
  ]),
  plan_signs: fc([
    { type: 'Feature', id: 1, geometry: { type: 'Point', coordinates: [120.0006, 31.0001] }, properties: { sign_id: 'J-1', kind: 'junction', bearing: 90, target: '翠竹公园', distance_m: 60 } },
    { type: 'Feature', id: 2, geometry: { type: 'Point', coordinates: [120.0002, 31.0001] }, properties: { sign_id: 'F-11', kind: 'stairwell', bearing: null, target: '翠竹公园', distance_m: 140 } },
  ]),
  plan_guides: fc([{ type: 'Feature', id: 1, geometry: { type: 'Point', coordinates: [120.0002, 31.0001] }, properties: { kind: 'building', needed: 2, assigned: 1 } }]),
  plan_entrances: fc([{ type: 'Feature', id: 1, geometry: { type: 'Point', coordinates: [120.001, 31.001] }, properties: { site_id: 1, how: 'snapped' } }]),
  buildings: fc([
    { type: 'Feature', id: 11, geometry: square(120.0001, 31.0001, 0.0002), properties: { id: 11, name: '1号楼', community_id: 1, population: 120 } },
    { type: 'Feature', id: 12, geometry: square(120.0005, 31.0001, 0.0002), properties: { id: 12, name: '2号楼', community_id: 1, population: 100 } },
    { type: 'Feature', id: 13, geometry: square(120.0009, 31.0001, 0.0002), properties: { id: 13, name: '3号楼', community_id: 2, population: 80 } },
  ]),
  communities: fc([
    { type: 'Feature', id: 1, geometry: square(120, 31, 0.002), properties: { id: 1, name: '翠竹小区' } },
    { type: 'Feature', id: 2, geometry: square(120.002, 31, 0.002), properties: { id: 2, name: '白云花园' } },
  ]),
  roads: fc([{ type: 'Feature', id: 5, geometry: { type: 'LineString', coordinates: [[120.0002, 31.0001], [120.0006, 31.0001]] }, properties: { id: 5, highway: 'footway' } }]),
};

export const building11 = {
  building: { id: 11, name: '1号楼', population: 120, levels: 6, communityId: 1, communityName: '翠竹小区', center: [120.0002, 31.0002] },
  planId: 1,
  hazard: 'earthquake',
  site: { id: 1, name: '翠竹公园', kind: 'park', level: 'emergency', center: [120.0015, 31.0015] },
  distanceM: 140,
  minutes: 2.4,
  minutesVulnerable: 4.8,
  route: { type: 'LineString', coordinates: [[120.0002, 31.0001], [120.0006, 31.0001], [120.001, 31.001]] },
  steps: [
    { instruction: '出楼后向东步行 40 米', instructionEn: 'Leave the building and walk east for 40 m', distanceM: 40 },
    { instruction: '到达疏散场所：翠竹公园', instructionEn: 'Arrive at the evacuation site: 翠竹公园', distanceM: 0 },
  ],
  parts: [],
  split: false,
  unplacedReason: null,
  signs: [
    { id: 'F-11', kind: 'stairwell', lon: 120.0002, lat: 31.0001, floor: 3, arrows: [{ site: '翠竹公园', bearing: null, site_id: 1, distance_m: 140 }], text: '' },
    { id: 'J-1', kind: 'junction', lon: 120.0006, lat: 31.0001, floor: null, arrows: [{ site: '翠竹公园', bearing: 90, site_id: 1, distance_m: 60 }], text: '' },
  ],
  guides: [{ needed: 2, assigned: 1, rule: '1 stairwell × 1 + 1 per 100 residents', names: ['王建国'] }],
};
