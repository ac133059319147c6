/**
 * Signage points for the evacuation routes (issue 3, item 6) and the sign schedule (CSV) for installation crews.
 *
 * Where signs go (DOMAIN.md "Signs"):
 * - junction / turn: at every graph node of the *route network* (the union of all assigned routes) where routes meet
 *   (≥ 2 distinct approach directions), branch (≥ 2 distinct departure directions) or turn by ≥ `turnDeg` (30° by
 *   default, issue 3 item 6). Location/direction signs at intersections of evacuation routes pointing towards
 *   safety: GB 51143-2015 §8.3.1–8.3.4; around a site, at evacuation-road intersections: GB/T 44014-2024 §9.1.
 *   All routes through one node share ONE sign with one arrow per (departure direction, target site).
 * - exit: one per building exit (the door), arrows towards the site(s) the building is assigned to.
 * - stairwell: one per floor landing of each stairwell (floors from the building's levels); position = the door.
 *   The source document (Changzhou opinion) asks for conspicuous signs in stairwells/corridors (楼道). By default a
 *   stairwell is ONE `Sign` standing for all its landings (`floors` = landings, `floor` = null) — a 20-storey block
 *   would otherwise stack 20 identical points on the map and cost 20 objects; the CSV schedule still has one row per
 *   landing (id `F-n-<floor>`), and `counts.stairwell` counts landings. `stairwellPerFloor: true` gives one `Sign`
 *   per landing instead.
 * - overview: an overview board (疏散场所总览图) at each used site entrance (GB 51143-2015 §8.3.1–8.3.4).
 * - spacing: along stretches longer than `spacingM` without another sign. GB/T 44014-2024 §9.1 asks for ≤ 150 m
 *   between signs *inside* a site; we use the same 150 m as the along-route default (a planning choice, configurable).
 *
 * Geometry: bearings are measured on the route polylines (the actual drawn route), in the graph's local metric
 * projection; 0° = north, clockwise. A route's graph nodes are located on its polyline in one forward scan.
 * Distances remaining are network metres (the input's edge lengths), interpolated by geometric length between
 * graph nodes for spacing signs.
 *
 * Pure code, no I/O. Cost is linear in the total number of route vertices plus the number of signs.
 */
import type { Graph } from './graph.ts';

export type SignKind = 'junction' | 'turn' | 'exit' | 'stairwell' | 'overview' | 'spacing';

/** One assigned building route (door → site entrance), as produced by the routing step. */
export interface SignRoute {
  buildingIndex: number;
  siteIndex: number;
  /** Graph node indexes along the path, door end first (empty when door and entrance lie on the same edge). */
  nodes: ArrayLike<number>;
  /** Optional edge index of each step nodes[k] → nodes[k+1] (length nodes.length − 1); else the shortest edge joining them. */
  stepEdges?: ArrayLike<number>;
  /** The door's snapped point on the first edge (lon, lat). */
  startPoint: [number, number];
  /** The site entrance point (lon, lat). */
  endPoint: [number, number];
  /** Network metres from startPoint to endPoint. */
  lengthM: number;
  /** Optional network metres from startPoint to nodes[0] (the partial first edge); estimated from geometry when absent. */
  startLegM?: number;
  /** Flat lon,lat polyline startPoint → … → endPoint passing through every node of `nodes`. */
  coords: ArrayLike<number>;
  /** People walking this route (for flows at junctions; default 0). */
  people?: number;
}

export interface SignBuilding {
  id: number;
  name?: string | null;
  /** Floors above ground (≥ 1). */
  levels: number;
  /** Stairwells (default 1): one stairwell sign per floor per stairwell. */
  stairwells?: number;
  /** The door (lon, lat); else the footprint point nearest the route start; else `point`; else the route start. */
  door?: [number, number];
  ring?: ArrayLike<number>;
  point?: [number, number];
}

export interface SignSite {
  id: number;
  name?: string | null;
  /** Representative point; used to aim the overview board's arrow into the site. */
  point?: [number, number];
}

