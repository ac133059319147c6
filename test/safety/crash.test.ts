/**
 * Crash safety (issue 6): a child process (test/safety/crash-child.ts) opens the database and runs a plan save or
 * an OSM import of a generated district; the test SIGKILLs it in the middle of the operation's transaction and
 * right after its commit, on the embedded database (a DATA_DIR in a temp dir) and on the server database (a
 * schema), then reopens the database and finds either the old state (every table's checksum as before) or the
 * complete new state (the whole plan / the whole district, with every earlier record of the other tables intact),
 * never a mix. CRASH_BUILDINGS sets the generated district's size (default 1,500 buildings).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { openDb, type Db } from '../../server/db/index.ts';
import { loadDemo } from '../../server/demo/load.ts';
import { writeDistrict } from '../../scripts/gen-district.ts';
import { tableChecksums, listTables, quoteIdent } from '../../server/backup/tables.ts';
import { dbKinds, type DbKind } from '../helpers/db.ts';

const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
const BUILDINGS = Number(process.env.CRASH_BUILDINGS ?? 1500);
const tmp = mkdtempSync(path.join(tmpdir(), 'cep-crash-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Run the child with CRASH_AT (it SIGKILLs itself there); resolves with its markers and how it ended. */
function runChild(env: NodeJS.ProcessEnv, args: string[], crashAt: string): Promise<{ markers: string[]; signal: string | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { env: { ...process.env, ...env, CRASH_AT: crashAt }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (_code, signal) => resolve({ markers: out.split('\n').map((l) => l.trim()).filter(Boolean), signal, stderr }));
  });
}

/** md5 of every row of every table, to check that earlier records survive (as a multiset per table). */
async function rowHashes(db: Db): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const t of await listTables(db)) {
    out[t.name] = (await db.query<{ h: string }>(`SELECT md5(x::text) AS h FROM ${quoteIdent(t.name)} x ORDER BY 1`)).map((r) => r.h);
  }
  return out;
}

const VOLATILE = ['sessions', 'login_attempts'];

