/**
 * npm run bench [-- --skip-city] [--only monaco|city|pgrouting] [--runs N] [--pg-runs N] [--cold-runs N] [--city-dir DIR]
 *
 * Issue 3 "Speed" benchmark. Prints readable tables and writes bench-results/latest.json.
 *  monaco     ../shared/data/osm/monaco.osm.pbf: parse, build input, prepare; the whole plan (snap + assignment +
 *             routes + signs + guides + coverage) cold once, then warm ≥ 10 runs (median / p90 per stage), both with
 *             the shared context as the server runs it (building snaps cached) and with snaps recomputed each run;
 *             plus a what-if re-plan of one community with a few of its edges closed.
 *  pgrouting  (needs DATABASE_URL and pgRouting) the same graph in PostGIS split at every snap point: nearest site for
 *             all from a virtual super-source, many-to-many pgr_dijkstraCost, a KNN snap of all buildings, a route
 *             geometry per building — side by side with the engine doing the same work; agreement on every
 *             building's nearest distance.
 *  city       the generated city (scripts/gen-district.ts --size city) in tmp/bench-city (generated once, reused):
 *             parse, input, plan cold and warm, memory; what-if of one community; the cold plan again in --cold-runs
 *             fresh processes (scripts/bench/cold-plan.ts; the verdicts take their median), with and without its graph
 *             stage (the server builds the graph when it loads a data version): as npm start runs it (4 KB pages,
 *             search helper), with huge pages opted in (and both workers), and with 4 KB pages on one thread.
 * Plans are timed once the loader's memory is gone (`settle`), as a server plans long after it loaded its input.
 * Targets (issue 3): Monaco plan ≤ 30 ms warm; ≥ 20× pgRouting; city plan ≤ 3 s; what-if ≤ 100 ms.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import { parseOsmFile, type OsmModel } from '../server/import/osm.ts';
import { prepareContext, recyclePlan, runPlan, type PlanContext, type PlanResult } from '../server/engine/plan.ts';
import { whatIf } from '../server/engine/whatif.ts';
import { startPrefaulter } from '../server/plans/prefault.ts';
import { startSearchHelper } from '../server/plans/search-helper.ts';
import type { EngineInput } from '../server/engine/types.ts';
import { edgeCount, edgeIdAt } from '../server/engine/edges.ts';
import { modelToEngineInput } from './bench/model-input.ts';
import { benchHooks, gcTime, hostSpeed, mem, median, p90, r1, r2, settle, stageStats, STAGES, table, type Mem } from './bench/util.ts';
import { engineNearest, engineRoutes, engineSnap } from './bench/engine-nearest.ts';
import { knnSnap, loadKnnTables, routeGeometries } from './bench/pgrouting.ts';
import {
  compareDistances, loadSplitGraph, nearestManyToMany, nearestViaSuperSource, openPgRouting,
} from '../test/helpers/pgrouting.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = process.env.SHARED_DATA ?? path.resolve(ROOT, '../shared/data');
const now = () => performance.now();
const say = (s = '') => console.log(s);
const note = (s: string) => console.error(`  … ${s}`);

const { values: args } = parseArgs({
  options: {
    'skip-city': { type: 'boolean', default: false },
    only: { type: 'string' },
    runs: { type: 'string', default: '30' },
    'pg-runs': { type: 'string', default: '3' },
    'route-sample': { type: 'string', default: '1000' },
    'cold-runs': { type: 'string', default: '5' },
    'city-dir': { type: 'string', default: path.join(ROOT, 'tmp/bench-city') },
    help: { type: 'boolean', short: 'h' },
  },
});
if (args.help) {
  console.log('npm run bench -- [--skip-city] [--only monaco|city|pgrouting] [--runs N] [--pg-runs N] [--cold-runs N] [--city-dir DIR]');
  process.exit(0);
}
if (args.only && !['monaco', 'city', 'pgrouting'].includes(args.only)) {
  console.error(`--only must be monaco, city or pgrouting (got "${args.only}")`);
  process.exit(2);
}
const RUNS = Math.max(10, Number(args.runs));
const CITY_WARM_RUNS = 5;
const COLD_RUNS = Math.max(1, Number(args['cold-runs']));
const PG_RUNS = Math.max(1, Number(args['pg-runs']));
const ROUTE_SAMPLE = Math.max(1, Number(args['route-sample']));
const want = (s: 'monaco' | 'city' | 'pgrouting') => (args.only ? args.only === s : s !== 'city' || !args['skip-city']);

const results: Record<string, any> = {
  startedAt: new Date().toISOString(),
  command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
  machine: { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memGB: Math.round(os.totalmem() / 2 ** 30), loadavg: os.loadavg().map(r2) },
  targets: { monacoWarmMs: 30, pgRoutingSpeedup: 20, cityPlanMs: 3000, whatIfMs: 100 },
};
const verdicts: string[] = [];
function verdict(name: string, value: number, target: number, unit: string, lowerIsBetter = true) {
  const ok = lowerIsBetter ? value <= target : value >= target;
  const by = lowerIsBetter ? value / target : target / value;
  const line = `${ok ? 'MET   ' : 'MISSED'} ${name}: ${r1(value)} ${unit} (target ${lowerIsBetter ? '≤' : '≥'} ${target} ${unit})${ok ? '' : ` — off by ${r2(by)}×`}`;
  verdicts.push(line);
  return ok;
}

// ───────────────────────────── shared steps ─────────────────────────────

async function load(file: string, label: string): Promise<{ model: OsmModel; input: EngineInput; parseMs: number; inputMs: number; mem: Record<string, Mem> }> {
  const m0 = mem();
  const t0 = now();
  const model = await parseOsmFile(file, { onProgress: (s) => note(s) });
  const parseMs = now() - t0;
  const m1 = mem();
  const t1 = now();
  const { input, stats } = modelToEngineInput(model);
  const inputMs = now() - t1;
  const m2 = mem();
  say(`${label}: parsed ${path.basename(file)} in ${r1(parseMs)} ms (${model.buildings.length.toLocaleString('en')} buildings, ` +
    `${model.sites.length} sites, ${model.network.nodes.length.toLocaleString('en')} network vertices, ${model.network.edges.length.toLocaleString('en')} edges, ` +
    `${model.communities.length} communities); engine input built in ${r1(inputMs)} ms (${stats.droppedBuildings} degenerate buildings dropped)`);
  return { model, input, parseMs, inputMs, mem: { beforeParse: m0, afterParse: m1, afterInput: m2 } };
}

function planSummary(p: PlanResult) {
  const signs = (p.signs as { signs?: unknown[] } | null)?.signs?.length ?? 0;
  const guides = p.guides as { totalNeeded?: number } | null;
  return {
    buildings: p.totals.buildings, population: p.totals.population, eligibleSites: p.totals.sites, entrances: p.entrances.length,
    assignedPopulation: p.totals.assignedPopulation, unplacedPopulation: p.totals.unplacedPopulation,
    coveredPopulationShare: r2(p.totals.coveredPopulationShare * 100) / 100, routes: p.routes.partBuilding.length,
    signs, guidesNeeded: guides?.totalNeeded ?? 0,
  };
}

/**
 * Warm runs: `fresh` recomputes building snaps each run (graph + index kept), else the server's shared context.
 * Keeps each run's timings and only the last plan, as a server does (it stores a plan and drops it): holding all
 * results would grow the old generation by a plan per run and time the collector more than the engine.
 */