export interface SignInput {
  graph: Graph;
  routes: SignRoute[];
  buildings: SignBuilding[];
  sites: SignSite[];
}

export interface SignOptions {
  /** Minimum deflection (degrees) at a graph node that needs a turn sign. Default 30 (issue 3 item 6). */
  turnDeg?: number;
  /** Maximum metres along a route without a sign; 0 disables spacing signs. Default 150 (GB/T 44014-2024 §9.1). */
  spacingM?: number;
  /** Bearings within this many degrees are the same direction (merging arrows / approaches). Default 3. */
  directionTolDeg?: number;
  /** Also sign graph crossings (degree ≥ 3) that a single route passes straight through. Default false. */
  allCrossings?: boolean;
  /** Stairwell floor-landing signs. Default true. */
  stairwells?: boolean;
  /** One `Sign` per stairwell landing instead of one per stairwell (the CSV has a row per landing either way). Default false. */
  stairwellPerFloor?: boolean;
  /** Prefix the CSV with a UTF-8 byte-order mark (Excel on Chinese Windows needs it). Default false. */
  csvBom?: boolean;
}

export interface SignArrow {
  /** Direction of travel (degrees from north, clockwise) = bearing of the next route segment; null = "down the stairs". */
  bearing: number | null;
  siteIndex: number;
  siteId: number;
  siteName: string;
  /** Network metres from here to the site along the route. */
  distanceM: number;
}

export interface Sign {
  id: string;
  kind: SignKind;
  lon: number;
  lat: number;
  /** Bearing the reader faces when reading it (their direction of travel on arrival); null for stairwell signs. */
  facing: number | null;
  /** Other approach directions at a merged junction (bearings of travel), besides `facing`. */
  approaches: number[];
  arrows: SignArrow[];
  /** Graph node of a junction/turn sign, else −1. */
  nodeIndex: number;
  buildingIndex: number;
  buildingId: number | null;
  /** Stairwell signs: the landing (with `stairwellPerFloor`), else null. */
  floor: number | null;
  /** Stairwell signs: landings this entry stands for (1 with `stairwellPerFloor`); other signs: 1. */
  floors: number;
  /** Routes and people passing the sign. */
  routes: number;
  people: number;
  note: string;
}

export interface SignResult {
  signs: Sign[];
  /** CSV (UTF-8, header row): id,kind,lon,lat,facing,arrows,targets,distance_m,building,floor,note. Built lazily on first read. */
  readonly schedule: string;
  /** Signs along each route in walking order (CSR): signs of route r are routeSignIndex[routeSignStart[r] .. routeSignStart[r+1]-1]. */
  routeSignStart: Int32Array;
  routeSignIndex: Int32Array;
  counts: Record<SignKind, number>;
}

const RAD = 180 / Math.PI;
/** Shared empty list for signs without extra approaches (never mutated). */
const SPACING_NOTE = '沿途指示牌：长直路段按间距设置';
const EMPTY: number[] = Object.freeze([]) as unknown as number[];
const MIN_SEG_M = 0.01; // segments shorter than this have no reliable bearing
const NODE_TOL_M = 0.5; // a polyline vertex this close to a graph node is that node

/** Bearing (deg from north, clockwise, [0, 360)) of a projected vector. */
export function bearingOf(dx: number, dy: number): number {
  const b = Math.atan2(dx, dy) * RAD;
  return b < 0 ? b + 360 : b;
}
/** Absolute difference of two bearings, [0, 180]. */
export function angleDiff(a: number, b: number): number {
  let d = a - b;
  if (d < 0) d = -d;
  if (d >= 360) d %= 360;
  return d > 180 ? 360 - d : d;
}

const KIND_PREFIX: Record<SignKind, string> = { junction: 'J', turn: 'T', exit: 'E', stairwell: 'F', overview: 'O', spacing: 'P' };
const KIND_ZH: Record<SignKind, string> = {
  junction: '路口指示牌', turn: '转向指示牌', exit: '楼门出口指示牌', stairwell: '楼道指示牌', overview: '疏散场所总览图', spacing: '沿途指示牌',
};

