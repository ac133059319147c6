/**
 * The edit routes mounted as the product mounts them (createApp → api.route('/api', editRoutes(db))), with the
 * default limits: cookie sessions need the CSRF token, concurrent edits of one version let exactly one through,
 * a 10,000-vertex zone is accepted and one vertex more refused, a body over 2 MiB is 413.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import { forEachDb } from '../../helpers/db.ts';
import { createApp } from '../../../server/api/app.ts';
import { authRoutes } from '../../../server/auth/index.ts';
import { createUser } from '../../../server/auth/users.ts';
import { editRoutes } from '../../../server/edit/index.ts';
import { AUTH, FAST, PASSWORD, box, call, dataVersion, insertFixture, uniq, userToken, type EditFixture } from './helpers.ts';

/** A closed ring of `n` positions (n − 1 distinct) on a circle of ~300 m around a point in community A. */
function circle(n: number) {
  const ring: [number, number][] = [];
  for (let i = 0; i < n - 1; i++) {
    const t = (2 * Math.PI * i) / (n - 1);
    ring.push([120.005 + 0.003 * Math.cos(t), 31.005 + 0.003 * Math.sin(t)]);
  }
  ring.push(ring[0]);
  return { type: 'Polygon', coordinates: [ring] };
}

forEachDb('edit: mounted in the product app', (getDb, kind) => {
  let app: Hono;
  let fx: EditFixture;
  let planner: string;

  beforeAll(async () => {
    const db = getDb();
    app = createApp({
      db,
      log: () => {},
      extend: (api) => {
        api.route('/api/auth', authRoutes(db, AUTH));
        api.route('/api', editRoutes(db));
      },
    }) as unknown as Hono;
    fx = await insertFixture(db);
    planner = await userToken(app, db, 'planner');
  });

  it('serves the zone list and a created zone through the product app', async () => {
    const r = await call(app, 'POST', '/api/zones', { token: planner, body: { name: '挂载', geometry: box(120.001, 31.001, 120.002, 31.002), siteIds: [fx.sa] } });
    expect(r.status, r.text).toBe(201);
    const list = await call(app, 'GET', '/api/zones');
    expect(list.status).toBe(200);
    expect(list.json.zones.map((z: any) => z.id)).toContain(r.json.id);
    // other /api paths still reach the product's own 404
    expect((await call(app, 'GET', '/api/zonez')).json.error.code).toBe('not_found');
  });

  it('a cookie session must send X-CSRF-Token for writes', async () => {
    const db = getDb();
    const name = uniq('cookieplanner');
    await db.transaction((tx) => createUser(tx, { username: name, password: PASSWORD, role: 'planner' }, { actor: { id: null, username: 'test' }, params: FAST }));
    const login = await app.request('http://localhost/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '10.99.1.1' },
      body: JSON.stringify({ username: name, password: PASSWORD }),
    });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie')!.split(';')[0];
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const body = { name: 'cookie', geometry: box(120.001, 31.003, 120.002, 31.004) };
    const without = await call(app, 'POST', '/api/zones', { body, headers: { cookie } });
    expect(without.status).toBe(403);
    expect(without.json.error.code).toBe('csrf');
    const withToken = await call(app, 'POST', '/api/zones', { body, headers: { cookie, 'x-csrf-token': csrfToken } });
    expect(withToken.status, withToken.text).toBe(201);
  });

  it('concurrent edits of one version: exactly one wins, the others get 409, nothing is lost', async () => {
    const db = getDb();
    const z = await call(app, 'POST', '/api/zones', { token: planner, body: { name: '并发', geometry: box(120.003, 31.001, 120.004, 31.002) } });
    const v0 = await dataVersion(db);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => call(app, 'PATCH', `/api/zones/${z.json.id}`, { token: planner, ifMatch: 1, body: { name: `写者${i}` } })),
    );
    const codes = results.map((r) => r.status).sort();
    expect(codes).toEqual([200, 409, 409, 409, 409, 409, 409, 409]);
    const winner = results.find((r) => r.status === 200)!;
    const now = await call(app, 'GET', `/api/zones/${z.json.id}`);
    expect(now.json).toMatchObject({ name: winner.json.name, version: 2 });
    expect(await dataVersion(db)).toBe(v0 + 1);
    const audits = await db.query(`SELECT count(*)::int AS n FROM audit_log WHERE entity = 'zones' AND entity_id = $1 AND action = 'update'`, [String(z.json.id)]);
    expect(audits[0].n).toBe(1);
  });

  it(`accepts 10,000 vertices and refuses 10,001; 413 over 2 MiB [${kind}]`, async () => {
    const t0 = performance.now();
    const ok = await call(app, 'POST', '/api/zones', { token: planner, body: { name: '万点', geometry: circle(10_000) } });
    const ms = performance.now() - t0;
    expect(ok.status, ok.text).toBe(201);
    console.log(`[edit] POST /api/zones with 10,000 vertices on ${kind}: ${ms.toFixed(0)} ms`);
    const over = await call(app, 'POST', '/api/zones', { token: planner, body: { name: '超', geometry: circle(10_001) } });
    expect(over.status).toBe(400);
    expect(over.json.error.message).toMatch(/too many vertices: more than 10000/);
    const huge = await call(app, 'POST', '/api/zones', { token: planner, body: { name: 'n', geometry: box(120.001, 31.001, 120.002, 31.002), notes: 'x'.repeat(2 * 1024 * 1024) } });
    expect(huge.status).toBe(413);
    expect(huge.json.error.code).toBe('too_large');
  });
});
