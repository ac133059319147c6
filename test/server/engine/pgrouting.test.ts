/**
 * The engine's nearest-site distances equal pgRouting's on a real extract (Wudaokou, Beijing, 2017).
 * pgRouting runs on the graph split at every snap point (test/helpers/pgrouting.ts), from a virtual super-source
 * and many-to-many. Skips with a message without ../shared/data, DATABASE_URL or pgRouting.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedFile } from '../../helpers/shared.ts';
import {
  compareDistances, loadSplitGraph, nearestManyToMany, nearestViaSuperSource, openPgRouting, type PgrHandle,
} from '../../helpers/pgrouting.ts';
import { parseOsmFile } from '../../../server/import/osm.ts';
import { runPlan, type PlanResult } from '../../../server/engine/plan.ts';
import { fullPlanHooks } from '../../../server/engine/full.ts';
import type { EngineInput } from '../../../server/engine/types.ts';
import { edgeIdAt } from '../../../server/engine/edges.ts';
import { modelToEngineInput } from '../../../scripts/bench/model-input.ts';

const file = sharedFile('osm/beijing_wudaokou_2017.osm');
const opened = file ? await openPgRouting() : null;
const skip = !file ? 'Wudaokou extract missing' : opened && 'skip' in opened ? opened.skip : null;
if (skip && file) console.warn(`[skip] pgrouting.test: ${skip}`);
const pgr = opened && !('skip' in opened) ? (opened as PgrHandle) : null;

describe.skipIf(!!skip)('engine nearest distances = pgRouting (Wudaokou)', () => {
  let input: EngineInput;
  let plan: PlanResult;

  beforeAll(async () => {
    const model = await parseOsmFile(file!);
    input = modelToEngineInput(model).input;
    plan = runPlan(input, { hazard: 'earthquake' }, fullPlanHooks());
  }, 120_000);
  afterAll(async () => {
    await pgr?.drop();
  }, 60_000);

  /** shared checks: super-source and many-to-many both equal the engine for every included building */
  async function check(p: PlanResult, closed: Uint8Array | null) {
    const db = pgr!.db;
    const g = await loadSplitGraph(db, pgr!.schema, input, { ...p, closed });
    expect(g.entranceVertices.length).toBeGreaterThan(0);
    const ss = await nearestViaSuperSource(db, g);
    const mm = await nearestManyToMany(db, g);
    const engine = p.buildings.nearestDistance;
    const bad1 = compareDistances(engine, ss.distance, p.included);
    const bad2 = compareDistances(engine, mm.distance, p.included);
    expect(bad1.slice(0, 5)).toEqual([]);
    expect(bad2.slice(0, 5)).toEqual([]);
    // the unreachable sets agree (compareDistances already fails on a finite/infinite disagreement; state it plainly)
    const unreachEngine: number[] = [], unreachPgr: number[] = [];
    for (let b = 0; b < input.buildings.length; b++) {
      if (!p.included[b]) continue;
      if (!Number.isFinite(engine[b])) unreachEngine.push(b);
      if (!Number.isFinite(ss.distance[b])) unreachPgr.push(b);
    }
    expect(unreachPgr).toEqual(unreachEngine);
    return { g, ss, mm, reachable: p.included.reduce((a, x, b) => a + (x && Number.isFinite(engine[b]) ? 1 : 0), 0), unreachable: unreachEngine.length };
  }

  it('on the open network: every building, super-source and many-to-many', async () => {
    const r = await check(plan, null);
    // a real comparison, not a vacuous one
    expect(r.reachable).toBeGreaterThan(input.buildings.length * 0.5);
    // the exact same-edge case (building and eligible entrance on one edge) occurs in this extract
    const entranceEdges = new Set(plan.entrances.filter((e) => plan.sites[e.siteIndex].eligible).map((e) => e.edgeIndex));
    const sameEdge = Array.from(plan.buildings.snapEdge).filter((e) => entranceEdges.has(e)).length;
    console.info(`[pgrouting] Wudaokou: ${input.buildings.length} buildings (${r.reachable} reachable, ${r.unreachable} unreachable), ` +
      `${r.g.entranceVertices.length} entrance vertices, ${sameEdge} buildings on an entrance's edge, split graph ${r.g.pieces} pieces; ` +
      `pgRouting super-source ${r.ss.ms.toFixed(0)} ms, many-to-many ${r.mm.ms.toFixed(0)} ms (${r.mm.pairs} pairs)`);
    expect(sameEdge).toBeGreaterThan(0);
  }, 120_000);

  it('after closing the busiest edges (what-if): still equal, closures respected', async () => {
    // close the 15 edges carrying the most evacuees in the baseline
    const { flowEdge, flowPeople } = plan.flows;
    const order = Array.from(flowEdge.keys()).sort((a, b) => flowPeople[b] - flowPeople[a]).slice(0, 15).map((k) => flowEdge[k]);
    const closedIds = order.map((e) => edgeIdAt(input.edges, e));
    const next = runPlan(input, { hazard: 'earthquake', closedEdgeIds: closedIds }, {}, plan.context);
    const closed = next.context.graph.closed;
    expect(order.every((e) => closed[e] === 1)).toBe(true);
    const r = await check(next, closed);
    // nothing is snapped onto a closed edge (the oracle leaves closed edges out entirely, so agreement above also
    // means no path crosses one). Distances are NOT monotone here: entrances whose edge closed are re-found elsewhere
    // (a 'snapped' fallback), which can bring a site closer to some buildings.
    for (let b = 0; b < input.buildings.length; b++) if (next.buildings.snapEdge[b] >= 0) expect(closed[next.buildings.snapEdge[b]]).toBe(0);
    for (const en of next.entrances) expect(closed[en.edgeIndex]).toBe(0);
    let changed = 0;
    for (let b = 0; b < input.buildings.length; b++) if (Math.abs(next.buildings.nearestDistance[b] - plan.buildings.nearestDistance[b]) > 1e-6) changed++;
    expect(changed).toBeGreaterThan(0);
    expect(r.reachable).toBeGreaterThan(0);
  }, 120_000);
});