export function computeSigns(input: SignInput, options: SignOptions = {}): SignResult {
  const g = input.graph;
  const { routes, buildings, sites } = input;
  const turnDeg = options.turnDeg ?? 30;
  const spacingM = options.spacingM ?? 150;
  const tol = options.directionTolDeg ?? 3;
  const N = g.nodeCount;
  const { proj } = g;
  const R = routes.length;
  const siteNames = sites.map((site, s) => (site?.name && site.name.trim() ? site.name : `疏散场所 ${site ? site.id : s}`));
  const siteName = (s: number) => siteNames[s] ?? `疏散场所 ${s}`;
  const siteIds = sites.map((site, s) => site?.id ?? s);
  const siteId = (s: number) => siteIds[s] ?? s;
  const routePeople = new Float64Array(R);
  for (let r = 0; r < R; r++) routePeople[r] = routes[r].people ?? 0;

  // ---- pass 1: locate every route node on its polyline; bearings and distances per passage --------------------
  let P = 0;
  for (let r = 0; r < R; r++) P += routes[r].nodes.length;
  const pNode = new Int32Array(P);
  const pIn = new Float64Array(P); // approach bearing (NaN: route starts here)
  const pOut = new Float64Array(P); // departure bearing (NaN: route ends here)
  const pRem = new Float64Array(P); // network metres remaining
  const pCum = new Float64Array(P); // geometric metres from the route start
  const pVert = new Int32Array(P); // polyline vertex index
  const pRoute = new Int32Array(P);
  const routeFirst = new Int32Array(R + 1); // passages of route r: routeFirst[r] .. routeFirst[r+1]-1
  const routeGeomLen = new Float64Array(R);
  const routeStartBearing = new Float64Array(R);
  const routeEndBearing = new Float64Array(R);

  let xs = new Float64Array(64), ys = new Float64Array(64), cum = new Float64Array(64);
  const project = (c: ArrayLike<number>): number => {
    const k = c.length >> 1;
    if (xs.length < k) { const sz = Math.max(k, xs.length * 2); xs = new Float64Array(sz); ys = new Float64Array(sz); cum = new Float64Array(sz); }
    let acc = 0;
    for (let i = 0; i < k; i++) {
      const x = (c[2 * i] - proj.lon0) * proj.kx, y = (c[2 * i + 1] - proj.lat0) * proj.ky;
      xs[i] = x; ys[i] = y;
      if (i > 0) { const dx = x - xs[i - 1], dy = y - ys[i - 1]; acc += Math.sqrt(dx * dx + dy * dy); }
      cum[i] = acc;
    }
    return k;
  };
  // bearing leaving vertex i forwards / arriving at vertex i from behind (NaN when the polyline ends there)
  const outBearing = (i: number, k: number): number => {
    for (let j = i + 1; j < k; j++) if (cum[j] - cum[i] > MIN_SEG_M) return bearingOf(xs[j] - xs[i], ys[j] - ys[i]);
    return NaN;
  };
  const inBearing = (i: number): number => {
    for (let j = i - 1; j >= 0; j--) if (cum[i] - cum[j] > MIN_SEG_M) return bearingOf(xs[i] - xs[j], ys[i] - ys[j]);
    return NaN;
  };

  let stepLen = new Float64Array(64);
  let p = 0;
  for (let r = 0; r < R; r++) {
    const rt = routes[r];
    routeFirst[r] = p;
    const nodes = rt.nodes;
    const m = nodes.length;
    const k = project(rt.coords);
    if (k < 1) throw new Error(`signs: route ${r} (building ${rt.buildingIndex}) has no coordinates`);
    routeGeomLen[r] = cum[k - 1];
    routeStartBearing[r] = outBearing(0, k);
    routeEndBearing[r] = inBearing(k - 1);
    // network length of the steps between nodes
    if (stepLen.length < m) stepLen = new Float64Array(Math.max(m, stepLen.length * 2));
    let steps = 0;
    for (let j = 0; j + 1 < m; j++) {
      const e = rt.stepEdges ? rt.stepEdges[j] : edgeBetween(g, nodes[j], nodes[j + 1]);
      if (e < 0 || e >= g.edgeCount) throw new Error(`signs: route ${r} steps between nodes ${nodes[j]} and ${nodes[j + 1]}, which no edge joins`);
      stepLen[j] = g.edgeLength[e];
      steps += stepLen[j];
    }
    // locate nodes on the polyline (one forward scan)
    let vi = 0;
    const base = p;
    for (let j = 0; j < m; j++) {
      const v = nodes[j];
      const nx = g.x[v], ny = g.y[v];
      let found = -1, best = Infinity, bestI = vi;
      for (let i = vi; i < k; i++) {
        const d = (xs[i] - nx) * (xs[i] - nx) + (ys[i] - ny) * (ys[i] - ny);
        if (d <= NODE_TOL_M * NODE_TOL_M) { found = i; break; }
        if (d < best) { best = d; bestI = i; }
      }
      vi = found >= 0 ? found : bestI;
      pNode[p] = v; pVert[p] = vi; pCum[p] = cum[vi]; pRoute[p] = r;
      pIn[p] = inBearing(vi);
      pOut[p] = outBearing(vi, k);
      p++;
    }
    // network distance travelled to nodes[0]
    let startLeg: number;
    if (rt.startLegM != null) startLeg = rt.startLegM;
    else if (m === 0) startLeg = 0;
    else {
      const gs = pCum[base], ge = routeGeomLen[r] - pCum[base + m - 1];
      const left = Math.max(0, rt.lengthM - steps);
      startLeg = gs + ge > 0 ? (left * gs) / (gs + ge) : 0;
    }
    let travelled = startLeg;
    for (let j = 0; j < m; j++) {
      pRem[base + j] = Math.max(0, rt.lengthM - travelled);
      if (j + 1 < m) travelled += stepLen[j];
    }
  }
  routeFirst[R] = p;

  // ---- pass 2: passages grouped by node (counting sort), one merged sign per qualifying node ---------------------
  const nodeStart = new Int32Array(N + 1);
  for (let i = 0; i < P; i++) nodeStart[pNode[i] + 1]++;
  for (let v = 0; v < N; v++) nodeStart[v + 1] += nodeStart[v];
  const fill = nodeStart.slice(0, N);
  // scatter the passage data into node order once, so the per-node loops below read memory sequentially
  const qIn = new Float64Array(P), qOut = new Float64Array(P), qRem = new Float64Array(P), qPeople = new Float64Array(P);
  const qSite = new Int32Array(P);
  for (let i = 0; i < P; i++) {
    const q = fill[pNode[i]]++;
    const r = pRoute[i];
    qIn[q] = pIn[i]; qOut[q] = pOut[i]; qRem[q] = pRem[i]; qPeople[q] = routePeople[r]; qSite[q] = routes[r].siteIndex;
  }

  const signs: Sign[] = [];
  const nodeSign = new Int32Array(N).fill(-1);
  const inDirs: number[] = [], inWeight: number[] = [], outDirs: number[] = [];
  const people = (r: number) => routePeople[r];
  const allCrossings = options.allCrossings === true;
  for (let v = 0; v < N; v++) {
    const a = nodeStart[v], b = nodeStart[v + 1];
    if (a === b) continue;
    inDirs.length = 0; inWeight.length = 0; outDirs.length = 0;
    let turned = false;
    let ppl = 0;
    for (let q = a; q < b; q++) {
      const bi = qIn[q], bo = qOut[q];
      ppl += qPeople[q];
      // Only routes passing through count for meet/branch: a route starting at the node (door exactly there) is
      // guided by its exit sign, a route ending there (entrance at the node) by the overview board.
      if (Number.isNaN(bi) || Number.isNaN(bo)) continue;
      const c = cluster(inDirs, bi, tol);
      if (c === inWeight.length) inWeight.push(0);
      inWeight[c] += qPeople[q] + 1e-9;
      cluster(outDirs, bo, tol);
      if (angleDiff(bi, bo) >= turnDeg) turned = true;
    }
    const junction = inDirs.length >= 2 || outDirs.length >= 2 || (allCrossings && g.adjStart[v + 1] - g.adjStart[v] >= 3);
    if (!junction && !turned) continue;
    // arrows: one per (departure direction, site), the smallest distance remaining
    const arrows: SignArrow[] = [];
    for (let q = a; q < b; q++) {
      const bo = qOut[q];
      if (Number.isNaN(bo)) continue;
      const c = cluster(outDirs, bo, tol);
      const s = qSite[q];
      addArrow(arrows, outDirs[c], s, siteId(s), siteName(s), qRem[q]);
    }
    let main = 0;
    for (let c = 1; c < inDirs.length; c++) if (inWeight[c] > inWeight[main]) main = c;
    const facing = inDirs.length > 0 ? inDirs[main] : outDirs.length > 0 ? outDirs[0] : null;
    const kind: SignKind = junction ? 'junction' : 'turn';
    nodeSign[v] = signs.length;
    signs.push(makeSign(kind, g.lon[v], g.lat[v], facing, inDirs.filter((_, c) => c !== main), sortArrows(arrows), v, -1, null, null, b - a, ppl,
      kind === 'junction' ? `${KIND_ZH.junction}：${inDirs.length} 个来向、${outDirs.length} 个去向` : `${KIND_ZH.turn}：转向`));
  }

  // ---- pass 3: per route, exit / overview / spacing signs and the route's sign list --------------------------------
  const routeSigns: number[] = [];
  const routeSignStart = new Int32Array(R + 1);
  const exitSign = new Map<number, number>();
  // overview boards per site: [lon, lat, sign index] triples (a site has a handful of entrances)
  const overviewSign: number[][] = sites.map(() => []);
  const spacingSigns = new Map<number, number[]>();
  const M = N + sites.length + 1;
  const stairwellsOn = options.stairwells !== false;
  const perFloor = options.stairwellPerFloor === true;
  const stairBuildings: number[] = [];
  const pt = [0, 0];
  for (let r = 0; r < R; r++) {
    const rt = routes[r];
    routeSignStart[r] = routeSigns.length;
    const bld = buildings[rt.buildingIndex];
    const s = rt.siteIndex;
    const ppl = people(r);
    // exit sign at the door
    let ei = exitSign.get(rt.buildingIndex);
    if (ei === undefined) {
      const door = doorPoint(bld, rt.startPoint);
      const dx = (rt.startPoint[0] - door[0]) * proj.kx, dy = (rt.startPoint[1] - door[1]) * proj.ky;
      const facing = Math.hypot(dx, dy) > 0.5 ? bearingOf(dx, dy) : Number.isNaN(routeStartBearing[r]) ? null : routeStartBearing[r];
      ei = signs.length;
      exitSign.set(rt.buildingIndex, ei);
      signs.push(makeSign('exit', door[0], door[1], facing, EMPTY, [], -1, rt.buildingIndex, bld?.id ?? null, null, 0, 0,
        `${KIND_ZH.exit}：${bld?.name ? bld.name + ' ' : ''}出楼门后按箭头前往疏散场所`));
      if (stairwellsOn) stairBuildings.push(rt.buildingIndex);
    }
    const ex = signs[ei];
    ex.routes++; ex.people += ppl;
    addArrow(ex.arrows, Number.isNaN(routeStartBearing[r]) ? null : routeStartBearing[r], s, siteId(s), siteName(s), rt.lengthM);
    routeSigns.push(ei);

    // walk the anchors (start, signed nodes, end) and fill long gaps with spacing signs
    const first = routeFirst[r], last = routeFirst[r + 1];
    let aCum = 0, aRem = rt.lengthM, aKey = -(1 + rt.buildingIndex * M + (last > first ? pNode[first] : N + s));
    let k = -1;
    for (let q = first; q <= last; q++) {
      const isEnd = q === last;
      if (!isEnd && nodeSign[pNode[q]] < 0) continue;
      const bCum = isEnd ? routeGeomLen[r] : pCum[q];
      const bRem = isEnd ? 0 : pRem[q];
      // the gap is measured in network metres (the input's lengths); positions are placed at the same fraction of
      // the polyline's length, so routes sharing a stretch from the same anchor place their signs at the same points
      const gap = aRem - bRem, geo = bCum - aCum;
      if (spacingM > 0 && gap > spacingM * (1 + 1e-9)) {
        if (k < 0) k = project(rt.coords);
        const n = Math.ceil(gap / spacingM - 1e-9) - 1;
        let list = spacingSigns.get(aKey);
        if (!list) { list = []; spacingSigns.set(aKey, list); }
        let vi = 0;
        for (let j = 1; j <= n; j++) {
          const at = aCum + (geo * j * spacingM) / gap;
          while (vi < k - 2 && cum[vi + 1] < at) vi++;
          const seg = cum[vi + 1] - cum[vi];
          const t = seg > 0 ? Math.min(1, Math.max(0, (at - cum[vi]) / seg)) : 0;
          const rem = aRem - j * spacingM;
          let si = list[j - 1];
          if (si === undefined) {
            pt[0] = xs[vi] + (xs[vi + 1] - xs[vi]) * t; pt[1] = ys[vi] + (ys[vi + 1] - ys[vi]) * t;
            const br = bearingOf(xs[vi + 1] - xs[vi], ys[vi + 1] - ys[vi]);
            si = signs.length;
            list[j - 1] = si;
            signs.push(makeSign('spacing', proj.lon0 + pt[0] / proj.kx, proj.lat0 + pt[1] / proj.ky, br, EMPTY, [], -1, -1, null, null, 0, 0,
              SPACING_NOTE));
          }
          const sg = signs[si];
          sg.routes++; sg.people += ppl;
          addArrow(sg.arrows, sg.facing, s, siteId(s), siteName(s), rem);
          routeSigns.push(si);
        }
      }
      if (isEnd) break;
      routeSigns.push(nodeSign[pNode[q]]);
      aCum = bCum; aRem = bRem;
      aKey = pNode[q] * M + (q + 1 < last ? pNode[q + 1] : N + s);
    }

    // overview board at the used site entrance
    const ov = overviewSign[s] ?? (overviewSign[s] = []);
    let oi: number | undefined;
    for (let j = 0; j < ov.length; j += 3) {
      if (Math.abs(ov[j] - rt.endPoint[0]) < 1e-7 && Math.abs(ov[j + 1] - rt.endPoint[1]) < 1e-7) { oi = ov[j + 2]; break; }
    }
    if (oi === undefined) {
      const site = sites[s];
      const facing = Number.isNaN(routeEndBearing[r]) ? null : routeEndBearing[r];
      let into = facing;
      if (site?.point) {
        const dx = (site.point[0] - rt.endPoint[0]) * proj.kx, dy = (site.point[1] - rt.endPoint[1]) * proj.ky;
        if (Math.hypot(dx, dy) > 1) into = bearingOf(dx, dy);
      }
      oi = signs.length;
      ov.push(rt.endPoint[0], rt.endPoint[1], oi);
      signs.push(makeSign('overview', rt.endPoint[0], rt.endPoint[1], facing, [], [{ bearing: into, siteIndex: s, siteId: siteId(s), siteName: siteName(s), distanceM: 0 }],
        -1, -1, null, null, 0, 0, `${KIND_ZH.overview}：${siteName(s)} 入口`));
    } else if (signs[oi].facing !== null && !Number.isNaN(routeEndBearing[r]) && angleDiff(signs[oi].facing!, routeEndBearing[r]) > tol
      && !signs[oi].approaches.some((b) => angleDiff(b, routeEndBearing[r]) <= tol)) {
      signs[oi].approaches.push(routeEndBearing[r]);
    }
    signs[oi].routes++; signs[oi].people += ppl;
    routeSigns.push(oi);
  }
  routeSignStart[R] = routeSigns.length;

  // ---- stairwell landings: floors × stairwells per assigned building, position = the door ---------------------------
  for (const bi of stairBuildings) {
    const bld = buildings[bi];
    const ex = signs[exitSign.get(bi)!];
    const floors = Math.max(1, Math.round(bld?.levels ?? 1));
    const wells = Math.max(1, Math.round(bld?.stairwells ?? 1));
    // one arrow list per building, shared by its landings (outputs are read-only)
    const arrows = ex.arrows.map((a) => ({ ...a, bearing: null }));
    for (let w = 1; w <= wells; w++) {
      const note = `${KIND_ZH.stairwell}：${wells > 1 ? `${w} 号楼梯，` : ''}每层平台，下楼出楼门后前往疏散场所`;
      if (!perFloor) {
        const sg = makeSign('stairwell', ex.lon, ex.lat, null, EMPTY, arrows, -1, bi, bld?.id ?? null, null, ex.routes, ex.people, note);
        sg.floors = floors;
        signs.push(sg);
      } else {
        for (let f = 1; f <= floors; f++) signs.push(makeSign('stairwell', ex.lon, ex.lat, null, EMPTY, arrows, -1, bi, bld?.id ?? null, f, ex.routes, ex.people, note));
      }
    }
  }

  // ids: kind prefix + running number in output order
  const counts: Record<SignKind, number> = { junction: 0, turn: 0, exit: 0, stairwell: 0, overview: 0, spacing: 0 };
  let landings = 0;
  for (const sg of signs) {
    sg.id = KIND_PREFIX[sg.kind] + '-' + ++counts[sg.kind];
    if (sg.kind === 'stairwell') landings += sg.floors;
  }
  counts.stairwell = landings;

  // The CSV is built on first access (it is only needed for exports), then cached.
  let csv: string | null = null;
  const bom = options.csvBom === true;
  return {
    signs,
    get schedule(): string { return (csv ??= signScheduleCsv(signs, bom)); },
    routeSignStart,
    routeSignIndex: Int32Array.from(routeSigns),
    counts,
  };
}

