import { beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import { forEachDb } from '../../helpers/db.ts';
import { volunteersForEngine } from '../../../server/ops/index.ts';
import { call, insertOpsFixture, opsApp, PNG_1PX, userToken, type Clock, type OpsFixture } from './helpers.ts';

const T0 = new Date('2026-11-10T02:00:00Z'); // 10:00 in Changzhou
const H = 3_600_000;

forEachDb('operations API', (getDb) => {
  const clock: Clock = { t: T0 };
  let app: Hono;
  let fx: OpsFixture;
  let admin: string, plannerA: string, plannerB: string, inspector: string, reporterA: string, reporterOnly: string;

  beforeAll(async () => {
    const db = getDb();
    fx = await insertOpsFixture(db);
    app = opsApp(db, clock);
    admin = await userToken(app, db, 'admin');
    plannerA = await userToken(app, db, 'planner', [fx.a]);
    plannerB = await userToken(app, db, 'planner', [fx.b]);
    inspector = await userToken(app, db, 'inspector');
    reporterA = await userToken(app, db, 'reporter', [fx.a]);
    reporterOnly = reporterA;
  });

  const auditCount = async (entity: string) => Number((await getDb().query('SELECT count(*)::int AS n FROM audit_log WHERE entity = $1', [entity]))[0].n);

  describe('work stations', () => {
    const station = { name: '青枫苑民防工作站', headName: '王书记', headTitle: '书记', staff: [{ name: '李四', duty: '宣传' }], contact: '0519-8888', location: { lon: 119.972, lat: 31.783 }, foundedOn: '2026-03-01' };

    it('rejects anonymous, inspector and other-community planner writes', async () => {
      expect((await call(app, 'POST', `/api/communities/${fx.a}/station`, { body: station })).status).toBe(401);
      expect((await call(app, 'POST', `/api/communities/${fx.a}/station`, { token: inspector, body: station })).status).toBe(403);
      expect((await call(app, 'POST', `/api/communities/${fx.a}/station`, { token: plannerB, body: station })).status).toBe(403);
      expect((await call(app, 'POST', `/api/communities/${fx.a}/station`, { token: reporterA, body: station })).status).toBe(403);
      expect((await call(app, 'GET', `/api/communities/${fx.a}/station`)).status).toBe(404);
    });

    it('creates one per community, validates, audits', async () => {
      const before = await auditCount('ops_stations');
      const bad = await call(app, 'POST', `/api/communities/${fx.a}/station`, { token: plannerA, body: { ...station, headTitle: '队长' } });
      expect(bad.status).toBe(400);
      expect(bad.json.error.message).toMatch(/headTitle/);
      const r = await call(app, 'POST', `/api/communities/${fx.a}/station`, { token: plannerA, body: station });
      expect(r.status).toBe(201);
      expect(r.json).toMatchObject({ communityId: fx.a, head: { name: '王书记', title: '书记' }, location: { lon: 119.972, lat: 31.783 }, foundedOn: '2026-03-01', version: 1 });
      expect((await call(app, 'POST', `/api/communities/${fx.a}/station`, { token: admin, body: station })).status).toBe(409);
      expect(await auditCount('ops_stations')).toBe(before + 1);
      const pub = await call(app, 'GET', `/api/communities/${fx.a}/station`);
      expect(pub.status).toBe(200);
      expect(pub.headers.get('etag')).toBe('"1"');
    });

    it('optimistic concurrency: version required, stale → 409, nothing overwritten', async () => {
      const path = `/api/communities/${fx.a}/station`;
      expect((await call(app, 'PATCH', path, { token: plannerA, body: { contact: '1' } })).status).toBe(428);
      const ok = await call(app, 'PATCH', path, { token: plannerA, body: { contact: '0519-1234' }, ifMatch: 1 });
      expect(ok.status).toBe(200);
      expect(ok.json.version).toBe(2);
      const stale = await call(app, 'PATCH', path, { token: admin, body: { contact: 'lost' }, ifMatch: 1 });
      expect(stale.status).toBe(409);
      expect(stale.json.error).toMatchObject({ code: 'stale_version', details: { currentVersion: 2 } });
      const viaBody = await call(app, 'PATCH', path, { token: plannerA, body: { headName: '赵主任', headTitle: '主任', version: 2 } });
      expect(viaBody.status).toBe(200);
      const now = await call(app, 'GET', path);
      expect(now.json).toMatchObject({ contact: '0519-1234', head: { name: '赵主任', title: '主任' }, version: 3 });
    });

    it('city progress against the 80 % / 100 % targets', async () => {
      const p = await call(app, 'GET', '/api/stations/progress');
      expect(p.status).toBe(200);
      expect(p.json).toMatchObject({ communities: 2, withStation: 1, share: 0.5 });
      expect(p.json.targets.map((t: any) => [t.share, t.met, t.stationsNeeded])).toEqual([[0.8, false, 1], [1, false, 1]]);
      expect(p.json.communitiesWithout.map((c: any) => c.id)).toEqual([fx.b]);
      const geo = await call(app, 'GET', '/api/stations?format=geojson');
      expect(geo.json.features[0].geometry).toEqual({ type: 'Point', coordinates: [119.972, 31.783] });
    });
  });

  describe('volunteer teams', () => {
    it('rule check per community, phones only for admin and the community planner', async () => {
      for (let i = 0; i < 10; i++) {
        const r = await call(app, 'POST', `/api/communities/${fx.a}/volunteers`, {
          token: plannerA,
          body: { name: `志愿者${i}`, role: i < 5 ? 'core' : 'member', skills: ['急救'], homeBuildingId: i % 2 ? fx.b1 : fx.b2, phone: `1390000${String(1000 + i)}` },
        });
        expect(r.status).toBe(201);
      }
      await call(app, 'POST', `/api/communities/${fx.b}/volunteers`, { token: plannerB, body: { name: '孤单', role: 'core', phone: '13911112222' } });
      expect((await call(app, 'POST', `/api/communities/${fx.a}/volunteers`, { body: { name: 'x', role: 'core' } })).status).toBe(401);
      expect((await call(app, 'POST', `/api/communities/${fx.a}/volunteers`, { token: inspector, body: { name: 'x', role: 'core' } })).status).toBe(403);

      const pub = await call(app, 'GET', `/api/communities/${fx.a}/volunteers`);
      expect(pub.json).toMatchObject({ core: 5, total: 10, ok: true, violations: [] });
      for (const token of [null, inspector, plannerB, reporterA]) {
        const r = await call(app, 'GET', `/api/communities/${fx.a}/volunteers`, { token });
        expect(r.text).not.toMatch(/1390000/);
        expect(r.json.volunteers[0].phone).toBeUndefined();
        expect(r.json.volunteers[0].homeBuildingId).toBeUndefined();
        const one = await call(app, 'GET', `/api/volunteers/${r.json.volunteers[0].id}`, { token });
        expect(one.text).not.toMatch(/1390000/);
      }
      for (const token of [admin, plannerA]) {
        const r = await call(app, 'GET', `/api/communities/${fx.a}/volunteers`, { token });
        expect(r.json.volunteers.every((v: any) => /^1390000/.test(v.phone))).toBe(true);
      }
      const check = await call(app, 'GET', '/api/volunteers/team-check?onlyViolations=1');
      expect(check.json.checks.map((c: any) => [c.communityId, c.violations.map((v: any) => v.code)])).toEqual([[fx.b, ['core_too_few', 'total_too_few']]]);
    });

    it('too many core members is a violation; the engine roster has home buildings and duties', async () => {
      const list = await call(app, 'GET', `/api/communities/${fx.a}/volunteers`, { token: plannerA });
      const member = list.json.volunteers.find((v: any) => v.role === 'member');
      const r = await call(app, 'PATCH', `/api/volunteers/${member.id}`, { token: plannerA, body: { role: 'core', maxDuties: 3 }, ifMatch: member.version });
      expect(r.status).toBe(200);
      await call(app, 'PATCH', `/api/volunteers/${member.id}`, { token: plannerA, body: { role: 'core' }, ifMatch: member.version }).then((x) => expect(x.status).toBe(409));
      const more = list.json.volunteers.filter((v: any) => v.role === 'member').slice(1, 3);
      for (const m of more) await call(app, 'PATCH', `/api/volunteers/${m.id}`, { token: plannerA, body: { role: 'core' }, ifMatch: m.version });
      const after = await call(app, 'GET', `/api/communities/${fx.a}/volunteers`);
      expect(after.json).toMatchObject({ core: 8, total: 10, ok: false });
      expect(after.json.violations.map((v: any) => v.code)).toEqual(['core_too_many']);
      // back to 7 core
      const back = (await call(app, 'GET', `/api/volunteers/${more[1].id}`)).json;
      expect((await call(app, 'PATCH', `/api/volunteers/${more[1].id}`, { token: admin, body: { role: 'member', version: back.version } })).status).toBe(200);

      const roster = await volunteersForEngine(getDb(), [fx.a]);
      expect(roster).toHaveLength(10);
      expect(roster.find((v) => v.id === member.id)).toEqual({ id: member.id, name: member.name, homeBuildingId: expect.any(Number), maxDuties: 3 });
      expect((await volunteersForEngine(getDb(), [fx.b])).length).toBe(0); // no home building
      const att = await call(app, 'POST', `/api/volunteers/${member.id}/attendance`, { token: plannerA, body: { kind: 'training', date: '2026-05-01', topic: '急救培训', hours: 4 } });
      expect(att.status).toBe(201);
      expect((await call(app, 'POST', `/api/volunteers/${member.id}/attendance`, { token: plannerB, body: { kind: 'training', date: '2026-05-01' } })).status).toBe(403);
      expect((await call(app, 'GET', `/api/volunteers/${member.id}`)).json.attendance).toMatchObject({ trainings: 1, drills: 0, last: '2026-05-01' });
    });
  });

  describe('equipment', () => {
    it('lists missing and expired against the minimum list', async () => {
      const st = (await call(app, 'GET', `/api/communities/${fx.a}/station`)).json;
      const add = (body: object) => call(app, 'POST', `/api/communities/${fx.a}/equipment`, { token: plannerA, body });
      expect((await add({ stationId: st.id, category: 'fire_fighting', item: '灭火器', quantity: 10, expiresOn: '2027-12-31' })).status).toBe(201);
      const expired = await add({ siteId: fx.site1, category: 'anti_chemical', item: '防毒面具', quantity: 10, expiresOn: '2026-01-01' });
      expect(expired.status).toBe(201);
      expect((await add({ stationId: st.id, siteId: fx.site1, category: 'rescue', item: 'x', quantity: 1 })).status).toBe(400);
      expect((await add({ stationId: st.id, category: 'weapons', item: 'x', quantity: 1 })).status).toBe(400);
      expect((await call(app, 'POST', `/api/communities/${fx.a}/equipment`, { token: inspector, body: { stationId: st.id, category: 'rescue', item: 'x', quantity: 1 } })).status).toBe(403);

      const r = await call(app, 'GET', `/api/communities/${fx.a}/equipment`);
      expect(r.json.minimums.source).toBe('builtin');
      expect(r.json.status.expired.map((e: any) => e.item)).toEqual(['防毒面具']);
      expect(r.json.status.missing.map((m: any) => m.category).sort()).toEqual(['anti_chemical', 'call_for_help', 'escape', 'first_aid', 'rescue']);
      expect(r.json.status.complete).toBe(false);

      // the community's own list: only fire extinguishers
      const put = await call(app, 'PUT', `/api/communities/${fx.a}/equipment/minimums`, { token: plannerA, body: { items: [{ category: 'fire_fighting', item: '灭火器', quantity: 5 }] } });
      expect(put.status).toBe(200);
      expect((await call(app, 'PUT', `/api/communities/${fx.a}/equipment/minimums`, { token: plannerA, body: { items: [] } })).status).toBe(428);
      expect((await call(app, 'PUT', `/api/communities/${fx.a}/equipment/minimums`, { token: plannerA, body: { items: [], version: 7 } })).status).toBe(409);
      const r2 = await call(app, 'GET', `/api/communities/${fx.a}/equipment`);
      expect(r2.json.status.missing).toEqual([]);
      expect(r2.json.status.complete).toBe(false); // the expired masks
      expect((await call(app, 'DELETE', `/api/equipment/${expired.json.id}`, { token: plannerA, ifMatch: 1 })).status).toBe(204);
      expect((await call(app, 'GET', `/api/communities/${fx.a}/equipment`)).json.status.complete).toBe(true);
    });
  });

  describe('emergency plans and drills', () => {
    it('revisions count up; stale revision → 409', async () => {
      const p = await call(app, 'POST', `/api/communities/${fx.a}/emergency-plans`, { token: plannerA, body: { title: '地震应急预案', hazard: 'earthquake', body: '第一版', revisedAt: '2025-05-01' } });
      expect(p.status).toBe(201);
      expect(p.json).toMatchObject({ revision: 1, version: 1 });
      const r2 = await call(app, 'POST', `/api/emergency-plans/${p.json.id}/revisions`, { token: plannerA, body: { body: '第二版', revisedAt: '2026-04-01' }, ifMatch: 1 });
      expect(r2.status).toBe(201);
      expect(r2.json).toMatchObject({ revision: 2, version: 2, body: '第二版', revisedAt: '2026-04-01' });
      expect((await call(app, 'POST', `/api/emergency-plans/${p.json.id}/revisions`, { token: plannerA, body: { body: 'x', revisedAt: '2026-04-02' }, ifMatch: 1 })).status).toBe(409);
      const full = await call(app, 'GET', `/api/emergency-plans/${p.json.id}`);
      expect(full.json.revisions.map((r: any) => r.revision)).toEqual([2, 1]);
      expect((await call(app, 'GET', `/api/emergency-plans/${p.json.id}/revisions/1`)).json.body).toBe('第一版');
    });

    it('flags a drill slower than the latest plan by more than 20 % (what-if plans ignored)', async () => {
      const d = await call(app, 'POST', `/api/communities/${fx.a}/drills`, {
        token: plannerA,
        body: {
          heldOn: '2026-10-01', scenario: '地震疏散演练', hazard: 'earthquake', participants: 120,
          timings: [{ buildingId: fx.b1, measuredS: 400 }, { buildingId: fx.b2, measuredS: 260 }, { zoneId: fx.zone, measuredS: 700 }],
        },
      });
      expect(d.status).toBe(201);
      const t = d.json.timings;
      expect(t[0]).toMatchObject({ target: { kind: 'building', id: fx.b1 }, computedS: 300, flagged: true, planId: fx.plan });
      expect(t[0].slowerBy).toBeCloseTo(1 / 3, 3);
      expect(t[1]).toMatchObject({ computedS: 250, flagged: false });
      expect(t[2]).toMatchObject({ target: { kind: 'zone', id: fx.zone }, computedS: 600, flagged: false });
      expect(d.json).toMatchObject({ flagged: true, flaggedCount: 1, margin: 0.2 });
      const patched = await call(app, 'PATCH', `/api/drills/${d.json.id}`, { token: plannerA, body: { timings: [{ buildingId: fx.b1, measuredS: 350 }] }, ifMatch: 1 });
      expect(patched.status).toBe(200);
      expect(patched.json).toMatchObject({ flagged: false, version: 2 });
      expect((await call(app, 'POST', `/api/communities/${fx.a}/drills`, { token: plannerA, body: { heldOn: '2026-10-01', scenario: 'x', participants: 1, timings: [{ buildingId: 99999, measuredS: 1 }] } })).status).toBe(400);
      expect((await call(app, 'GET', `/api/communities/${fx.a}/drills?year=2026`)).json.drills).toHaveLength(1);
    });
  });

  describe('reporters and incidents', () => {
    let reporterId: number;
    it('reporters’ names are private', async () => {
      const me = await call(app, 'GET', '/api/auth/me', { token: reporterOnly });
      const r = await call(app, 'POST', `/api/communities/${fx.a}/reporters`, { token: plannerA, body: { name: '张信息员', phone: '13800001111', userId: me.json.user.id } });
      expect(r.status).toBe(201);
      reporterId = r.json.id;
      for (const token of [null, inspector, plannerB]) {
        const l = await call(app, 'GET', `/api/communities/${fx.a}/reporters`, { token });
        expect(l.text).not.toMatch(/张信息员|13800001111/);
        expect(l.json.count).toBe(1);
      }
      expect((await call(app, 'GET', `/api/communities/${fx.a}/reporters`, { token: plannerA })).json.reporters[0].name).toBe('张信息员');
      expect((await call(app, 'GET', `/api/communities/${fx.a}/reporters`, { token: reporterOnly })).json.reporters[0].name).toBe('张信息员');
    });

    it('8-hour clock, escalation, validated transitions', async () => {
      clock.t = T0;
      const body = { kind: 'fire', location: { lon: 119.9722, lat: 31.7815 }, text: '1号楼冒烟', photo: PNG_1PX };
      expect((await call(app, 'POST', '/api/incidents', { body })).status).toBe(401);
      expect((await call(app, 'POST', '/api/incidents', { token: inspector, body })).status).toBe(403);
      expect((await call(app, 'POST', '/api/incidents', { token: reporterA, body: { ...body, location: { lon: 119.977, lat: 31.781 } } })).status).toBe(403); // B
      expect((await call(app, 'POST', '/api/incidents', { token: reporterA, body: { ...body, photo: 'data:image/png;base64,AAAA' } })).status).toBe(400);
      const r = await call(app, 'POST', '/api/incidents', { token: reporterA, body });
      expect(r.status).toBe(201);
      expect(r.json).toMatchObject({ communityId: fx.a, status: 'open', reportedAt: T0.toISOString(), dueAt: new Date(T0.getTime() + 8 * H).toISOString(), escalated: false, reporter: { id: reporterId } });
      const id = r.json.id;

      clock.t = new Date(T0.getTime() + 7 * H);
      expect((await call(app, 'GET', '/api/incidents/overdue', { token: inspector })).json.count).toBe(0);
      clock.t = new Date(T0.getTime() + 9 * H);
      const od = await call(app, 'GET', '/api/incidents/overdue', { token: inspector });
      expect(od.json.incidents.map((i: any) => [i.id, i.escalated, i.escalationLevel])).toEqual([[id, true, 1]]);
      expect(od.json.incidents[0].reporter.name).toBeUndefined();
      expect((await call(app, 'GET', '/api/incidents/overdue')).status).toBe(401);
      clock.t = new Date(T0.getTime() + 17 * H);
      expect((await call(app, 'GET', `/api/incidents/${id}`)).json.escalationLevel).toBe(2);

      const anon = await call(app, 'GET', `/api/incidents/${id}`);
      expect(anon.json.text).toBeUndefined();
      expect(anon.json.photo).toBeUndefined();
      expect(anon.json.reporter).toBeUndefined();
      expect((await call(app, 'GET', `/api/incidents/${id}`, { token: plannerA })).json.reporter.name).toBe('张信息员');
      expect((await call(app, 'GET', `/api/incidents/${id}/photo`)).status).toBe(401);
      const photo = await app.request(`http://localhost/api/incidents/${id}/photo`, { headers: { authorization: `Bearer ${plannerA}` } });
      expect(photo.headers.get('content-type')).toBe('image/png');
      expect(Buffer.from(await photo.arrayBuffer()).subarray(1, 4).toString()).toBe('PNG');

      const skip = await call(app, 'POST', `/api/incidents/${id}/status`, { token: plannerA, body: { status: 'resolved' }, ifMatch: 1 });
      expect(skip.status).toBe(409);
      expect(skip.json.error.code).toBe('invalid_transition');
      expect((await call(app, 'POST', `/api/incidents/${id}/status`, { token: reporterA, body: { status: 'in_hand' }, ifMatch: 1 })).status).toBe(403);
      expect((await call(app, 'POST', `/api/incidents/${id}/status`, { token: plannerB, body: { status: 'in_hand' }, ifMatch: 1 })).status).toBe(403);
      const inHand = await call(app, 'POST', `/api/incidents/${id}/status`, { token: plannerA, body: { status: 'in_hand', handledBy: '物业' }, ifMatch: 1 });
      expect(inHand.json).toMatchObject({ status: 'in_hand', escalated: true, version: 2 });
      expect((await call(app, 'POST', `/api/incidents/${id}/status`, { token: plannerA, body: { status: 'resolved' }, ifMatch: 1 })).status).toBe(409);
      const done = await call(app, 'POST', `/api/incidents/${id}/status`, { token: plannerA, body: { status: 'resolved', note: '已扑灭' }, ifMatch: 2 });
      expect(done.json).toMatchObject({ status: 'resolved', escalated: false, resolvedLate: true, resolution: '已扑灭' });
      expect((await call(app, 'GET', '/api/incidents/overdue', { token: inspector })).json.count).toBe(0);
      expect((await call(app, 'POST', `/api/incidents/${id}/status`, { token: plannerA, body: { status: 'open' }, ifMatch: 3 })).status).toBe(409);
      clock.t = T0;
    });

    it('road_blocked / site_unusable → closures for a what-if plan', async () => {
      const mk = async (kind: string, lon: number, lat: number) =>
        (await call(app, 'POST', '/api/incidents', { token: plannerA, body: { kind, location: { lon, lat }, text: kind, communityId: fx.a } })).json.id;
      const nearJunction = await mk('road_blocked', fx.junction.lon - 0.00005, fx.junction.lat); // on e1, ~5 m west of the junction (e2 4.7 m away)
      const c1 = await call(app, 'GET', `/api/incidents/${nearJunction}/closure`, { token: plannerA });
      expect(c1.status).toBe(200);
      expect(c1.json.closedEdgeIds).toEqual([fx.e1]);
      expect(c1.json.closures).toEqual({ closedEdgeIds: [fx.e1] });
      const onJunction = await mk('road_blocked', fx.junction.lon, fx.junction.lat);
      expect((await call(app, 'GET', `/api/incidents/${onJunction}/closure`, { token: plannerA })).json.closedEdgeIds.sort()).toEqual([fx.e1, fx.e2].sort());
      const far = await mk('road_blocked', 119.9705, 31.7835); // > 30 m from every edge
      expect((await call(app, 'GET', `/api/incidents/${far}/closure`, { token: plannerA })).status).toBe(404);
      const site = await mk('site_unusable', 119.974, 31.7833);
      expect((await call(app, 'GET', `/api/incidents/${site}/closure`, { token: plannerA })).json.closedSiteIds).toEqual([fx.site1]);
      const fire = await mk('fire', 119.974, 31.7833);
      expect((await call(app, 'GET', `/api/incidents/${fire}/closure`, { token: plannerA })).status).toBe(409);
      expect((await call(app, 'GET', `/api/incidents/${site}/closure`)).status).toBe(401);
      expect((await call(app, 'GET', `/api/incidents/${site}/closure`, { token: inspector })).status).toBe(403);
    });
  });

  describe('joint office', () => {
    it('roster gaps, meeting schedule for 2026-11, items carried over to the next meeting', async () => {
      const party = await call(app, 'POST', `/api/communities/${fx.a}/office/parties`, { token: plannerA, body: { name: '青枫苑物业', kind: 'property_company' } });
      expect(party.status).toBe(201);
      const clerk = await call(app, 'POST', `/api/office/parties/${party.json.id}/clerks`, { token: plannerA, body: { name: '值班员甲', phone: '13700002222' } });
      expect(clerk.status).toBe(201);
      expect((await call(app, 'GET', `/api/communities/${fx.a}/office`)).text).not.toMatch(/13700002222/);
      expect((await call(app, 'GET', `/api/communities/${fx.a}/office`, { token: inspector })).text).not.toMatch(/13700002222/);
      expect((await call(app, 'GET', `/api/communities/${fx.a}/office`, { token: plannerA })).text).toMatch(/13700002222/);
      const add = await call(app, 'POST', `/api/communities/${fx.a}/office/roster`, {
        token: plannerA,
        body: { entries: ['2026-11-01', '2026-11-03', '2026-11-04'].map((date) => ({ date, clerkId: clerk.json.id })) },
      });
      expect(add.json.added).toBe(3);
      const roster = await call(app, 'GET', `/api/communities/${fx.a}/office/roster?from=2026-11-01&to=2026-11-05`);
      expect(roster.json.gaps).toEqual(['2026-11-02', '2026-11-05']);
      expect(roster.json.days[0].onDuty[0]).toMatchObject({ clerkName: '值班员甲', partyName: '青枫苑物业' });
      expect((await call(app, 'GET', `/api/communities/${fx.a}/office/roster?from=2026-01-01&to=2027-06-01`)).status).toBe(400);

      const m1 = await call(app, 'POST', `/api/communities/${fx.a}/office/meetings`, {
        token: plannerA,
        body: { kind: 'weekly', heldOn: '2026-11-02', decisions: ['检查楼道标识'], actionItems: [{ title: '补装3号楼标识', owner: '物业', dueOn: '2026-11-06' }] },
      });
      expect(m1.status).toBe(201);
      await call(app, 'POST', `/api/communities/${fx.a}/office/meetings`, { token: plannerA, body: { kind: 'monthly', heldOn: '2026-11-04' } });
      clock.t = new Date('2026-11-20T02:00:00Z');
      const sched = await call(app, 'GET', `/api/communities/${fx.a}/office/schedule?month=2026-11`);
      expect(sched.json.expected.map((e: any) => `${e.date}:${e.kind}:${e.status}`)).toEqual([
        '2026-11-02:weekly:held',
        '2026-11-04:monthly:held',
        '2026-11-09:weekly:missed',
        '2026-11-16:weekly:upcoming',
        '2026-11-23:weekly:upcoming',
        '2026-11-30:weekly:upcoming',
      ]);
      expect(sched.json.openActionItems).toBe(1);
      const item = m1.json.actionItems[0];
      const m3 = await call(app, 'POST', `/api/communities/${fx.a}/office/meetings`, {
        token: plannerA,
        body: { kind: 'weekly', heldOn: '2026-11-16', reviews: [{ actionItemId: item.id, status: 'done', note: '已完成' }] },
      });
      expect(m3.status).toBe(201);
      expect(m3.json.carriedOver.map((i: any) => [i.id, i.status, i.reviewedMeetingId])).toEqual([[item.id, 'done', m3.json.id]]);
      const m2view = await call(app, 'GET', `/api/office/meetings/${m1.json.id}`);
      expect(m2view.json.nextMeeting).toMatchObject({ heldOn: '2026-11-04' });
      expect((await call(app, 'GET', `/api/communities/${fx.a}/office/action-items?status=open`)).json.count).toBe(0);
      clock.t = T0;
    });
  });

  describe('yearly inspection', () => {
    it('checklist codes, computed figures, scores, pass/fail, roll-up and CSV', async () => {
      expect((await call(app, 'GET', `/api/communities/${fx.a}/inspection?year=2026`)).status).toBe(401);
      const r = await call(app, 'GET', `/api/communities/${fx.a}/inspection?year=2026`, { token: inspector });
      expect(r.status).toBe(200);
      const items = Object.fromEntries(r.json.items.map((i: any) => [i.code, i]));
      expect(r.json.items.map((i: any) => i.code)).toEqual(['station', 'team_size', 'plans_revised', 'drills_held', 'signs_installed', 'guides_assigned', 'equipment_complete', 'coverage', 'capacity']);
      for (const i of r.json.items) expect(Object.keys(i)).toEqual(expect.arrayContaining(['code', 'label', 'computed', 'target', 'score', 'maxScore', 'pass']));
      expect(items.station).toMatchObject({ pass: true, score: 15 });
      expect(items.team_size).toMatchObject({ computed: { core: 7, total: 10 }, pass: true });
      expect(items.plans_revised).toMatchObject({ computed: { revisions: 1 }, pass: true });
      expect(items.drills_held).toMatchObject({ computed: { drills: 1 }, pass: true });
      expect(items.signs_installed).toMatchObject({ computed: { installed: 0, planned: 3, planId: fx.plan }, pass: false, score: 0 });
      expect(items.guides_assigned).toMatchObject({ computed: { needed: 3, assigned: 2 }, pass: false });
      expect(items.equipment_complete.pass).toBe(true);
      expect(items.coverage).toMatchObject({ computed: { share: 0.95 }, target: { min: 0.9 }, pass: true });
      expect(items.capacity).toMatchObject({ computed: { capacity: 500, population: 450 }, pass: true });
      expect(r.json).toMatchObject({ totalScore: expect.any(Number), maxScore: 100, passMark: 80, status: 'not_started' });
      // 15+15+10+10+0+round(10*2/3)+10+10+10 = 86.7
      expect(r.json.totalScore).toBeCloseTo(86.7, 1);
      expect(r.json.pass).toBe(true);

      // B: no station, no coverage figure in the plan (read defensively)
      const b = await call(app, 'GET', `/api/communities/${fx.b}/inspection?year=2026`, { token: inspector });
      const bi = Object.fromEntries(b.json.items.map((i: any) => [i.code, i]));
      expect(bi.station.pass).toBe(false);
      expect(bi.coverage).toMatchObject({ computed: null, pass: null });
      expect(bi.coverage.note).toMatch(/coverage/);
      expect(bi.capacity).toMatchObject({ computed: { capacity: 10, population: 300 }, pass: false });
      expect(b.json).toMatchObject({ pass: false, failedRequired: ['station'] });

      // installations make the sign item pass
      const inst = await call(app, 'POST', `/api/communities/${fx.a}/sign-installations`, { token: plannerA, body: { installedOn: '2026-09-01', count: 3, planId: fx.plan } });
      expect(inst.status).toBe(201);
      const r2 = await call(app, 'GET', `/api/communities/${fx.a}/inspection?year=2026`, { token: inspector });
      expect(r2.json.items.find((i: any) => i.code === 'signs_installed')).toMatchObject({ pass: true, score: 10 });

      // scores: inspectors and admins only; version from then on
      const put = (token: string, body: object, ifMatch?: number) => call(app, 'PUT', `/api/communities/${fx.a}/inspection?year=2026`, { token, body, ifMatch });
      expect((await put(plannerA, { items: { station: { score: 0 } } })).status).toBe(403);
      expect((await call(app, 'PUT', `/api/communities/${fx.a}/inspection?year=2026`, { body: { items: {} } })).status).toBe(401);
      expect((await put(inspector, { items: { station: { score: 99 } } })).status).toBe(400);
      const s1 = await put(inspector, { items: { guides_assigned: { score: 10, pass: true, note: '现场核实已落实' } }, notes: '整体良好' });
      expect(s1.status).toBe(200);
      expect(s1.json).toMatchObject({ status: 'draft', version: 1, notes: '整体良好' });
      expect(s1.json.items.find((i: any) => i.code === 'guides_assigned')).toMatchObject({ score: 10, pass: true, autoPass: false, inspectorNote: '现场核实已落实' });
      expect((await put(inspector, { items: {} })).status).toBe(428);
      expect((await put(admin, { items: {} }, 5)).status).toBe(409);
      const ev = await call(app, 'POST', `/api/communities/${fx.a}/inspection/evidence?year=2026`, { token: inspector, body: { code: 'signs_installed', caption: '楼道标识', photo: PNG_1PX } });
      expect(ev.status).toBe(201);
      expect((await call(app, 'POST', `/api/communities/${fx.a}/inspection/evidence?year=2026`, { token: plannerA, body: { code: 'station', photo: PNG_1PX } })).status).toBe(403);
      const fin = await put(inspector, { items: {}, status: 'final' }, 1);
      expect(fin.json).toMatchObject({ status: 'final', pass: true, totalScore: 100 });
      expect(fin.json.items.find((i: any) => i.code === 'signs_installed').evidence).toHaveLength(1);

      const hist = await call(app, 'GET', `/api/communities/${fx.a}/inspections`, { token: inspector });
      expect(hist.json.history).toEqual([expect.objectContaining({ year: 2026, status: 'final', pass: true, totalScore: 100 })]);
      const roll = await call(app, 'GET', '/api/inspections?year=2026');
      expect(roll.json).toMatchObject({ communities: 2, passing: 1, passShare: 0.5, finalised: 1 });
      const csv = await call(app, 'GET', '/api/inspections/export.csv?year=2026', { token: inspector });
      expect(csv.status).toBe(200);
      expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
      const lines = csv.text.replace(/^\ufeff/, '').trim().split('\r\n');
      expect(lines[0]).toBe('community_id,community,year,status,code,label,computed,target,score,max_score,pass,inspector_note,note');
      expect(lines).toHaveLength(1 + 2 * 10);
      expect(lines.some((l) => l.startsWith(`${fx.b},兰陵社区,2026,not_started,station,`) && l.includes(',no,'))).toBe(true);
      expect((await call(app, 'GET', '/api/inspections/export.csv?year=2026')).status).toBe(401);
      expect((await call(app, 'GET', '/api/inspections?year=20x6')).status).toBe(400);
    });
  });

  describe('bad input never 5xx', () => {
    it('malformed JSON, wrong types, bad ids, bad photos', async () => {
      const cases: [string, string, any][] = [
        ['POST', `/api/communities/${fx.a}/volunteers`, '{"name":'],
        ['POST', `/api/communities/${fx.a}/volunteers`, { name: 5, role: 'boss' }],
        ['POST', '/api/incidents', { kind: 'fire', location: { lon: 500, lat: 0 }, text: 'x' }],
        ['POST', '/api/incidents', { kind: 'fire', location: { lon: 1, lat: 1 }, text: 'x', photo: 'data:image/jpeg;base64,' + 'A'.repeat(100) }],
        ['PATCH', '/api/volunteers/abc', { name: 'x' }],
        ['PATCH', '/api/volunteers/99999999999', { name: 'x' }],
        ['POST', `/api/communities/${fx.a}/drills`, { heldOn: '2026-02-30', scenario: 'x', participants: 1 }],
        ['POST', `/api/communities/${fx.a}/office/roster`, { entries: [] }],
      ];
      for (const [method, path, body] of cases) {
        const r = await call(app, method, path, { token: admin, body });
        expect(r.status, `${method} ${path}`).toBeGreaterThanOrEqual(400);
        expect(r.status, `${method} ${path}`).toBeLessThan(500);
        expect(r.json.error.message).toBeTruthy();
      }
      const notJson = await call(app, 'POST', `/api/communities/${fx.a}/volunteers`, { token: admin, body: 'x', headers: { 'content-type': 'text/plain' } });
      expect(notJson.status).toBe(415);
      expect((await call(app, 'GET', '/api/communities/999999/volunteers')).status).toBe(404);
    });
  });
});