type Timings = Pick<PlanResult, 'ms' | 'msDetail'>;
function warmRuns(input: EngineInput, ctx: PlanContext, hooks: ReturnType<typeof benchHooks>, fresh: boolean, n: number): { timings: Timings[]; last: PlanResult | null } {
  const timings: Timings[] = [];
  let last: PlanResult | null = null;
  for (let i = 0; i < n; i++) {
    if (fresh) { ctx.baseSnaps = null; ctx.baseSnapMax = -1; }
    last = null; // the previous plan may be collected while this one runs, as in the server
    last = runPlan(input, { hazard: 'earthquake' }, hooks, ctx);
    timings.push({ ms: last.ms, msDetail: last.msDetail });
  }
  return { timings, last };
}

function stageTable(cols: { name: string; plans: Timings[] }[]): string {
  const stats = cols.map((c) => stageStats(c.plans));
  const keys = [...STAGES.filter((s) => s !== 'total'), 'assign.nearest', 'assign.candidates', 'assign.assign', 'total'];
  return table(
    ['stage (ms)', ...cols.flatMap((c) => [`${c.name} median`, 'p90'])],
    keys.map((k) => [k.startsWith('assign.') ? `  ${k}` : k, ...stats.flatMap((s) => [s[k].median, s[k].p90])]),
  );
}

/** The community with the most buildings, and up to `k` edges its buildings are snapped to (most buildings first). */
function pickCommunity(input: EngineInput, plan: PlanResult, k = 5): { id: number; name: string; buildings: number; edgeIds: number[] } | null {
  const count = new Map<number, number>();
  for (const b of input.buildings) if (b.communityId != null) count.set(b.communityId, (count.get(b.communityId) ?? 0) + 1);
  if (!count.size) return null;
  const [id, n] = [...count].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0];
  const perEdge = new Map<number, number>();
  input.buildings.forEach((b, i) => {
    const e = plan.buildings.snapEdge[i];
    if (b.communityId === id && e >= 0) perEdge.set(e, (perEdge.get(e) ?? 0) + 1);
  });
  const edgeIds = [...perEdge].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, k).map(([e]) => edgeIdAt(input.edges, e));
  return { id, name: input.communities.find((c) => c.id === id)?.name ?? String(id), buildings: n, edgeIds };
}

/**
 * What-ifs of one community, one after another on the baseline: as a planner's session (and the API) runs them, each
 * what-if is dropped when the next is asked and recycled (`recyclePlan`), so its columns are refilled rather than
 * allocated; the same stream without recycling is timed too.
 */