/** The shortest edge joining nodes u and v (prefers open edges), or −1. */
export function edgeBetween(g: Graph, u: number, v: number): number {
  let best = -1, bestLen = Infinity, bestClosed = true;
  for (let k = g.adjStart[u], end = g.adjStart[u + 1]; k < end; k++) {
    if (g.adjNode[k] !== v) continue;
    const e = g.adjEdge[k];
    const closed = g.closed[e] === 1;
    if ((bestClosed && !closed) || (closed === bestClosed && g.adjLen[k] < bestLen)) { best = e; bestLen = g.adjLen[k]; bestClosed = closed; }
  }
  return best;
}

/** Index of the direction in `dirs` within `tol` degrees of `b`, appending `b` as a new direction when none is. */
function cluster(dirs: number[], b: number, tol: number): number {
  for (let c = 0; c < dirs.length; c++) if (angleDiff(dirs[c], b) <= tol) return c;
  dirs.push(b);
  return dirs.length - 1;
}

function addArrow(arrows: SignArrow[], bearing: number | null, siteIndex: number, siteId: number, name: string, distanceM: number): void {
  for (const a of arrows) {
    if (a.siteIndex === siteIndex && (a.bearing === bearing || (a.bearing !== null && bearing !== null && angleDiff(a.bearing, bearing) < 1e-9))) {
      if (distanceM < a.distanceM) a.distanceM = distanceM;
      return;
    }
  }
  arrows.push({ bearing, siteIndex, siteId, siteName: name, distanceM });
}