for (const kind of dbKinds()) {
  describe(`crash safety [${kind}]`, () => {
    const schema = `crash_${randomBytes(5).toString('hex')}`;
    const dataDir = path.join(tmp, `data-${kind}`);
    const env: NodeJS.ProcessEnv = kind === 'postgres' ? { CEP_SCHEMA: schema, DATA_DIR: '' } : { DATA_DIR: dataDir, DATABASE_URL: '' };
    const open = () => (kind === 'postgres' ? openDb({ url: process.env.DATABASE_URL!, schema }) : openDb({ dataDir }));
    /** Open, run `fn`, close (the embedded database allows one process at a time). */
    const withDb = async <T,>(fn: (db: Db) => Promise<T>): Promise<T> => {
      const db = await open();
      try {
        return await fn(db);
      } finally {
        await db.close();
      }
    };
    let district: Awaited<ReturnType<typeof writeDistrict>>;
    let planRows: { assignments: number; features: number };

    afterAll(async () => {
      if (kind === 'postgres') await withDb((db) => db.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
    }, 60_000);

    it('sets up the demo district with a plan, and a bigger district to import', async () => {
      district = await writeDistrict(path.join(tmp, `district-${kind}`), BUILDINGS, 7);
      await withDb(async (db) => {
        const demo = await loadDemo(db);
        const [a] = await db.query('SELECT count(*)::int AS n FROM plan_assignments WHERE plan_id = $1', [demo.planId]);
        const [f] = await db.query('SELECT count(*)::int AS n FROM plan_features WHERE plan_id = $1', [demo.planId]);
        planRows = { assignments: a.n, features: f.n };
        expect(a.n).toBeGreaterThan(0);
      });
    }, 300_000);

    /** After a kill: the old state exactly, or the new one complete (checked by `complete`) with earlier rows intact. */
    async function oldOrNew(db: Db, before: { sums: Record<string, unknown>; rows: Record<string, string[]> }, changes: string[], complete: (db: Db) => Promise<void>) {
      const sums = await tableChecksums(db, VOLATILE);
      if (JSON.stringify(sums) === JSON.stringify(before.sums)) return 'old';
      await complete(db);
      const now = await rowHashes(db);
      for (const [t, hs] of Object.entries(before.rows)) {
        if (changes.includes(t) || VOLATILE.includes(t)) continue;
        const have = new Map<string, number>();
        for (const h of now[t]) have.set(h, (have.get(h) ?? 0) + 1);
        const missing = hs.filter((h) => {
          const n = have.get(h) ?? 0;
          have.set(h, n - 1);
          return n <= 0;
        });
        expect(missing.length, `${t}: earlier rows lost or changed`).toBe(0);
      }
      return 'new';
    }

    const planComplete = async (db: Db) => {
      const [p] = await db.query('SELECT id, summary FROM plans ORDER BY id DESC LIMIT 1');
      expect(p.summary.buildings).toBeGreaterThan(0);
      const [a] = await db.query('SELECT count(*)::int AS n FROM plan_assignments WHERE plan_id = $1', [p.id]);
      const [f] = await db.query('SELECT count(*)::int AS n FROM plan_features WHERE plan_id = $1', [p.id]);
      expect({ assignments: a.n, features: f.n }).toEqual(planRows);
    };
    const importComplete = async (db: Db) => {
      const [r] = await db.query('SELECT status, stats FROM import_runs ORDER BY id DESC LIMIT 1');
      expect(r.status).toBe('done');
      const [{ n }] = await db.query('SELECT count(*)::int AS n FROM buildings WHERE osm_id IS NOT NULL');
      expect(n).toBe(district.buildings);
    };

    // plan save writes: plans row, assignment chunks, feature chunks, data version; import: run row, deletes, batches
    const cases: { name: string; args: () => string[]; crashAt: string; expect: 'old' | 'new'; changes: string[]; complete: (db: Db) => Promise<void> }[] = [
      { name: 'plan save, killed inside its transaction (after its assignments were written)', args: () => ['plan'], crashAt: 'write:2', expect: 'old', changes: ['data_version'], complete: planComplete },
      { name: 'plan save, killed right after its commit', args: () => ['plan'], crashAt: 'commit', expect: 'new', changes: ['data_version'], complete: planComplete },
      { name: 'import, killed inside its transaction (after 12 write statements)', args: () => ['import', district.files.osm], crashAt: 'write:12', expect: 'old', changes: [], complete: importComplete },
      {
        name: 'import, killed right after its commit',
        args: () => ['import', district.files.osm],
        crashAt: 'commit',
        expect: 'new',
        // an OSM import replaces the earlier OSM map data (and bumps the data version); everything else stays
        changes: ['data_version', 'buildings', 'sites', 'road_nodes', 'road_edges', 'communities'],
        complete: importComplete,
      },
    ];
    for (const c of cases) {
      it(`${c.name}: old or complete new state after restart, earlier records intact`, async () => {
        const before = await withDb(async (db) => ({ sums: await tableChecksums(db, VOLATILE), rows: await rowHashes(db) }));
        const run = await runChild(env, c.args(), c.crashAt);
        expect(run.signal, `child was not killed: ${run.markers.join(',')} ${run.stderr.slice(-2000)}`).toBe('SIGKILL');
        expect(run.markers.some((m) => m.startsWith('KILL'))).toBe(true);
        expect(run.markers).not.toContain(`DONE`);
        if (c.expect === 'old') expect(run.markers).not.toContain('TX_COMMITTED');
        const state = await withDb(async (db) => {
          const s = await oldOrNew(db, before, c.changes, c.complete);
          // the database still works: a read and a write
          await db.transaction(async (tx) => {
            await tx.query('SELECT count(*) FROM buildings');
            await tx.query('UPDATE data_version SET updated_at = updated_at WHERE id = 1');
          });
          return s;
        });
        expect(state).toBe(c.expect);
        console.log(`[crash ${kind}] ${c.name}: ${state} state (${run.markers.filter((m) => !m.startsWith('WRITE')).join(',')}, ${run.markers.filter((m) => m.startsWith('WRITE')).length} writes)`);
      }, 600_000);
    }
  });
}
