/**
 * The near-segment index (server/engine/snap.ts) against brute force: every query must give exactly the same
 * segment, parameter, point and distance as testing every open segment in order (ties → the smaller segment id),
 * with closed edges, empty areas, points outside the network's bounding box and tight distance limits.
 */
import { describe, expect, it } from 'vitest';
import { buildGraph, type Graph } from '../../../server/engine/graph.ts';
import { buildSegmentIndex, nearestOnEdges, nearestOnRing, newHit, ringCentroid, snapBuildings, type NearestHit } from '../../../server/engine/snap.ts';
import type { EngineBuilding, EngineEdge, EngineInput } from '../../../server/engine/types.ts';
import { gridFixture, metresLonLat, randomGridInput, rng } from './fixtures.ts';

/** Brute force over all open segments, with the arithmetic of the original implementation. */
function bruteNearest(g: Graph, px: number, py: number, maxDist: number, hit: NearestHit): boolean {
  let best = maxDist * maxDist, bestSeg = -1, bestT = 0, bestE = -1;
  for (let e = 0; e < g.edgeCount; e++) {
    if (g.closed[e]) continue;
    for (let s = g.geomStart[e]; s < g.geomStart[e + 1] - 1; s++) {
      const ax = g.geomX[s], ay = g.geomY[s], dx = g.geomX[s + 1] - ax, dy = g.geomY[s + 1] - ay;
      const l2 = dx * dx + dy * dy;
      let t = l2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / l2 : 0;
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      const qx = ax + t * dx - px, qy = ay + t * dy - py;
      const d2 = qx * qx + qy * qy;
      if (d2 < best || (d2 === best && bestSeg >= 0 && s < bestSeg)) { best = d2; bestSeg = s; bestT = t; bestE = e; }
    }
  }
  if (bestSeg < 0) { hit.edge = -1; hit.dist = Infinity; return false; }
  const ax = g.geomX[bestSeg], ay = g.geomY[bestSeg], bx = g.geomX[bestSeg + 1], by = g.geomY[bestSeg + 1];
  hit.edge = bestE;
  hit.x = ax + (bx - ax) * bestT;
  hit.y = ay + (by - ay) * bestT;
  const total = g.geomCum[g.geomStart[bestE + 1] - 1];
  const along = g.geomCum[bestSeg] + (g.geomCum[bestSeg + 1] - g.geomCum[bestSeg]) * bestT;
  hit.fraction = total > 0 ? Math.min(1, Math.max(0, along / total)) : 0;
  hit.dist = Math.sqrt(best);
  return true;
}

function expectSameHit(a: NearestHit, b: NearestHit, okA: boolean, okB: boolean, what: string) {
  expect(okA, what).toBe(okB);
  expect(a.edge, what).toBe(b.edge);
  if (!okA) return;
  expect(Object.is(a.fraction, b.fraction) && Object.is(a.x, b.x) && Object.is(a.y, b.y) && Object.is(a.dist, b.dist), `${what}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`).toBe(true);
}

/**
 * Random network: two clusters of polyline paths 3 km apart (so most of the grid is empty), with short, long and
 * zero-length segments, a few edges sharing their geometry, and small polygon buildings.
 */
