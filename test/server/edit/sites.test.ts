import { beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import { forEachDb } from '../../helpers/db.ts';
import { DEFAULT_CAPACITY_PARAMS, effectiveArea, siteCapacity } from '../../../server/domain/capacity.ts';
import { auditRows, box, call, dataVersion, editApp, insertFixture, rectWkt, userToken, type EditFixture } from './helpers.ts';

forEachDb('edit: sites and buildings', (getDb) => {
  let app: Hono;
  let fx: EditFixture;
  let planner: string;
  let inspector: string;
  let limitedA: string;

  beforeAll(async () => {
    const db = getDb();
    app = editApp(db);
    fx = await insertFixture(db);
    planner = await userToken(app, db, 'planner');
    inspector = await userToken(app, db, 'inspector');
    limitedA = await userToken(app, db, 'planner', [fx.a]);
  });

  const siteRow = async (id: number) => (await getDb().query('SELECT * FROM sites WHERE id = $1', [id]))[0];
  const areaOf = async (wktOrGeoJson: string) =>
    Number(
      (
        await getDb().query(
          `SELECT ST_Area((CASE WHEN $1 LIKE '{%' THEN ST_SetSRID(ST_GeomFromGeoJSON($1), 4326) ELSE ST_GeomFromText($1, 4326) END)::geography) AS a`,
          [wktOrGeoJson],
        )
      )[0].a,
    );

  describe('polygon site', () => {
    let id: number;
    const geometry = box(120.003, 31.003, 120.0045, 31.0045);
    const inside = rectWkt(120.0035, 31.0035, 120.0038, 31.0037);

    beforeAll(async () => {
      // a building standing inside the park: its footprint is not open space
      await getDb().query(
        `INSERT INTO buildings (name, use, footprint_m2, community_id, geom) VALUES ('茶室', 'retail', 0, $1, ST_GeomFromText($2, 4326))`,
        [fx.a, inside],
      );
    });

    it('computes area (geography), effective area and capacity by the domain rules', async () => {
      const db = getDb();
      const v0 = await dataVersion(db);
      const r = await call(app, 'POST', '/api/sites', {
        token: planner,
        body: { name: '新公园', kind: 'park', level: 'emergency', geometry, hazards: ['earthquake', 'fire', 'fire'] },
      });
      expect(r.status, r.text).toBe(201);
      expect(r.headers.get('etag')).toBe('"1"');
      id = r.json.id;
      const area = await areaOf(JSON.stringify(geometry));
      const bld = await areaOf(inside);
      const eff = effectiveArea({ kind: 'park', areaM2: area, buildingsM2: bld, waterM2: 0 });
      const cap = siteCapacity({ kind: 'park', level: 'emergency', effectiveAreaM2: eff });
      // the rule itself: (area − buildings) × (1 − 0.2 unmapped obstacles) ÷ 1 m² per person (GB 50413-2007 §8.2.8)
      expect(cap).toBe(Math.floor((area - bld) * (1 - DEFAULT_CAPACITY_PARAMS.unmappedObstacleShare) / 1));
      expect(cap).toBeGreaterThan(15_000);
      expect(r.json).toMatchObject({
        name: '新公园', kind: 'park', level: 'emergency', status: 'open', designated: true, source: 'manual',
        hazards: ['earthquake', 'fire'], capacity: cap, capacityOverride: null, effectiveCapacity: cap,
        effectiveAreaSource: 'computed', communityId: fx.a, version: 1,
      });
      expect(r.json.areaM2).toBeCloseTo(area, 0);
      expect(r.json.effectiveAreaM2).toBeCloseTo(eff, 0);
      const row = await siteRow(id);
      expect(row.capacity).toBe(cap);
      expect(row.area_m2).toBeCloseTo(area, 3);
      expect(row.community_id).toBe(fx.a);
      expect(await dataVersion(db)).toBe(v0 + 1);
      expect((await auditRows(db, 'sites', id))[0]).toMatchObject({ action: 'create', before: null });
    });

    it('PATCH recomputes on level, kind and effective area; override and status do not touch the computed capacity', async () => {
      const row0 = await siteRow(id);
      const eff = Number(row0.effective_area_m2);
      let v = 1;
      const patch = async (body: object) => {
        const r = await call(app, 'PATCH', `/api/sites/${id}`, { token: planner, ifMatch: v, body });
        expect(r.status, r.text).toBe(200);
        expect(r.json.version).toBe(++v);
        expect(r.headers.get('etag')).toBe(`"${v}"`);
        return r.json;
      };
      // fixed shelters need 2 m² per person (GB 50413-2007 §8.2.9)
      expect((await patch({ level: 'fixed' })).capacity).toBe(siteCapacity({ kind: 'park', level: 'fixed', effectiveAreaM2: eff }));
      let s = await patch({ capacityOverride: 1234, status: 'closed' });
      expect(s).toMatchObject({ capacityOverride: 1234, effectiveCapacity: 1234, status: 'closed', capacity: Math.floor(eff / 2) });
      s = await patch({ capacityOverride: null, status: 'open', designated: false });
      expect(s).toMatchObject({ capacityOverride: null, effectiveCapacity: Math.floor(eff / 2), status: 'open', designated: false });
      s = await patch({ effectiveAreaM2: 5000 });
      expect(s).toMatchObject({ effectiveAreaM2: 5000, effectiveAreaSource: 'planner', capacity: 2500 });
      s = await patch({ level: 'emergency' }); // the planner's effective area stays until cleared
      expect(s).toMatchObject({ effectiveAreaM2: 5000, capacity: 5000 });
      s = await patch({ effectiveAreaM2: null });
      expect(s).toMatchObject({ effectiveAreaSource: 'computed', capacity: Math.floor(eff) });
      // civil-defence works count their whole floor area at 1 m² per person (GB 50225, unconfirmed)
      const area = Number(row0.area_m2);
      s = await patch({ kind: 'civil_defence_work' });
      expect(s.capacity).toBe(Math.floor(area));
      s = await patch({ kind: 'park' });
      expect(s.capacity).toBe(Math.floor(eff));
      // a new geometry is measured again (no building inside any more)
      const g2 = box(120.006, 31.006, 120.007, 31.007);
      s = await patch({ geometry: g2 });
      const a2 = await areaOf(JSON.stringify(g2));
      expect(s.capacity).toBe(siteCapacity({ kind: 'park', level: 'emergency', effectiveAreaM2: effectiveArea({ kind: 'park', areaM2: a2 }) }));
      const audits = await auditRows(getDb(), 'sites', id);
      expect(audits.length).toBe(v);
      expect(audits.at(-1)!.before.geometry).toMatchObject({ type: 'MultiPolygon' });
      expect(audits.at(-1)!.before.geometry.coordinates[0][0][2]).toEqual([120.0045, 31.0045]);
      expect(audits.at(-1)!.after.geometry.coordinates[0][0][2]).toEqual([120.007, 31.007]);
    });

    it('stale If-Match → 409 and nothing changes; missing → 428', async () => {
      const db = getDb();
      const before = await siteRow(id);
      const v0 = await dataVersion(db);
      const s = await call(app, 'PATCH', `/api/sites/${id}`, { token: planner, ifMatch: 1, body: { status: 'closed' } });
      expect(s.status).toBe(409);
      expect(s.json.error.details.current).toMatchObject({ id, version: before.version, status: 'open' });
      expect((await call(app, 'PATCH', `/api/sites/${id}`, { token: planner, body: { status: 'closed' } })).status).toBe(428);
      expect(await siteRow(id)).toEqual(before);
      expect(await dataVersion(db)).toBe(v0);
    });
  });

  describe('point sites', () => {
    it('need capacityOverride or effectiveAreaM2', async () => {
      const point = { type: 'Point', coordinates: [120.002, 31.008] };
      const none = await call(app, 'POST', '/api/sites', { token: planner, body: { name: '人防', kind: 'civil_defence_work', level: 'emergency', geometry: point } });
      expect(none.status).toBe(400);
      expect(none.json.error.message).toMatch(/capacityOverride .* or effectiveAreaM2/);
      const withArea = await call(app, 'POST', '/api/sites', {
        token: planner,
        body: { name: '人防工程', kind: 'civil_defence_work', level: 'emergency', geometry: point, effectiveAreaM2: 800 },
      });
      expect(withArea.status, withArea.text).toBe(201);
      expect(withArea.json).toMatchObject({ areaM2: 0, effectiveAreaM2: 800, capacity: 800, communityId: fx.a });
      // clearing the only source of its capacity is refused
      const clear = await call(app, 'PATCH', `/api/sites/${withArea.json.id}`, { token: planner, ifMatch: 1, body: { effectiveAreaM2: null } });
      expect(clear.status).toBe(400);
      const withOverride = await call(app, 'POST', '/api/sites', {
        token: planner,
        body: { name: '集合点', kind: 'assembly_point', level: 'emergency', geometry: point, capacityOverride: 300 },
      });
      expect(withOverride.status).toBe(201);
      expect(withOverride.json).toMatchObject({ capacity: 0, capacityOverride: 300, effectiveCapacity: 300 });
    });

    it('names bad fields', async () => {
      const geometry = { type: 'Point', coordinates: [120.002, 31.008] };
      const cases: [unknown, RegExp][] = [
        [{ name: 'x', kind: 'forest', level: 'emergency', geometry, capacityOverride: 1 }, /kind: expected one of green_space/],
        [{ name: 'x', kind: 'park', level: 'central', geometry, capacityOverride: 1 }, /level: expected emergency or fixed/],
        [{ name: 'x', kind: 'park', level: 'fixed', geometry, capacityOverride: -1 }, /capacityOverride/],
        [{ name: 'x', kind: 'park', level: 'fixed', geometry, capacityOverride: '10' }, /capacityOverride: expected a whole number/],
        [{ name: 'x', kind: 'park', level: 'fixed', geometry, effectiveAreaM2: 'big' }, /effectiveAreaM2: expected square metres/],
        [{ name: 'x', kind: 'park', level: 'fixed', geometry, status: 'shut', capacityOverride: 1 }, /status: expected open or closed/],
        [{ name: 'x', kind: 'park', level: 'fixed', geometry, hazards: ['zombies'], capacityOverride: 1 }, /hazards\[0\]/],
        [{ name: 'x', kind: 'park', level: 'fixed', geometry: { type: 'LineString', coordinates: [[0, 0], [1, 1]] } }, /geometry\.type: expected Point or Polygon or MultiPolygon/],
        [{ name: 'x', kind: 'park', level: 'fixed', geometry: { type: 'Point', coordinates: [181, 0] }, capacityOverride: 1 }, /geometry\.coordinates: longitude 181/],
        [{ kind: 'park', level: 'fixed', geometry, capacityOverride: 1 }, /name/],
      ];
      for (const [body, msg] of cases) {
        const r = await call(app, 'POST', '/api/sites', { token: planner, body });
        expect(r.status, JSON.stringify(body)).toBe(400);
        expect(r.json.error.message).toMatch(msg);
      }
      expect((await call(app, 'PATCH', '/api/sites/987654', { token: planner, ifMatch: 1, body: { status: 'closed' } })).status).toBe(404);
      expect((await call(app, 'DELETE', '/api/sites/987654', { token: planner, ifMatch: 1 })).status).toBe(404);
    });
  });

  describe('deleting a site', () => {
    it('removes it from zones.site_ids in the same transaction (zone versions bumped, audited)', async () => {
      const db = getDb();
      const s = await call(app, 'POST', '/api/sites', { token: planner, body: { name: '临时', kind: 'square', level: 'emergency', geometry: box(120.002, 31.006, 120.0025, 31.0065) } });
      expect(s.status).toBe(201);
      const z = await call(app, 'POST', '/api/zones', { token: planner, body: { name: '含临时', geometry: box(120.001, 31.005, 120.003, 31.007), siteIds: [fx.sa, s.json.id] } });
      expect(z.status, z.text).toBe(201);
      expect((await call(app, 'DELETE', `/api/sites/${s.json.id}`, { token: planner })).status).toBe(428);
      expect((await call(app, 'DELETE', `/api/sites/${s.json.id}`, { token: inspector, ifMatch: 1 })).status).toBe(403);
      const v0 = await dataVersion(db);
      const d = await call(app, 'DELETE', `/api/sites/${s.json.id}`, { token: planner, ifMatch: 1 });
      expect(d.status, d.text).toBe(200);
      expect(d.json.zonesChanged).toEqual([{ id: z.json.id, version: 2, siteIds: [fx.sa] }]);
      expect(await siteRow(s.json.id)).toBeUndefined();
      expect((await call(app, 'GET', `/api/zones/${z.json.id}`)).json).toMatchObject({ siteIds: [fx.sa], version: 2 });
      expect(await dataVersion(db)).toBe(v0 + 1);
      expect((await auditRows(db, 'sites', s.json.id)).at(-1)).toMatchObject({ action: 'delete', after: null });
      expect((await auditRows(db, 'zones', z.json.id)).at(-1)).toMatchObject({
        action: 'update',
        before: { version: 1, siteIds: [fx.sa, s.json.id] },
        after: { version: 2, siteIds: [fx.sa] },
      });
    });
  });

  describe('buildings', () => {
    it('PATCH populationOverride and name with If-Match; null clears; stale 409; bad values 400', async () => {
      const db = getDb();
      const get = await call(app, 'GET', `/api/buildings/${fx.ba}`);
      expect(get.status).toBe(200);
      expect(get.headers.get('etag')).toBe('"1"');
      expect(get.json).toMatchObject({ populationEstimate: 120, populationOverride: null, population: 120 });
      expect((await call(app, 'PATCH', `/api/buildings/${fx.ba}`, { token: planner, body: { populationOverride: 80 } })).status).toBe(428);
      const v0 = await dataVersion(db);
      const r = await call(app, 'PATCH', `/api/buildings/${fx.ba}`, { token: planner, ifMatch: 1, body: { populationOverride: 80, name: '1号楼（东）' } });
      expect(r.status, r.text).toBe(200);
      expect(r.json).toMatchObject({ populationOverride: 80, population: 80, name: '1号楼（东）', version: 2 });
      expect(await dataVersion(db)).toBe(v0 + 1);
      const st = await call(app, 'PATCH', `/api/buildings/${fx.ba}`, { token: planner, ifMatch: 1, body: { populationOverride: 10 } });
      expect(st.status).toBe(409);
      expect(st.json.error.details.current).toMatchObject({ populationOverride: 80, version: 2 });
      for (const bad of [{ populationOverride: -1 }, { populationOverride: 2.5 }, { populationOverride: '80' }, { populationOverride: 1e9 }]) {
        const b = await call(app, 'PATCH', `/api/buildings/${fx.ba}`, { token: planner, ifMatch: 2, body: bad });
        expect(b.status).toBe(400);
        expect(b.json.error.message).toMatch(/populationOverride/);
      }
      const cleared = await call(app, 'PATCH', `/api/buildings/${fx.ba}`, { token: planner, ifMatch: 2, body: { populationOverride: null } });
      expect(cleared.json).toMatchObject({ populationOverride: null, population: 120, version: 3 });
      const audits = await auditRows(db, 'buildings', fx.ba);
      expect(audits.map((a) => a.action)).toEqual(['update', 'update']);
      expect(audits[0].before).toMatchObject({ populationOverride: null });
      expect(audits[0].after).toMatchObject({ populationOverride: 80 });
      expect((await call(app, 'PATCH', `/api/buildings/${fx.ba}`, { ifMatch: 3, body: { populationOverride: 1 } })).status).toBe(401);
      expect((await call(app, 'PATCH', `/api/buildings/${fx.ba}`, { token: inspector, ifMatch: 3, body: { populationOverride: 1 } })).status).toBe(403);
      expect((await call(app, 'PATCH', '/api/buildings/987654', { token: planner, ifMatch: 1, body: { populationOverride: 1 } })).status).toBe(404);
    });
  });

  describe('community scope', () => {
    it('a planner limited to A edits sites and buildings in A only, and cannot move a site out of A', async () => {
      const db = getDb();
      const inB = await call(app, 'POST', '/api/sites', { token: limitedA, body: { name: 'B新', kind: 'square', level: 'emergency', geometry: box(120.012, 31.002, 120.013, 31.003) } });
      expect(inB.status).toBe(403);
      expect(inB.json.error.message).toMatch(new RegExp(`community ${fx.b}`));
      const sb0 = await siteRow(fx.sb);
      const p = await call(app, 'PATCH', `/api/sites/${fx.sb}`, { token: limitedA, ifMatch: 1, body: { status: 'closed' } });
      expect(p.status).toBe(403);
      expect((await call(app, 'DELETE', `/api/sites/${fx.sb}`, { token: limitedA, ifMatch: 1 })).status).toBe(403);
      expect(await siteRow(fx.sb)).toEqual(sb0);
      expect((await call(app, 'PATCH', `/api/buildings/${fx.bb}`, { token: limitedA, ifMatch: 1, body: { populationOverride: 5 } })).status).toBe(403);

      const sa = await call(app, 'GET', `/api/sites/${fx.sa}`);
      const move = await call(app, 'PATCH', `/api/sites/${fx.sa}`, { token: limitedA, ifMatch: sa.json.version, body: { geometry: box(120.015, 31.007, 120.016, 31.008) } });
      expect(move.status).toBe(403);
      const ok = await call(app, 'PATCH', `/api/sites/${fx.sa}`, { token: limitedA, ifMatch: sa.json.version, body: { status: 'closed' } });
      expect(ok.status, ok.text).toBe(200);
      const own = await call(app, 'POST', '/api/sites', { token: limitedA, body: { name: 'A新', kind: 'square', level: 'emergency', geometry: box(120.002, 31.002, 120.003, 31.003) } });
      expect(own.status, own.text).toBe(201);
      expect(own.json.communityId).toBe(fx.a);
      const bb = (await db.query('SELECT version FROM buildings WHERE id = $1', [fx.ba]))[0].version;
      expect((await call(app, 'PATCH', `/api/buildings/${fx.ba}`, { token: limitedA, ifMatch: bb, body: { name: 'A楼' } })).status).toBe(200);
    });
  });

  describe('no 5xx on malformed requests', () => {
    it('answers over a thousand generated bad requests with 4xx and a message', async () => {
      const values: unknown[] = [null, true, 0, -1, 1.5, 1e308, '', 'x', [], {}, [[]], [[[]]], { type: 'Polygon' }, { type: 'Polygon', coordinates: [[[0, 0], [0, 0], [0, 0], [0, 0]]] }, { type: 'Point', coordinates: [NaN, 0] }];
      const fields = ['name', 'kind', 'level', 'geometry', 'status', 'hazards', 'capacityOverride', 'effectiveAreaM2', 'designated', 'siteIds', 'populationOverride', 'version'];
      const paths: [string, string][] = [['POST', '/api/sites'], ['PATCH', `/api/sites/${fx.sa}`], ['POST', '/api/zones'], ['PATCH', '/api/zones/1'], ['PUT', '/api/zones/1'], ['PATCH', `/api/buildings/${fx.bb}`]];
      let n = 0;
      let bad = 0;
      for (const [method, path] of paths) {
        for (const f of fields) {
          for (const v of values) {
            const body: Record<string, unknown> = { name: 'n', kind: 'park', level: 'emergency', geometry: { type: 'Point', coordinates: [120.001, 31.001] }, [f]: v };
            const r = await call(app, method, path, { token: planner, ifMatch: 999, body });
            n++;
            // a few combinations are valid (e.g. a point site with capacityOverride 0): those may succeed
            expect(r.status, `${method} ${path} ${f}=${JSON.stringify(v)}: ${r.text}`).toBeLessThan(500);
            if (r.status >= 400) {
              bad++;
              expect(r.json.error.message.length).toBeGreaterThan(5);
            }
          }
        }
      }
      expect(n).toBeGreaterThan(1000);
      expect(bad).toBeGreaterThan(n * 0.9);
    }, 300_000);
  });
});
