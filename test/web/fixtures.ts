/** API answers in the documented shapes, for msw handlers. */
import { http, HttpResponse } from 'msw';

export const route = { type: 'LineString' as const, coordinates: [[116.33, 39.99], [116.331, 39.99], [116.331, 39.991]] };

export const plan7 = {
  building: { id: 7, name: '7号楼', population: 144, levels: 6, communityName: '清华东路社区' },
  planId: 3,
  hazard: 'earthquake',
  site: { id: 3, name: '3号人防工程', kind: 'civil_defence_work' },
  distanceM: 139.4,
  minutes: 2.3,
  minutesVulnerable: 4.6,
  route,
  steps: [
    { instruction: '向东沿成府路走', distanceM: 89 },
    { instruction: '左转向北', distanceM: 50 },
  ],
  signs: [{ id: 1, kind: 'stairwell', lon: 116.33, lat: 39.99, text: '→ 3号人防工程' }],
  guides: [{ name: '王建国', role: '楼栋长' }],
  unplacedReason: null,
};

export const nearestAnswer = {
  from: { lon: 116.3315, lat: 39.9915, snapDistanceM: 12 },
  sites: [
    { site: { id: 1, name: '双清公园', kind: 'park', level: 'emergency', capacity: 4200, status: 'open' }, distanceM: 320, minutes: 5.3, minutesVulnerable: 10.7, route, steps: [{ instruction: '向北走', distanceM: 320 }] },
    { site: { id: 2, name: '文化广场', kind: 'square', level: 'emergency', capacity: 1500, status: 'open' }, distanceM: 1450, minutes: 24.2, minutesVulnerable: 48.3, route, steps: [{ instruction: '向西走', distanceM: 1450 }] },
  ],
};

export const communities = {
  type: 'FeatureCollection',
  features: [{ type: 'Feature', properties: { id: 1, name: '清华东路社区' }, geometry: { type: 'Polygon', coordinates: [[[116.33, 39.99], [116.335, 39.99], [116.335, 39.995], [116.33, 39.99]]] } }],
};

export const baseHandlers = [
  http.get('*/api/health', () => HttpResponse.json({ status: 'ok', dataVersion: 5 })),
  http.get('*/api/layers/communities', () => HttpResponse.json(communities)),
];
