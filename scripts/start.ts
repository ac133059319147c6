/**
 * `npm start`: build the web app if needed, open the database (embedded by default), load the demo district and a
 * first plan into an empty database, and serve the app and the API on one port.
 */
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { openDb, type Db } from '../server/db/index.ts';
import { REPO_ROOT, startServer } from '../server/main.ts';
import { tmpdir } from 'node:os';
import { writeDistrict } from './gen-district.ts';
import { DEFAULT_SEED } from '../server/demo/district.ts';
import { importFile } from '../server/import/index.ts';
import { runAndSavePlan } from '../server/plans/service.ts';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Build dist/web when it is missing or older than the sources (web/, the engine it bundles, vite.config.ts). */
async function ensureWebBuilt() {
  const index = path.join(REPO_ROOT, 'dist/web/index.html');
  const sources = Math.max(
    newestMtime(path.join(REPO_ROOT, 'web')),
    newestMtime(path.join(REPO_ROOT, 'server/engine')),
    statSync(path.join(REPO_ROOT, 'vite.config.ts')).mtimeMs,
  );
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  console.log('Building the web app …');
  const { build } = await import('vite');
  await build({ configFile: path.join(REPO_ROOT, 'vite.config.ts'), logLevel: 'warn' });
}

/** Demo district → OSM XML + civil-defence CSV → the same importer as real data → a first earthquake plan. */
export async function loadDemo(db: Db, dir: string) {
  const t0 = performance.now();
  const gen = await writeDistrict(dir, 'demo', DEFAULT_SEED);
  const osm = await importFile(db, gen.files.osm, {});
  const cd = await importFile(db, gen.files.csv, { mapping: 'cn-civil-defence' });
  const plan = await runAndSavePlan(db, { hazard: 'earthquake', name: '演示：地震疏散计划' });
  console.log(
    `Demo district loaded: ${osm.buildings} buildings, ${osm.sites + cd.sites} sites, ${osm.roadEdges} path segments; ` +
      `first plan #${plan.id} in ${Math.round(performance.now() - t0)} ms`,
  );
}

async function main() {
  await ensureWebBuilt();
  const db = await openDb();
  const [{ n }] = await db.query('SELECT count(*)::int AS n FROM buildings');
  if (n === 0) {
    await loadDemo(db, mkdtempSync(path.join(tmpdir(), 'cep-demo-')));
  }
  const port = Number(process.env.PORT ?? 8080);
  const server = await startServer({ db, port, host: process.env.HOST ?? '0.0.0.0' });
  console.log(`社区疏散规划 is running: http://localhost:${server.port}/  (database: ${db.kind})`);
  const stop = async () => {
    await server.close();
    await db.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
