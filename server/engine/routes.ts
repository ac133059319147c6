/**
 * Routes, flows and clearance times.
 *
 * A route (one per assignment part) is stored compactly: the building's snapped edge from its fraction to the
 * end node it leaves by, full edges `steps` (edge*2 + dir, dir 0 = source→target), and the entrance's edge from its
 * end node to the entrance fraction. `via` ≥ 2 means building and entrance are on the same edge (direct stretch).
 * Polylines are materialised on demand (`routeCoords`), so a 10⁶-node city does not allocate millions of arrays.
 *
 * Clearance model (simple, stated): every edge passes at most `flowCapacity` persons per metre of width per
 * second (default 1.3 p/m/s, the maximum specific flow of the SFPE Handbook's hydraulic model — an engineering
 * assumption, not in DOMAIN.md, configurable). People on an edge queue for flow_e / (width_e × capacity) seconds.
 * A route's clearance = its walking time (length ÷ speed; speeds from DOMAIN.md: 1.0 m/s normal, 0.5 m/s
 * vulnerable, Miyagi tsunami guideline) + the largest queueing time on any of its edges. A site's (zone's)
 * clearance is the largest over the routes into it (of its buildings).
 * Limits: queues on different edges are not added (bottleneck only), arrival times are not staggered (everyone
 * is assumed present at once, like CCRP's worst case without its time-expanded reservation), site entrance
 * widths and stairs inside buildings are ignored, and counter-flows are not modelled.
 */
import type { Graph } from './graph.ts';
import { appendEdgePart } from './graph.ts';
import { freshView, lasting, type TakeView } from './alloc.ts';
import type { Entrance } from './types.ts';

export interface RouteTable {
  /** parts (assignment pieces): building, site, people, distance, entrance, via code (0 src end, 1 tgt end, ≥2 same edge) */
  partBuilding: Int32Array;
  partSite: Int32Array;
  partPeople: Float64Array;
  partDistance: Float64Array;
  partEntrance: Int32Array;
  partVia: Int32Array;
  /** full edges walked: steps[stepStart[p] .. stepStart[p+1]-1] */
  stepStart: Int32Array;
  steps: Int32Array;
}

/** Coordinates (flat lon,lat) of route part p from the building's snapped point to the site entrance. */
export function routeCoords(g: Graph, rt: RouteTable, snapEdge: Int32Array, snapFraction: Float64Array, entrances: Entrance[], p: number): number[] {
  const b = rt.partBuilding[p];
  const e = snapEdge[b], f = snapFraction[b];
  const en = entrances[rt.partEntrance[p]];
  const out: number[] = [];
  const via = rt.partVia[p];
  if (via >= 2) { appendEdgePart(g, e, f, en.fraction, out); return out; }
  appendEdgePart(g, e, f, via === 0 ? 0 : 1, out);
  let node = via === 0 ? g.edgeSource[e] : g.edgeTarget[e];
  for (let i = rt.stepStart[p]; i < rt.stepStart[p + 1]; i++) {
    const st = rt.steps[i], ed = st >> 1, fwd = (st & 1) === 0;
    appendEdgePart(g, ed, fwd ? 0 : 1, fwd ? 1 : 0, out, true);
    node = fwd ? g.edgeTarget[ed] : g.edgeSource[ed];
  }
  appendEdgePart(g, en.edgeIndex, node === g.edgeSource[en.edgeIndex] ? 0 : 1, en.fraction, out, true);
  return out;
}

/** Node indexes along route part p (the junctions walked through), in walking order. Empty for a direct stretch. */
export function routeNodes(g: Graph, rt: RouteTable, snapEdge: Int32Array, p: number): number[] {
  const via = rt.partVia[p];
  if (via >= 2) return [];
  const e = snapEdge[rt.partBuilding[p]];
  let node = via === 0 ? g.edgeSource[e] : g.edgeTarget[e];
  const out = [node];
  for (let i = rt.stepStart[p]; i < rt.stepStart[p + 1]; i++) {
    const st = rt.steps[i], ed = st >> 1;
    node = (st & 1) === 0 ? g.edgeTarget[ed] : g.edgeSource[ed];
    out.push(node);
  }
  return out;
}

