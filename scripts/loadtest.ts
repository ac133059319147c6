/**
 * Loopback load test of the real server (issue 6): the resident lookup (GET /api/nearest with random points in
 * the district, GET /api/buildings/:id/plan with random buildings) and map tiles (random z14–16 tiles of the
 * district), with autocannon against a server running in a child process on 127.0.0.1.
 *
 *   npx tsx scripts/loadtest.ts [--db pglite|server] [--size demo|N] [--duration 10] [--connections 10] [--json]
 *
 * --db server uses DATABASE_URL (a fresh schema, dropped afterwards); pglite an in-memory embedded database.
 * The district (demo, or a generated one of N buildings) and a first plan are loaded before the clock starts.
 * Prints req/s, p50/p90/p99/max latency, errors and non-2xx per scenario; exits 1 on any error or non-2xx answer,
 * or (with --target) when the lookup misses ≥ 500 req/s at p99 ≤ 20 ms. Only loopback addresses are used.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const SELF = fileURLToPath(import.meta.url);

interface ServeInfo {
  url: string;
  bbox: [number, number, number, number];
  buildingIds: number[];
  dataVersion: number;
  loadMs: number;
  counts: Record<string, number>;
}

/** Child mode: open the database, load the district and a plan, serve, print one JSON line, wait for SIGTERM. */
async function serve(opts: { db: string; size: string; schema?: string }) {
  const { openDb } = await import('../server/db/index.ts');
  const { startServer } = await import('../server/main.ts');
  const { writeDistrict } = await import('./gen-district.ts');
  const { importFile } = await import('../server/import/index.ts');
  const { runAndSavePlan } = await import('../server/plans/service.ts');
  const { parseSize, DEFAULT_SEED } = await import('../server/demo/district.ts');
  const db = opts.db === 'server' ? await openDb({ url: process.env.DATABASE_URL!, schema: opts.schema }) : await openDb({ dataDir: 'memory://' });
  const t0 = performance.now();
  const gen = await writeDistrict(mkdtempSync(path.join(tmpdir(), 'cep-load-')), parseSize(opts.size), DEFAULT_SEED);
  await importFile(db, gen.files.osm);
  await importFile(db, gen.files.csv, { mapping: 'cn-civil-defence' });
  await runAndSavePlan(db, { hazard: 'earthquake', name: 'load test' });
  const loadMs = Math.round(performance.now() - t0);
  const ids = (await db.query<{ id: number }>('SELECT DISTINCT building_id AS id FROM plan_assignments ORDER BY 1')).map((r) => r.id);
  const [bb] = await db.query('SELECT ST_XMin(e) AS x0, ST_YMin(e) AS y0, ST_XMax(e) AS x1, ST_YMax(e) AS y1 FROM (SELECT ST_Extent(geom) AS e FROM buildings) s');
  const [{ version }] = await db.query('SELECT version FROM data_version WHERE id = 1');
  const counts: Record<string, number> = {};
  for (const t of ['buildings', 'sites', 'road_edges', 'plan_assignments']) counts[t] = (await db.query(`SELECT count(*)::int AS n FROM ${t}`))[0].n;
  const server = await startServer({ db, port: 0, host: '127.0.0.1' });
  const info: ServeInfo = { url: server.url, bbox: [bb.x0, bb.y0, bb.x1, bb.y1], buildingIds: ids, dataVersion: version, loadMs, counts };
  process.stdout.write(JSON.stringify(info) + '\n');
  const stop = async () => {
    await server.close();
    if (opts.db === 'server' && opts.schema) await db.exec(`DROP SCHEMA IF EXISTS ${opts.schema} CASCADE`);
    await db.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

function lon2tile(lon: number, z: number) {
  return Math.floor(((lon + 180) / 360) * 2 ** z);
}
function lat2tile(lat: number, z: number) {
  const r = (lat * Math.PI) / 180;
  return Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * 2 ** z);
}

async function main() {
  const { values } = parseArgs({
    options: {
      db: { type: 'string', default: process.env.DATABASE_URL ? 'server' : 'pglite' },
      size: { type: 'string', default: 'demo' },
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '10' },
      json: { type: 'boolean', default: false },
      target: { type: 'boolean', default: false },
      serve: { type: 'boolean', default: false },
      schema: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.error('usage: npx tsx scripts/loadtest.ts [--db pglite|server] [--size demo|N] [--duration S] [--connections N] [--json] [--target]');
    process.exit(0);
  }
  if (values.serve) return serve({ db: values.db!, size: values.size!, schema: values.schema });
  if (values.db === 'server' && !process.env.DATABASE_URL) throw new Error('--db server needs DATABASE_URL');
  // @ts-expect-error autocannon ships no type declarations
  const { default: autocannon } = await import('autocannon');

  // the server in its own process, so the load generator does not share its event loop
  const schema = values.db === 'server' ? `load_${randomBytes(5).toString('hex')}` : undefined;
  const child = spawn(process.execPath, [...process.execArgv, SELF, '--serve', '--db', values.db!, '--size', values.size!, ...(schema ? ['--schema', schema] : [])], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const info: ServeInfo = await new Promise((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d) => {
      buf += d;
      const i = buf.indexOf('\n');
      if (i >= 0) resolve(JSON.parse(buf.slice(0, i)));
    });
    child.on('exit', (code) => reject(new Error(`server exited (${code}) before it was ready`)));
  });
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(info.url)) throw new Error(`refusing a non-loopback target ${info.url}`);

  const [x0, y0, x1, y1] = info.bbox;
  const rnd = (a: number, b: number) => a + Math.random() * (b - a);
  const pick = <T,>(xs: T[]) => xs[Math.floor(Math.random() * xs.length)];
  const tiles: string[] = [];
  for (const z of [14, 15, 16]) {
    for (let x = lon2tile(x0, z); x <= lon2tile(x1, z); x++) {
      for (let y = lat2tile(y1, z); y <= lat2tile(y0, z); y++) {
        for (const layer of ['buildings', 'roads', 'sites', 'plan_buildings']) tiles.push(`/api/tiles/${layer}/${z}/${x}/${y}.mvt?v=${info.dataVersion}`);
      }
    }
  }
  const scenarios: { name: string; path: () => string }[] = [
    { name: 'nearest', path: () => `/api/nearest?lon=${rnd(x0, x1).toFixed(6)}&lat=${rnd(y0, y1).toFixed(6)}` },
    { name: 'building-plan', path: () => `/api/buildings/${pick(info.buildingIds)}/plan` },
    { name: 'lookup-mix', path: () => (Math.random() < 0.5 ? `/api/nearest?lon=${rnd(x0, x1).toFixed(6)}&lat=${rnd(y0, y1).toFixed(6)}` : `/api/buildings/${pick(info.buildingIds)}/plan`) },
    { name: 'tiles', path: () => pick(tiles) },
  ];
  const duration = Number(values.duration);
  const connections = Number(values.connections);
  const results: any[] = [];
  let failed = false;
  try {
    for (const s of scenarios) {
      // warm up: the engine cache and the first queries
      for (let i = 0; i < 20; i++) await fetch(info.url + s.path()).then((r) => r.arrayBuffer());
      const r: any = await autocannon({
        url: info.url,
        connections,
        duration,
        requests: [{ method: 'GET', setupRequest: (req: any) => ({ ...req, path: s.path() }) }],
      });
      const row = {
        scenario: s.name,
        db: values.db,
        size: values.size,
        connections,
        durationS: duration,
        requests: r.requests.total,
        reqPerS: Math.round(r.requests.average),
        p50ms: r.latency.p50,
        p90ms: r.latency.p90,
        p99ms: r.latency.p99,
        maxMs: r.latency.max,
        errors: r.errors + r.timeouts,
        non2xx: r.non2xx,
        mbPerS: Math.round((r.throughput.average / 1e6) * 10) / 10,
      };
      results.push(row);
      if (row.errors || row.non2xx) failed = true;
      if (values.target && s.name === 'nearest' && (row.reqPerS < 500 || row.p99ms > 20)) failed = true;
      if (values.json) console.log(JSON.stringify(row));
    }
  } finally {
    child.kill('SIGTERM');
  }
  if (!values.json) {
    console.log(`district: ${values.size} (${JSON.stringify(info.counts)}), loaded in ${info.loadMs} ms; database: ${values.db}; ${connections} connections × ${duration} s each`);
    console.table(results.map(({ scenario, requests, reqPerS, p50ms, p90ms, p99ms, maxMs, errors, non2xx }) => ({ scenario, requests, reqPerS, p50ms, p90ms, p99ms, maxMs, errors, non2xx })));
  }
  if (failed) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
