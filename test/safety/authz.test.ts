/**
 * Authorisation matrix over the WHOLE product app (issue 6): every write route that buildServerApp serves (walked
 * from the Hono app's route list, so a new route fails this test until it is listed below) × anonymous and every
 * role. An unauthorised write is never accepted: 401 for anonymous, 403 for a role that may not, no 2xx, no change
 * in any table (checksums of every table), no audit row. The roles that may write are listed per route; each of
 * them gets past the role check (not 401/403), and every accepted write is audited.
 */
import { beforeAll, expect, it } from 'vitest';
import type { Hono } from 'hono';
import { forEachDb } from '../helpers/db.ts';
import { loadDemoDistrict } from '../helpers/demo.ts';
import { tableChecksums } from '../../server/backup/tables.ts';
import { ROLES } from '../../server/auth/users.ts';
import { appRoutes, call, isWrite, productApp, roleTokens } from './helpers.ts';

const PNG_1PX = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const box = (x0: number, y0: number, x1: number, y1: number) => ({ type: 'Polygon', coordinates: [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]] });

type Who = 'public' | 'planner' | 'reporter' | 'inspector';
/** Every write route of the product → who may use it besides admin ('public': anyone), and a well-formed body. */
const WRITE_ROUTES: Record<string, { may: Who[]; body?: unknown }> = {
  // accounts: sign-in and sign-out are for everyone
  'POST /api/auth/login': { may: ['public'], body: { username: 'nobody', password: 'x' } },
  'POST /api/auth/logout': { may: ['public'] },
  // plans and map edits: planners
  'POST /api/plans': { may: ['planner'], body: { hazard: 'earthquake' } },
  'POST /api/zones': { may: ['planner'], body: { name: 'z', geometry: box(119.97, 31.78, 119.971, 31.781) } },
  'PUT /api/zones/:id': { may: ['planner'], body: { name: 'z', geometry: box(119.97, 31.78, 119.971, 31.781), version: 1 } },
  'PATCH /api/zones/:id': { may: ['planner'], body: { name: 'z', version: 1 } },
  'DELETE /api/zones/:id': { may: ['planner'] },
  'POST /api/sites': { may: ['planner'], body: { name: 's', kind: 'park', level: 'emergency', geometry: box(119.97, 31.78, 119.971, 31.781) } },
  'PATCH /api/sites/:id': { may: ['planner'], body: { name: 's', version: 1 } },
  'DELETE /api/sites/:id': { may: ['planner'] },
  'PATCH /api/buildings/:id': { may: ['planner'], body: { populationOverride: 5, version: 1 } },
  // operations (server/ops): configuration and district-wide minimums by admins only
  'PUT /api/ops/config': { may: [], body: { overrides: {}, version: 1 } },
  'PUT /api/equipment/minimums': { may: [], body: { items: [] } },
  'POST /api/communities/:id/station': { may: ['planner'], body: { name: 's', headName: 'h', headTitle: '书记' } },
  'PATCH /api/communities/:id/station': { may: ['planner'], body: { name: 'x', version: 1 } },
  'DELETE /api/communities/:id/station': { may: ['planner'] },
  'POST /api/communities/:id/volunteers': { may: ['planner'], body: { name: 'v', role: 'core' } },
  'PATCH /api/volunteers/:vid': { may: ['planner'], body: { name: 'x', version: 1 } },
  'DELETE /api/volunteers/:vid': { may: ['planner'] },
  'POST /api/volunteers/:vid/attendance': { may: ['planner'], body: { kind: 'training', date: '2026-01-01' } },
  'DELETE /api/volunteers/:vid/attendance/:aid': { may: ['planner'] },
  'POST /api/communities/:id/equipment': { may: ['planner'], body: { stationId: 1, category: 'rescue', item: 'x', quantity: 1 } },
  'PATCH /api/equipment/:eid': { may: ['planner'], body: { quantity: 9, version: 1 } },
  'DELETE /api/equipment/:eid': { may: ['planner'] },
  'PUT /api/communities/:id/equipment/minimums': { may: ['planner'], body: { items: [] } },
  'DELETE /api/communities/:id/equipment/minimums': { may: ['planner'] },
  'POST /api/communities/:id/emergency-plans': { may: ['planner'], body: { title: 't', body: 'b', revisedAt: '2026-01-01' } },
  'POST /api/emergency-plans/:pid/revisions': { may: ['planner'], body: { body: 'b', revisedAt: '2026-01-02', version: 1 } },
  'DELETE /api/emergency-plans/:pid': { may: ['planner'] },
  'POST /api/communities/:id/drills': { may: ['planner'], body: { heldOn: '2026-01-01', scenario: 's', participants: 1 } },
  'PATCH /api/drills/:did': { may: ['planner'], body: { participants: 5, version: 1 } },
  'DELETE /api/drills/:did': { may: ['planner'] },
  'POST /api/communities/:id/reporters': { may: ['planner'], body: { name: 'r' } },
  'PATCH /api/reporters/:rid': { may: ['planner'], body: { name: 'x', version: 1 } },
  'DELETE /api/reporters/:rid': { may: ['planner'] },
  'POST /api/incidents': { may: ['planner', 'reporter'], body: { kind: 'fire', location: { lon: 119.972, lat: 31.7825 }, text: 'x', photo: PNG_1PX } },
  'POST /api/incidents/:iid/status': { may: ['planner'], body: { status: 'in_hand', version: 1 } },
  'POST /api/communities/:id/office/parties': { may: ['planner'], body: { name: 'p' } },
  'PATCH /api/office/parties/:pid': { may: ['planner'], body: { name: 'x', version: 1 } },
  'DELETE /api/office/parties/:pid': { may: ['planner'] },
  'POST /api/office/parties/:pid/clerks': { may: ['planner'], body: { name: 'c' } },
  'PATCH /api/office/clerks/:kid': { may: ['planner'], body: { name: 'x', version: 1 } },
  'DELETE /api/office/clerks/:kid': { may: ['planner'] },
  'POST /api/communities/:id/office/roster': { may: ['planner'], body: { entries: [{ date: '2026-11-02', clerkId: 1 }] } },
  'DELETE /api/office/roster/:eid': { may: ['planner'] },
  'POST /api/communities/:id/office/meetings': { may: ['planner'], body: { kind: 'weekly', heldOn: '2026-11-09' } },
  'PATCH /api/office/meetings/:mid': { may: ['planner'], body: { minutes: 'x', version: 1 } },
  'DELETE /api/office/meetings/:mid': { may: ['planner'] },
  'PATCH /api/office/action-items/:aid': { may: ['planner'], body: { status: 'done', version: 1 } },
  'POST /api/communities/:id/sign-installations': { may: ['planner'], body: { installedOn: '2026-01-01', count: 1 } },
  'DELETE /api/sign-installations/:sid': { may: ['planner'] },
  // the yearly inspection: inspectors
  'PUT /api/communities/:id/inspection': { may: ['inspector'], body: { items: {} } },
  'POST /api/communities/:id/inspection/evidence': { may: ['inspector'], body: { code: 'station', photo: PNG_1PX } },
  'DELETE /api/inspection-evidence/:eid': { may: ['inspector'] },
};

