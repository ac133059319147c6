import { beforeAll, expect, it } from 'vitest';
import { forEachDb } from '../../helpers/db.ts';
import { loadDemoDistrict, tokenFor } from '../../helpers/demo.ts';
import { buildServerApp } from '../../../server/main.ts';

forEachDb('plan endpoints', (db) => {
  let app: ReturnType<typeof buildServerApp>;
  let planner: string;
  let inspector: string;
  let baseline: number;
  const get = async (url: string) => {
    const r = await app.request(url);
    return { status: r.status, body: (await r.json()) as any };
  };
  const post = async (url: string, body: unknown, token?: string) => {
    const r = await app.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: r.status, body: (await r.json()) as any };
  };

  beforeAll(async () => {
    await loadDemoDistrict(db());
    app = buildServerApp({ db: db(), webRoot: '/nonexistent' });
    planner = await tokenFor(db(), app, 'planner');
    inspector = await tokenFor(db(), app, 'inspector');
  }, 120_000);

  it('lets only planners run plans', async () => {
    expect((await post('/api/plans', { hazard: 'earthquake' })).status).toBe(401);
    expect((await post('/api/plans', { hazard: 'earthquake' }, inspector)).status).toBe(403);
    const r = await post('/api/plans', { hazard: 'earthquake', name: '基线' }, planner);
    expect(r.status).toBe(201);
    expect(r.body.summary.population).toBeGreaterThan(1000);
    baseline = r.body.id;
    const list = await get('/api/plans');
    expect(list.body.plans[0]).toMatchObject({ id: baseline, hazard: 'earthquake', name: '基线' });
    const one = await get(`/api/plans/${baseline}`);
    expect(one.body.options.reachM).toEqual({ emergency: 500, fixed: 2500 });
    const csv = await app.request(`/api/plans/${baseline}/signs.csv`);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const lines = (await csv.text()).replace(/^\ufeff/, '').trim().split(/\r?\n/);
    expect(lines[0]).toBe('id,kind,lon,lat,facing,arrows,targets,distance_m,building,floor,note');
    expect(lines.length - 1).toBe(r.body.summary.signs); // one row per sign to install (each stairwell landing)
    expect((await app.request('/api/plans/999999/signs.csv')).status).toBe(404);
    const audit = await db().query(`SELECT action FROM audit_log WHERE entity = 'plan' AND entity_id = $1`, [String(baseline)]);
    expect(audit.map((a) => a.action)).toEqual(['plan.run']);
  });

  it('rejects bad plan requests with a message naming the field', async () => {
    const bad = [
      ['{not json', /not valid JSON/],
      [{ hazard: 'meteor' }, /hazard/],
      [{ options: { reachM: { emergency: -1 } } }, /reachM/],
      [{ closures: { areas: [[[0, 0], [1, 1], [0, 0]]] } }, /closures/],
      [{ closures: { areas: [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]] } }, /not valid/],
      [{ unknown: 1 }, /unknown|Unrecognized/i],
    ] as const;
    for (const [body, msg] of bad) {
      const r = await post('/api/plans', body, planner);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.message).toMatch(msg);
    }
    expect((await get('/api/plans/abc')).status).toBe(400);
    expect((await get('/api/plans/999999')).status).toBe(404);
  });

  it('answers a resident: nearest open sites by walking distance, with route and directions', async () => {
    const [b] = await db().query(`SELECT ST_X(ST_PointOnSurface(geom)) AS lon, ST_Y(ST_PointOnSurface(geom)) AS lat FROM buildings WHERE name = '5号楼' LIMIT 1`);
    const r = await get(`/api/nearest?lon=${b.lon}&lat=${b.lat}&k=3`);
    expect(r.status).toBe(200);
    expect(r.body.sites.length).toBeGreaterThan(0);
    const d = r.body.sites.map((s: any) => s.distanceM);
    expect([...d].sort((x: number, y: number) => x - y)).toEqual(d);
    const first = r.body.sites[0];
    expect(first.minutes).toBeCloseTo(first.distanceM / 60, 1); // 1.0 m/s
    expect(first.minutesVulnerable).toBeCloseTo(first.distanceM / 30, 1); // 0.5 m/s
    expect(first.route.coordinates.length).toBeGreaterThanOrEqual(2);
    expect(first.steps.at(-1).instruction).toContain(first.site.name);
    // air raid sends people to civil-defence works only
    const air = await get(`/api/nearest?lon=${b.lon}&lat=${b.lat}&hazard=air_raid`);
    const kinds = new Set(air.body.sites.map((s: any) => s.site.kind));
    expect([...kinds].every((k) => k === 'civil_defence_work')).toBe(true);
    expect((await get('/api/nearest?lon=200&lat=0')).status).toBe(400);
    expect((await get('/api/nearest?lat=31')).status).toBe(400);
    // far from any path: a clear empty answer, not an error
    const far = await get('/api/nearest?lon=0&lat=0');
    expect(far.status).toBe(200);
    expect(far.body.sites).toEqual([]);
  });

  it("gives a building's own plan: site, route, minutes, steps and stairwell signs", async () => {
    const [row] = await db().query(
      `SELECT building_id FROM plan_assignments WHERE plan_id = $1 AND site_id IS NOT NULL ORDER BY building_id LIMIT 1`,
      [baseline],
    );
    const r = await get(`/api/buildings/${row.building_id}/plan`);
    expect(r.status).toBe(200);
    expect(r.body.site).toMatchObject({ id: expect.any(Number), name: expect.any(String) });
    expect(r.body.route.type).toBe('LineString');
    expect(r.body.minutes).toBeGreaterThan(0);
    expect(r.body.steps.length).toBeGreaterThanOrEqual(2);
    const stair = r.body.signs.filter((s: any) => s.kind === 'stairwell');
    expect(stair.length).toBeGreaterThan(0);
    expect((await get('/api/buildings/99999999/plan')).status).toBe(404);
  });

  it('re-plans a what-if with a closed area and reports who changes site', async () => {
    // close every path within a park-sized box around the most used site's entrances
    const [site] = await db().query(
      `SELECT site_id FROM plan_assignments WHERE plan_id = $1 AND site_id IS NOT NULL GROUP BY site_id ORDER BY sum(assigned_population) DESC LIMIT 1`,
      [baseline],
    );
    const r = await post('/api/plans', { hazard: 'earthquake', baselineId: baseline, closures: { siteIds: [site.site_id] } }, planner);
    expect(r.status).toBe(201);
    const diff = await get(`/api/plans/${baseline}/diff/${r.body.id}`);
    expect(diff.status).toBe(200);
    expect(diff.body.buildingsChangingSite).toBeGreaterThan(0);
    for (const ch of diff.body.changes) expect(ch.to).not.toBe(site.site_id);
    // the what-if is not the current plan
    expect((await get('/api/coverage')).body.planId).toBe(baseline);
  });

  it('re-plans one community against the baseline, keeping the other communities\' people where the baseline sent them', async () => {
    const [c] = await db().query(
      `SELECT b.community_id AS id FROM plan_assignments a JOIN buildings b ON b.id = a.building_id
        WHERE a.plan_id = $1 AND a.site_id IS NOT NULL AND b.community_id IS NOT NULL
        GROUP BY b.community_id ORDER BY sum(a.assigned_population) DESC, b.community_id LIMIT 1`,
      [baseline],
    );
    const r = await post('/api/plans', { hazard: 'earthquake', baselineId: baseline, options: { communityIds: [c.id] } }, planner);
    expect(r.status).toBe(201);
    const others = await db().query(
      `SELECT a.site_id, sum(a.assigned_population)::float8 AS people FROM plan_assignments a JOIN buildings b ON b.id = a.building_id
        WHERE a.plan_id = $1 AND a.site_id IS NOT NULL AND b.community_id IS DISTINCT FROM $2 GROUP BY a.site_id`,
      [baseline, c.id],
    );
    const saved = (await get(`/api/plans/${r.body.id}`)).body;
    expect(saved.options.communityIds).toEqual([c.id]);
    expect(Object.keys(saved.options.siteBaseLoad).length).toBe(others.length);
    for (const o of others) expect(saved.options.siteBaseLoad[String(o.site_id)]).toBe(Number(o.people));
    // only the community's buildings are planned, and with the others' people no site is over its capacity
    const load = await db().query(
      `SELECT a.site_id, sum(a.assigned_population)::float8 AS people, min(COALESCE(s.capacity_override, s.capacity)) AS capacity, bool_and(b.community_id = $2) AS mine
         FROM plan_assignments a JOIN buildings b ON b.id = a.building_id JOIN sites s ON s.id = a.site_id
        WHERE a.plan_id = $1 GROUP BY a.site_id`,
      [r.body.id, c.id],
    );
    expect(load.length).toBeGreaterThan(0);
    for (const l of load) {
      expect(l.mine).toBe(true);
      expect(Number(l.people) + (saved.options.siteBaseLoad[String(l.site_id)] ?? 0)).toBeLessThanOrEqual(Number(l.capacity) + 1);
    }
    // against a baseline for another hazard: refused, naming the field
    const wrong = await post('/api/plans', { hazard: 'air_raid', baselineId: baseline, options: { communityIds: [c.id] } }, planner);
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.message).toMatch(/baselineId/);
  });

  it('serves coverage and search', async () => {
    const cov = await get('/api/coverage');
    expect(cov.body.summary.coveredPopulationShare).toBeGreaterThan(0);
    expect(cov.body.summary.coveredPopulationShare).toBeLessThanOrEqual(1);
    const s = await get(`/api/search?q=${encodeURIComponent('号楼')}`);
    expect(s.body.length).toBeGreaterThan(0);
    expect(s.body.every((x: any) => x.name.includes('号楼'))).toBe(true);
    expect((await get('/api/search?q=')).status).toBe(400);
    expect((await get(`/api/search?q=${encodeURIComponent('%')}`)).body).toEqual([]);
  });

  it('serves the current plan as layers, tiles and OGC collections', async () => {
    const routes = await get('/api/layers/plan_routes?limit=5');
    expect(routes.body.features.length).toBeGreaterThan(0);
    expect(routes.body.features[0].properties.plan_id).toBe(baseline);
    const signs = await get('/ogc/collections/plan_signs/items?limit=3');
    expect(signs.body.features.length).toBe(3);
    const cols = await get('/ogc/collections');
    expect(cols.body.collections.map((c: any) => c.id)).toEqual(expect.arrayContaining(['plan_routes', 'plan_signs', 'plan_flows', 'plan_buildings']));
  });
});
