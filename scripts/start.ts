/**
 * `npm start`: build the web app if needed, open the database (embedded by default), load the demo district and a
 * first plan into an empty database, and serve the app and the API on one port.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { openDb } from '../server/db/index.ts';
import { REPO_ROOT, startServer } from '../server/main.ts';
import { loadDemo } from '../server/demo/load.ts';
import { startPrefaulter } from '../server/plans/prefault.ts';
import { startSearchHelper } from '../server/plans/search-helper.ts';

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

async function main() {
  // worker threads: one takes part of the engine's searches, one faults its new memory in where huge pages are in
  // effect (opt-in; README)
  startPrefaulter();
  startSearchHelper();
  await ensureWebBuilt();
  const db = await openDb();
  const [{ n }] = await db.query('SELECT count(*)::int AS n FROM buildings');
  if (n === 0) {
    const demo = await loadDemo(db);
    console.log(
      `Demo district loaded: ${demo.osm.buildings} buildings, ${demo.osm.sites + demo.cd.sites} sites, ` +
        `${demo.osm.roadEdges} path segments; first plan #${demo.planId} (${demo.ms} ms)`,
    );
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