function whatIfBench(label: string, baseline: PlanResult, hooks: ReturnType<typeof benchHooks>, n: number) {
  const input = baseline.context.input;
  const c = pickCommunity(input, baseline);
  if (!c) { say(`${label} what-if: no communities in the data — skipped`); return { skipped: 'no communities' }; }
  const change = { closeEdgeIds: c.edgeIds, communityIds: [c.id] };
  const stream = (recycle: boolean) => {
    const wall: number[] = [], engine: number[] = [];
    let last: ReturnType<typeof whatIf> | null = null;
    // the first run is reported apart: it includes V8 compiling the what-if's code paths
    let firstMs = 0;
    for (let i = 0; i <= n; i++) {
      const t0 = now();
      if (last && recycle) recyclePlan(last.plan);
      last = null;
      last = whatIf(baseline, change, hooks);
      if (i === 0) { firstMs = now() - t0; continue; }
      wall.push(now() - t0);
      engine.push(last.plan.ms.total);
    }
    return { last: last!, firstMs, wall, engine };
  };
  const fresh = stream(false);
  const recycled = stream(true);
  const { last } = recycled;
  const p = last.plan;
  const res = {
    community: { id: c.id, name: c.name, buildings: c.buildings }, closedEdgeIds: c.edgeIds, search: p.search,
    firstMs: r2(recycled.firstMs), wallMs: { median: r2(median(recycled.wall)), p90: r2(p90(recycled.wall)) },
    planMs: { median: r2(median(recycled.engine)), p90: r2(p90(recycled.engine)) },
    withoutRecycling: { wallMs: { median: r2(median(fresh.wall)), p90: r2(p90(fresh.wall)) } },
    stages: stageStats([p]), runs: n,
    planned: { buildings: p.totals.buildings, population: p.totals.population, assigned: p.totals.assignedPopulation },
    diff: last.diff.summary,
  };
  say(`${label} what-if: community "${c.name}" (id ${c.id}, ${c.buildings} buildings), ${c.edgeIds.length} of its edges closed, ` +
    `re-planned with communityIds + siteBaseLoad on the shared context (${p.search === 'point' ? 'one bounded search per building' : 'multi-source searches'}): ` +
    `${n} runs, each recycling the one before: median ${r1(res.wallMs.median)} ms, p90 ${r1(res.wallMs.p90)} ms ` +
    `(whatIf() wall time incl. diff; plan ms.total median ${r1(res.planMs.median)}); without recycling: median ` +
    `${r1(res.withoutRecycling.wallMs.median)} ms, p90 ${r1(res.withoutRecycling.wallMs.p90)} ms (first run ${r1(fresh.firstMs)} ms); ` +
    `${res.diff.changedBuildings} buildings changed site`);
  verdict(`${label} what-if re-plan of one community (median, what-ifs recycled)`, res.wallMs.median, 100, 'ms');
  return res;
}

// ───────────────────────────── Monaco ─────────────────────────────

async function monaco() {
  const file = path.join(SHARED, 'osm/monaco.osm.pbf');
  if (!existsSync(file)) { say(`[skip] Monaco: ${file} not found (place ../shared beside the checkout)`); results.monaco = { skipped: `${file} missing` }; return; }
  say('\n══ Monaco ══');
  const L = await load(file, 'Monaco');
  const { input } = L;
  (L as { model: OsmModel | null }).model = null; // as for the city: only the engine input stays alive, as in the server
  await settle();
  const hooks = benchHooks();
  const t0 = now();
  const ctx = prepareContext(input);
  const prepareMs = now() - t0;
  const cold = runPlan(input, { hazard: 'earthquake' }, hooks, ctx);
  say(`prepare (graph + segment index) ${r1(prepareMs)} ms; first (cold) plan ${r1(cold.ms.total)} ms; guides hook from ${hooks.guidesFrom}`);
  const res: Record<string, any> = {
    file: path.relative(ROOT, file), parseMs: r1(L.parseMs), inputMs: r1(L.inputMs), prepareMs: r1(prepareMs),
    network: { vertices: input.nodes.ids.length, edges: edgeCount(input.edges) }, coldPlanMs: r2(cold.ms.total), guidesHook: hooks.guidesFrom,
  };
  results.monaco = res;
  let baseline = cold;
  if (want('monaco')) {
    // untimed warm-ups: V8 needs ~20–40 calls before all of the engine's loops run optimised code (at 10, the median
    // was still ~30 % above the steady state); resnap mode gets its own, as the shared runs never call the snapper
    warmRuns(input, ctx, hooks, false, 40);
    const shared = warmRuns(input, ctx, hooks, false, RUNS);
    warmRuns(input, ctx, hooks, true, 10);
    const fresh = warmRuns(input, ctx, hooks, true, RUNS);
    baseline = shared.last!;
    say(`whole plan, warm, ${RUNS} runs each — "shared" = server context (building snaps cached), "resnap" = snaps recomputed every run:`);
    say(stageTable([{ name: 'shared', plans: shared.timings }, { name: 'resnap', plans: fresh.timings }]));
    const s = planSummary(baseline);
    say(`plan: ${s.buildings.toLocaleString('en')} buildings, ${s.population.toLocaleString('en')} people, ${s.eligibleSites} eligible sites / ${s.entrances} entrances, ` +
      `${s.routes.toLocaleString('en')} routes, ${s.signs.toLocaleString('en')} signs, ${s.guidesNeeded} guides needed, covered ${r1(s.coveredPopulationShare * 100)} %`);
    res.warm = { runs: RUNS, shared: stageStats(shared.timings), resnap: stageStats(fresh.timings) };
    res.plan = s;
    verdict('Monaco whole plan warm (median, snaps recomputed)', res.warm.resnap.total.median, 30, 'ms');
    verdict('Monaco whole plan warm (median, shared context)', res.warm.shared.total.median, 30, 'ms');
    res.whatIf = whatIfBench('Monaco', baseline, hooks, RUNS);
  }
  if (want('pgrouting')) res.pgrouting = await pgrouting(input, ctx, baseline);
}