function sortArrows(arrows: SignArrow[]): SignArrow[] {
  return arrows.sort((a, b) => (a.bearing ?? -1) - (b.bearing ?? -1) || a.distanceM - b.distanceM);
}

function makeSign(kind: SignKind, lon: number, lat: number, facing: number | null, approaches: number[], arrows: SignArrow[], nodeIndex: number,
  buildingIndex: number, buildingId: number | null, floor: number | null, routes: number, people: number, note: string): Sign {
  return { id: '', kind, lon, lat, facing, approaches, arrows, nodeIndex, buildingIndex, buildingId, floor, floors: 1, routes, people, note };
}

/** The building's door: given, else the footprint point nearest `towards`, else its point, else `towards`. */
function doorPoint(b: SignBuilding | undefined, towards: [number, number]): [number, number] {
  if (!b) return towards;
  if (b.door) return b.door;
  const ring = b.ring;
  if (ring && ring.length >= 4) {
    // nearest point on the ring, in a local equirectangular frame around `towards`
    const kx = Math.cos((towards[1] * Math.PI) / 180);
    let best = Infinity, bx = towards[0], by = towards[1];
    const n = ring.length >> 1;
    for (let i = 0; i < n; i++) {
      const j = (i + 1) % n;
      const ax = (ring[2 * i] - towards[0]) * kx, ay = ring[2 * i + 1] - towards[1];
      const cx = (ring[2 * j] - towards[0]) * kx, cy = ring[2 * j + 1] - towards[1];
      const dx = cx - ax, dy = cy - ay;
      const L = dx * dx + dy * dy;
      const t = L > 0 ? Math.min(1, Math.max(0, -(ax * dx + ay * dy) / L)) : 0;
      const px = ax + dx * t, py = ay + dy * t;
      const d = px * px + py * py;
      if (d < best) { best = d; bx = towards[0] + px / kx; by = towards[1] + py; }
    }
    return [bx, by];
  }
  return b.point ?? towards;
}