export interface FlowResult {
  /** the edges some route walks (whole or partly), ascending, and the people walking each (sparse: a plan of one
   *  community touches a few edges of a city's 10⁶, and a dense column per plan cost 10 MB of fresh memory) */
  flowEdge: Int32Array;
  flowPeople: Float64Array;
  /** per part: clearance (s) at normal / vulnerable speed, walking time (s) at both speeds */
  timeNormal: Float64Array;
  timeVulnerable: Float64Array;
  clearance: Float64Array;
  clearanceVulnerable: Float64Array;
  /** largest queueing time on the part's route (s) */
  queue: Float64Array;
}

/**
 * Per-edge accumulators of a graph's edges, kept zeroed between plans (keyed by the adjacency array, shared by the
 * graph copies that carry closures): only the edges a plan touched are reset. `lasting` (see alloc.ts).
 */
interface EdgeScratch { people: Float64Array; seen: Uint8Array; touched: Int32Array }
const edgeScratch = new WeakMap<Int32Array, EdgeScratch>();

export function flowsAndClearance(
  g: Graph, rt: RouteTable, snapEdge: Int32Array, entrances: Entrance[],
  speeds: { normal: number; vulnerable: number }, flowCapacity: number, take: TakeView = freshView,
): FlowResult {
  const P = rt.partBuilding.length;
  let sc = edgeScratch.get(g.edgeSource);
  if (!sc || sc.people.length !== g.edgeCount) {
    edgeScratch.set(g.edgeSource, (sc = { people: lasting.f64(g.edgeCount), seen: lasting.u8(g.edgeCount), touched: lasting.i32(g.edgeCount) }));
  }
  const { people: edgePeople, seen, touched } = sc;
  let n = 0;
  const forEachEdge = (p: number, fn: (e: number) => void) => {
    const e0 = snapEdge[rt.partBuilding[p]], e1 = entrances[rt.partEntrance[p]].edgeIndex;
    const s0 = rt.stepStart[p], s1 = rt.stepStart[p + 1];
    // each edge once per route: the building's edge, unless its first step walks it whole (a door at the edge's end
    // node), and the entrance's edge, unless the route walked it last (an entrance at the edge's far end node) —
    // counting either twice doubled its people
    if (s1 === s0 || rt.steps[s0] >> 1 !== e0) fn(e0);
    for (let i = s0; i < s1; i++) fn(rt.steps[i] >> 1);
    const lastEdge = s1 > s0 ? rt.steps[s1 - 1] >> 1 : e0;
    if (e1 !== lastEdge) fn(e1);
  };
  // (the callbacks are made once; the part's people and its worst queue pass through a typed cell — a captured
  // variable assigned doubles would box each one)
  const cell = new Float64Array(2); // [people of the part, its worst queue so far]
  const add = (e: number) => {
    if (!seen[e]) { seen[e] = 1; touched[n++] = e; }
    edgePeople[e] += cell[0];
  };
  const worst = (e: number) => {
    const t = edgePeople[e] / (g.edgeWidth[e] * flowCapacity);
    if (t > cell[1]) cell[1] = t;
  };
  for (let p = 0; p < P; p++) { cell[0] = rt.partPeople[p]; forEachEdge(p, add); }
  // (every element of the results is written below)
  const timeNormal = take('f64', P), timeVulnerable = take('f64', P);
  const clearance = take('f64', P), clearanceVulnerable = take('f64', P), queue = take('f64', P);
  for (let p = 0; p < P; p++) {
    cell[1] = 0;
    forEachEdge(p, worst);
    const q = cell[1];
    const d = rt.partDistance[p];
    timeNormal[p] = d / speeds.normal;
    timeVulnerable[p] = d / speeds.vulnerable;
    queue[p] = q;
    clearance[p] = timeNormal[p] + q;
    clearanceVulnerable[p] = timeVulnerable[p] + q;
  }
  // the touched edges in ascending order: sorted when few, else read off the marks in one pass
  const flowEdge = take('i32', n), flowPeople = take('f64', n);
  if (n * 32 < g.edgeCount) flowEdge.set(touched.subarray(0, n).sort());
  else for (let e = 0, k = 0; k < n; e++) if (seen[e]) flowEdge[k++] = e;
  for (let k = 0; k < n; k++) {
    const e = flowEdge[k];
    flowPeople[k] = edgePeople[e];
    edgePeople[e] = 0; seen[e] = 0;
  }
  return { flowEdge, flowPeople, timeNormal, timeVulnerable, clearance, clearanceVulnerable, queue };
}
