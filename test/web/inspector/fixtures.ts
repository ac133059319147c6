/** API answers for the inspector pages, in the shapes the server gives (server/plans/routes.ts, server/ops/*). */
import { http, HttpResponse } from 'msw';

const square = (x: number, y: number, d = 0.0005) => ({ type: 'MultiPolygon', coordinates: [[[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]]] });

export const coverage = {
  planId: 3,
  hazard: 'earthquake',
  createdAt: '2026-05-01T08:00:00Z',
  summary: { population: 3228, assignedPopulation: 2321, unplacedPopulation: 907, coveredPopulationShare: 0.7190210656753407, maxSiteUtilisation: 1.05, signs: 185, sites: 10, guidesNeeded: 55, guidesAssigned: 12 },
  coverage: {
    population: 3228,
    coveredPopulation: 2321,
    coveredShare: 0.7190210656753407,
    sites: [
      { id: 1, name: '翠竹小区中心花园', load: 797, capacity: 759, utilisation: 1.05, eligible: true, buildings: 6, coverageLost: 120 },
      { id: 2, name: '丽华街头绿地', load: 0, capacity: 3563, utilisation: 0, eligible: true, buildings: 0, coverageLost: 0 },
    ],
    communities: [
      { id: 1, name: '翠竹小区', buildings: 7, population: 810, coveredPopulation: 810, coveredShare: 1, assignedPopulation: 810, unplacedPopulation: 0, clearanceS: 480, clearanceVulnerableS: 694 },
      { id: 4, name: '景秀小区', buildings: 8, population: 907, coveredPopulation: 0, coveredShare: 0, assignedPopulation: 0, unplacedPopulation: 907, clearanceS: 0, clearanceVulnerableS: 0 },
    ],
    zones: [],
    uncovered: [{ id: 71, building: 70, people: 108, reason: 'no_site_in_reach' }],
    capacity: { total: 66481, population: 3228, shortfall: 0, unplacedAllFull: 0 },
    criticality: [],
  },
};

export const planBuildings = {
  type: 'FeatureCollection',
  features: [
    { type: 'Feature', id: 1, geometry: square(116.33, 39.99), properties: { building_id: 1, site_id: 1, nearest_site_id: 1, distance_m: 214, minutes: 3.6, population: 114, split: false, reason: null } },
    { type: 'Feature', id: 2, geometry: square(116.34, 39.995), properties: { building_id: 71, site_id: null, nearest_site_id: null, distance_m: null, minutes: null, population: 108, split: false, reason: 'no_site_in_reach' } },
    { type: 'Feature', id: 3, geometry: square(116.341, 39.995), properties: { building_id: 72, site_id: null, nearest_site_id: null, distance_m: null, minutes: null, population: 96, split: false, reason: 'all_full' } },
  ],
};

export const planRoutes = {
  type: 'FeatureCollection',
  features: [
    { type: 'Feature', id: 1, geometry: { type: 'LineString', coordinates: [[116.33, 39.99], [116.331, 39.99]] }, properties: { building_id: 1, site_id: 1, people: 114, distance_m: 214, minutes: 3.6 } },
    { type: 'Feature', id: 2, geometry: { type: 'LineString', coordinates: [[116.33, 39.99], [116.331, 39.991]] }, properties: { building_id: 1, site_id: 1, people: 20, distance_m: 900, minutes: 15.2 } },
  ],
};

export const sites = {
  type: 'FeatureCollection',
  features: [
    { type: 'Feature', id: 1, geometry: { type: 'Point', coordinates: [116.331, 39.9905] }, properties: { id: 1, name: '翠竹小区中心花园' } },
    { type: 'Feature', id: 2, geometry: { type: 'Point', coordinates: [116.345, 39.999] }, properties: { id: 2, name: '丽华街头绿地' } },
  ],
};

export const communitiesLayer = {
  type: 'FeatureCollection',
  features: [
    { type: 'Feature', properties: { id: 1, name: '翠竹小区' }, geometry: { type: 'Polygon', coordinates: [[[116.329, 39.989], [116.335, 39.989], [116.335, 39.993], [116.329, 39.993], [116.329, 39.989]]] } },
    { type: 'Feature', properties: { id: 4, name: '景秀小区' }, geometry: { type: 'Polygon', coordinates: [[[116.339, 39.994], [116.343, 39.994], [116.343, 39.997], [116.339, 39.997], [116.339, 39.994]]] } },
  ],
};