function randomNetwork(seed: number): EngineInput {
  const rand = rng(seed);
  const ids: number[] = [], lon: number[] = [], lat: number[] = [];
  const edges: EngineEdge[] = [];
  const node = (x: number, y: number) => { const [a, b] = metresLonLat(x, y); ids.push(ids.length + 1); lon.push(a); lat.push(b); return ids.length; };
  for (const [ox, oy] of [[0, 0], [3000, 1200]]) {
    for (let i = 0; i < 120; i++) {
      const x0 = ox + rand() * 600, y0 = oy + rand() * 400;
      const a = node(x0, y0);
      const coords = [...metresLonLat(x0, y0)];
      let x = x0, y = y0;
      const k = 1 + Math.floor(rand() * 4);
      for (let j = 0; j < k; j++) {
        const long = rand() < 0.1;
        const zero = rand() < 0.05;
        if (!zero) { x += (rand() - 0.5) * (long ? 400 : 60); y += (rand() - 0.5) * (long ? 400 : 60); }
        coords.push(...metresLonLat(x, y));
      }
      const b = node(x, y);
      edges.push({ id: edges.length + 1, source: a, target: b, lengthM: 50, highway: 'footway', widthM: null, coords });
      if (rand() < 0.05) edges.push({ id: edges.length + 1, source: a, target: b, lengthM: 50, highway: 'footway', widthM: null, coords: coords.slice() });
    }
  }
  const buildings: EngineBuilding[] = [];
  for (let i = 0; i < 400; i++) {
    const far = rand() < 0.1;
    const cx = far ? rand() * 4000 : (rand() < 0.5 ? 0 : 3000) + rand() * 600, cy = far ? rand() * 2000 : (cx >= 3000 ? 1200 : 0) + rand() * 400;
    const w = 4 + rand() * 30, h = 4 + rand() * 30;
    const ring: number[] = [];
    for (const [dx, dy] of [[0, 0], [w, 0], [w, h], [w * 0.5, h * 1.3], [0, h], [0, 0]]) ring.push(...metresLonLat(cx + dx, cy + dy));
    buildings.push({ id: i + 1, osmId: null, name: null, population: 10, levels: 2, communityId: 1, ring: i % 7 === 0 ? [] : ring, point: metresLonLat(cx, cy) });
  }
  return { nodes: { ids: Float64Array.from(ids), lon: Float64Array.from(lon), lat: Float64Array.from(lat) }, edges, buildings, sites: [], zones: [], communities: [{ id: 1, name: 'A' }] };
}