// ───────────────────────────── pgRouting side by side ─────────────────────────────

async function pgrouting(input: EngineInput, ctx: PlanContext, plan: PlanResult) {
  say('\n══ pgRouting side by side (Monaco) ══');
  const h = await openPgRouting();
  if ('skip' in h) { say(`[skip] ${h.skip}`); return { skipped: h.skip }; }
  try {
    const db = h.db;
    const tl = now();
    const g = await loadSplitGraph(db, h.schema, input, plan, { geometry: true });
    const knnLoadMs = await loadKnnTables(db, h.schema, plan.buildings.doorLon, plan.buildings.doorLat);
    const loadMs = now() - tl;
    say(`loaded into ${h.schema}: ${g.pieces.toLocaleString('en')} edge pieces, ${g.vertices.toLocaleString('en')} vertices (graph split at ${g.buildingVertices.length.toLocaleString('en')} building and ` +
      `${g.entranceVertices.length} entrance vertices) in ${r1(loadMs)} ms (not timed below)`);
    // route geometry: an evenly spread sample of building vertices (all of them ran for minutes, see pgrouting.ts)
    const step = Math.max(1, Math.floor(g.buildingVertices.length / ROUTE_SAMPLE));
    const sample = g.buildingVertices.filter((_, i) => i % step === 0).slice(0, ROUTE_SAMPLE);
        const pg = { superSource: [] as number[], manyToMany: [] as number[], knn: [] as number[], routes: [] as number[] };
    let ss!: Awaited<ReturnType<typeof nearestViaSuperSource>>, mm!: Awaited<ReturnType<typeof nearestManyToMany>>;
    let knn!: Awaited<ReturnType<typeof knnSnap>>, rg!: Awaited<ReturnType<typeof routeGeometries>>;
    for (let i = 0; i < PG_RUNS; i++) {
      ss = await nearestViaSuperSource(db, g); pg.superSource.push(ss.ms); note(`pgr super-source ${r1(ss.ms)} ms`);
      mm = await nearestManyToMany(db, g); pg.manyToMany.push(mm.ms); note(`pgr many-to-many ${r1(mm.ms)} ms`);
      knn = await knnSnap(db, h.schema, input.buildings.length); pg.knn.push(knn.ms); note(`KNN snap ${r1(knn.ms)} ms`);
      rg = await routeGeometries(db, g, sample); pg.routes.push(rg.ms); note(`route geometry (${sample.length}) ${r1(rg.ms)} ms`);
    }
    // the engine doing the same work, on the prepared graph
    const eng = { snap: [] as number[], nearest: [] as number[], routes: [] as number[] };
    const eligible = plan.sites.map((s) => s.eligible);
    let en!: ReturnType<typeof engineNearest>, er!: ReturnType<typeof engineRoutes>;
    for (let i = 0; i < Math.max(RUNS, 20); i++) {
      let t = now();
      const sn = engineSnap(ctx); eng.snap.push(now() - t);
      t = now();
      en = engineNearest(ctx, sn.snaps.edge, sn.snaps.fraction, sn.entrances, eligible); eng.nearest.push(now() - t);
      t = now();
      er = engineRoutes(ctx, sn.snaps.edge, sn.snaps.fraction, sn.entrances, en); eng.routes.push(now() - t);
    }
    // agreement on every building's nearest distance
    const inc = plan.included;
    const mSS = compareDistances(plan.buildings.nearestDistance, ss.distance, inc);
    const mMM = compareDistances(plan.buildings.nearestDistance, mm.distance, inc);
    const mEN = compareDistances(en.distance, ss.distance, inc);
    const rgDist = new Float64Array(input.buildings.length).fill(Infinity);
    for (let b = 0; b < rgDist.length; b++) { const v = g.buildingVertex[b]; if (v >= 0 && rg.distance.has(v)) rgDist[b] = rg.distance.get(v)!; }
    const inSample = new Uint8Array(input.buildings.length);
    const sampleSet = new Set(sample);
    for (let b = 0; b < inSample.length; b++) inSample[b] = inc[b] && sampleSet.has(g.buildingVertex[b]) ? 1 : 0;
    const mRG = compareDistances(plan.buildings.nearestDistance, rgDist, inSample);
    let reachable = 0, sameEdge = 0, knnSnapped = 0;
    for (let b = 0; b < input.buildings.length; b++) {
      if (Number.isFinite(plan.buildings.nearestDistance[b])) reachable++;
      if (knn.edge[b] >= 0) { knnSnapped++; if (knn.edge[b] === plan.buildings.snapEdge[b]) sameEdge++; }
    }
    const med = (xs: number[]) => r2(median(xs));
    const P = { superSource: med(pg.superSource), manyToMany: med(pg.manyToMany), knnSnap: med(pg.knn), routeGeometry: med(pg.routes) };
    const E = { snap: med(eng.snap), nearest: med(eng.nearest), routes: med(eng.routes) };
    const nReach = Math.max(1, er.lines.filter((l) => l).length);
    const routePerB = (P.routeGeometry / sample.length) / ((E.nearest + E.routes) / nReach);
    const speedNearestRoute = (P.superSource + P.routeGeometry) / (E.nearest + E.routes);
    say(table(['work', 'pgRouting / PostGIS ms', 'engine ms', 'speed-up'], [
      ['nearest site for all (super-source)', P.superSource, E.nearest, `${r1(P.superSource / E.nearest)}×`],
      ['nearest site, many-to-many dijkstraCost', P.manyToMany, E.nearest, `${r1(P.manyToMany / E.nearest)}×`],
      ['snap all buildings (KNN LATERAL, geography)', P.knnSnap, E.snap, `${r1(P.knnSnap / E.snap)}×`],
      [`route geometry, ${sample.length} sampled buildings | engine: all ${nReach}`, P.routeGeometry, E.nearest + E.routes, `${r1(P.routeGeometry / (E.nearest + E.routes))}×`],
      [`  per building (µs)`, r1((P.routeGeometry / sample.length) * 1000), r1(((E.nearest + E.routes) / nReach) * 1000), `${r1(routePerB)}×`],
      ['nearest all + route sample | nearest all + routes all', P.superSource + P.routeGeometry, E.nearest + E.routes, `${r1(speedNearestRoute)}×`],
      ['KNN snap + nearest + route sample | snap + nearest + routes all', P.knnSnap + P.superSource + P.routeGeometry, E.snap + E.nearest + E.routes, `${r1((P.knnSnap + P.superSource + P.routeGeometry) / (E.snap + E.nearest + E.routes))}×`],
    ]));
    say(`medians over ${PG_RUNS} pgRouting runs and ${eng.nearest.length} engine runs; query times include transfer of one row per building (routes: count and points only, geometry built in the database)`);
    say(`agreement (|Δ| ≤ max(1e-3 m, 1e-6 rel), unreachable sets equal): plan vs super-source ${mSS.length} mismatches, vs many-to-many ${mMM.length}, ` +
      `vs route agg_cost ${mRG.length} (sample); bench engine search vs super-source ${mEN.length} — over ${input.buildings.length.toLocaleString('en')} buildings (${reachable.toLocaleString('en')} reachable)`);
    say(`KNN snap: ${knnSnapped.toLocaleString('en')} buildings within 250 m, ${sameEdge.toLocaleString('en')} on the same edge as the engine's snap ` +
      `(the engine snaps from the door on the footprint; both snap the same door points here); engine route points ${er.points.toLocaleString('en')}, pgRouting ${rg.points.toLocaleString('en')}`);
    const speedRouteOnly = P.routeGeometry / (E.nearest + E.routes);
    // all buildings' routes in pgRouting did not finish in minutes (pgrouting.ts): extrapolate the sample's per-building rate, labelled
    const pgrAllExtrapolated = P.superSource + (P.routeGeometry / sample.length) * nReach;
    say(`nearest + route for all ${nReach.toLocaleString('en')} reachable buildings: pgRouting ≈ ${r1(pgrAllExtrapolated)} ms (super-source measured + route per building EXTRAPOLATED from the ${sample.length}-building sample) vs engine ${r1(E.nearest + E.routes)} ms measured`);
    verdict(`engine vs pgRouting, nearest + route for all (pgr route part extrapolated from a ${sample.length}-building sample)`, pgrAllExtrapolated / (E.nearest + E.routes), 20, '×', false);
    verdict(`engine vs pgRouting, route geometry per building (measured rates)`, routePerB, 20, '×', false);
    verdict('engine vs pgRouting, nearest site for all (super-source)', P.superSource / E.nearest, 20, '×', false);
    if (mSS.length + mMM.length + mRG.length + mEN.length > 0) {
      verdicts.push(`MISSED agreement with pgRouting: ${mSS.length + mMM.length + mRG.length + mEN.length} mismatches`);
      for (const x of [...mSS, ...mMM].slice(0, 5)) say(`  mismatch: building ${x.building} (id ${input.buildings[x.building].id}): engine ${x.engine} m, pgRouting ${x.oracle} m`);
    } else verdicts.push('MET    agreement with pgRouting on every building\'s nearest distance (0 mismatches)');
    return {
      schema: h.schema, splitGraph: { pieces: g.pieces, vertices: g.vertices, buildingVertices: g.buildingVertices.length, entranceVertices: g.entranceVertices.length },
      loadMs: r1(loadMs), knnLoadMs: r1(knnLoadMs), pgRuns: PG_RUNS, engineRuns: eng.nearest.length,
      pgroutingMs: P, engineMs: E, manyToManyPairs: mm.pairs,
      routeSample: sample.length, nearestPlusRouteAllExtrapolatedMs: r1(pgrAllExtrapolated), routePerBuildingUs: { pgrouting: r1((P.routeGeometry / sample.length) * 1000), engine: r1(((E.nearest + E.routes) / nReach) * 1000) },
      speedup: { nearestPlusRouteAllExtrapolated: r1(pgrAllExtrapolated / (E.nearest + E.routes)), routePerBuilding: r1(routePerB), nearestSuperSource: r1(P.superSource / E.nearest), manyToMany: r1(P.manyToMany / E.nearest), snap: r1(P.knnSnap / E.snap), routeQueryAlone: r1(speedRouteOnly), nearestPlusRoute: r1(speedNearestRoute), snapNearestRoute: r1((P.knnSnap + P.superSource + P.routeGeometry) / (E.snap + E.nearest + E.routes)) },
      mismatches: { planVsSuperSource: mSS.length, planVsManyToMany: mMM.length, planVsRouteCost: mRG.length, benchEngineVsSuperSource: mEN.length },
      buildings: input.buildings.length, reachable, knn: { snapped: knnSnapped, sameEdgeAsEngine: sameEdge },
      routePoints: { engine: er.points, pgrouting: rg.points },
    };
  } finally {
    await h.drop();
  }
}