const item = (code: string, summary: string, computed: Record<string, unknown>, o: Record<string, unknown> = {}) => ({
  code,
  label: code,
  computed,
  target: {},
  summary,
  note: null,
  autoScore: 0,
  autoPass: false,
  inspectorScore: null,
  inspectorPass: null,
  inspectorNote: null,
  score: 0,
  maxScore: 10,
  pass: false,
  evidence: [],
  ...o,
});

export function checklist(communityId = 1, o: Record<string, unknown> = {}) {
  return {
    communityId,
    communityName: communityId === 1 ? '翠竹小区' : '景秀小区',
    year: new Date().getFullYear(),
    items: [
      item('station', '未建站', { exists: false }, { maxScore: 15 }),
      item('drills_held', '年内演练 0 次（要求 ≥ 1）', { drills: 0 }),
      item('signs_installed', '已装 0 / 规划 29', { installed: 0, planned: 29 }),
      item('guides_assigned', '已落实 3 / 需要 19', { needed: 19, assigned: 3 }),
      item('capacity', '容量 32009 / 人口 810', { capacity: 32009, population: 810, sites: 3 }, { autoScore: 10, autoPass: true, score: 10, pass: true }),
    ],
    totalScore: 10,
    maxScore: 55,
    passMark: 44,
    pass: false,
    failedRequired: ['station'],
    status: 'not_started',
    notes: null,
    inspector: null,
    finalisedAt: null,
    version: null,
    ...o,
  };
}

export const rollUp = () => ({
  year: new Date().getFullYear(),
  communities: 2,
  passing: 1,
  passShare: 0.5,
  finalised: 0,
  passingByItem: { station: 1, drills_held: 0, signs_installed: 0, guides_assigned: 0, capacity: 2 },
  results: [
    { communityId: 1, communityName: '翠竹小区', status: 'not_started', totalScore: 10, maxScore: 55, pass: false, failedRequired: ['station'] },
    { communityId: 4, communityName: '景秀小区', status: 'final', totalScore: 50, maxScore: 55, pass: true, failedRequired: [] },
  ],
});

export const users = {
  inspector: { id: 5, username: '检查员小王', role: 'inspector', communityIds: [] },
  admin: { id: 1, username: 'admin', role: 'admin', communityIds: [] },
  reporter: { id: 9, username: 'rep', role: 'reporter', communityIds: [1] },
};

export const inspectorHandlers = [
  http.get('*/api/coverage', () => HttpResponse.json(coverage)),
  http.get('*/api/layers/plan_buildings', () => HttpResponse.json(planBuildings)),
  http.get('*/api/layers/plan_routes', () => HttpResponse.json(planRoutes)),
  http.get('*/api/layers/sites', () => HttpResponse.json(sites)),
  http.get('*/api/layers/zones', () => HttpResponse.json({ type: 'FeatureCollection', features: [] })),
  http.get('*/api/communities/:id/inspection', ({ params }) => HttpResponse.json(checklist(Number(params.id)))),
  http.get('*/api/inspections', () => HttpResponse.json(rollUp())),
];

/** /api/auth/me answering as `user` (or 401), and a login that accepts password "pw". */
export function authHandlers(state: { user: (typeof users)[keyof typeof users] | null }) {
  return [
    http.get('*/api/auth/me', () => (state.user ? HttpResponse.json({ user: state.user, csrfToken: 'csrf-1' }) : HttpResponse.json({ error: { code: 'unauthenticated', message: 'sign in first' } }, { status: 401 }))),
    http.post('*/api/auth/login', async ({ request }) => {
      const b = (await request.json()) as { username: string; password: string };
      const u = Object.values(users).find((x) => x.username === b.username);
      if (!u || b.password !== 'pw') return HttpResponse.json({ error: { code: 'bad_credentials', message: 'wrong user name or password' } }, { status: 401 });
      state.user = u;
      return HttpResponse.json({ user: u, csrfToken: 'csrf-2' });
    }),
    http.post('*/api/auth/logout', () => {
      state.user = null;
      return HttpResponse.json({ ok: true });
    }),
  ];
}
