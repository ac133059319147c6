/**
 * Scale-out (issue 6): two API instances (two buildServerApp on two postgres.js pools) on one PostGIS schema agree
 * on everything — sessions and sign-outs, the login rate limit, edits with their versions (a stale If-Match on the
 * other instance is 409), the engine cache (a site closed through one instance is gone from the other's nearest-
 * shelter answers), and plan runs. Needs DATABASE_URL (the embedded database is single-process); skipped without.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { Hono } from 'hono';
import { openDb, type Db } from '../../server/db/index.ts';
import { loadDemo } from '../../server/demo/load.ts';
import { createUser } from '../../server/auth/users.ts';
import { call, FAST, PASSWORD, productApp, uniq, userToken } from './helpers.ts';

const url = process.env.DATABASE_URL;

describe.skipIf(!url)('two API instances on one PostGIS database', () => {
  const schema = `scale_${randomBytes(5).toString('hex')}`;
  let dbA: Db;
  let dbB: Db;
  let A: Hono;
  let B: Hono;
  let planId: number;

  beforeAll(async () => {
    dbA = await openDb({ url: url!, schema });
    dbB = await openDb({ url: url!, schema });
    planId = (await loadDemo(dbA)).planId!;
    A = productApp(dbA);
    B = productApp(dbB);
  }, 300_000);
  afterAll(async () => {
    await dbB?.close();
    await dbA?.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await dbA?.close();
  }, 60_000);

  it('a session made on one instance works on the other, and a sign-out on the other ends it', async () => {
    const token = await userToken(A, dbA, 'planner');
    const me = await call(B, 'GET', '/api/auth/me', { token });
    expect(me.json.user.role).toBe('planner');
    expect((await call(B, 'POST', '/api/auth/logout', { token })).status).toBe(200);
    expect((await call(A, 'GET', '/api/auth/me', { token })).json.user).toBeNull();
  });

  it('a zone edited on one instance is seen on the other; a stale write there gets 409', async () => {
    const token = await userToken(A, dbA, 'planner');
    const box = { type: 'Polygon', coordinates: [[[119.97, 31.78], [119.971, 31.78], [119.971, 31.781], [119.97, 31.781], [119.97, 31.78]]] };
    const made = await call(A, 'POST', '/api/zones', { token, body: { name: '分区', geometry: box } });
    expect(made.status, made.text).toBe(201);
    const id = made.json.id;
    const onB = await call(B, 'GET', `/api/zones/${id}`);
    expect(onB.status).toBe(200);
    expect(onB.json.name).toBe('分区');
    const v = onB.json.version;
    expect((await call(A, 'PATCH', `/api/zones/${id}`, { token, body: { name: '分区甲' }, ifMatch: v })).status).toBe(200);
    const stale = await call(B, 'PATCH', `/api/zones/${id}`, { token, body: { name: '分区乙' }, ifMatch: v });
    expect(stale.status).toBe(409);
    expect((await call(B, 'GET', `/api/zones/${id}`)).json.name).toBe('分区甲');
  });

  it("the engine cache follows the data version: a site closed on A disappears from B's nearest shelters", async () => {
    const token = await userToken(A, dbA, 'planner');
    const [b] = await dbA.query(
      `SELECT ST_X(ST_PointOnSurface(b.geom)) AS lon, ST_Y(ST_PointOnSurface(b.geom)) AS lat FROM plan_assignments a JOIN buildings b ON b.id = a.building_id
        WHERE a.plan_id = $1 AND a.site_id IS NOT NULL ORDER BY a.id LIMIT 1`,
      [planId],
    );
    const q = `/api/nearest?lon=${b.lon}&lat=${b.lat}&k=3`;
    const first = await call(B, 'GET', q); // B now caches the engine input of this data version
    expect(first.status, first.text).toBe(200);
    const siteId = first.json.sites[0].site.id;
    expect((await call(A, 'GET', q)).json.sites[0].site.id).toBe(siteId);
    const site = await call(A, 'GET', `/api/sites/${siteId}`);
    const closed = await call(A, 'PATCH', `/api/sites/${siteId}`, { token, body: { status: 'closed' }, ifMatch: site.json.version });
    expect(closed.status, closed.text).toBe(200);
    const after = await call(B, 'GET', q);
    expect(after.json.sites.map((s: any) => s.site.id)).not.toContain(siteId);
    expect(after.json.sites.length).toBeGreaterThan(0);
  });

  it('a plan run on one instance is what the other serves', async () => {
    const token = await userToken(B, dbB, 'planner');
    const run = await call(B, 'POST', '/api/plans', { token, body: { hazard: 'earthquake', name: '实例乙' } });
    expect(run.status, run.text).toBe(201);
    const cov = await call(A, 'GET', '/api/coverage');
    expect(cov.json.planId).toBe(run.json.id);
    expect(cov.json.summary.population).toBe(run.json.summary.population);
    const [row] = await dbA.query('SELECT building_id FROM plan_assignments WHERE plan_id = $1 AND site_id IS NOT NULL LIMIT 1', [run.json.id]);
    const pa = await call(A, 'GET', `/api/buildings/${row.building_id}/plan`);
    const pb = await call(B, 'GET', `/api/buildings/${row.building_id}/plan`);
    expect(pa.json.planId).toBe(run.json.id);
    expect(pa.json).toEqual(pb.json);
  }, 120_000);

  it('the login rate limit counts failures on both instances together (last: it locks out this client address)', async () => {
    const name = uniq('victim');
    await dbA.transaction((tx) => createUser(tx, { username: name, password: PASSWORD, role: 'planner' }, { actor: null, params: FAST }));
    const bad = (app: Hono) => call(app, 'POST', '/api/auth/login', { body: { username: name, password: 'wrong password' }, headers: { 'x-forwarded-for': `10.1.${Math.floor(Math.random() * 250)}.1` } });
    for (let i = 0; i < 5; i++) expect((await bad(i % 2 ? A : B)).status).toBe(401);
    const sixth = await bad(B);
    expect(sixth.status).toBe(429);
    expect(sixth.json.error.code).toBe('rate_limited');
    // even the right password is refused now, on either instance
    expect((await call(A, 'POST', '/api/auth/login', { body: { username: name, password: PASSWORD } })).status).toBe(429);
  });
});