// ───────────────────────────── city ─────────────────────────────

async function city() {
  say('\n══ City (generated) ══');
  const dir = path.resolve(args['city-dir']!);
  const osm = path.join(dir, 'district.osm');
  const marker = path.join(dir, 'bench-generated.json');
  const res: Record<string, any> = { dir: path.relative(ROOT, dir) };
  results.city = res;
  if (!existsSync(marker) || !existsSync(osm)) {
    say(`generating the city into ${path.relative(ROOT, dir)} (once; reused by later runs) …`);
    const { writeDistrict } = await import('./gen-district.ts');
    const { parseSize, DEFAULT_SEED } = await import('../server/demo/district.ts');
    const t0 = now();
    const gen = await writeDistrict(dir, parseSize('city'), DEFAULT_SEED);
    writeFileSync(marker, JSON.stringify(gen));
    res.generateMs = r1(now() - t0);
  }
  res.generator = JSON.parse(readFileSync(marker, 'utf8'));
  const L = await load(osm, 'City');
  const { input } = L;
  res.parseMs = r1(L.parseMs); res.inputMs = r1(L.inputMs);
  res.buildings = input.buildings.length; res.networkVertices = input.nodes.ids.length; res.networkEdges = edgeCount(input.edges);
  res.sites = input.sites.length; res.communities = input.communities.length;
  (L as { model: OsmModel | null }).model = null; // keep only the engine input alive
  await settle();
  const hooks = benchHooks();
  const memory: Record<string, Mem> = { ...L.mem, inputOnly: mem() };
  // run 1: no context — graph and index built inside the plan (ms.graph), snaps computed
  let p1: PlanResult | null = runPlan(input, { hazard: 'earthquake' }, hooks);
  memory.afterPlan1 = mem();
  const ctx = p1.context;
  // (each plan a task of its own, as the server's requests: what a worker does between plans — the search helper's
  // copy of the search records — waits for the event loop)
  const nextTask = () => new Promise((r) => setImmediate(r));
  await nextTask();
  // run 2: warm, shared context (snaps cached, as the server runs it)
  const p2 = runPlan(input, { hazard: 'earthquake' }, hooks, ctx);
  memory.afterPlan2 = mem();
  // run 3: warm, snaps recomputed
  ctx.baseSnaps = null; ctx.baseSnapMax = -1;
  await nextTask();
  let p3: PlanResult | null = runPlan(input, { hazard: 'earthquake' }, hooks, ctx);
  memory.afterPlan3 = mem();
  say(`city: ${input.buildings.length.toLocaleString('en')} buildings, ${input.nodes.ids.length.toLocaleString('en')} network vertices, ${edgeCount(input.edges).toLocaleString('en')} edges, ` +
    `${input.sites.length.toLocaleString('en')} sites, ${input.communities.length.toLocaleString('en')} communities`);
  say(table(['stage (ms)', 'run 1 (cold, builds graph)', 'run 2 (warm, shared ctx)', 'run 3 (warm, resnap)'],
    [...STAGES.filter((s) => s !== 'total'), 'assign.nearest', 'assign.candidates', 'assign.assign', 'total'].map((k) => {
      const get = (p: PlanResult) => (k.startsWith('assign.') ? p.msDetail[k.slice(7) as 'nearest'] : p.ms[k as 'total']);
      return [k.startsWith('assign.') ? `  ${k}` : k, r1(get(p1!)), r1(get(p2)), r1(get(p3!))];
    })));
  say(table(['memory (after full GC)', 'rss MB', 'heapUsed MB'], Object.entries(memory).map(([k, m]) => [k, m.rssMB, m.heapUsedMB])));
  const s = planSummary(p2);
  say(`plan: ${s.population.toLocaleString('en')} people, ${s.eligibleSites} eligible sites / ${s.entrances} entrances, ${s.routes.toLocaleString('en')} routes, ` +
    `${s.signs.toLocaleString('en')} signs, ${s.guidesNeeded.toLocaleString('en')} guides needed, covered ${r1(s.coveredPopulationShare * 100)} %`);
  res.plan = s;
  res.runs = { cold: stageStats([p1]), warmShared: stageStats([p2]), warmResnap: stageStats([p3]) };
  res.memory = memory;
  res.coldRuns = coldPlans(input, dir);
  verdict('city plan, warm, snaps recomputed', p3.ms.total, 3000, 'ms');
  verdict('city plan, warm, shared context', p2.ms.total, 3000, 'ms');
  // as in the server, only the baseline plan stays alive while further plans and what-ifs run
  p1 = null; p3 = null;
  // more warm plans on the shared context (each dropped and recycled once the next is asked, as the API does): whether
  // a full collection lands inside a plan moves it by ~0.5 s, so one warm run says little on its own
  const warm: number[] = [];
  let wp: PlanResult | null = null;
  const gc = await gcTime(async () => {
    for (let i = 0; i < CITY_WARM_RUNS; i++) {
      if (wp) recyclePlan(wp);
      wp = null;
      await nextTask();
      wp = runPlan(input, { hazard: 'earthquake' }, hooks, ctx);
      warm.push(wp.ms.total);
    }
  });
  wp = null;
  const per = (x: number) => r1(x / CITY_WARM_RUNS);
  res.warmSharedRuns = {
    runs: CITY_WARM_RUNS, medianMs: r1(median(warm)), minMs: r1(Math.min(...warm)), maxMs: r1(Math.max(...warm)), totalsMs: warm.map(r1),
    gcPerPlan: { scavengeMs: per(gc.minorMs), markCompactMs: per(gc.majorMs) },
  };
  say(`city: ${CITY_WARM_RUNS} more warm plans on the shared context: median ${r1(median(warm))} ms (min ${r1(Math.min(...warm))}, max ${r1(Math.max(...warm))}); ` +
    `garbage collection per plan: scavenges ${per(gc.minorMs)} ms, mark-compacts ${per(gc.majorMs)} ms`);
  verdict(`city plan, warm, shared context (median of ${CITY_WARM_RUNS} more runs)`, median(warm), 3000, 'ms');
  res.whatIf = whatIfBench('City', p2, hooks, RUNS);
}

