/**
 * Backup and restore (issue 6): back up a database with the demo district, a saved plan, operations records,
 * users and the audit log; restore it into an empty database (same driver, and PGlite → server when
 * DATABASE_URL is set); every table is identical (row checksums), the plan is the same (assignment rows, summary,
 * a building's plan through the API), new ids continue after the old ones, and a re-run gives the same summary.
 * Restore refuses a non-empty target and a truncated file, leaving the target untouched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Db, Queryable } from '../../server/db/index.ts';
import { dbKinds, openTestDb, type DbKind } from '../helpers/db.ts';
import { loadDemo } from '../../server/demo/load.ts';
import { backup, restore, RestoreRefused } from '../../server/backup/index.ts';
import { tableChecksums } from '../../server/backup/tables.ts';
import { runAndSavePlan } from '../../server/plans/service.ts';
import { call, productApp, userToken } from './helpers.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'cep-backup-'));

/** Checksums with times in UTC, so two drivers (whose sessions may differ in TimeZone) compare equal. */
const checksums = (db: Db) =>
  db.transaction(async (tx) => {
    await tx.exec("SET LOCAL TimeZone = 'UTC'");
    // schema_migrations is the target's own (same versions, its own applied_at): compared by version below
    const sums = await tableChecksums(tx, ['schema_migrations']);
    const versions = (await tx.query('SELECT version FROM schema_migrations ORDER BY version')).map((r) => r.version);
    return { ...sums, schema_migrations: versions } as Record<string, unknown>;
  });

const assignments = (db: Queryable, planId: number) =>
  db.query(
    `SELECT building_id, site_id, nearest_site_id, nearest_distance_m, assigned_distance_m, population, assigned_population,
            walk_s, walk_vulnerable_s, split, reason, encode(ST_AsEWKB(route), 'hex') AS route
       FROM plan_assignments WHERE plan_id = $1 ORDER BY id`,
    [planId],
  );

const withoutMs = (s: any) => {
  const { ms, ...r } = s;
  return r;
};

describe('backup and restore', () => {
  const opened: { drop: () => Promise<void> }[] = [];
  const open = async (kind: DbKind) => {
    const h = await openTestDb(kind);
    opened.push(h);
    return h.db;
  };
  afterAll(async () => {
    for (const h of opened) await h.drop().catch(() => {});
  }, 60_000);

  const sources: Partial<Record<DbKind, { db: Db; file: string; planId: number; sums: Record<string, any>; buildingPlan: any }>> = {};

  beforeAll(async () => {
    for (const kind of dbKinds()) {
      const db = await open(kind);
      const demo = await loadDemo(db);
      const app = productApp(db);
      const admin = await userToken(app, db, 'admin');
      const [{ id: cid }] = await db.query('SELECT id FROM communities ORDER BY id LIMIT 1');
      // operations records and audit rows through the API
      for (const [p, body] of [
        [`/api/communities/${cid}/station`, { name: '工作站', headName: '王', headTitle: '书记' }],
        [`/api/communities/${cid}/volunteers`, { name: '志愿者甲', role: 'core', phone: '13900000000' }],
        ['/api/incidents', { kind: 'road_blocked', location: { lon: 119.972, lat: 31.7825 }, text: '路堵' }],
      ] as const) {
        const r = await call(app, 'POST', p, { token: admin, body });
        expect(r.status, `${p}: ${r.text}`).toBe(201);
      }
      const [{ id: bid }] = await db.query('SELECT building_id AS id FROM plan_assignments WHERE plan_id = $1 AND site_id IS NOT NULL ORDER BY id LIMIT 1', [demo.planId]);
      const buildingPlan = (await call(app, 'GET', `/api/buildings/${bid}/plan`)).json;
      const file = path.join(dir, `${kind}.jsonl.gz`);
      const r = await backup(db, file);
      expect(r.tables.plan_assignments).toBeGreaterThan(0);
      expect(r.tables.audit_log).toBeGreaterThan(0);
      expect(r.tables.users).toBeGreaterThan(0);
      expect(r.tables.ops_volunteers).toBe(1);
      sources[kind] = { db, file, planId: demo.planId!, sums: await checksums(db), buildingPlan };
    }
  }, 600_000);

  const pairs: [DbKind, DbKind][] = dbKinds().length > 1 ? [['pglite', 'pglite'], ['postgres', 'postgres'], ['pglite', 'postgres']] : [['pglite', 'pglite']];
  for (const [from, to] of pairs) {
    it(`restores a ${from} backup into an empty ${to} database: identical tables and plan`, async () => {
      const src = sources[from]!;
      const db = await open(to);
      const r = await restore(db, src.file);
      expect(r.tables.plans).toBeGreaterThan(0);
      const sums = await checksums(db);
      expect(Object.keys(sums).filter((t) => JSON.stringify(sums[t]) !== JSON.stringify(src.sums[t])), 'tables that differ').toEqual([]);
      expect(sums).toEqual(src.sums);
      expect(await assignments(db, src.planId)).toEqual(await assignments(src.db, src.planId));
      const [a] = await src.db.query('SELECT summary, coverage, options FROM plans WHERE id = $1', [src.planId]);
      const [b] = await db.query('SELECT summary, coverage, options FROM plans WHERE id = $1', [src.planId]);
      expect(b).toEqual(a);
      // the API answers the same for a resident's building
      const app = productApp(db);
      const bid = src.buildingPlan.building.id;
      expect((await call(app, 'GET', `/api/buildings/${bid}/plan`)).json).toEqual(src.buildingPlan);
      // users can sign in with their old passwords? (hashes restored) — and new ids continue after the old ones
      const [{ max }] = await db.query('SELECT max(id)::int AS max FROM plans');
      const again = await runAndSavePlan(db, { hazard: 'earthquake', name: 'after restore' });
      expect(again.id).toBe(max + 1);
      expect(withoutMs(again.summary)).toEqual(withoutMs(a.summary));
      const [{ n }] = await db.query('SELECT count(*)::int AS n FROM plan_assignments WHERE plan_id = $1', [again.id]);
      expect(n).toBe((await assignments(src.db, src.planId)).length);
    }, 300_000);
  }

  it('refuses a database that is not empty, and a truncated file; the target is left as it was', async () => {
    const kind = dbKinds()[dbKinds().length - 1];
    const src = sources[kind]!;
    await expect(restore(src.db, src.file)).rejects.toThrow(RestoreRefused);
    expect(await checksums(src.db)).toEqual(src.sums);
    // cut the file before its end marker
    const text = gunzipSync(readFileSync(src.file)).toString('utf8').split('\n');
    const cut = path.join(dir, 'cut.jsonl.gz');
    writeFileSync(cut, gzipSync(text.slice(0, Math.floor(text.length * 0.8)).join('\n')));
    const empty = await open(kind);
    const before = await checksums(empty);
    await expect(restore(empty, cut)).rejects.toThrow(/incomplete|damaged/);
    expect(await checksums(empty)).toEqual(before);
  }, 300_000);
});
