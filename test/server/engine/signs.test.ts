import { describe, expect, it } from 'vitest';
import { bearing as turfBearing, distance as turfDistance } from '@turf/turf';
import { appendEdgePart, buildGraph, type Graph } from '../../../server/engine/graph.ts';
import { angleDiff, computeSigns, edgeBetween, SIGN_CSV_HEADER, type Sign, type SignRoute, type SignBuilding, type SignSite } from '../../../server/engine/signs.ts';
import type { EngineBuilding, EngineEdge, EngineInput, EngineSite } from '../../../server/engine/types.ts';
import { gridFixture, metresLonLat, randomGridInput, rng } from './fixtures.ts';
import { runPlan } from '../../../server/engine/plan.ts';
import { stageBuffersOf } from '../../../server/engine/alloc.ts';
import { planSigns, planSignsViaRoutes } from '../../../server/engine/full.ts';

// ---- helpers -------------------------------------------------------------------------------------------------------

/** A route along graph nodes `path` (indexes), optionally starting at fraction `startF` of the edge into path[0]. */
function makeRoute(g: Graph, path: number[], o: { buildingIndex: number; siteIndex: number; people?: number; start?: { edge: number; f: number }; giveStartLeg?: boolean }): SignRoute & { stepLens: number[]; startLeg: number } {
  const coords: number[] = [];
  let startLeg = 0;
  if (o.start) {
    const { edge, f } = o.start;
    const toSource = g.edgeSource[edge] === path[0];
    appendEdgePart(g, edge, f, toSource ? 0 : 1, coords);
    startLeg = (toSource ? f : 1 - f) * g.edgeLength[edge];
  } else {
    coords.push(g.lon[path[0]], g.lat[path[0]]);
  }
  const stepEdges: number[] = [], stepLens: number[] = [];
  for (let i = 0; i + 1 < path.length; i++) {
    const e = edgeBetween(g, path[i], path[i + 1]);
    const fwd = g.edgeSource[e] === path[i];
    appendEdgePart(g, e, fwd ? 0 : 1, fwd ? 1 : 0, coords, true);
    stepEdges.push(e); stepLens.push(g.edgeLength[e]);
  }
  const lengthM = startLeg + stepLens.reduce((a, b) => a + b, 0);
  const n = coords.length;
  return {
    buildingIndex: o.buildingIndex, siteIndex: o.siteIndex, nodes: path, stepEdges: o.giveStartLeg === false ? undefined : stepEdges,
    startPoint: [coords[0], coords[1]], endPoint: [coords[n - 2], coords[n - 1]], lengthM,
    startLegM: o.giveStartLeg === false ? undefined : startLeg, coords, people: o.people ?? 10, stepLens, startLeg,
  };
}

const nodeAt = (g: Graph, id: number) => { for (let v = 0; v < g.nodeCount; v++) if (g.nodeIds[v] === id) return v; throw new Error(`no node ${id}`); };
const metres = (a: [number, number], b: [number, number]) => turfDistance(a, b, { units: 'kilometers' }) * 1000;
const brg = (a: [number, number], b: [number, number]) => (turfBearing(a, b) + 360) % 360;
const pts = (c: ArrayLike<number>): [number, number][] => { const out: [number, number][] = []; for (let i = 0; i < c.length; i += 2) out.push([c[i], c[i + 1]]); return out; };

/**
 * The geometric check: for every consecutive triple of distinct route points whose middle point is a graph node and
 * whose deflection is ≥ minDeg, there is a junction/turn sign within 1 m with an arrow along the outgoing segment
 * (within 3°) to the route's site. Bearings and distances by turf (geodesic), independent of the engine.
 */
function checkTurnSigns(g: Graph, routes: SignRoute[], signs: Sign[], minDeg: number): number {
  let checked = 0;
  const nodeSigns = signs.filter((s) => s.kind === 'junction' || s.kind === 'turn');
  for (const rt of routes) {
    const p = pts(rt.coords).filter((q, i, a) => i === 0 || metres(q, a[i - 1]) > 0.05);
    for (let i = 1; i + 1 < p.length; i++) {
      let isNode = false;
      for (const v of Array.from(rt.nodes)) if (metres(p[i], [g.lon[v], g.lat[v]]) < 0.01) isNode = true;
      if (!isNode) continue;
      const bin = brg(p[i - 1], p[i]), bout = brg(p[i], p[i + 1]);
      if (angleDiff(bin, bout) < minDeg) continue;
      checked++;
      const near = nodeSigns.filter((s) => metres([s.lon, s.lat], p[i]) <= 1);
      expect(near.length, `sign at turn ${p[i]}`).toBe(1);
      const ok = near[0].arrows.some((a) => a.siteIndex === rt.siteIndex && a.bearing !== null && angleDiff(a.bearing, bout) <= 3);
      expect(ok, `arrow along ${bout.toFixed(1)}° at ${p[i]}`).toBe(true);
    }
  }
  return checked;
}