/**
 * The city's cold plan in fresh processes (scripts/bench/cold-plan.ts), one after another: the first plan of a server
 * that has just loaded the city, without this process's history (Monaco, pgRouting, the parse) in its code or memory.
 * One cold run says little on a shared machine (run 1 above has ranged 2.9–7.6 s for the same code), so the verdicts
 * take the median of several. Two readings: the whole plan with its graph stage (graph and segment index built
 * inside, as run 1), and without it — the server builds those when it loads a data version (engineState in
 * server/plans/service.ts), not in the plan request.
 *
 * Each reading three times, the processes alternating: as `npm start` runs (4 KB pages; a worker takes part of the
 * searches, server/plans/search-helper.ts), with huge pages opted in (HUGE_PAGES: glibc backs big arrays with
 * transparent huge pages, and a second worker faults new memory in, server/plans/prefault.ts; see README), and with
 * 4 KB pages on the engine's thread alone. Page faults and system CPU are the whole process's, the workers' too.
 */
function coldPlans(input: EngineInput, dir: string) {
  const file = path.join(dir, 'engine-input.bin');
  writeFileSync(file, v8.serialize(input));
  const script = path.join(ROOT, 'scripts/bench/cold-plan.ts');
  type Run = {
    ms: PlanResult['ms']; msDetail: PlanResult['msDetail']; pageFaults: number; cpuMs: { user: number; system: number }; pageFaultUs: number; hugePagesMB: number;
    prefaultedPages: number; searchTasks: { sites: number; chains: number };
  };
  const noWorkers = (env: NodeJS.ProcessEnv) => ({ ...env, EVAC_PREFAULT: '0', EVAC_SEARCH_HELPER: '0' });
  const settings = [
    { key: 'asNpmStart', name: 'as npm start (4 KB pages, search helper)', env: withHugePages(process.env, false) },
    { key: 'hugePages', name: 'huge pages (opt-in), search helper, prefault worker', env: withHugePages(process.env, true) },
    { key: 'smallPages', name: '4 KB pages, one thread', env: noWorkers(withHugePages(process.env, false)) },
  ];
  const runs: Run[][] = settings.map(() => []);
  for (let i = 0; i < COLD_RUNS; i++) {
    settings.forEach((st, k) => {
      const out = spawnSync(process.execPath, [...process.execArgv, script, file], { encoding: 'utf8', maxBuffer: 1 << 20, env: st.env });
      if (out.status !== 0) throw new Error(`cold plan ${i + 1} (${st.name}) failed (exit ${out.status}): ${out.stderr.slice(-2000)}`);
      runs[k].push(JSON.parse(out.stdout.trim().split('\n').pop()!));
    });
  }
  return Object.fromEntries(settings.map((st, k) => {
    const rs = runs[k];
    const totals = rs.map((r) => r.ms.total), noGraph = rs.map((r) => r.ms.total - r.ms.graph);
    say(table([`cold plan, ${st.name}, ${COLD_RUNS} fresh processes (ms)`, 'median', 'min', 'max'], [
      ...STAGES.filter((x) => x !== 'total').map((x) => rs.map((r) => r.ms[x])),
      rs.map((r) => r.msDetail.candidates), rs.map((r) => r.msDetail.assign),
      totals, noGraph, rs.map((r) => r.pageFaults), rs.map((r) => r.cpuMs.system), rs.map((r) => r.pageFaultUs), rs.map((r) => r.hugePagesMB),
      rs.map((r) => r.prefaultedPages), rs.map((r) => r.searchTasks.sites), rs.map((r) => r.searchTasks.chains),
    ].map((xs, i) => [
      [...STAGES.filter((x) => x !== 'total'), '  assign.candidates', '  assign.assign', 'total', 'total without graph', 'page faults (both threads)',
        'system CPU (both threads)', 'µs per new page (probe)', 'MB in huge pages after', 'pages the prefault worker touched',
        'site searches shared with the helper', 'chain labellings shared with the helper'][i],
      r1(median(xs)), r1(Math.min(...xs)), r1(Math.max(...xs)),
    ])));
    verdict(`city plan, cold, ${st.name}, graph built inside (median of ${COLD_RUNS} fresh processes)`, median(totals), 3000, 'ms');
    verdict(`city plan, cold, ${st.name}, graph prepared at load as the server does (median of ${COLD_RUNS} fresh processes)`, median(noGraph), 3000, 'ms');
    return [st.key, {
      runs: COLD_RUNS, totalsMs: totals.map(r1), withoutGraphMs: noGraph.map(r1), medianMs: r1(median(totals)), medianWithoutGraphMs: r1(median(noGraph)),
      stagesMs: rs.map((r) => Object.fromEntries(Object.entries(r.ms).map(([x, v]) => [x, r1(v)]))), pageFaults: rs.map((r) => r.pageFaults),
      pageFaultUs: rs.map((r) => r.pageFaultUs), hugePagesMB: rs.map((r) => r1(r.hugePagesMB)),
    }];
  }));
}

