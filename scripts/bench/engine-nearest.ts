/**
 * The engine doing the same work the pgRouting side does, for the side-by-side benchmark:
 *  - snap: every building (door → nearest open edge) and every site's entrances, on the prepared segment index;
 *  - nearest: ONE multi-source Dijkstra from the eligible entrances (virtual super-source) + each building's
 *    distance from the two ends of its snapped edge (and entrances on the same edge);
 *  - routes: a route polyline (flat lon,lat) per reachable building, door snap → entrance, from the predecessor tree.
 * Uses the engine's own modules (graph, snap, dijkstra); nothing here is tuned for the benchmark.
 */
import { appendEdgePart } from '../../server/engine/graph.ts';
import { allEntrances, snapBuildings, type BuildingSnaps } from '../../server/engine/snap.ts';
import { nearestForSnap, nearestSearch, predEntrance, type NearestTree } from '../../server/engine/dijkstra.ts';
import type { PlanContext } from '../../server/engine/plan.ts';
import type { Entrance } from '../../server/engine/types.ts';

export function engineSnap(ctx: PlanContext, maxSnapM = 250): { snaps: BuildingSnaps; entrances: Entrance[] } {
  const snaps = snapBuildings(ctx.index, ctx.input.buildings, maxSnapM);
  const entrances = allEntrances(ctx.index, ctx.input.sites, maxSnapM);
  return { snaps, entrances };
}

export interface EngineNearest { tree: NearestTree; site: Int32Array; distance: Float64Array; via: Int32Array }

export function engineNearest(ctx: PlanContext, snapEdge: Int32Array, snapFraction: Float64Array, entrances: Entrance[], eligible: ArrayLike<boolean | number>): EngineNearest {
  const g = ctx.graph;
  const active: number[] = [];
  for (let i = 0; i < entrances.length; i++) if (eligible[entrances[i].siteIndex]) active.push(i);
  const tree = nearestSearch(g, entrances, active);
  const n = snapEdge.length;
  const site = new Int32Array(n), distance = new Float64Array(n), via = new Int32Array(n);
  const tmp = [0, 0, 0];
  for (let b = 0; b < n; b++) {
    nearestForSnap(g, tree, snapEdge[b], snapFraction[b], tmp);
    site[b] = tmp[0]; distance[b] = tmp[1]; via[b] = tmp[2];
  }
  return { tree, site, distance, via };
}

/** One polyline per reachable building (null when unreachable). Returns the lines and the total point count. */
export function engineRoutes(ctx: PlanContext, snapEdge: Int32Array, snapFraction: Float64Array, entrances: Entrance[], nr: EngineNearest): { lines: (number[] | null)[]; points: number } {
  const g = ctx.graph;
  const lines: (number[] | null)[] = new Array(snapEdge.length).fill(null);
  let points = 0;
  const pred = nr.tree.pred;
  for (let b = 0; b < snapEdge.length; b++) {
    const via = nr.via[b];
    if (via < 0) continue;
    const e = snapEdge[b], f = snapFraction[b];
    const out: number[] = [];
    if (via >= 2) {
      appendEdgePart(g, e, f, entrances[via - 2].fraction, out);
    } else {
      appendEdgePart(g, e, f, via === 0 ? 0 : 1, out);
      let node = via === 0 ? g.edgeSource[e] : g.edgeTarget[e];
      let guard = 0;
      for (;;) {
        const pr = pred[node];
        if (pr <= -2) {
          const en = entrances[predEntrance(pr)];
          appendEdgePart(g, en.edgeIndex, node === g.edgeSource[en.edgeIndex] ? 0 : 1, en.fraction, out, true);
          break;
        }
        if (pr < 0 || ++guard > g.nodeCount) throw new Error(`route: broken predecessor chain at node ${node}`);
        const fwd = g.edgeSource[pr] === node;
        appendEdgePart(g, pr, fwd ? 0 : 1, fwd ? 1 : 0, out, true);
        node = fwd ? g.edgeTarget[pr] : g.edgeSource[pr];
      }
    }
    lines[b] = out;
    points += out.length >> 1;
  }
  return { lines, points };
}