describe('near-segment index', () => {
  it.each([
    ['two clusters far apart (own near grid)', () => randomNetwork(11), false],
    ['a dense grid (near grid shares the coarse cell lists)', () => randomGridInput({ w: 30, h: 25, spacing: 40, buildings: 0, sites: 0, seed: 3, dropEdges: 0.2 }), true],
  ])('gives exactly the brute-force nearest open segment: %s', (_name, make, shared) => {
    const input = make();
    const g = buildGraph(input);
    const ix = buildSegmentIndex(g);
    expect(ix.near.seg === ix.cellSeg).toBe(shared);
    const rand = rng(5);
    const a = newHit(), b = newHit();
    const P = g.geomStart[g.edgeCount];
    for (const closedShare of [0, 0.2, 0.9]) {
      for (let e = 0; e < g.edgeCount; e++) g.closed[e] = rand() < closedShare ? 1 : 0;
      for (let i = 0; i < 1500; i++) {
        let x: number, y: number;
        const s = Math.floor(rand() * (P - 1));
        switch (i % 5) {
          case 0: x = g.geomX[s]; y = g.geomY[s]; break; // on a vertex
          case 1: x = (g.geomX[s] + g.geomX[s + 1]) / 2; y = (g.geomY[s] + g.geomY[s + 1]) / 2; break;
          case 2: x = ix.minX - 2000 + rand() * 8000; y = ix.minY - 1500 + rand() * 5000; break; // anywhere, often far outside
          default: x = g.geomX[s] + (rand() - 0.5) * 80; y = g.geomY[s] + (rand() - 0.5) * 80;
        }
        const max = [0.5, 3, 25, 250, 1e5][i % 5 === 2 ? 4 : Math.floor(rand() * 5)];
        expectSameHit(a, b, nearestOnEdges(ix, x, y, max, a), bruteNearest(g, x, y, max, b), `closed ${closedShare} point ${i} (${x}, ${y}) max ${max}`);
      }
    }
  });

  it('snaps buildings exactly as centroid → nearest edge → nearest footprint point → nearest edge, with closures', () => {
    const input = randomNetwork(23);
    const g = buildGraph(input);
    const ix = buildSegmentIndex(g);
    const p = g.proj;
    const rand = rng(9);
    for (const closedShare of [0, 0.3]) {
      for (let e = 0; e < g.edgeCount; e++) g.closed[e] = rand() < closedShare ? 1 : 0;
      for (const maxSnap of [10, 60, 250]) {
        const s = snapBuildings(ix, input.buildings, maxSnap);
        const hit = newHit(), c = [0, 0];
        input.buildings.forEach((bd, i) => {
          let dx: number, dy: number;
          if (bd.ring.length >= 6) {
            ringCentroid(bd.ring, p.lon0, p.lat0, p.kx, p.ky, c);
            if (bruteNearest(g, c[0], c[1], maxSnap * 4 + 1000, hit)) nearestOnRing(bd.ring, p.lon0, p.lat0, p.kx, p.ky, hit.x, hit.y, c);
            dx = c[0]; dy = c[1];
          } else {
            dx = (bd.point![0] - p.lon0) * p.kx; dy = (bd.point![1] - p.lat0) * p.ky;
          }
          const ok = bruteNearest(g, dx, dy, maxSnap, hit);
          const what = `closed ${closedShare} max ${maxSnap} building ${i}`;
          expect(Object.is(s.doorX[i], dx) && Object.is(s.doorY[i], dy), what).toBe(true);
          expect(s.edge[i], what).toBe(ok ? hit.edge : -1);
          if (ok) expect(Object.is(s.fraction[i], hit.fraction) && Object.is(s.distance[i], hit.dist) && Object.is(s.snapX[i], hit.x) && Object.is(s.snapY[i], hit.y), what).toBe(true);
          else expect(s.distance[i], what).toBe(Infinity);
        });
        // re-snapping a subset into the same arrays gives the same values
        const only = Int32Array.from({ length: 40 }, (_, k) => (k * 7) % input.buildings.length);
        const again = snapBuildings(ix, input.buildings, maxSnap, only, { edge: s.edge.slice(), fraction: s.fraction.slice(), distance: s.distance.slice(), doorX: s.doorX.slice(), doorY: s.doorY.slice(), snapX: s.snapX.slice(), snapY: s.snapY.slice() });
        expect(Array.from(again.edge)).toEqual(Array.from(s.edge));
        expect(Array.from(again.snapX)).toEqual(Array.from(s.snapX));
      }
    }
  });

  it('breaks an exact tie between two segments by the smaller segment id, and skips it when closed', () => {
    // node (0,0) starts both a path east and a path south: a point north-west of it is exactly as far from both
    const { input } = gridFixture(`
+---------+
|
|
+`);
    const g = buildGraph(input);
    const ix = buildSegmentIndex(g);
    const east = g.edgeIndexById.get(1)!, south = g.edgeIndexById.get(2)!;
    expect(g.geomStart[east]).toBeLessThan(g.geomStart[south]);
    const nx = g.geomX[g.geomStart[east]], ny = g.geomY[g.geomStart[east]];
    expect(g.geomX[g.geomStart[south]]).toBe(nx);
    const hit = newHit();
    for (const [x, y] of [[nx, ny], [nx - 3, ny + 3], [nx - 7, ny + 2]]) {
      expect(nearestOnEdges(ix, x, y, 100, hit)).toBe(true);
      expect(hit.edge).toBe(east);
      expect(hit.fraction).toBe(0);
      g.closed[east] = 1;
      expect(nearestOnEdges(ix, x, y, 100, hit)).toBe(true);
      expect(hit.edge).toBe(south);
      g.closed[south] = 1;
      expect(nearestOnEdges(ix, x, y, 100, hit)).toBe(false);
      expect(hit.edge).toBe(-1);
      g.closed[east] = 0; g.closed[south] = 0;
    }
    // a point midway between two parallel paths: whichever the arithmetic says, the same as brute force
    const two = gridFixture(`
+---------+

+---------+`);
    const g2 = buildGraph(two.input);
    const ix2 = buildSegmentIndex(g2);
    const b = newHit();
    const my = (g2.geomY[0] + g2.geomY[g2.geomStart[1]]) / 2;
    for (let x = -5; x <= 105; x += 2.5) expectSameHit(hit, b, nearestOnEdges(ix2, x, my, 50, hit), bruteNearest(g2, x, my, 50, b), `x ${x}`);
  });

  it('handles a network without segments', () => {
    const input: EngineInput = { nodes: { ids: new Float64Array(0), lon: new Float64Array(0), lat: new Float64Array(0) }, edges: [], buildings: [], sites: [], zones: [], communities: [] };
    const g = buildGraph(input);
    const ix = buildSegmentIndex(g);
    expect(nearestOnEdges(ix, 0, 0, 1e6, newHit())).toBe(false);
  });
});