/** The glibc tunable that opts in to huge pages (see README: huge pages). */
const HUGE_PAGES = 'glibc.malloc.hugetlb=1';

/** The environment with glibc's huge-page tunable set or taken out (other tunables kept). */
function withHugePages(env: NodeJS.ProcessEnv, on: boolean): NodeJS.ProcessEnv {
  const tunables = (env.GLIBC_TUNABLES ?? '').split(':').filter((t) => t !== '' && !t.startsWith('glibc.malloc.hugetlb='));
  if (on) tunables.push(HUGE_PAGES);
  const out = { ...env };
  if (tunables.length) out.GLIBC_TUNABLES = tunables.join(':');
  else delete out.GLIBC_TUNABLES;
  return out;
}

// ───────────────────────────── main ─────────────────────────────

async function main() {
  say(`bench — ${results.machine.cpu} ×${results.machine.cpus}, ${results.machine.memGB} GB, Node ${process.version}, load average ${results.machine.loadavg.join(' ')}`);
  results.hostBefore = hostSpeed();
  say(`host speed: random memory access ${results.hostBefore.memLatencyNs} ns per load, CPU loop ${results.hostBefore.cpuLoopMs} ms, ` +
    `first touch of new memory ${results.hostBefore.pageFaultUs} µs per 4 KB${process.env.GLIBC_TUNABLES?.includes(HUGE_PAGES) ? ' (this process asks for huge pages)' : ' page'} ` +
    `(see hostSpeed in scripts/bench/util.ts)`);
  // as npm start: a worker thread takes part of the engine's searches, and another faults its new memory in where huge
  // pages are in effect (started after the probes: their memory is not the engine's)
  const worker = startPrefaulter();
  const helper = startSearchHelper();
  await helper?.ready;
  say(`prefault worker: ${worker ? 'on (huge pages in effect, or EVAC_PREFAULT=1)' : 'off, as in npm start (no huge pages, or EVAC_PREFAULT=0)'}; search helper: ${helper ? 'on, as in npm start' : 'off (EVAC_SEARCH_HELPER=0)'}`);
  if (want('monaco') || want('pgrouting')) await monaco();
  if (want('city')) await city();
  else if (!args.only) say('\n[skip] city (--skip-city)');
  say('\n══ Targets ══');
  for (const v of verdicts) say(v);
  results.verdicts = verdicts;
  results.hostAfter = hostSpeed();
  say(`host speed after: random memory access ${results.hostAfter.memLatencyNs} ns per load, CPU loop ${results.hostAfter.cpuLoopMs} ms`);
  results.finishedAt = new Date().toISOString();
  const outDir = path.join(ROOT, 'bench-results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'latest.json'), JSON.stringify(results, null, 2));
  say(`\nwrote ${path.relative(ROOT, path.join(outDir, 'latest.json'))}`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