/** A jittered grid network (irregular angles, some edges with a bend vertex), multi-source shortest-path tree routes. */
function randomNetwork(seed: number, w = 12, h = 10, nRoutes = 120) {
  const rand = rng(seed);
  const sp = 60;
  const ids: number[] = [], lon: number[] = [], lat: number[] = [];
  for (let j = 0; j < h; j++) for (let i = 0; i < w; i++) {
    const [x, y] = metresLonLat(i * sp + (rand() - 0.5) * 30, j * sp + (rand() - 0.5) * 30);
    ids.push(j * w + i + 1); lon.push(x); lat.push(y);
  }
  const edges: EngineEdge[] = [];
  const add = (a: number, b: number) => {
    if (rand() < 0.12) return;
    const coords = [lon[a], lat[a]];
    if (rand() < 0.3) { // a bend vertex inside the edge
      coords.push((lon[a] + lon[b]) / 2 + (rand() - 0.5) * 1e-4, (lat[a] + lat[b]) / 2 + (rand() - 0.5) * 1e-4);
    }
    coords.push(lon[b], lat[b]);
    let L = 0;
    for (let k = 2; k < coords.length; k += 2) L += metres([coords[k - 2], coords[k - 1]], [coords[k], coords[k + 1]]);
    edges.push({ id: edges.length + 1, source: a + 1, target: b + 1, lengthM: L, highway: 'footway', widthM: null, coords });
  };
  for (let j = 0; j < h; j++) for (let i = 0; i < w; i++) {
    const v = j * w + i;
    if (i + 1 < w) add(v, v + 1);
    if (j + 1 < h) add(v, v + w);
  }
  const g = buildGraph({ nodes: { ids, lon, lat }, edges });
  // multi-source Dijkstra (O(V²), test only) from two site nodes
  const siteNodes = [0, w * h - 1];
  const dist = new Array(g.nodeCount).fill(Infinity), pred = new Array(g.nodeCount).fill(-1), site = new Array(g.nodeCount).fill(-1);
  const done = new Array(g.nodeCount).fill(false);
  siteNodes.forEach((v, s) => { dist[v] = 0; site[v] = s; });
  for (;;) {
    let u = -1;
    for (let v = 0; v < g.nodeCount; v++) if (!done[v] && dist[v] < Infinity && (u < 0 || dist[v] < dist[u])) u = v;
    if (u < 0) break;
    done[u] = true;
    for (let k = g.adjStart[u]; k < g.adjStart[u + 1]; k++) {
      const v = g.adjNode[k];
      if (dist[u] + g.adjLen[k] < dist[v]) { dist[v] = dist[u] + g.adjLen[k]; pred[v] = u; site[v] = site[u]; }
    }
  }
  const routes: ReturnType<typeof makeRoute>[] = [];
  const buildings: SignBuilding[] = [];
  for (let r = 0; routes.length < nRoutes && r < nRoutes * 5; r++) {
    const e = Math.floor(rand() * g.edgeCount);
    const f = 0.1 + 0.8 * rand();
    const s0 = g.edgeSource[e], t0 = g.edgeTarget[e];
    const dS = f * g.edgeLength[e] + dist[s0], dT = (1 - f) * g.edgeLength[e] + dist[t0];
    if (!Number.isFinite(Math.min(dS, dT))) continue;
    let v = dS <= dT ? s0 : t0;
    const path = [v];
    while (pred[v] >= 0) { v = pred[v]; path.push(v); }
    const bi = buildings.length;
    buildings.push({ id: 100 + bi, name: `${bi + 1}号楼`, levels: 1 + Math.floor(rand() * 18) });
    routes.push(makeRoute(g, path, { buildingIndex: bi, siteIndex: site[path[path.length - 1]], start: { edge: e, f }, people: 5 + Math.floor(rand() * 80) }));
  }
  const sites: SignSite[] = [{ id: 1, name: '人民公园' }, { id: 2, name: '中心广场' }];
  return { g, routes, buildings, sites, dist };
}

/** The network's routes repeated to `count`, each from a building of its own (a copy of the route's building). */
function repeatedRoutes(net: ReturnType<typeof randomNetwork>, count: number) {
  const routes: SignRoute[] = [], buildings: SignBuilding[] = [];
  for (let i = 0; i < count; i++) {
    const rt = net.routes[i % net.routes.length];
    routes.push({ ...rt, buildingIndex: i });
    buildings.push({ ...net.buildings[rt.buildingIndex], id: i + 1 });
  }
  return { g: net.g, sites: net.sites, routes, buildings };
}