/** Fill path parameters with an id that exists in the demo district (community 1, building 1 …) or 1. */
const fill = (path: string) => path.replace(/:[a-zA-Z]+/g, '1') + (path.includes('/inspection') && path.startsWith('/api/communities') ? '?year=2026' : '');

// sessions.last_seen and login counters move on every signed-in request; everything else must stay put
const VOLATILE = ['sessions', 'login_attempts'];

forEachDb('authorisation matrix of the whole app', (getDb) => {
  let app: Hono;
  let tokens: Awaited<ReturnType<typeof roleTokens>>;

  beforeAll(async () => {
    const db = getDb();
    await loadDemoDistrict(db);
    app = productApp(db);
    tokens = await roleTokens(app, db);
  });

  it('serves every API route under /api or /ogc (no doubled /api/api prefix)', () => {
    const bad = appRoutes(app).filter((r) => r.path !== '/*' && !/^\/(api|ogc)(\/|$)/.test(r.path) || r.path.startsWith('/api/api/'));
    expect(bad).toEqual([]);
  });

  it('lists every write route of the app (a new route must be added to the matrix)', () => {
    const writes = appRoutes(app).filter((r) => isWrite(r.method)).map((r) => `${r.method} ${r.path}`).sort();
    expect(writes).toEqual(Object.keys(WRITE_ROUTES).sort());
  });

  it('no unauthorised write is accepted: 401/403, no change in any table, no audit row', async () => {
    const db = getDb();
    const before = await tableChecksums(db, VOLATILE);
    let checked = 0;
    for (const { method, path } of appRoutes(app).filter((r) => isWrite(r.method))) {
      const spec = WRITE_ROUTES[`${method} ${path}`];
      if (!spec || spec.may.includes('public')) continue;
      for (const who of ['anonymous', ...ROLES] as const) {
        if (who === 'admin' || spec.may.includes(who as Who)) continue;
        const r = await call(app, method, fill(path), { token: tokens[who], body: spec.body, ifMatch: 1 });
        const want = who === 'anonymous' ? 401 : 403;
        expect(r.status, `${who} ${method} ${path}: ${r.text}`).toBe(want);
        expect(r.json?.error?.code, `${who} ${method} ${path}`).toBe(want === 401 ? 'unauthenticated' : 'forbidden');
        expect(r.json.error.message.length).toBeGreaterThan(0);
        checked++;
      }
      // a cookie-less forged bearer token is anonymous, never someone
      const forged = await call(app, method, fill(path), { token: 'A'.repeat(43), body: spec.body, ifMatch: 1 });
      expect(forged.status, `forged ${method} ${path}`).toBe(401);
    }
    expect(checked).toBeGreaterThan(150);
    expect(await tableChecksums(db, VOLATILE)).toEqual(before);
  });

  it('the roles that may write get past the role check, and every accepted write is audited', async () => {
    const db = getDb();
    const audits = async () => (await db.query('SELECT count(*)::int AS n FROM audit_log'))[0].n as number;
    let passed = 0;
    for (const { method, path } of appRoutes(app).filter((r) => isWrite(r.method))) {
      const spec = WRITE_ROUTES[`${method} ${path}`];
      if (!spec || spec.may.includes('public')) continue;
      // POST /api/plans runs the engine: one well-formed run by admin is enough, others get a bad body (400 after the role check)
      for (const who of ['admin', ...spec.may] as const) {
        const body = path === '/api/plans' && who !== 'admin' ? { hazard: 'no-such-hazard' } : spec.body;
        const n = await audits();
        const r = await call(app, method, fill(path), { token: tokens[who as keyof typeof tokens], body, ifMatch: 1 });
        expect([401, 403], `${who} ${method} ${path}: ${r.status} ${r.text}`).not.toContain(r.status);
        expect(r.status, `${who} ${method} ${path}: ${r.text}`).toBeLessThan(500);
        if (r.status < 300) expect(await audits(), `${who} ${method} ${path} accepted without an audit row`).toBeGreaterThan(n);
        else expect(await audits(), `${who} ${method} ${path} refused but audited`).toBe(n);
        passed++;
      }
    }
    expect(passed).toBeGreaterThan(60);
  });
});
