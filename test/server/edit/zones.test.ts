import { beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import { forEachDb } from '../../helpers/db.ts';
import { auditRows, box, call, dataVersion, editApp, insertFixture, userToken, type EditFixture } from './helpers.ts';

forEachDb('edit: zones', (getDb) => {
  let app: Hono;
  let fx: EditFixture;
  let planner: string;
  let admin: string;
  let inspector: string;
  let reporter: string;
  let limitedA: string;

  beforeAll(async () => {
    const db = getDb();
    app = editApp(db, { maxAreaM2: 50_000_000, maxVertices: 2000, maxBodyBytes: 256 * 1024 });
    fx = await insertFixture(db);
    planner = await userToken(app, db, 'planner');
    admin = await userToken(app, db, 'admin');
    inspector = await userToken(app, db, 'inspector');
    reporter = await userToken(app, db, 'reporter');
    limitedA = await userToken(app, db, 'planner', [fx.a]);
  });

  const zoneCount = async () => Number((await getDb().query('SELECT count(*)::int AS n FROM zones'))[0].n);

  describe('roles', () => {
    it('rejects anonymous (401), inspector and reporter (403) writes and changes nothing', async () => {
      const before = await zoneCount();
      const v0 = await dataVersion(getDb());
      const body = { name: 'x', geometry: box(120.001, 31.001, 120.002, 31.002) };
      expect((await call(app, 'POST', '/api/zones', { body })).status).toBe(401);
      const bad = await call(app, 'POST', '/api/zones', { body, token: 'not-a-valid-token' });
      expect(bad.status).toBe(401);
      for (const token of [inspector, reporter]) {
        const r = await call(app, 'POST', '/api/zones', { body, token });
        expect(r.status).toBe(403);
        expect(r.json.error.code).toBe('forbidden');
      }
      // the guard runs before the body is read: even a broken body is 401, not 400
      expect((await call(app, 'POST', '/api/zones', { body: '{oops' })).status).toBe(401);
      expect((await call(app, 'DELETE', '/api/zones/1', { ifMatch: 1 })).status).toBe(401);
      expect((await call(app, 'PATCH', '/api/zones/1', { body: { name: 'y' }, ifMatch: 1, token: inspector })).status).toBe(403);
      expect(await zoneCount()).toBe(before);
      expect(await dataVersion(getDb())).toBe(v0);
    });

    it('lets an admin write too', async () => {
      const r = await call(app, 'POST', '/api/zones', { token: admin, body: { name: '管理员区', geometry: box(120.012, 31.002, 120.013, 31.003) } });
      expect(r.status).toBe(201);
    });
  });

  describe('create, edit, delete', () => {
    let id: number;

    it('creates a zone: 201, ETag "1", geometry back as GeoJSON, audit row, data version bumped', async () => {
      const db = getDb();
      const v0 = await dataVersion(db);
      const r = await call(app, 'POST', '/api/zones', {
        token: planner,
        body: { name: '  青枫一区 ', geometry: box(120.001, 31.001, 120.004, 31.004), siteIds: [fx.sa, fx.sa], hazard: 'earthquake', notes: '东门集合' },
      });
      expect(r.status, r.text).toBe(201);
      expect(r.headers.get('etag')).toBe('"1"');
      id = r.json.id;
      expect(r.headers.get('location')).toBe(`/api/zones/${id}`);
      expect(r.json).toMatchObject({ name: '青枫一区', siteIds: [fx.sa], hazard: 'earthquake', notes: '东门集合', version: 1 });
      expect(r.json.geometry.type).toBe('MultiPolygon');
      expect(r.json.geometry.coordinates[0][0][2]).toEqual([120.004, 31.004]);
      // ~ 285 m × 333 m
      expect(r.json.areaM2).toBeGreaterThan(90_000);
      expect(r.json.areaM2).toBeLessThan(100_000);
      expect(await dataVersion(db)).toBe(v0 + 1);
      const rows = await auditRows(db, 'zones', id);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ action: 'create', before: null });
      expect(rows[0].username).toMatch(/^planner/);
      expect(rows[0].after).toMatchObject({ id, name: '青枫一区', version: 1 });

      const got = await call(app, 'GET', `/api/zones/${id}`);
      expect(got.status).toBe(200);
      expect(got.headers.get('etag')).toBe('"1"');
      const list = await call(app, 'GET', '/api/zones');
      expect(list.status).toBe(200);
      expect(list.json.zones.find((z: any) => z.id === id)).toMatchObject({ name: '青枫一区', version: 1 });
      expect(list.json.total).toBe(list.json.zones.length);
    });

    it('PATCH needs If-Match (428), applies with it (version 2), answers 409 with the current record when stale', async () => {
      const db = getDb();
      const v0 = await dataVersion(db);
      const missing = await call(app, 'PATCH', `/api/zones/${id}`, { token: planner, body: { name: '改名' } });
      expect(missing.status).toBe(428);
      expect(missing.json.error.code).toBe('version_required');

      const ok = await call(app, 'PATCH', `/api/zones/${id}`, { token: planner, ifMatch: 1, body: { notes: null } });
      expect(ok.status, ok.text).toBe(200);
      expect(ok.headers.get('etag')).toBe('"2"');
      expect(ok.json).toMatchObject({ name: '青枫一区', notes: null, siteIds: [fx.sa], hazard: 'earthquake', version: 2 });
      expect(new Date(ok.json.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(ok.json.createdAt).getTime());

      const staleRes = await call(app, 'PATCH', `/api/zones/${id}`, { token: planner, ifMatch: 1, body: { name: '覆盖' } });
      expect(staleRes.status).toBe(409);
      expect(staleRes.json.error.code).toBe('stale_version');
      expect(staleRes.json.error.details.current).toMatchObject({ id, name: '青枫一区', version: 2 });
      // body.version works like If-Match, stale too
      const staleBody = await call(app, 'PATCH', `/api/zones/${id}`, { token: planner, body: { name: '覆盖', version: 1 } });
      expect(staleBody.status).toBe(409);
      const now = await call(app, 'GET', `/api/zones/${id}`);
      expect(now.json).toMatchObject({ name: '青枫一区', version: 2 });
      expect(await dataVersion(db)).toBe(v0 + 1);
      expect((await auditRows(db, 'zones', id)).map((r) => r.action)).toEqual(['create', 'update']);
      const [, upd] = await auditRows(db, 'zones', id);
      expect(upd.before).toMatchObject({ notes: '东门集合', version: 1 });
      expect(upd.after).toMatchObject({ notes: null, version: 2 });
    });

    it('PUT replaces the whole record (left-out fields back to defaults); body.version is accepted', async () => {
      const r = await call(app, 'PUT', `/api/zones/${id}`, {
        token: planner,
        body: { name: '青枫一区（新）', geometry: box(120.001, 31.001, 120.003, 31.003), version: 2 },
      });
      expect(r.status, r.text).toBe(200);
      expect(r.json).toMatchObject({ name: '青枫一区（新）', siteIds: [], hazard: null, notes: null, version: 3 });
      expect(r.json.geometry.coordinates[0][0][2]).toEqual([120.003, 31.003]);
      const missingName = await call(app, 'PUT', `/api/zones/${id}`, { token: planner, ifMatch: 3, body: { geometry: box(120.001, 31.001, 120.003, 31.003) } });
      expect(missingName.status).toBe(400);
      expect(missingName.json.error.message).toMatch(/name/);
      const disagree = await call(app, 'PUT', `/api/zones/${id}`, { token: planner, ifMatch: 3, body: { name: 'n', geometry: box(120.001, 31.001, 120.003, 31.003), version: 2 } });
      expect(disagree.status).toBe(400);
    });

    it('DELETE: 428 without If-Match, 409 when stale (kept), then deleted; 404 afterwards', async () => {
      const db = getDb();
      expect((await call(app, 'DELETE', `/api/zones/${id}`, { token: planner })).status).toBe(428);
      const s = await call(app, 'DELETE', `/api/zones/${id}`, { token: planner, ifMatch: 2 });
      expect(s.status).toBe(409);
      expect(s.json.error.details.current.version).toBe(3);
      expect((await call(app, 'GET', `/api/zones/${id}`)).status).toBe(200);
      const v0 = await dataVersion(db);
      const d = await call(app, 'DELETE', `/api/zones/${id}`, { token: planner, ifMatch: 'W/"3"' });
      expect(d.status, d.text).toBe(200);
      expect(d.json.deleted).toEqual({ id, version: 3 });
      expect(await dataVersion(db)).toBe(v0 + 1);
      expect((await call(app, 'GET', `/api/zones/${id}`)).status).toBe(404);
      expect((await call(app, 'PATCH', `/api/zones/${id}`, { token: planner, ifMatch: 3, body: { name: 'z' } })).status).toBe(404);
      expect((await call(app, 'DELETE', `/api/zones/${id}`, { token: planner, ifMatch: 3 })).status).toBe(404);
      const rows = await auditRows(db, 'zones', id);
      expect(rows.at(-1)).toMatchObject({ action: 'delete', after: null });
      expect(rows.at(-1)!.before).toMatchObject({ id, version: 3 });
    });
  });

  describe('geometry and input checks', () => {
    const post = (body: unknown, token = planner) => call(app, 'POST', '/api/zones', { token, body });

    it('rejects a self-intersecting bow-tie with the reason and where', async () => {
      const before = await zoneCount();
      const r = await post({
        name: 'bow-tie',
        geometry: { type: 'Polygon', coordinates: [[[120.001, 31.001], [120.003, 31.003], [120.003, 31.001], [120.001, 31.003], [120.001, 31.001]]] },
      });
      expect(r.status).toBe(400);
      expect(r.json.error.message).toMatch(/geometry is not valid: Self-intersection at \[120\.002, 31\.002\]/);
      expect(r.json.error.details.reason).toBe('Self-intersection');
      expect(await zoneCount()).toBe(before);
    });

    it('rejects an unclosed ring, a ring with too few points, out-of-range coordinates, a wrong type, too many vertices', async () => {
      const cases: [unknown, RegExp][] = [
        [{ type: 'Polygon', coordinates: [[[120.001, 31.001], [120.002, 31.001], [120.002, 31.002], [120.001, 31.002]]] }, /geometry\.coordinates\[0\]: ring is not closed/],
        [{ type: 'Polygon', coordinates: [[[120.001, 31.001], [120.002, 31.001], [120.001, 31.001]]] }, /geometry\.coordinates\[0\]: a linear ring needs at least 4 positions/],
        [box(200, 31.001, 200.01, 31.002), /geometry\.coordinates\[0\]\[0\]: longitude 200 is outside \[-180, 180\]/],
        [box(120.001, 95, 120.002, 96), /latitude 95 is outside \[-90, 90\]/],
        [{ type: 'Polygon', coordinates: [[[120.001, '31'], [120.002, 31.001], [120.002, 31.002], [120.001, 31.001]]] }, /geometry\.coordinates\[0\]\[0\]: latitude must be a finite number/],
        [{ type: 'Point', coordinates: [120, 31] }, /geometry\.type: expected Polygon or MultiPolygon, got Point/],
        [{ type: 'MultiPolygon', coordinates: [] }, /at least one polygon/],
        ['POLYGON((0 0, 1 0, 1 1, 0 0))', /geometry: expected a GeoJSON Polygon or MultiPolygon object/],
        [
          {
            type: 'Polygon',
            coordinates: [Array.from({ length: 2101 }, (_, i) => (i === 2100 ? [120.001, 31.001] : [120.001 + 0.001 * Math.cos(i / 334), 31.001 + 0.001 * Math.sin(i / 334)]))],
          },
          /too many vertices: more than 2000/,
        ],
      ];
      for (const [geometry, msg] of cases) {
        const r = await post({ name: 'bad', geometry });
        expect(r.status, JSON.stringify(geometry).slice(0, 80)).toBe(400);
        expect(r.json.error.message).toMatch(msg);
      }
      // duplicate vertices leave too few distinct points: PostGIS says so
      const dup = await post({ name: 'd', geometry: { type: 'Polygon', coordinates: [[[120.001, 31.001], [120.002, 31.001], [120.002, 31.001], [120.001, 31.001]]] } });
      expect(dup.status).toBe(400);
      expect(dup.json.error.message).toMatch(/geometry is not valid: Too few points/i);
    });

    it('rejects an area over the limit (and a polygon across the antimeridian, which is the long way round)', async () => {
      const big = await post({ name: 'big', geometry: box(120.0, 31.0, 120.2, 31.2) });
      expect(big.status).toBe(400);
      expect(big.json.error.message).toMatch(/geometry is too large: .* km², the limit is 50 km²/);
      const am = await post({ name: 'am', geometry: box(-179.99, 10, 179.99, 10.01) });
      expect(am.status).toBe(400);
      expect(am.json.error.message).toMatch(/geometry\.coordinates\[0\]\[1\]: this edge spans more than 180° of longitude/);
    });

    it('names wrong types, unknown fields and missing sites; broken JSON 400; other media 415; big body 413; bad ids', async () => {
      const geometry = box(120.001, 31.001, 120.002, 31.002);
      const before = await zoneCount();
      const cases: [unknown, RegExp][] = [
        [{ name: 123, geometry }, /name: .*expected string/],
        [{ name: '', geometry }, /name: must not be empty/],
        [{ name: 'x'.repeat(201), geometry }, /name: must be at most 200/],
        [{ name: 'n', geometry, siteIds: 'all' }, /siteIds: expected an array of site ids/],
        [{ name: 'n', geometry, siteIds: [1.5] }, /siteIds\[0\]/],
        [{ name: 'n', geometry, hazard: 'meteor' }, /hazard: expected one of earthquake/],
        [{ name: 'n', geometry, colour: 'red' }, /colour/],
        [{ name: 'n', geometry, siteIds: [fx.sa, 999_999] }, /siteIds: no site with id 999999/],
        [[1, 2], /must be a JSON object/],
        ['null', /must be a JSON object/],
        ['{"name": "n", ', /not valid JSON/],
        ['', /empty/],
      ];
      for (const [body, msg] of cases) {
        const r = await post(body);
        expect(r.status, JSON.stringify(body)).toBe(400);
        expect(r.json.error.message).toMatch(msg);
      }
      const form = await call(app, 'POST', '/api/zones', { token: planner, body: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(form.status).toBe(415);
      const huge = await post({ name: 'n', geometry, notes: 'x'.repeat(300 * 1024) });
      expect(huge.status).toBe(413);
      expect(huge.json.error.code).toBe('too_large');
      expect((await call(app, 'GET', '/api/zones/abc')).status).toBe(400);
      expect((await call(app, 'GET', '/api/zones/99999999999')).status).toBe(400);
      expect((await call(app, 'GET', '/api/zones/424242')).status).toBe(404);
      expect((await call(app, 'PATCH', '/api/zones/424242', { token: planner, ifMatch: 1, body: { name: 'x' } })).status).toBe(404);
      expect((await call(app, 'PATCH', '/api/zones/1', { token: planner, ifMatch: 'yesterday', body: { name: 'x' } })).status).toBe(400);
      expect((await call(app, 'PATCH', '/api/zones/1', { token: planner, ifMatch: 1, body: {} })).json.error.message).toMatch(/nothing to change/);
      expect((await call(app, 'GET', '/api/zones?limit=0')).status).toBe(400);
      expect((await call(app, 'GET', '/api/zones?limit=5000')).status).toBe(400);
      expect((await call(app, 'GET', '/api/zones?v=3&limit=2')).json.limit).toBe(2); // cache-busting parameters are ignored
      expect(await zoneCount()).toBe(before);
    });
  });

  describe('community scope', () => {
    it('a planner limited to A draws in A (also inside the district around it), not in B or across the border', async () => {
      const inA = await call(app, 'POST', '/api/zones', { token: limitedA, body: { name: 'A内', geometry: box(120.001, 31.001, 120.009, 31.009) } });
      expect(inA.status, inA.text).toBe(201);
      const inB = await call(app, 'POST', '/api/zones', { token: limitedA, body: { name: 'B内', geometry: box(120.011, 31.001, 120.019, 31.009) } });
      expect(inB.status).toBe(403);
      expect(inB.json.error.message).toMatch(new RegExp(`reaches into communities ${fx.b}\\b`));
      const across = await call(app, 'POST', '/api/zones', { token: limitedA, body: { name: '跨界', geometry: box(120.008, 31.001, 120.012, 31.009) } });
      expect(across.status).toBe(403);
      const outside = await call(app, 'POST', '/api/zones', { token: limitedA, body: { name: '外面', geometry: box(121.0, 31.0, 121.001, 31.001) } });
      expect(outside.status).toBe(403);

      // the unlimited planner's zone in B: the limited planner may neither change nor delete it …
      const bz = await call(app, 'POST', '/api/zones', { token: planner, body: { name: 'B区', geometry: box(120.011, 31.001, 120.019, 31.009) } });
      expect(bz.status).toBe(201);
      const p = await call(app, 'PATCH', `/api/zones/${bz.json.id}`, { token: limitedA, ifMatch: 1, body: { name: '抢' } });
      expect(p.status).toBe(403);
      expect((await call(app, 'DELETE', `/api/zones/${bz.json.id}`, { token: limitedA, ifMatch: 1 })).status).toBe(403);
      expect((await call(app, 'GET', `/api/zones/${bz.json.id}`)).json).toMatchObject({ name: 'B区', version: 1 });
      // … nor move their own zone into B
      const move = await call(app, 'PATCH', `/api/zones/${inA.json.id}`, { token: limitedA, ifMatch: 1, body: { geometry: box(120.011, 31.001, 120.019, 31.009) } });
      expect(move.status).toBe(403);
      const own = await call(app, 'PATCH', `/api/zones/${inA.json.id}`, { token: limitedA, ifMatch: 1, body: { name: 'A内（改）', siteIds: [fx.sa] } });
      expect(own.status, own.text).toBe(200);
    });
  });

  describe('atomicity', () => {
    it('a write failing inside its transaction leaves no zone, no audit row and the same data version', async () => {
      const db = getDb();
      const v0 = await dataVersion(db);
      const [{ n: audits0 }] = await db.query('SELECT count(*)::int AS n FROM audit_log');
      const before = await zoneCount();
      const r = await call(app, 'POST', '/api/zones', { token: planner, body: { name: 'ghost', geometry: box(120.001, 31.001, 120.002, 31.002), siteIds: [fx.sa, 987654] } });
      expect(r.status).toBe(400);
      expect(await zoneCount()).toBe(before);
      expect(await dataVersion(db)).toBe(v0);
      expect((await db.query('SELECT count(*)::int AS n FROM audit_log'))[0].n).toBe(audits0);
    });
  });
});
