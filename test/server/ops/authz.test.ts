/**
 * Authorisation matrix of the operations routes (issue 6): every write route × anonymous / inspector / reporter /
 * planner of another community — none is accepted (except what the role is for), and a rejected write leaves no
 * audit row and no change.
 */
import { beforeAll, expect, it } from 'vitest';
import type { Hono } from 'hono';
import { forEachDb } from '../../helpers/db.ts';
import { call, insertOpsFixture, opsApp, PNG_1PX, userToken, type Clock, type OpsFixture } from './helpers.ts';

forEachDb('operations authorisation matrix', (getDb) => {
  const clock: Clock = { t: new Date('2026-11-10T02:00:00Z') };
  let app: Hono;
  let fx: OpsFixture;
  const tokens: Record<string, string | null> = {};
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    const db = getDb();
    fx = await insertOpsFixture(db);
    app = opsApp(db, clock);
    const plannerA = await userToken(app, db, 'planner', [fx.a]);
    tokens.anonymous = null;
    tokens.inspector = await userToken(app, db, 'inspector');
    tokens.reporter = await userToken(app, db, 'reporter', [fx.a]);
    tokens.plannerB = await userToken(app, db, 'planner', [fx.b]);
    // one record of each kind in community A, made by its planner
    const post = async (path: string, body: object) => {
      const r = await call(app, 'POST', path, { token: plannerA, body });
      if (r.status !== 201) throw new Error(`${path}: ${r.status} ${r.text}`);
      return r.json;
    };
    ids.station = (await post(`/api/communities/${fx.a}/station`, { name: '站', headName: '王', headTitle: '书记' })).id;
    ids.volunteer = (await post(`/api/communities/${fx.a}/volunteers`, { name: '甲', role: 'core', phone: '13900000000' })).id;
    ids.equipment = (await post(`/api/communities/${fx.a}/equipment`, { stationId: ids.station, category: 'rescue', item: '绳索', quantity: 2 })).id;
    ids.eplan = (await post(`/api/communities/${fx.a}/emergency-plans`, { title: '预案', body: 'x', revisedAt: '2026-01-01' })).id;
    ids.drill = (await post(`/api/communities/${fx.a}/drills`, { heldOn: '2026-02-01', scenario: 'x', participants: 3 })).id;
    ids.reporter = (await post(`/api/communities/${fx.a}/reporters`, { name: '乙' })).id;
    ids.incident = (await post('/api/incidents', { kind: 'road_blocked', location: { lon: 119.972, lat: 31.7825 }, text: 'x' })).id;
    ids.party = (await post(`/api/communities/${fx.a}/office/parties`, { name: '物业' })).id;
    ids.clerk = (await post(`/api/office/parties/${ids.party}/clerks`, { name: '丙' })).id;
    ids.meeting = (await post(`/api/communities/${fx.a}/office/meetings`, { kind: 'weekly', heldOn: '2026-11-02', actionItems: [{ title: 't', owner: 'o' }] })).id;
    ids.item = (await call(app, 'GET', `/api/office/meetings/${ids.meeting}`)).json.actionItems[0].id;
    ids.roster = (await post(`/api/communities/${fx.a}/office/roster`, { entries: [{ date: '2026-11-01', clerkId: ids.clerk }] })).entries[0].id;
    ids.install = (await post(`/api/communities/${fx.a}/sign-installations`, { installedOn: '2026-01-01', count: 1 })).id;
  });

  const A = () => fx.a;
  /** [method, path, body, who may (besides admin)] — 'planner' here means planner of community A only. */
  const routes = (): [string, string, unknown, string[]][] => [
    ['PUT', '/api/ops/config', { overrides: {}, version: 1 }, []],
    ['POST', `/api/communities/${A()}/station`, { name: 's', headName: 'h', headTitle: '书记' }, ['planner']],
    ['PATCH', `/api/communities/${A()}/station`, { name: 'x', version: 1 }, ['planner']],
    ['DELETE', `/api/communities/${A()}/station`, undefined, ['planner']],
    ['POST', `/api/communities/${A()}/volunteers`, { name: 'v', role: 'core' }, ['planner']],
    ['PATCH', `/api/volunteers/${ids.volunteer}`, { name: 'x', version: 1 }, ['planner']],
    ['DELETE', `/api/volunteers/${ids.volunteer}`, undefined, ['planner']],
    ['POST', `/api/volunteers/${ids.volunteer}/attendance`, { kind: 'training', date: '2026-01-01' }, ['planner']],
    ['POST', `/api/communities/${A()}/equipment`, { stationId: ids.station, category: 'rescue', item: 'x', quantity: 1 }, ['planner']],
    ['PATCH', `/api/equipment/${ids.equipment}`, { quantity: 9, version: 1 }, ['planner']],
    ['DELETE', `/api/equipment/${ids.equipment}`, undefined, ['planner']],
    ['PUT', '/api/equipment/minimums', { items: [] }, []],
    ['PUT', `/api/communities/${A()}/equipment/minimums`, { items: [] }, ['planner']],
    ['POST', `/api/communities/${A()}/emergency-plans`, { title: 't', body: 'b', revisedAt: '2026-01-01' }, ['planner']],
    ['POST', `/api/emergency-plans/${ids.eplan}/revisions`, { body: 'b', revisedAt: '2026-01-02', version: 1 }, ['planner']],
    ['DELETE', `/api/emergency-plans/${ids.eplan}`, undefined, ['planner']],
    ['POST', `/api/communities/${A()}/drills`, { heldOn: '2026-01-01', scenario: 's', participants: 1 }, ['planner']],
    ['PATCH', `/api/drills/${ids.drill}`, { participants: 5, version: 1 }, ['planner']],
    ['DELETE', `/api/drills/${ids.drill}`, undefined, ['planner']],
    ['POST', `/api/communities/${A()}/reporters`, { name: 'r' }, ['planner']],
    ['PATCH', `/api/reporters/${ids.reporter}`, { name: 'x', version: 1 }, ['planner']],
    ['DELETE', `/api/reporters/${ids.reporter}`, undefined, ['planner']],
    ['POST', '/api/incidents', { kind: 'fire', location: { lon: 119.972, lat: 31.7825 }, text: 'x', photo: PNG_1PX }, ['planner', 'reporter']],
    ['POST', `/api/incidents/${ids.incident}/status`, { status: 'in_hand', version: 1 }, ['planner']],
    ['POST', `/api/communities/${A()}/office/parties`, { name: 'p' }, ['planner']],
    ['PATCH', `/api/office/parties/${ids.party}`, { name: 'x', version: 1 }, ['planner']],
    ['POST', `/api/office/parties/${ids.party}/clerks`, { name: 'c' }, ['planner']],
    ['PATCH', `/api/office/clerks/${ids.clerk}`, { name: 'x', version: 1 }, ['planner']],
    ['POST', `/api/communities/${A()}/office/roster`, { entries: [{ date: '2026-11-02', clerkId: ids.clerk }] }, ['planner']],
    ['DELETE', `/api/office/roster/${ids.roster}`, undefined, ['planner']],
    ['POST', `/api/communities/${A()}/office/meetings`, { kind: 'weekly', heldOn: '2026-11-09' }, ['planner']],
    ['PATCH', `/api/office/meetings/${ids.meeting}`, { minutes: 'x', version: 1 }, ['planner']],
    ['PATCH', `/api/office/action-items/${ids.item}`, { status: 'done', version: 1 }, ['planner']],
    ['POST', `/api/communities/${A()}/sign-installations`, { installedOn: '2026-01-01', count: 1 }, ['planner']],
    ['DELETE', `/api/sign-installations/${ids.install}`, undefined, ['planner']],
    ['PUT', `/api/communities/${A()}/inspection?year=2026`, { items: {} }, ['inspector']],
    ['POST', `/api/communities/${A()}/inspection/evidence?year=2026`, { code: 'station', photo: PNG_1PX }, ['inspector']],
  ];

  it('no unauthorised write is accepted, and none leaves an audit row', async () => {
    const audits = async () => Number((await getDb().query('SELECT count(*)::int AS n FROM audit_log'))[0].n);
    const before = await audits();
    let checked = 0;
    for (const [method, path, body, allowed] of routes()) {
      for (const who of ['anonymous', 'inspector', 'reporter', 'plannerB']) {
        const mayByRole = allowed.includes(who) && who !== 'plannerB';
        if (mayByRole) continue;
        const r = await call(app, method, path, { token: tokens[who], body, ifMatch: method === 'DELETE' ? 1 : undefined });
        const want = who === 'anonymous' ? 401 : 403;
        expect(r.status, `${who} ${method} ${path}: ${r.text}`).toBe(want);
        expect(r.json.error.code).toBe(want === 401 ? 'unauthenticated' : 'forbidden');
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(130);
    expect(await audits()).toBe(before);
    // nothing changed
    expect((await call(app, 'GET', `/api/communities/${fx.a}/station`)).json.version).toBe(1);
    expect((await call(app, 'GET', `/api/incidents/${ids.incident}`)).json.status).toBe('open');
  });
  it('every accepted write (by an admin) is audited in its transaction', async () => {
    const audits = async () => Number((await getDb().query('SELECT count(*)::int AS n FROM audit_log'))[0].n);
    const admin = await userToken(app, getDb(), 'admin');
    let accepted = 0;
    for (const [method, path, body] of routes()) {
      const before = await audits();
      const r = await call(app, method, path, { token: admin, body, ifMatch: method === 'DELETE' ? 1 : undefined });
      expect(r.status, `${method} ${path}: ${r.text}`).toBeLessThan(500);
      if (r.status < 300) {
        accepted++;
        expect(await audits(), `${method} ${path}`).toBeGreaterThan(before);
      } else {
        expect(await audits(), `${method} ${path}`).toBe(before);
      }
    }
    expect(accepted).toBeGreaterThan(25);
  });
});
