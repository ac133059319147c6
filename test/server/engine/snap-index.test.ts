/**
 * The near-segment index (server/engine/snap.ts) against brute force: every query must give exactly the same
 * segment, parameter, point and distance as testing every open segment in order (ties → the smaller segment id),
 * with closed edges, empty areas, points outside the network's bounding box and tight distance limits.
 */
import { describe, expect, it } from 'vitest';
import { buildGraph, type Graph } from '../../../server/engine/graph.ts';
import { allEntrances, buildSegmentIndex, entrancesAfterClosures, nearestOnEdges, nearestOnRing, newHit, pointInRing, ringCentroid, segmentIntersectT, snapBuildings, type NearestHit, type SegmentIndex } from '../../../server/engine/snap.ts';
import type { EngineBuilding, EngineEdge, EngineInput, EngineSite, Entrance } from '../../../server/engine/types.ts';
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

/** The original entrance search (coarse grid order, brute-force nearest), to check the optimised one against. */
function referenceEntrances(ix: SegmentIndex, sites: EngineSite[], maxSnapM: number): Entrance[] {
  const g = ix.g, p = g.proj;
  const seen = new Int32Array(g.geomStart[g.edgeCount]).fill(-1);
  const all: Entrance[] = [];
  const toSnap = (edge: number, fraction: number, x: number, y: number, dist: number) => ({ edgeIndex: edge, fraction, point: [p.lon0 + x / p.kx, p.lat0 + y / p.ky] as [number, number], distanceM: dist });
  sites.forEach((site, siteIndex) => {
    const out: Entrance[] = [];
    const add = (e: number, fraction: number, x: number, y: number, dist: number, how: Entrance['how']) => {
      const tol = 0.5 / Math.max(g.edgeLength[e], 1e-9);
      for (const en of out) if (en.edgeIndex === e && Math.abs(en.fraction - fraction) <= tol) return;
      out.push({ ...toSnap(e, fraction, x, y, dist), siteIndex, how });
    };
    for (const ringLL of site.rings) {
      if (!ringLL || ringLL.length < 6) continue;
      const ring = new Float64Array(ringLL.length);
      for (let i = 0; i < ringLL.length; i += 2) { ring[i] = (ringLL[i] - p.lon0) * p.kx; ring[i + 1] = (ringLL[i + 1] - p.lat0) * p.ky; }
      const k = ring.length >> 1;
      let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
      for (let i = 0; i < k; i++) {
        minX = Math.min(minX, ring[2 * i]); maxX = Math.max(maxX, ring[2 * i]);
        minY = Math.min(minY, ring[2 * i + 1]); maxY = Math.max(maxY, ring[2 * i + 1]);
      }
      const c0 = Math.max(0, Math.floor((minX - ix.minX) / ix.cell) - 1), c1 = Math.min(ix.cols - 1, Math.floor((maxX - ix.minX) / ix.cell) + 1);
      const r0 = Math.max(0, Math.floor((minY - ix.minY) / ix.cell) - 1), r1 = Math.min(ix.rows - 1, Math.floor((maxY - ix.minY) / ix.cell) + 1);
      const stampId = siteIndex * 64 + (site.rings.indexOf(ringLL) & 63);
      for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) {
        const cell = r * ix.cols + c;
        for (let q = ix.cellStart[cell]; q < ix.cellStart[cell + 1]; q++) {
          const s = ix.cellSeg[q];
          if (seen[s] === stampId) continue;
          seen[s] = stampId;
          const e = ix.pointEdge[s];
          if (g.closed[e]) continue;
          const ax = g.geomX[s], ay = g.geomY[s], bx = g.geomX[s + 1], by = g.geomY[s + 1];
          if (Math.max(ax, bx) < minX || Math.min(ax, bx) > maxX || Math.max(ay, by) < minY || Math.min(ay, by) > maxY) continue;
          const total = g.geomCum[g.geomStart[e + 1] - 1];
          const segA = g.geomCum[s], segL = g.geomCum[s + 1] - segA;
          for (let i = 0; i < k; i++) {
            const j = (i + 1) % k;
            const t = segmentIntersectT(ax, ay, bx, by, ring[2 * i], ring[2 * i + 1], ring[2 * j], ring[2 * j + 1]);
            if (t >= 0) add(e, total > 0 ? (segA + segL * t) / total : 0, ax + (bx - ax) * t, ay + (by - ay) * t, 0, 'crossing');
          }
          if (s === g.geomStart[e] && pointInRing(ring, ax, ay)) add(e, 0, ax, ay, 0, 'inside');
          if (s + 1 === g.geomStart[e + 1] - 1 && pointInRing(ring, bx, by)) add(e, 1, bx, by, 0, 'inside');
        }
      }
    }
    if (out.length === 0) {
      const near = new Map<number, NearestHit>();
      const hit = newHit();
      for (const ringLL of site.rings) {
        const n = ringLL.length >> 1;
        for (let i = 0; i + 1 < n; i++) {
          const ax = (ringLL[2 * i] - p.lon0) * p.kx, ay = (ringLL[2 * i + 1] - p.lat0) * p.ky;
          const bx = (ringLL[2 * i + 2] - p.lon0) * p.kx, by = (ringLL[2 * i + 3] - p.lat0) * p.ky;
          const steps = Math.max(1, Math.ceil(Math.hypot(bx - ax, by - ay) / 5));
          for (let k = 0; k <= steps; k++) {
            const t = k / steps;
            if (!bruteNearest(g, ax + (bx - ax) * t, ay + (by - ay) * t, 15, hit)) continue;
            const cur = near.get(hit.edge);
            if (!cur || hit.dist < cur.dist) near.set(hit.edge, { ...hit });
          }
        }
      }
      for (const h of near.values()) add(h.edge, h.fraction, h.x, h.y, h.dist, 'adjacent');
    }
    if (out.length === 0) {
      let best: NearestHit | null = null;
      const hit = newHit();
      for (const ringLL of site.rings) {
        for (let i = 0; i + 1 < ringLL.length; i += 2) {
          const x = (ringLL[i] - p.lon0) * p.kx, y = (ringLL[i + 1] - p.lat0) * p.ky;
          if (bruteNearest(g, x, y, best ? best.dist : maxSnapM, hit) && (!best || hit.dist < best.dist)) best = { ...hit };
        }
      }
      if (!best) {
        const x = (site.point[0] - p.lon0) * p.kx, y = (site.point[1] - p.lat0) * p.ky;
        if (bruteNearest(g, x, y, maxSnapM, hit)) best = { ...hit };
      }
      if (best) out.push({ ...toSnap(best.edge, best.fraction, best.x, best.y, best.dist), siteIndex, how: 'snapped' });
    }
    for (const en of out) all.push(en);
  });
  return all;
}