// ---- the sign schedule (CSV) -----------------------------------------------------------------------------------------

export const SIGN_CSV_HEADER = ['id', 'kind', 'lon', 'lat', 'facing', 'arrows', 'targets', 'distance_m', 'building', 'floor', 'note'] as const;

/**
 * CSV for installation crews: UTF-8, one header row, one row per sign — a stairwell sign standing for several
 * landings gets one row per landing (id `<sign id>-<floor>`, floor 1 … floors). Multi-valued columns (arrows, targets,
 * distance_m) list one entry per arrow, separated by ';', in the same order. Arrow bearings are whole degrees from
 * north, clockwise; "down" on stairwell signs. Text cells are quoted when needed and guarded against spreadsheet
 * formula injection (a leading = + - @ gets a ').
 */
export function signScheduleCsv(signs: Sign[], bom = false): string {
  let out = (bom ? '\uFEFF' : '') + SIGN_CSV_HEADER.join(',') + '\r\n';
  let lastArrows: SignArrow[] | null = null, arrowCells = '';
  for (const s of signs) {
    if (s.arrows !== lastArrows) { // stairwell landings share one arrow list: format it once
      lastArrows = s.arrows;
      let b = '', t = '', d = '';
      for (let i = 0; i < s.arrows.length; i++) {
        const a = s.arrows[i];
        const sep = i > 0 ? ';' : '';
        b += sep + (a.bearing === null ? 'down' : String(Math.round(a.bearing) % 360));
        t += sep + a.siteName.replace(/;/g, '；');
        d += sep + String(Math.round(a.distanceM));
      }
      arrowCells = b + ',' + csvText(t) + ',' + d;
    }
    const mid = ',' + s.kind + ',' + s.lon.toFixed(7) + ',' + s.lat.toFixed(7) + ','
      + (s.facing === null ? '' : String(Math.round(s.facing) % 360)) + ',' + arrowCells + ','
      + (s.buildingId === null ? '' : String(s.buildingId)) + ',';
    const note = ',' + csvText(s.note) + '\r\n';
    if (s.kind === 'stairwell' && s.floor === null) {
      for (let f = 1; f <= s.floors; f++) out += s.id + '-' + f + mid + f + note;
    } else {
      out += s.id + mid + (s.floor === null ? '' : String(s.floor)) + note;
    }
  }
  return out;
}

function csvText(v: string): string {
  let t = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  if (/[",\r\n]/.test(t)) t = `"${t.replace(/"/g, '""')}"`;
  return t;
}