function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [], cell = '', q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') q = false; else cell += c;
    } else if (c === '"') q = true;
    else if (c === ',') { row.push(cell); cell = ''; }
    else if (c === '\r') continue;
    else if (c === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; }
    else cell += c;
  }
  if (cell || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

// ---- tests ---------------------------------------------------------------------------------------------------------

/**
 * A jittered grid with awkward geometry for the plan path's piece-by-piece pass: bent edges whose bend points sit
 * around the 0.01 m bearing threshold and the 0.5 m node tolerance from an end (and duplicate points), short spur
 * edges of those lengths, and buildings / sites placed exactly at or within centimetres of nodes.
 */
function awkwardInput(seed: number): EngineInput {
  const rand = rng(seed);
  const w = 10, h = 9, sp = 45;
  const awkward = [0, 0.004, 0.0099999, 0.010001, 0.0100000001, 0.02, 0.3, 0.4999, 0.5001, 0.7];
  const pick = () => awkward[Math.floor(rand() * awkward.length)];
  const ids: number[] = [], lon: number[] = [], lat: number[] = [], xy: [number, number][] = [];
  const addNode = (x: number, y: number) => { const [a, b] = metresLonLat(x, y); ids.push(ids.length + 1); lon.push(a); lat.push(b); xy.push([x, y]); return ids.length - 1; };
  for (let j = 0; j < h; j++) for (let i = 0; i < w; i++) addNode(i * sp + (rand() - 0.5) * 14, j * sp + (rand() - 0.5) * 14);
  const edges: EngineEdge[] = [];
  const addEdge = (a: number, b: number, inner: [number, number][]) => {
    const pts = [xy[a], ...inner, xy[b]];
    const coords: number[] = [];
    let len = 0;
    for (let k = 0; k < pts.length; k++) {
      coords.push(...metresLonLat(pts[k][0], pts[k][1]));
      if (k > 0) len += Math.hypot(pts[k][0] - pts[k - 1][0], pts[k][1] - pts[k - 1][1]);
    }
    edges.push({ id: edges.length + 1, source: ids[a], target: ids[b], lengthM: len, highway: 'residential', widthM: null, coords });
  };
  const bent = (a: number, b: number) => {
    const [ax, ay] = xy[a], [bx, by] = xy[b];
    const L = Math.hypot(bx - ax, by - ay), ux = (bx - ax) / L, uy = (by - ay) / L;
    const inner: [number, number][] = [];
    const r = rand();
    if (r < 0.3) { /* straight */ } else if (r < 0.55) {
      const d0 = pick(), d1 = pick(); // bend points near both ends, off the line
      inner.push([ax + ux * d0 - uy * d0, ay + uy * d0 + ux * d0], [ax + ux * L * 0.5 - uy * 6, ay + uy * L * 0.5 + ux * 6], [bx - ux * d1 + uy * d1, by - uy * d1 - ux * d1]);
    } else if (r < 0.75) {
      inner.push([ax + ux * L * 0.4 + uy * 5, ay + uy * L * 0.4 - ux * 5], [bx - ux * pick(), by - uy * pick()]);
    } else {
      inner.push([ax + ux * pick(), ay + uy * pick()], [ax + ux * L * 0.6, ay + uy * L * 0.6]);
    }
    addEdge(a, b, inner);
  };
  for (let j = 0; j < h; j++) for (let i = 0; i < w; i++) {
    const v = j * w + i;
    if (i + 1 < w && rand() > 0.08) bent(v, v + 1);
    if (j + 1 < h && rand() > 0.08) bent(v, v + w);
    if (rand() < 0.1) { // a spur of awkward length, sometimes continued to a diagonal neighbour
      const d = pick() + (rand() < 0.5 ? 0 : 1e-3), t = rand() * 2 * Math.PI;
      const u = addNode(xy[v][0] + d * Math.cos(t), xy[v][1] + d * Math.sin(t));
      addEdge(v, u, []);
      if (i + 1 < w && j + 1 < h) addEdge(u, v + w + 1, rand() < 0.5 ? [] : [[xy[u][0] + pick(), xy[u][1] + pick()]]);
    }
  }
  const n = ids.length;
  const near = (): [number, number] => {
    const v = Math.floor(rand() * n), d = rand() < 0.4 ? 0 : pick();
    return metresLonLat(xy[v][0] + d, xy[v][1] - d);
  };
  const buildings: EngineBuilding[] = [];
  for (let b = 0; b < 220; b++) {
    const point = rand() < 0.12 ? near() : metresLonLat(rand() * (w - 1) * sp, rand() * (h - 1) * sp);
    buildings.push({ id: b + 1, osmId: null, name: rand() < 0.3 ? `b${b}` : null, population: 5 + Math.floor(rand() * 50), levels: 1 + Math.floor(rand() * 6), communityId: 1, ring: [], point });
  }
  const sites: EngineSite[] = [];
  for (let s = 0; s < 7; s++) {
    const point = rand() < 0.5 ? near() : metresLonLat(rand() * (w - 1) * sp, rand() * (h - 1) * sp);
    sites.push({ id: s + 1, name: `site ${s + 1}`, kind: 'park', level: 'emergency', capacity: 400 + Math.floor(rand() * 1200), status: 'open', hazards: ['earthquake'], rings: [], point });
  }
  return { nodes: { ids: Float64Array.from(ids), lon: Float64Array.from(lon), lat: Float64Array.from(lat) }, edges, buildings, sites, zones: [], communities: [{ id: 1, name: 'A' }] };
}

describe('computeSigns', () => {
  it('puts a sign at every turn ≥ 30° (checked geometrically) and nowhere a route runs straight alone', () => {
    const { g, routes, buildings, sites } = randomNetwork(7);
    const res = computeSigns({ graph: g, routes, buildings, sites });
    const checked = checkTurnSigns(g, routes, res.signs, 30.01);
    expect(checked).toBeGreaterThan(100);
    // every turn-kind sign is justified: some route deflects ≥ 30° there
    for (const s of res.signs.filter((x) => x.kind === 'turn')) {
      let justified = false;
      for (const rt of routes) {
        const p = pts(rt.coords);
        for (let i = 1; i + 1 < p.length; i++) {
          if (metres(p[i], [s.lon, s.lat]) < 0.01 && angleDiff(brg(p[i - 1], p[i]), brg(p[i], p[i + 1])) >= 29.9) justified = true;
        }
      }
      expect(justified).toBe(true);
    }
    // one merged sign per node
    const nodes = res.signs.filter((s) => s.nodeIndex >= 0).map((s) => s.nodeIndex);
    expect(new Set(nodes).size).toBe(nodes.length);
  });

  it('honours a configurable turn threshold', () => {
    const { g, routes, buildings, sites } = randomNetwork(11);
    const at30 = computeSigns({ graph: g, routes, buildings, sites });
    const at60 = computeSigns({ graph: g, routes, buildings, sites }, { turnDeg: 60 });
    expect(checkTurnSigns(g, routes, at60.signs, 60.01)).toBeGreaterThan(20);
    expect(at60.counts.turn).toBeLessThan(at30.counts.turn);
  });

  it('merges signs where routes meet, with one arrow per direction and site', () => {
    // Two buildings west and north of a T; both go east to S. A third building goes west to S2.
    const { input, nodeId } = gridFixture(`
        B
        |
S---B---+-----+-----S
              |
              B`);
    const g = buildGraph(input);
    const v = (r: number, c: number) => nodeAt(g, nodeId(r, c));
    const routes = [
      makeRoute(g, [v(2, 4), v(2, 8), v(2, 14), v(2, 20)], { buildingIndex: 1, siteIndex: 0, people: 30 }),
      makeRoute(g, [v(0, 8), v(2, 8), v(2, 14), v(2, 20)], { buildingIndex: 0, siteIndex: 0, people: 50 }),
      makeRoute(g, [v(4, 14), v(2, 14), v(2, 8), v(2, 4), v(2, 0)], { buildingIndex: 2, siteIndex: 1, people: 20 }),
    ];
    const buildings = input.buildings.map((b) => ({ id: b.id, name: b.name, levels: 3, point: b.point }));
    const sites = [{ id: 1, name: '东广场' }, { id: 2, name: '西公园' }];
    const res = computeSigns({ graph: g, routes, buildings, sites }, { spacingM: 0 });
    const at = (n: number) => res.signs.filter((s) => s.nodeIndex === n);
    // (2,8): routes 1 and 2 meet going east; route 3 passes going west → one sign, arrows east→东广场, west→西公园
    const j1 = at(v(2, 8));
    expect(j1.length).toBe(1);
    expect(j1[0].kind).toBe('junction');
    expect(j1[0].routes).toBe(3);
    expect(j1[0].people).toBe(100);
    const arrows = j1[0].arrows.map((a) => [Math.round(a.bearing!), a.siteName, Math.round(a.distanceM)]);
    expect(arrows).toEqual([[90, '东广场', 120], [270, '西公园', 80]]);
    // facing: the approach of most people (route 2 from the north walks south, 50 people)
    expect(Math.round(j1[0].facing!)).toBe(180);
    // (2,14): route 3 comes from the south and turns west; routes 1,2 go straight east
    const j2 = at(v(2, 14));
    expect(j2.length).toBe(1);
    expect(j2[0].arrows.map((a) => a.siteName).sort()).toEqual(['东广场', '西公园']);
    // (2,4) is a building node: route 1 starts there, route 3 passes → no meet/branch/turn → no sign
    expect(at(v(2, 4)).length).toBe(0);
    expect(res.counts.junction).toBe(2);
    expect(res.counts.overview).toBe(2);
    expect(res.counts.exit).toBe(3);
  });

  it('lists the other approaches of a junction and of a site\'s overview board, and names the building in its exit note', () => {
    // routes from the west and from the south reach S (and the second one twice): the board faces the first, lists
    // the other once; the junction on a T lists its approaches other than the busiest
    const { input, nodeId } = gridFixture(`
B-----S
      |
      B`);
    const g = buildGraph(input);
    const v = (r: number, c: number) => nodeAt(g, nodeId(r, c));
    const routes = [
      makeRoute(g, [v(0, 0), v(0, 6)], { buildingIndex: 0, siteIndex: 0 }),
      makeRoute(g, [v(2, 6), v(0, 6)], { buildingIndex: 1, siteIndex: 0 }),
      makeRoute(g, [v(2, 6), v(0, 6)], { buildingIndex: 1, siteIndex: 0 }),
    ];
    const buildings = input.buildings.map((b, i) => ({ id: b.id, name: i === 1 ? '3号楼' : null, levels: 2, point: b.point }));
    const res = computeSigns({ graph: g, routes, buildings, sites: [{ id: 1, name: '东广场' }] }, { spacingM: 0 });
    const board = res.signs.filter((s) => s.kind === 'overview');
    expect(board.map((s) => [Math.round(s.facing!), s.approaches.map(Math.round)])).toEqual([[90, [0]]]);
    const notes = res.signs.filter((s) => s.kind === 'exit').map((s) => [s.buildingIndex, s.note]);
    expect(notes).toEqual([[0, '楼门出口指示牌：出楼门后按箭头前往疏散场所'], [1, '楼门出口指示牌：3号楼 出楼门后按箭头前往疏散场所']]);
    expect(parseCsv(res.schedule).some((r) => r.includes('楼门出口指示牌：3号楼 出楼门后按箭头前往疏散场所'))).toBe(true);
    // a T: from the north (50 people, the busiest: the sign faces them) and from the west (30) → one other approach
    const t = gridFixture(`
        B
        |
S---B---+-----S`);
    const gt = buildGraph(t.input);
    const w = (r: number, c: number) => nodeAt(gt, t.nodeId(r, c));
    const tr = [
      makeRoute(gt, [w(2, 4), w(2, 8), w(2, 14)], { buildingIndex: 1, siteIndex: 1, people: 30 }),
      makeRoute(gt, [w(0, 8), w(2, 8), w(2, 14)], { buildingIndex: 0, siteIndex: 1, people: 50 }),
    ];
    const tb = t.input.buildings.map((b) => ({ id: b.id, levels: 2, point: b.point }));
    const j = computeSigns({ graph: gt, routes: tr, buildings: tb, sites: [{ id: 1, name: '西' }, { id: 2, name: '东' }] }, { spacingM: 0 })
      .signs.filter((s) => s.nodeIndex === w(2, 8));
    expect(j.map((s) => [s.kind, Math.round(s.facing!), s.approaches.map(Math.round)])).toEqual([['junction', 180, [90]]]);
  });

  it('reports distance remaining = route length − travelled, decreasing along each route', () => {
    const { g, routes, buildings, sites } = randomNetwork(3, 12, 10, 80);
    const res = computeSigns({ graph: g, routes, buildings, sites }, { spacingM: 100 });
    let nodeChecks = 0;
    routes.forEach((rt, r) => {
      // independent: travelled to path[k] = startLeg + sum of step lengths
      let travelled = rt.startLeg;
      const remAt = new Map<number, number>();
      (rt.nodes as number[]).forEach((v, k) => { remAt.set(v, rt.lengthM - travelled); if (k < rt.stepLens.length) travelled += rt.stepLens[k]; });
      let prev = Infinity;
      for (let i = res.routeSignStart[r]; i < res.routeSignStart[r + 1]; i++) {
        const s = res.signs[res.routeSignIndex[i]];
        const arrow = s.arrows.filter((a) => a.siteIndex === rt.siteIndex).sort((a, b) => a.distanceM - b.distanceM);
        expect(arrow.length).toBeGreaterThan(0);
        const d = s.kind === 'junction' || s.kind === 'turn' ? remAt.get(s.nodeIndex)! : s.kind === 'exit' ? rt.lengthM : arrow[0].distanceM;
        if (s.kind === 'junction' || s.kind === 'turn') {
          // all routes share a shortest-path tree, so the arrow's distance is exactly this route's remainder
          expect(arrow.some((a) => Math.abs(a.distanceM - d) < 1e-6)).toBe(true);
          nodeChecks++;
        }
        expect(d).toBeLessThanOrEqual(prev + 1e-6);
        prev = d;
      }
      expect(res.signs[res.routeSignIndex[res.routeSignStart[r + 1] - 1]].kind).toBe('overview');
    });
    expect(nodeChecks).toBeGreaterThan(100);
  });

  it('estimates the partial first edge from geometry when startLegM is not given', () => {
    const { input, nodeId } = gridFixture(`
+-----b---------+---------S
                |
                +`);
    const g = buildGraph(input);
    const v = nodeAt(g, nodeId(0, 16));
    // door 100 m west of the crossing, entrance 30 m east of it: 130 m in all, 30 m remaining at the crossing
    const start = metresLonLat(60, 0), end = metresLonLat(190, 0);
    const rt: SignRoute = { buildingIndex: 0, siteIndex: 0, nodes: [v], startPoint: start, endPoint: end, lengthM: 130, coords: [...start, g.lon[v], g.lat[v], ...end] };
    const res = computeSigns({ graph: g, routes: [rt], buildings: [{ id: 1, levels: 1 }], sites: [{ id: 1, name: 'S' }] }, { allCrossings: true, spacingM: 0 });
    const j = res.signs.find((s) => s.nodeIndex === v)!;
    expect(j.kind).toBe('junction');
    expect(j.arrows.length).toBe(1);
    expect(j.arrows[0].distanceM).toBeCloseTo(30, 1);
    expect(Math.round(j.arrows[0].bearing!)).toBe(90);
    // without allCrossings a single straight route needs no sign at the crossing
    expect(computeSigns({ graph: g, routes: [rt], buildings: [{ id: 1, levels: 1 }], sites: [{ id: 1, name: 'S' }] }).counts.junction).toBe(0);
  });

  it('places spacing signs every ≤ 150 m along long straight stretches, shared by routes on the same stretch', () => {
    // a 1,000 m straight street, a 400 m side street joining it at 600 m
    const ids = [1, 2, 3, 4], lon: number[] = [], lat: number[] = [];
    for (const [x, y] of [[0, 0], [600, 0], [1000, 0], [600, 400]]) { const [a, b] = metresLonLat(x, y); lon.push(a); lat.push(b); }
    const edges: EngineEdge[] = [[1, 2, 600], [2, 3, 400], [4, 2, 400]].map(([s, t, L], i) => ({
      id: i + 1, source: s, target: t, lengthM: L, highway: 'residential', widthM: null, coords: [lon[s - 1], lat[s - 1], lon[t - 1], lat[t - 1]],
    }));
    const g = buildGraph({ nodes: { ids, lon, lat }, edges });
    const routes = [
      makeRoute(g, [0, 1, 2], { buildingIndex: 0, siteIndex: 0 }),
      makeRoute(g, [3, 1, 2], { buildingIndex: 1, siteIndex: 0 }),
    ];
    const res = computeSigns({ graph: g, routes, buildings: [{ id: 1, levels: 2 }, { id: 2, levels: 5 }], sites: [{ id: 9, name: '体育场' }] });
    // node 1 is a junction (two approaches). Gaps: 0→600 (3 signs), 600→1000 shared (2 signs), side 400 (2 signs)
    expect(res.counts.junction).toBe(1);
    expect(res.counts.spacing).toBe(3 + 2 + 2);
    for (let r = 0; r < routes.length; r++) {
      const rt = routes[r];
      const p = pts(rt.coords);
      // along-route positions of the route's signs (exit is at the door = route start here)
      const along: number[] = [];
      for (let i = res.routeSignStart[r]; i < res.routeSignStart[r + 1]; i++) {
        const s = res.signs[res.routeSignIndex[i]];
        let best = Infinity, pos = 0, acc = 0;
        for (let k = 0; k + 1 < p.length; k++) {
          const L = metres(p[k], p[k + 1]);
          const t = Math.max(0, Math.min(1, metres(p[k], [s.lon, s.lat]) / L));
          const d = Math.abs(metres(p[k], [s.lon, s.lat]) + metres([s.lon, s.lat], p[k + 1]) - L);
          if (d < best) { best = d; pos = acc + t * L; }
          acc += L;
        }
        along.push(pos);
      }
      for (let i = 1; i < along.length; i++) {
        expect(along[i]).toBeGreaterThan(along[i - 1] - 0.01);
        expect(along[i] - along[i - 1]).toBeLessThanOrEqual(150 + 0.5);
      }
    }
    const shared = res.signs.filter((s) => s.kind === 'spacing' && s.routes === 2);
    expect(shared.length).toBe(2);
    expect(shared.map((s) => Math.round(s.arrows[0].distanceM)).sort((a, b) => a - b)).toEqual([100, 250]);
    // configurable
    expect(computeSigns({ graph: g, routes, buildings: [{ id: 1, levels: 2 }, { id: 2, levels: 5 }], sites: [{ id: 9, name: '体育场' }] }, { spacingM: 0 }).counts.spacing).toBe(0);
  });

  it('has one exit sign per assigned building and one stairwell sign per floor landing', () => {
    const { g, routes, buildings, sites } = randomNetwork(5, 10, 8, 60);
    // building 0 split over both sites
    const split = { ...routes[1], buildingIndex: routes[0].buildingIndex };
    const all = [...routes, split];
    const res = computeSigns({ graph: g, routes: all, buildings, sites });
    const assigned = new Set(all.map((r) => r.buildingIndex));
    const floors = [...assigned].reduce((a, b) => a + buildings[b].levels, 0);
    expect(res.counts.exit).toBe(assigned.size);
    expect(res.counts.stairwell).toBe(floors);
    // one entry per stairwell standing for its landings; per landing on request
    const st = res.signs.filter((s) => s.kind === 'stairwell' && s.buildingIndex === 3);
    expect(st.map((s) => [s.floors, s.floor])).toEqual([[buildings[3].levels, null]]);
    expect(res.signs.filter((s) => s.kind === 'stairwell').reduce((a, s) => a + s.floors, 0)).toBe(floors);
    const per = computeSigns({ graph: g, routes: all, buildings, sites }, { stairwellPerFloor: true });
    expect(per.counts.stairwell).toBe(floors);
    expect(per.signs.filter((s) => s.kind === 'stairwell').length).toBe(floors);
    expect(per.signs.filter((s) => s.kind === 'stairwell' && s.buildingIndex === 3).map((s) => s.floor))
      .toEqual(Array.from({ length: buildings[3].levels }, (_, i) => i + 1));
    // the schedule has one row per landing either way
    const rowsOf = (csv: string, kind: string) => parseCsv(csv).filter((r) => r[1] === kind).map((r) => `${r[8]}/${r[9]}`).sort();
    expect(rowsOf(res.schedule, 'stairwell')).toEqual(rowsOf(per.schedule, 'stairwell'));
    expect(rowsOf(res.schedule, 'stairwell').length).toBe(floors);
    const ex = res.signs.find((s) => s.kind === 'exit' && s.buildingIndex === routes[0].buildingIndex)!;
    expect(ex.routes).toBe(2);
    // more stairwells → more signs; stairwells can be switched off
    const two = buildings.map((b) => ({ ...b, stairwells: 2 }));
    expect(computeSigns({ graph: g, routes: all, buildings: two, sites }).counts.stairwell).toBe(2 * floors);
    expect(computeSigns({ graph: g, routes: all, buildings, sites }, { stairwells: false }).counts.stairwell).toBe(0);
  });

  it('returns plain objects: prototype Object.prototype, the documented properties in order, all plain data properties', () => {
    const { g, routes, buildings, sites } = randomNetwork(7, 10, 8, 60);
    for (const opts of [{}, { stairwellPerFloor: true }]) {
      const res = computeSigns({ graph: g, routes, buildings, sites }, opts);
      const kinds = new Set(res.signs.map((s) => s.kind));
      expect(['exit', 'stairwell', 'overview'].every((k) => kinds.has(k as never)) && (kinds.has('junction') || kinds.has('turn'))).toBe(true);
      const signKeys = ['id', 'kind', 'lon', 'lat', 'facing', 'approaches', 'arrows', 'nodeIndex', 'buildingIndex', 'buildingId', 'floor', 'floors', 'routes', 'people', 'note'];
      const arrowKeys = ['bearing', 'siteIndex', 'siteId', 'siteName', 'distanceM'];
      const plain = (o: object, keys: string[]) => {
        expect(Object.getPrototypeOf(o)).toBe(Object.prototype);
        expect(o.constructor).toBe(Object);
        expect(Reflect.ownKeys(o)).toEqual(keys);
        for (const d of Object.values(Object.getOwnPropertyDescriptors(o))) expect(d.writable && d.enumerable && d.configurable).toBe(true);
      };
      for (const s of res.signs) {
        plain(s, signKeys);
        expect(Array.isArray(s.arrows) && Object.getPrototypeOf(s.arrows) === Array.prototype).toBe(true);
        for (const a of s.arrows) plain(a, arrowKeys);
        // the same as a literal with these values
        expect(s).toStrictEqual({ ...s, arrows: s.arrows.map((a) => ({ ...a })) });
      }
    }
  });

  it('puts the exit sign at the door: the footprint point nearest the path, facing the path', () => {
    const { input, nodeId } = gridFixture('+--------+---S');
    const g = buildGraph(input);
    const v = (r: number, c: number) => nodeAt(g, nodeId(r, c));
    const e = edgeBetween(g, v(0, 0), v(0, 9));
    const rt = makeRoute(g, [v(0, 9), v(0, 13)], { buildingIndex: 0, siteIndex: 0, start: { edge: e, f: 0.5 } });
    // a 10 × 10 m footprint 5..15 m south of the path, centred on the start point
    const ring = [[40, 5], [50, 5], [50, 15], [40, 15], [40, 5]].flatMap(([x, y]) => metresLonLat(x, y));
    const res = computeSigns({ graph: g, routes: [rt], buildings: [{ id: 7, levels: 4, ring }], sites: [{ id: 1, name: 'S' }] });
    const ex = res.signs.find((s) => s.kind === 'exit')!;
    expect(metres([ex.lon, ex.lat], metresLonLat(45, 5))).toBeLessThan(0.05);
    expect(Math.round(ex.facing!)).toBe(0); // walking out of the door northwards onto the path
    expect(Math.round(ex.arrows[0].bearing!)).toBe(90);
    expect(ex.arrows[0].distanceM).toBeCloseTo(85, 6);
    expect(ex.buildingId).toBe(7);
  });

  it('writes a UTF-8 CSV schedule with a header and one row per sign', () => {
    const { g, routes, buildings, sites } = randomNetwork(9, 8, 8, 30);
    sites[0].name = '=人民公园, "东门"';
    const res = computeSigns({ graph: g, routes, buildings, sites });
    const rows = parseCsv(res.schedule);
    expect(rows[0]).toEqual([...SIGN_CSV_HEADER]);
    const expectedRows = res.signs.reduce((a, s) => a + (s.kind === 'stairwell' ? s.floors : 1), 0);
    expect(expectedRows).toBe(res.signs.length - res.signs.filter((s) => s.kind === 'stairwell').length + res.counts.stairwell);
    expect(rows.length).toBe(expectedRows + 1);
    expect(new Set(rows.slice(1).map((r) => r[0])).size).toBe(expectedRows);
    for (const r of rows.slice(1)) expect(r.length).toBe(SIGN_CSV_HEADER.length);
    const withPark = rows.find((r) => r[6].includes('人民公园'))!;
    expect(withPark[6].startsWith("'=人民公园, \"东门\"") || withPark[6].includes(';')).toBe(true);
    const st = rows.find((r) => r[1] === 'stairwell')!;
    expect(st[5].split(';').every((x) => x === 'down')).toBe(true);
    expect(st[8]).not.toBe('');
    expect(Number(st[9])).toBeGreaterThanOrEqual(1);
    const j = rows.find((r) => r[1] === 'junction')!;
    expect(j[5].split(';').length).toBe(j[6].split(';').length);
    expect(j[7].split(';').length).toBe(j[6].split(';').length);
    expect(computeSigns({ graph: g, routes, buildings, sites }, { csvBom: true }).schedule.charCodeAt(0)).toBe(0xfeff);
  });

  it('is fast: 25,000 routes', () => {
    const { g, sites, routes: many, buildings: bl } = repeatedRoutes(randomNetwork(1, 40, 40, 400), 25_000);
    computeSigns({ graph: g, routes: many, buildings: bl, sites });
    let ms = Infinity, cpu = Infinity, res = computeSigns({ graph: g, routes: many, buildings: bl, sites });
    for (let k = 0; k < 5; k++) {
      const t0 = performance.now(), c0 = process.cpuUsage().user;
      res = computeSigns({ graph: g, routes: many, buildings: bl, sites });
      ms = Math.min(ms, performance.now() - t0);
      cpu = Math.min(cpu, (process.cpuUsage().user - c0) / 1000);
    }
    const vertices = many.reduce((a, r) => a + r.coords.length / 2, 0);
    const nodes = many.reduce((a, r) => a + r.nodes.length, 0);
    console.log(`computeSigns: 25,000 routes, ${nodes} route nodes, ${vertices} route vertices → ${res.signs.length} signs ${JSON.stringify(res.counts)}; best of 5: ${ms.toFixed(1)} ms wall, ${cpu.toFixed(1)} ms cpu`);
    expect(ms).toBeLessThan(20_000); // loose: the machine is shared; figures are reported from the bench script
  });

  it('works in memory other stages used before: the same signs when its buffers come back filled with garbage', () => {
    const { g, sites, routes: many, buildings: bl } = repeatedRoutes(randomNetwork(2, 30, 30, 300), 6_000);
    const ref = computeSigns({ graph: g, routes: many, buildings: bl, sites });
    const pool = stageBuffersOf(g.adjStart);
    pool.fillFree(0x7f);
    const reused = pool.reused;
    const res = computeSigns({ graph: g, routes: many, buildings: bl, sites });
    expect(pool.reused).toBeGreaterThan(reused);
    expect(res.signs.length).toBeGreaterThan(1000);
    expect(res.signs).toEqual(ref.signs);
    expect(res.counts).toEqual(ref.counts);
    expect(Array.from(res.routeSignIndex)).toEqual(Array.from(ref.routeSignIndex));
    expect(res.schedule).toBe(ref.schedule);
  });

  it('gives the same signs from the plan\'s route table (planSigns) as from per-route polylines (signRoutes)', () => {
    for (const seed of [3, 11, 29]) {
      const input = randomGridInput({ w: 14, h: 12, spacing: 70, buildings: 180, sites: 6, seed, dropEdges: 0.15, lengthJitter: 0.3, capacity: [150, 600] });
      const plan = runPlan(input, {});
      for (const opts of [{}, { spacingM: 60, allCrossings: true }, { stairwellPerFloor: true, turnDeg: 45 }]) {
        const fast = planSigns(plan, opts), ref = planSignsViaRoutes(plan, opts);
        expect(plan.routes.partBuilding.length).toBeGreaterThan(50);
        expect(fast.signs.length).toBeGreaterThan(0);
        expect(fast.signs).toEqual(ref.signs);
        expect(fast.counts).toEqual(ref.counts);
        expect(Array.from(fast.routeSignStart)).toEqual(Array.from(ref.routeSignStart));
        expect(Array.from(fast.routeSignIndex)).toEqual(Array.from(ref.routeSignIndex));
        expect(fast.schedule).toBe(ref.schedule);
      }
    }
  });

  it('gives the same signs from the route table on awkward geometry (bends at the thresholds, doors and entrances at nodes)', () => {
    for (const seed of [5, 17, 23, 42]) {
      const plan = runPlan(awkwardInput(seed), {});
      expect(plan.routes.partBuilding.length).toBeGreaterThan(100);
      for (const opts of [{}, { spacingM: 30, allCrossings: true }, { turnDeg: 10, directionTolDeg: 1 }]) {
        const fast = planSigns(plan, opts), ref = planSignsViaRoutes(plan, opts);
        expect(fast.signs).toEqual(ref.signs);
        expect(fast.counts).toEqual(ref.counts);
        expect(Array.from(fast.routeSignStart)).toEqual(Array.from(ref.routeSignStart));
        expect(Array.from(fast.routeSignIndex)).toEqual(Array.from(ref.routeSignIndex));
      }
    }
  });
});