function expectSameHit(a: NearestHit, b: NearestHit, okA: boolean, okB: boolean, what: string) {
  expect(okA, what).toBe(okB);
  expect(a.edge, what).toBe(b.edge);
  if (!okA) return;
  expect(Object.is(a.fraction, b.fraction) && Object.is(a.x, b.x) && Object.is(a.y, b.y) && Object.is(a.dist, b.dist), `${what}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`).toBe(true);
}

/** A building given as a point at projected (x, y) of projection p. */
function pointBuilding(p: Graph['proj'], x: number, y: number, id: number): EngineBuilding {
  return { id, osmId: null, name: null, population: 1, levels: 1, communityId: 1, ring: [], point: [p.lon0 + x / p.kx, p.lat0 + y / p.ky] };
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

  it('answers from the nearest lists exactly as brute force: points on list-cell borders and corners, between paths, far away', () => {
    // two clusters of paths with empty land between them (cells there have no list)
    const input = randomNetwork(11);
    const g = buildGraph(input);
    const ix = buildSegmentIndex(g);
    const nl = ix.lists!;
    const p = g.proj;
    const rand = rng(4);
    const pts: [number, number][] = [];
    for (let i = 0; i < 3000; i++) {
      const c = Math.floor(rand() * nl.cols), r = Math.floor(rand() * nl.rows);
      const x0 = nl.minX + c * nl.cell, y0 = nl.minY + r * nl.cell;
      switch (i % 4) {
        case 0: pts.push([x0, y0]); break; // a corner
        case 1: pts.push([x0 + rand() * nl.cell, y0]); break; // a border
        case 2: pts.push([x0 + rand() * nl.cell, y0 + rand() * nl.cell]); break;
        default: pts.push([nl.minX - 400 + rand() * (nl.cols * nl.cell + 800), nl.minY - 400 + rand() * (nl.rows * nl.cell + 800)]); // often outside or far
      }
    }
    const buildings = pts.map(([x, y], i) => pointBuilding(p, x, y, i + 1));
    // the first snap makes no lists; the second makes them where points fall (these points are far from paths and
    // between them: the searches visit many runs of entries, so lists pay)
    const first = snapBuildings(ix, buildings, 250);
    // (not even the cell table is made before the lists are used)
    expect([nl.at.length, nl.used]).toEqual([0, 0]);
    expect(nl.worth).toBe(true);
    const s = snapBuildings(ix, buildings, 250);
    expect(Array.from(s.snapX)).toEqual(Array.from(first.snapX));
    expect(Array.from(s.edge)).toEqual(Array.from(first.edge));
    const hit = newHit();
    buildings.forEach((_, i) => {
      const ok = bruteNearest(g, s.doorX[i], s.doorY[i], 250, hit);
      expect(s.edge[i], `point ${i}`).toBe(ok ? hit.edge : -1);
      if (ok) expect(Object.is(s.distance[i], hit.dist) && Object.is(s.snapX[i], hit.x) && Object.is(s.snapY[i], hit.y) && Object.is(s.fraction[i], hit.fraction), `point ${i}`).toBe(true);
    });
    // lists were made where points fell, and cells far from the network have none
    expect(nl.at.length).toBe(nl.cols * nl.rows);
    let made = 0, none = 0;
    for (let c = 0; c < nl.at.length; c++) { if (nl.at[c] >= 0) made++; else if (nl.at[c] === -2) none++; }
    expect(made).toBeGreaterThan(500);
    expect(none).toBeGreaterThan(10);
    // the same answers with the lists made (the third call reads them only)
    const again = snapBuildings(ix, buildings, 250);
    expect(Array.from(again.snapX)).toEqual(Array.from(s.snapX));
    expect(Array.from(again.edge)).toEqual(Array.from(s.edge));
  });

  it('makes no nearest lists when the first snap of an index searched cheaply (buildings on their paths)', () => {
    const input = randomNetwork(11);
    const g = buildGraph(input);
    const ix = buildSegmentIndex(g);
    const nl = ix.lists!;
    const p = g.proj;
    // a point at the middle of every segment: each search ends in the point's own cell
    const buildings: EngineBuilding[] = [];
    for (let e = 0; e < g.edgeCount; e++) {
      for (let i = g.geomStart[e]; i + 1 < g.geomStart[e + 1]; i++) {
        const x = (g.geomX[i] + g.geomX[i + 1]) / 2, y = (g.geomY[i] + g.geomY[i + 1]) / 2;
        buildings.push(pointBuilding(p, x, y, buildings.length + 1));
      }
    }
    const first = snapBuildings(ix, buildings, 250);
    expect(nl.worth).toBe(false);
    const again = snapBuildings(ix, buildings, 250);
    expect([nl.at.length, nl.used]).toEqual([0, 0]);
    expect(Array.from(again.edge)).toEqual(Array.from(first.edge));
    expect(Array.from(again.snapX)).toEqual(Array.from(first.snapX));
    for (let k = 0; k < buildings.length; k++) expect(first.distance[k]).toBeLessThan(1e-6);
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

  it.each([
    ['two clusters far apart (own near grid)', () => randomNetwork(31), (r: () => number, i: number): [number, number] => i % 6 === 5 ? [r() * 4000, r() * 2000] : i % 2 ? [3000 + r() * 600, 1200 + r() * 400] : [r() * 600, r() * 400]],
    ['a dense grid (near grid shares the coarse cell lists)', () => randomGridInput({ w: 30, h: 25, spacing: 40, buildings: 0, sites: 0, seed: 8, dropEdges: 0.35 }), (r: () => number): [number, number] => [r() * 1160, r() * 960]],
  ])('finds exactly the entrances of the original search (crossings, inside nodes, adjacent paths, fallbacks, closures): %s', (_name, make, place) => {
    const input = make();
    const rand = rng(17);
    const poly = (cx: number, cy: number, r: number, n: number) => {
      const ring: number[] = [];
      for (let i = 0; i <= n; i++) { const a = (2 * Math.PI * (i % n)) / n, rr = r * (0.6 + 0.4 * rand()); ring.push(...metresLonLat(cx + rr * Math.cos(a), cy + rr * Math.sin(a))); }
      return ring;
    };
    const sites: EngineSite[] = [];
    for (let i = 0; i < 60; i++) {
      const [cx, cy] = place(rand, i);
      const ring = poly(cx, cy, 5 + rand() * (i % 4 === 0 ? 150 : 25), 4 + Math.floor(rand() * (i % 4 === 0 ? 60 : 8)));
      const rings = i % 10 === 3 ? [] : i % 10 === 7 ? [ring, ring, poly(cx + 40, cy, 10, 5)] : [ring];
      sites.push({ id: i + 1, name: `s${i}`, kind: 'park', level: 'emergency', capacity: 100, status: 'open', hazards: ['earthquake'], rings, point: metresLonLat(cx, cy) });
    }
    input.sites = sites;
    const g = buildGraph(input);
    const ix = buildSegmentIndex(g);
    expect(ix.near.seg === ix.cellSeg).toBe(_name.startsWith('a dense'));
    // entrances on the open graph, per maxSnap: entrancesAfterClosures must turn them into the closed graph's
    const open = new Map<number, Entrance[]>();
    const openFlags = new Uint8Array(g.edgeCount);
    for (const closedShare of [0, 0.3, 0.005]) {
      for (let e = 0; e < g.edgeCount; e++) g.closed[e] = rand() < closedShare ? 1 : 0;
      for (const maxSnap of [30, 250]) {
        const got = allEntrances(ix, sites, maxSnap), want = referenceEntrances(ix, sites, maxSnap);
        expect(JSON.stringify(got)).toBe(JSON.stringify(want));
        if (closedShare === 0) open.set(maxSnap, got);
        else {
          const after = entrancesAfterClosures(ix, sites, maxSnap, open.get(maxSnap)!, openFlags);
          expect(JSON.stringify(after)).toBe(JSON.stringify(want));
          // with a few closures many sites keep their open-graph entrances (the same objects)
          const kept = new Set(open.get(maxSnap)!);
          if (closedShare < 0.01 && maxSnap === 30) expect(after.filter((e) => kept.has(e)).length).toBeGreaterThan(after.length / 3);
        }
        const hows = new Set(got.map((e) => e.how));
        if (closedShare === 0 && maxSnap === 250) for (const h of ['crossing', 'inside', 'adjacent', 'snapped']) expect(hows.has(h as Entrance['how']), h).toBe(true);
      }
    }
  });

  it('samples a site boundary exactly: a path near just one sample, right after a sample next to another path', () => {
    // P1 runs 2 m from the boundary's first sample; P2 (a short path) is 6.45 m from the next sample, 4.5 m further on,
    // where P1 is 6.5 m away: found only with the exact bound 2 + 4.5
    const ids: number[] = [], lon: number[] = [], lat: number[] = [];
    const node = (e: number, s: number) => { const [a, b] = metresLonLat(e, s); ids.push(ids.length + 1); lon.push(a); lat.push(b); return ids.length; };
    const edge = (id: number, a: number, b: number, coords: number[]): EngineEdge => ({ id, source: a, target: b, lengthM: 10, highway: 'footway', widthM: null, coords });
    const p1a = node(0, 0), p1b = node(100, 0), p2a = node(43.55, 6.5), p2b = node(43.55, 7.5);
    const ring: number[] = [];
    for (const [e, so] of [[50, 2], [50, 11], [80, 11], [80, 2], [50, 2]]) ring.push(...metresLonLat(e, so));
    const input: EngineInput = {
      nodes: { ids: Float64Array.from(ids), lon: Float64Array.from(lon), lat: Float64Array.from(lat) },
      edges: [edge(1, p1a, p1b, [...metresLonLat(0, 0), ...metresLonLat(100, 0)]), edge(2, p2a, p2b, [...metresLonLat(43.55, 6.5), ...metresLonLat(43.55, 7.5)])],
      buildings: [], zones: [], communities: [],
      sites: [{ id: 1, name: 'garden', kind: 'green_space', level: 'emergency', capacity: 10, status: 'open', hazards: ['earthquake'], rings: [ring], point: metresLonLat(65, 7) }],
    };
    const g = buildGraph(input);
    const ix = buildSegmentIndex(g);
    const got = allEntrances(ix, input.sites, 250);
    expect(JSON.stringify(got)).toBe(JSON.stringify(referenceEntrances(ix, input.sites, 250)));
    const p2 = got.find((e) => e.edgeIndex === g.edgeIndexById.get(2))!;
    expect(p2.how).toBe('adjacent');
    expect(p2.distanceM).toBeCloseTo(6.45, 1);
  });

  it('finds nothing from a point with non-finite coordinates (as before) instead of searching forever', () => {
    const g = buildGraph(randomNetwork(4));
    const ix = buildSegmentIndex(g);
    const hit = newHit();
    for (const [x, y] of [[NaN, 0], [0, NaN], [Infinity, 0], [0, -Infinity]]) {
      expect(nearestOnEdges(ix, x, y, 1e6, hit)).toBe(false);
      expect(hit.edge).toBe(-1);
    }
  });

  it('handles a network without segments', () => {
    const input: EngineInput = { nodes: { ids: new Float64Array(0), lon: new Float64Array(0), lat: new Float64Array(0) }, edges: [], buildings: [], sites: [], zones: [], communities: [] };
    const g = buildGraph(input);
    const ix = buildSegmentIndex(g);
    expect(nearestOnEdges(ix, 0, 0, 1e6, newHit())).toBe(false);
  });
});
