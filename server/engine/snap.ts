/**
 * Snapping buildings and sites onto the walking graph — onto the nearest point of the nearest edge, not merely the
 * nearest vertex.
 *
 * Spatial index: a uniform grid over the projected edge *segments* (each edge's geometry is a polyline of one or
 * more segments), filled with a counting sort (O(segments)), queried in growing rings of cells until the best
 * distance found is closer than any unvisited cell. Cheaper to build than an R-tree for the 10⁶-segment case and
 * exact (the returned segment is the true nearest open one).
 */
import type { EngineBuilding, EngineSite, Entrance, Snap } from './types.ts';
import type { Graph } from './graph.ts';

export interface SegmentIndex {
  g: Graph;
  minX: number;
  minY: number;
  cell: number;
  cols: number;
  rows: number;
  /** Grid cell → segments: cellStart[c] .. cellStart[c+1]-1 in cellSeg (a segment id is its first geometry point index). */
  cellStart: Int32Array;
  cellSeg: Int32Array;
  /** Geometry point index → edge index. */
  pointEdge: Int32Array;
}

/** Builds the grid index over all edge segments (open or closed; closed ones are filtered at query time). */
export function buildSegmentIndex(g: Graph): SegmentIndex {
  const P = g.geomStart[g.edgeCount];
  const pointEdge = new Int32Array(P);
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  let nSeg = 0;
  for (let e = 0; e < g.edgeCount; e++) {
    for (let i = g.geomStart[e], end = g.geomStart[e + 1]; i < end; i++) {
      pointEdge[i] = e;
      const x = g.geomX[i], y = g.geomY[i];
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
    nSeg += g.geomStart[e + 1] - g.geomStart[e] - 1;
  }
  if (nSeg === 0) {
    return { g, minX: 0, minY: 0, cell: 1, cols: 1, rows: 1, cellStart: new Int32Array(2), cellSeg: new Int32Array(0), pointEdge };
  }
  const w = Math.max(maxX - minX, 1), h = Math.max(maxY - minY, 1);
  // About one or two segments per cell; never fewer than 5 m per cell nor more than ~4 M cells.
  let cell = Math.max(5, Math.sqrt((w * h) / nSeg) * 1.2);
  while (Math.ceil(w / cell + 1) * Math.ceil(h / cell + 1) > 4_000_000) cell *= 1.5;
  const cols = Math.ceil(w / cell) + 1, rows = Math.ceil(h / cell) + 1;
  const counts = new Int32Array(cols * rows + 1);
  const half = cell * Math.SQRT1_2;

  const visit = (fn: (c: number, s: number) => void) => {
    for (let e = 0; e < g.edgeCount; e++) {
      for (let i = g.geomStart[e], end = g.geomStart[e + 1] - 1; i < end; i++) {
        const ax = g.geomX[i], ay = g.geomY[i], bx = g.geomX[i + 1], by = g.geomY[i + 1];
        const c0 = Math.floor((Math.min(ax, bx) - minX) / cell), c1 = Math.floor((Math.max(ax, bx) - minX) / cell);
        const r0 = Math.floor((Math.min(ay, by) - minY) / cell), r1 = Math.floor((Math.max(ay, by) - minY) / cell);
        if (c0 === c1 && r0 === r1) { fn(r0 * cols + c0, i); continue; }
        for (let r = r0; r <= r1; r++) {
          for (let c = c0; c <= c1; c++) {
            // only cells the segment actually passes near (long diagonal segments)
            const cx = minX + (c + 0.5) * cell, cy = minY + (r + 0.5) * cell;
            if (segDist2(cx, cy, ax, ay, bx, by) <= half * half * 1.0001) fn(r * cols + c, i);
          }
        }
      }
    }
  };
  visit((c) => { counts[c + 1]++; });
  for (let c = 0; c < cols * rows; c++) counts[c + 1] += counts[c];
  const cellStart = counts;
  const fill = cellStart.slice(0, cols * rows);
  const cellSeg = new Int32Array(cellStart[cols * rows]);
  visit((c, s) => { cellSeg[fill[c]++] = s; });
  return { g, minX, minY, cell, cols, rows, cellStart, cellSeg, pointEdge };
}

function segDist2(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax, dy = by - ay;
  const l2 = dx * dx + dy * dy;
  let t = l2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / l2 : 0;
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  const qx = ax + t * dx - px, qy = ay + t * dy - py;
  return qx * qx + qy * qy;
}

/** Result slot for nearest-segment queries (reused to avoid allocation). */
export interface NearestHit {
  edge: number;
  /** fraction along the edge from its source (by geometric length) */
  fraction: number;
  x: number;
  y: number;
  dist: number;
}
export function newHit(): NearestHit {
  return { edge: -1, fraction: 0, x: 0, y: 0, dist: Infinity };
}

/**
 * Nearest point on an open edge to (px, py) within maxDist (projected metres). Fills `hit` and returns true,
 * or returns false (hit.edge = -1) when no open edge is that close.
 */
export function nearestOnEdges(ix: SegmentIndex, px: number, py: number, maxDist: number, hit: NearestHit): boolean {
  const g = ix.g;
  const cell = ix.cell;
  let best = maxDist * maxDist, bestSeg = -1, bestT = 0;
  const pc = Math.floor((px - ix.minX) / cell), pr = Math.floor((py - ix.minY) / cell);
  // Distance from the point to the border of its cell's ring r is at least r*cell - (offset inside the cell);
  // we stop once every unvisited cell is provably farther than the best found.
  const offX = px - (ix.minX + pc * cell), offY = py - (ix.minY + pr * cell);
  const inset = Math.min(offX, cell - offX, offY, cell - offY);
  const maxRing = Math.max(ix.cols, ix.rows) + Math.abs(pc) + Math.abs(pr);
  for (let r = 0; r <= maxRing; r++) {
    const r0 = pr - r, r1 = pr + r, c0 = pc - r, c1 = pc + r;
    for (let row = r0; row <= r1; row++) {
      if (row < 0 || row >= ix.rows) continue;
      const edgeRow = row === r0 || row === r1;
      for (let col = c0; col <= c1; col += edgeRow ? 1 : c1 - c0 || 1) {
        if (col < 0 || col >= ix.cols) continue;
        const c = row * ix.cols + col;
        for (let k = ix.cellStart[c], end = ix.cellStart[c + 1]; k < end; k++) {
          const s = ix.cellSeg[k];
          if (g.closed[ix.pointEdge[s]]) continue;
          const ax = g.geomX[s], ay = g.geomY[s], dx = g.geomX[s + 1] - ax, dy = g.geomY[s + 1] - ay;
          const l2 = dx * dx + dy * dy;
          let t = l2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / l2 : 0;
          t = t < 0 ? 0 : t > 1 ? 1 : t;
          const qx = ax + t * dx - px, qy = ay + t * dy - py;
          const d2 = qx * qx + qy * qy;
          if (d2 < best || (d2 === best && bestSeg >= 0 && s < bestSeg)) { best = d2; bestSeg = s; bestT = t; }
        }
      }
    }
    const reach = r * cell + inset; // every cell outside ring r is at least this far
    if (bestSeg >= 0 && reach * reach >= best) break;
    if (reach > maxDist) break;
    // ring entirely outside the grid
    if (r0 < 0 && c0 < 0 && r1 >= ix.rows && c1 >= ix.cols) break;
  }
  if (bestSeg < 0) { hit.edge = -1; hit.dist = Infinity; return false; }
  const e = ix.pointEdge[bestSeg];
  const ax = g.geomX[bestSeg], ay = g.geomY[bestSeg];
  const bx = g.geomX[bestSeg + 1], by = g.geomY[bestSeg + 1];
  hit.edge = e;
  hit.x = ax + (bx - ax) * bestT;
  hit.y = ay + (by - ay) * bestT;
  const total = g.geomCum[g.geomStart[e + 1] - 1];
  const along = g.geomCum[bestSeg] + (g.geomCum[bestSeg + 1] - g.geomCum[bestSeg]) * bestT;
  hit.fraction = total > 0 ? Math.min(1, Math.max(0, along / total)) : 0;
  hit.dist = Math.sqrt(best);
  return true;
}

/** Columnar snaps of all buildings. edge = -1 when the building is farther than maxSnapM from any open edge. */
export interface BuildingSnaps {
  edge: Int32Array;
  fraction: Float64Array;
  /** door → snap point, m */
  distance: Float64Array;
  /** door point (nearest footprint point to the street) and snapped point, projected m */
  doorX: Float64Array;
  doorY: Float64Array;
  snapX: Float64Array;
  snapY: Float64Array;
}

/**
 * Snaps every building: the footprint's centroid is snapped first; the "door" is the point of the footprint
 * nearest to that street point; the door is then snapped to the nearest open edge (max `maxSnapM`).
 * Buildings given as points (empty ring) are snapped directly.
 */
export function snapBuildings(ix: SegmentIndex, buildings: EngineBuilding[], maxSnapM: number, only?: Int32Array | null, into?: BuildingSnaps): BuildingSnaps {
  const g = ix.g, p = g.proj;
  const n = buildings.length;
  const out: BuildingSnaps = into ?? {
    edge: new Int32Array(n).fill(-1), fraction: new Float64Array(n), distance: new Float64Array(n).fill(Infinity),
    doorX: new Float64Array(n), doorY: new Float64Array(n), snapX: new Float64Array(n), snapY: new Float64Array(n),
  };
  const hit = newHit();
  const c = [0, 0];
  const count = only ? only.length : n;
  for (let k = 0; k < count; k++) {
    const b = only ? only[k] : k;
    const bd = buildings[b];
    const ring = bd.ring;
    let dx: number, dy: number;
    if (ring && ring.length >= 6) {
      ringCentroid(ring, p.lon0, p.lat0, p.kx, p.ky, c);
      // far search radius for the centroid: the door may be up to the footprint's size closer than the centroid
      if (nearestOnEdges(ix, c[0], c[1], maxSnapM * 4 + 1000, hit)) {
        nearestOnRing(ring, p.lon0, p.lat0, p.kx, p.ky, hit.x, hit.y, c);
      }
      dx = c[0]; dy = c[1];
    } else {
      const pt = bd.point ?? (ring && ring.length >= 2 ? [ring[0], ring[1]] : null);
      if (!pt) throw new Error(`snap: building ${bd.id} has neither a ring nor a point`);
      dx = (pt[0] - p.lon0) * p.kx; dy = (pt[1] - p.lat0) * p.ky;
    }
    out.doorX[b] = dx; out.doorY[b] = dy;
    if (nearestOnEdges(ix, dx, dy, maxSnapM, hit)) {
      out.edge[b] = hit.edge; out.fraction[b] = hit.fraction; out.distance[b] = hit.dist;
      out.snapX[b] = hit.x; out.snapY[b] = hit.y;
    } else {
      out.edge[b] = -1; out.fraction[b] = 0; out.distance[b] = Infinity;
      out.snapX[b] = dx; out.snapY[b] = dy;
    }
  }
  return out;
}

/** Area-weighted centroid of a flat lon/lat ring, in projected metres (falls back to the vertex mean). */
export function ringCentroid(ring: ArrayLike<number>, lon0: number, lat0: number, kx: number, ky: number, out: number[]): void {
  const k = ring.length >> 1;
  const x0 = (ring[0] - lon0) * kx, y0 = (ring[1] - lat0) * ky;
  let a2 = 0, cx = 0, cy = 0, mx = 0, my = 0;
  for (let i = 0; i < k; i++) {
    const j = (i + 1) % k;
    const xi = (ring[2 * i] - lon0) * kx - x0, yi = (ring[2 * i + 1] - lat0) * ky - y0;
    const xj = (ring[2 * j] - lon0) * kx - x0, yj = (ring[2 * j + 1] - lat0) * ky - y0;
    const cr = xi * yj - xj * yi;
    a2 += cr; cx += (xi + xj) * cr; cy += (yi + yj) * cr;
    mx += xi; my += yi;
  }
  if (Math.abs(a2) > 1e-9) { out[0] = x0 + cx / (3 * a2); out[1] = y0 + cy / (3 * a2); }
  else { out[0] = x0 + mx / k; out[1] = y0 + my / k; }
}

/** Nearest point on a flat lon/lat ring (its boundary) to (px, py), projected metres. */
export function nearestOnRing(ring: ArrayLike<number>, lon0: number, lat0: number, kx: number, ky: number, px: number, py: number, out: number[]): number {
  const k = ring.length >> 1;
  let best = Infinity;
  for (let i = 0; i < k; i++) {
    const j = (i + 1) % k;
    const ax = (ring[2 * i] - lon0) * kx, ay = (ring[2 * i + 1] - lat0) * ky;
    const bx = (ring[2 * j] - lon0) * kx, by = (ring[2 * j + 1] - lat0) * ky;
    const dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy;
    let t = l2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / l2 : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    const qx = ax + t * dx, qy = ay + t * dy;
    const d2 = (qx - px) * (qx - px) + (qy - py) * (qy - py);
    if (d2 < best) { best = d2; out[0] = qx; out[1] = qy; }
  }
  return Math.sqrt(best);
}

/** Point in a flat ring (ray casting); works in lon/lat or projected coordinates alike. */
export function pointInRing(ring: ArrayLike<number>, x: number, y: number): boolean {
  const k = ring.length >> 1;
  let inside = false;
  for (let i = 0, j = k - 1; i < k; j = i++) {
    const xi = ring[2 * i], yi = ring[2 * i + 1], xj = ring[2 * j], yj = ring[2 * j + 1];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function projectRing(ring: ArrayLike<number>, g: Graph): Float64Array {
  const p = g.proj;
  const out = new Float64Array(ring.length);
  for (let i = 0; i < ring.length; i += 2) {
    out[i] = (ring[i] - p.lon0) * p.kx;
    out[i + 1] = (ring[i + 1] - p.lat0) * p.ky;
  }
  return out;
}

function toSnap(g: Graph, edge: number, fraction: number, x: number, y: number, dist: number): Snap {
  const p = g.proj;
  return { edgeIndex: edge, fraction, point: [p.lon0 + x / p.kx, p.lat0 + y / p.ky], distanceM: dist };
}

/**
 * Entrances of one site: every place where an open path crosses or touches a boundary ring, plus network nodes
 * inside the polygon (a path that ends in the park). When there are none (or the site is a point), the site's
 * nearest boundary vertex (or its point) is snapped to the nearest open edge within maxSnapM.
 */
/** A path this close to a site's boundary (m) gives it an entrance where no path crosses it; boundary sampled every step. */
const ADJACENT_M = 15;
const ADJACENT_STEP_M = 5;

export function siteEntrances(ix: SegmentIndex, site: EngineSite, siteIndex: number, maxSnapM: number, stamp?: Int32Array): Entrance[] {
  const g = ix.g;
  const out: Entrance[] = [];
  const seen = stamp ?? new Int32Array(g.geomStart[g.edgeCount]).fill(-1);
  const add = (e: number, fraction: number, x: number, y: number, dist: number, how: Entrance['how']) => {
    const tol = 0.5 / Math.max(g.edgeLength[e], 1e-9); // entrances closer than 0.5 m on one edge are one
    for (const en of out) if (en.edgeIndex === e && Math.abs(en.fraction - fraction) <= tol) return;
    out.push({ ...toSnap(g, e, fraction, x, y, dist), siteIndex, how });
  };
  for (const ringLL of site.rings) {
    if (!ringLL || ringLL.length < 6) continue;
    const ring = projectRing(ringLL, g);
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
      for (let q = ix.cellStart[cell], end = ix.cellStart[cell + 1]; q < end; q++) {
        const s = ix.cellSeg[q];
        if (seen[s] === stampId) continue;
        seen[s] = stampId;
        const e = ix.pointEdge[s];
        if (g.closed[e]) continue;
        const ax = g.geomX[s], ay = g.geomY[s], bx = g.geomX[s + 1], by = g.geomY[s + 1];
        if (Math.max(ax, bx) < minX || Math.min(ax, bx) > maxX || Math.max(ay, by) < minY || Math.min(ay, by) > maxY) continue;
        const total = g.geomCum[g.geomStart[e + 1] - 1];
        const segA = g.geomCum[s], segL = g.geomCum[s + 1] - segA;
        // crossings with every ring edge
        for (let i = 0; i < k; i++) {
          const j = (i + 1) % k;
          const t = segmentIntersectT(ax, ay, bx, by, ring[2 * i], ring[2 * i + 1], ring[2 * j], ring[2 * j + 1]);
          if (t >= 0) {
            const f = total > 0 ? (segA + segL * t) / total : 0;
            add(e, f, ax + (bx - ax) * t, ay + (by - ay) * t, 0, 'crossing');
          }
        }
        // network nodes inside the polygon
        if (s === g.geomStart[e] && pointInRing(ring, ax, ay)) add(e, 0, ax, ay, 0, 'inside');
        if (s + 1 === g.geomStart[e + 1] - 1 && pointInRing(ring, bx, by)) add(e, 1, bx, by, 0, 'inside');
      }
    }
  }
  if (out.length > 0) return out;
  // No path crosses the boundary: an open space bordering a path (a garden along a footway) is entered anywhere
  // along that frontage — one entrance per path running within ADJACENT_M of the boundary, where it runs closest.
  const p = g.proj;
  const near = new Map<number, NearestHit>();
  const hit = newHit();
  for (const ringLL of site.rings) {
    const n = ringLL.length >> 1;
    for (let i = 0; i + 1 < n; i++) {
      const ax = (ringLL[2 * i] - p.lon0) * p.kx, ay = (ringLL[2 * i + 1] - p.lat0) * p.ky;
      const bx = (ringLL[2 * i + 2] - p.lon0) * p.kx, by = (ringLL[2 * i + 3] - p.lat0) * p.ky;
      const steps = Math.max(1, Math.ceil(Math.hypot(bx - ax, by - ay) / ADJACENT_STEP_M));
      for (let k = 0; k <= steps; k++) {
        const t = k / steps;
        if (!nearestOnEdges(ix, ax + (bx - ax) * t, ay + (by - ay) * t, ADJACENT_M, hit)) continue;
        const cur = near.get(hit.edge);
        if (!cur || hit.dist < cur.dist) near.set(hit.edge, { ...hit });
      }
    }
  }
  for (const h of near.values()) add(h.edge, h.fraction, h.x, h.y, h.dist, 'adjacent');
  if (out.length > 0) return out;
  // Fallback: nearest boundary vertex (or the point) to the nearest open edge.
  let best: NearestHit | null = null;
  for (const ringLL of site.rings) {
    for (let i = 0; i + 1 < ringLL.length; i += 2) {
      const x = (ringLL[i] - p.lon0) * p.kx, y = (ringLL[i + 1] - p.lat0) * p.ky;
      if (nearestOnEdges(ix, x, y, best ? best.dist : maxSnapM, hit) && (!best || hit.dist < best.dist)) best = { ...hit };
    }
  }
  if (!best) {
    const x = (site.point[0] - p.lon0) * p.kx, y = (site.point[1] - p.lat0) * p.ky;
    if (nearestOnEdges(ix, x, y, maxSnapM, hit)) best = { ...hit };
  }
  if (best) out.push({ ...toSnap(g, best.edge, best.fraction, best.x, best.y, best.dist), siteIndex, how: 'snapped' });
  return out;
}

/** Parameter t ∈ [0,1] along segment AB where it meets segment CD (touching included), or -1. Collinear → -1. */
export function segmentIntersectT(ax: number, ay: number, bx: number, by: number, cx: number, cy: number, dx: number, dy: number): number {
  const rx = bx - ax, ry = by - ay, sx = dx - cx, sy = dy - cy;
  const den = rx * sy - ry * sx;
  if (Math.abs(den) < 1e-12) return -1;
  const qx = cx - ax, qy = cy - ay;
  const t = (qx * sy - qy * sx) / den;
  const u = (qx * ry - qy * rx) / den;
  const eps = 1e-9;
  if (t < -eps || t > 1 + eps || u < -eps || u > 1 + eps) return -1;
  return t < 0 ? 0 : t > 1 ? 1 : t;
}

/** All entrances of all sites (site order), with a flat index. */
export function allEntrances(ix: SegmentIndex, sites: EngineSite[], maxSnapM: number): Entrance[] {
  const stamp = new Int32Array(ix.g.geomStart[ix.g.edgeCount]).fill(-1);
  const out: Entrance[] = [];
  for (let s = 0; s < sites.length; s++) for (const en of siteEntrances(ix, sites[s], s, maxSnapM, stamp)) out.push(en);
  return out;
}
