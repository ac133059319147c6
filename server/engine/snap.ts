/**
 * Snapping buildings and sites onto the walking graph — onto the nearest point of the nearest edge, not merely the
 * nearest vertex.
 *
 * Spatial index: uniform grids over the projected edge *segments* (each edge's geometry is a polyline of one or
 * more segments), filled with a counting sort (O(segments)); a segment is listed in every cell it passes through.
 *  - The coarse grid (cellStart / cellSeg, sized on the bounding box) serves site entrances and what-if edge hits.
 *  - The near grid serves nearest-segment queries: cells sized for the area the network really covers (about one
 *    segment per cell, 20–35 m in a town; the coarse grid's own lists when those come out about as large), each
 *    entry carrying its segment's start and direction inline (sequential reads, no indirection through the
 *    geometry), and a distance transform of the empty cells so a query jumps over empty rings. A query visits row
 *    runs of cells: the rings around the point until a segment is found, then the disc of the best distance.
 *  - The nearest lists (a finer grid, made cell by cell as queries land) list per cell every segment that can be
 *    nearest to a point in it: with no edge closed, snapping buildings scans one short list per query.
 * Queries are exact and deterministic: the least (distance², segment id) over the open segments, with the distance
 * computed by the same floating-point operations whatever cell order the search visits.
 */
import type { EngineBuilding, EngineSite, Entrance, Snap } from './types.ts';
import type { Graph } from './graph.ts';
import { lasting } from './alloc.ts';
import { ringColumn } from './columns.ts';

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
  /** Finer grid for nearest-segment queries, with each entry's geometry stored inline (see NearGrid). */
  near: NearGrid;
  /** Per fine cell, every segment that can be nearest to a point of it (see NearestLists); null when not built. */
  lists: NearestLists | null;
}

/**
 * A fine grid whose cells each list every segment that can be the nearest one to some point in the cell (when no
 * edge is closed), so that a query scans one short list instead of searching rings of the near grid. The list of a
 * cell R holds every segment within dmax of R, where dmax is the largest distance from R's corners to the segment
 * nearest R's centre: the distance to a segment is convex, so no point of R is farther than dmax from that segment,
 * and so its nearest segment (and every segment tying it) is within dmax of R.
 * A cell's list is made when a query first lands in it (about a microsecond) and kept with the index, as it depends
 * on the graph's geometry only: a city has millions of cells and buildings are in few of them. Cells farther than
 * `NEAREST_LISTS_MAX_M` from the network, or whose list would be long, get none and are searched as before.
 * Lists are made and read from the index's second snap of buildings on, when the first one's searches were costly.
 * One snap does not pay for them: making one costs about what it saves over ~15 queries (an estimate from Monaco: ~1.4 µs
 * to make one, ~0.09 µs saved a query), and the plan stage `snap` of a new context took 1,030–1,058 ms with them on the
 * generated city, 612–618 ms without (Monaco 163 against 95). The first snap of a new context is the common case (the
 * server makes one per data version); a context that snaps again (another `maxSnapM`, the benchmark's re-snaps) gets
 * them if its first snap's searches visited more than `NEAREST_LISTS_MIN_RUNS` runs of entries per query:
 * Monaco's 3.2 (a snap 17.6 ms without lists, 12.9 with), not the generated city's 1.6 (89–126 ms without, 94–120
 * with, and ~330 ms to make them), whose buildings stand close to their streets in a dense grid.
 */
export interface NearestLists {
  minX: number;
  minY: number;
  cell: number;
  /** 1 / cell */
  inv: number;
  cols: number;
  rows: number;
  /** cell → its list's offset in `pool`; LIST_UNMADE before the first query there, LIST_NONE when it has none (empty
   *  until the lists are first used: a context that snaps once never pays for its cells, 22 MB in the city) */
  at: Int32Array;
  /** lists: a length, then that many near-grid entry indexes (NearGrid.xy / seg), a segment once per list */
  pool: Int32Array;
  /** used length of `pool` */
  used: number;
  /** scratch for making lists: per segment id, the last cell that looked at it (empty until first used, as `at`) */
  stamp: Int32Array;
  /** snapBuildings calls on the open graph so far (lists from the second on) */
  snaps: number;
  /** whether the first snap's searches were costly enough for lists to pay */
  worth: boolean;
}

/**
 * Grid for nearest-segment queries. Cells are sized for typical snap distances (metres to tens of metres), and
 * each entry carries its segment's start point and direction (ax, ay, bx-ax, by-ay) contiguously in cell order,
 * so a query reads sequential memory: one run of entries per grid row it visits. Built once per graph geometry;
 * closed flags are read from the graph at query time (what-if graphs share the index).
 */
export interface NearGrid {
  minX: number;
  minY: number;
  cell: number;
  cols: number;
  rows: number;
  /** cell → entries start[c] .. start[c+1]-1 (row-major, so a run of cells in one row is one run of entries) */
  start: Int32Array;
  /** per entry: ax, ay, dx, dy (segment start and direction, projected m) */
  xy: Float64Array;
  /** per entry: segment id (first geometry point index); shared with the coarse grid when the cells are the same */
  seg: Int32Array;
  /** geometry point index → edge index (the index's pointEdge) */
  pointEdge: Int32Array;
  /** per cell: Chebyshev distance (in cells, capped at 255) to the nearest non-empty cell; rings inside are empty */
  empty: Uint8Array;
  /** 1 / cell */
  inv: number;
  /** scratch: entry runs (k0, k1 pairs) of the part of the grid being visited */
  runs: Int32Array;
}

/**
 * Fills a uniform grid with segment ids (counting sort); a segment goes into every cell it passes through.
 * After counting, `withXY(filled cells)` decides whether the entries also get their geometry inline (NearGrid.xy),
 * written in the same pass.
 */
function fillGrid(g: Graph, minX: number, minY: number, cell: number, cols: number, rows: number, withXY: (filled: number) => boolean): { start: Int32Array; seg: Int32Array; xy: Float64Array | null } {
  const counts = lasting.i32(cols * rows + 1);
  const half2 = cell * Math.SQRT1_2 * (cell * Math.SQRT1_2) * 1.0001;
  const { geomX, geomY, geomStart } = g;
  let fill: Int32Array | null = null, seg: Int32Array | null = null, xy: Float64Array | null = null;
  // pass 0 counts the entries of each cell, pass 1 places them (same visiting order: segment ids ascend in a cell)
  for (let pass = 0; pass < 2; pass++) {
    for (let e = 0; e < g.edgeCount; e++) {
      for (let i = geomStart[e], end = geomStart[e + 1] - 1; i < end; i++) {
        const ax = geomX[i], ay = geomY[i], bx = geomX[i + 1], by = geomY[i + 1];
        const c0 = Math.floor((Math.min(ax, bx) - minX) / cell), c1 = Math.floor((Math.max(ax, bx) - minX) / cell);
        const r0 = Math.floor((Math.min(ay, by) - minY) / cell), r1 = Math.floor((Math.max(ay, by) - minY) / cell);
        if (c0 === c1 && r0 === r1) {
          const c = r0 * cols + c0;
          if (fill === null) counts[c + 1]++;
          else {
            const k = fill[c]++;
            seg![k] = i;
            if (xy !== null) { xy[4 * k] = ax; xy[4 * k + 1] = ay; xy[4 * k + 2] = bx - ax; xy[4 * k + 3] = by - ay; }
          }
          continue;
        }
        for (let r = r0; r <= r1; r++) {
          for (let c = c0; c <= c1; c++) {
            // only cells the segment actually passes near (long diagonal segments)
            const cx = minX + (c + 0.5) * cell, cy = minY + (r + 0.5) * cell;
            if (segDist2(cx, cy, ax, ay, bx, by) <= half2) {
              const q = r * cols + c;
              if (fill === null) counts[q + 1]++;
              else {
                const k = fill[q]++;
                seg![k] = i;
                if (xy !== null) { xy[4 * k] = ax; xy[4 * k + 1] = ay; xy[4 * k + 2] = bx - ax; xy[4 * k + 3] = by - ay; }
              }
            }
          }
        }
      }
    }
    if (pass === 0) {
      let filled = 0;
      for (let c = 0; c < cols * rows; c++) { if (counts[c + 1] > 0) filled++; counts[c + 1] += counts[c]; }
      fill = counts.slice(0, cols * rows);
      seg = lasting.i32(counts[cols * rows]);
      if (withXY(filled)) xy = lasting.f64(4 * seg.length);
    }
  }
  return { start: counts, seg: seg!, xy };
}

/** Builds the grid index over all edge segments (open or closed; closed ones are filtered at query time). */
export function buildSegmentIndex(g: Graph): SegmentIndex {
  const P = g.geomStart[g.edgeCount];
  // (the index's arrays and its nearest lists are `lasting`, see alloc.ts)
  const pointEdge = lasting.i32(P);
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
    const near: NearGrid = { minX: 0, minY: 0, cell: 1, inv: 1, cols: 1, rows: 1, start: new Int32Array(2), xy: new Float64Array(0), seg: new Int32Array(0), pointEdge, empty: new Uint8Array([255]), runs: new Int32Array(32) };
    return { g, minX: 0, minY: 0, cell: 1, cols: 1, rows: 1, cellStart: new Int32Array(2), cellSeg: new Int32Array(0), pointEdge, near, lists: null };
  }
  const w = Math.max(maxX - minX, 1), h = Math.max(maxY - minY, 1);
  // About one or two segments per cell; never fewer than 5 m per cell nor more than ~4 M cells.
  let cell = Math.max(5, Math.sqrt((w * h) / nSeg) * 1.2);
  while (Math.ceil(w / cell + 1) * Math.ceil(h / cell + 1) > 4_000_000) cell *= 1.5;
  const cols = Math.ceil(w / cell) + 1, rows = Math.ceil(h / cell) + 1;
  // Near-grid cells: about one segment per cell of the area the network actually covers (the bounding box may be
  // mostly sea or countryside), which is also about the typical snap distance in a town (20–30 m). When the box is
  // mostly filled the coarse grid's cells are about that size already: the near grid shares its lists.
  let nearCell = 0;
  const { start: cellStart, seg: cellSeg, xy } = fillGrid(g, minX, minY, cell, cols, rows, (filled) => {
    nearCell = Math.max(NEAR_MIN_CELL_M, Math.sqrt((filled * cell * cell) / nSeg));
    return cell <= nearCell * 1.5;
  });
  const near = xy !== null
    ? nearGrid(minX, minY, cell, cols, rows, cellStart, cellSeg, xy, pointEdge)
    : buildNearGrid(g, minX, minY, w, h, pointEdge, nearCell);
  return { g, minX, minY, cell, cols, rows, cellStart, cellSeg, pointEdge, near, lists: nearestLists(near, w, h) };
}

/** Nearest lists: cells a third of the near grid's (at least 5 m), at most this many cells in all… */
const NEAREST_LISTS_MAX_CELLS = 6_000_000;
/** …lists only for cells within this distance of the network (farther points are rare: searched as before)… */
const NEAREST_LISTS_MAX_M = 200;
/** …and with at most this many segments (a cell in a knot of paths is searched as before). */
const NEAREST_LISTS_MAX_LEN = 48;
/** Lists from the second snap on when the first one's searches visited more runs of entries per query than this. */
const NEAREST_LISTS_MIN_RUNS = 2;
const LIST_UNMADE = -1, LIST_NONE = -2;

function nearestLists(ng: NearGrid, w: number, h: number): NearestLists {
  let cell = Math.max(NEAR_MIN_CELL_M, ng.cell / 3);
  while (Math.ceil(w / cell + 1) * Math.ceil(h / cell + 1) > NEAREST_LISTS_MAX_CELLS) cell *= 1.25;
  const cols = Math.ceil(w / cell) + 1, rows = Math.ceil(h / cell) + 1;
  return {
    minX: ng.minX, minY: ng.minY, cell, inv: 1 / cell, cols, rows, at: new Int32Array(0),
    pool: new Int32Array(0), used: 0, stamp: new Int32Array(0), snaps: 0, worth: false,
  };
}

/** The lists ready for use: their cell table, pool and stamps are made the first time (see NearestLists.at). */
function inUse(nl: NearestLists, ng: NearGrid): NearestLists {
  if (nl.at.length === 0) {
    nl.at = lasting.i32(nl.cols * nl.rows).fill(LIST_UNMADE);
    nl.pool = lasting.i32(4096);
    nl.stamp = lasting.i32(ng.pointEdge.length).fill(-1);
  }
  return nl;
}

/** Makes the list of cell `ci` (row r, column c): its offset in the pool, or LIST_NONE. */
function makeList(nl: NearestLists, ng: NearGrid, ci: number, r: number, c: number): number {
  const cell = nl.cell, xy = ng.xy, seg = ng.seg, nStart = ng.start, nInv = ng.inv, nCols = ng.cols, nRows = ng.rows, stamp = nl.stamp;
  const x0 = nl.minX + c * cell, y0 = nl.minY + r * cell, x1 = x0 + cell, y1 = y0 + cell;
  const reach = NEAREST_LISTS_MAX_M + cell;
  searchNear(ng, null, x0 + cell / 2, y0 + cell / 2, reach * reach);
  if (qSeg < 0) return (nl.at[ci] = LIST_NONE);
  const o = qK << 2, ax = xy[o], ay = xy[o + 1], bx = ax + xy[o + 2], by = ay + xy[o + 3];
  const dmax2 = Math.max(segDist2(x0, y0, ax, ay, bx, by), segDist2(x1, y0, ax, ay, bx, by), segDist2(x0, y1, ax, ay, bx, by), segDist2(x1, y1, ax, ay, bx, by));
  // slack for rounding, and for points within a hair of the border that the query's cell index puts in this cell
  const dmax = Math.sqrt(dmax2) * (1 + 1e-9) + 1e-6;
  if (dmax > NEAREST_LISTS_MAX_M) return (nl.at[ci] = LIST_NONE);
  const lim = dmax * dmax;
  let ca = Math.floor((x0 - dmax - ng.minX) * nInv), cb = Math.floor((x1 + dmax - ng.minX) * nInv);
  let ra = Math.floor((y0 - dmax - ng.minY) * nInv), rb = Math.floor((y1 + dmax - ng.minY) * nInv);
  if (ca < 0) ca = 0;
  if (cb >= nCols) cb = nCols - 1;
  if (ra < 0) ra = 0;
  if (rb >= nRows) rb = nRows - 1;
  if (nl.used + NEAREST_LISTS_MAX_LEN + 2 > nl.pool.length) { const grown = lasting.i32(nl.pool.length * 2); grown.set(nl.pool); nl.pool = grown; }
  const pool = nl.pool, head = nl.used;
  let len = 0;
  for (let row = ra; row <= rb; row++) {
    for (let k = nStart[row * nCols + ca], end = nStart[row * nCols + cb + 1]; k < end; k++) {
      const s = seg[k];
      if (stamp[s] === ci) continue;
      stamp[s] = ci;
      const p = k << 2, sx = xy[p], sy = xy[p + 1], ex = sx + xy[p + 2], ey = sy + xy[p + 3];
      // the segment's box alone is farther than dmax (no closer than the segment): passed over before the exact test
      const gx = (sx < ex ? sx : ex) - x1, hx = x0 - (sx > ex ? sx : ex), gy = (sy < ey ? sy : ey) - y1, hy = y0 - (sy > ey ? sy : ey);
      const bx = gx > 0 ? gx : hx > 0 ? hx : 0, by = gy > 0 ? gy : hy > 0 ? hy : 0;
      if (bx * bx + by * by > lim) continue;
      if (rectSegDist2(x0, y0, x1, y1, sx, sy, ex, ey) > lim) continue;
      if (len === NEAREST_LISTS_MAX_LEN) return (nl.at[ci] = LIST_NONE);
      pool[head + 1 + len++] = k;
    }
  }
  pool[head] = len;
  nl.used = head + 1 + len;
  return (nl.at[ci] = head);
}

/** Squared distance between the rectangle [x0, x1] × [y0, y1] and the segment a–b (0 when they meet). */
function rectSegDist2(x0: number, y0: number, x1: number, y1: number, ax: number, ay: number, bx: number, by: number): number {
  // an end inside, or the segment crossing the rectangle (clipped parametrically to each slab)
  const dx = bx - ax, dy = by - ay;
  let t0 = 0, t1 = 1;
  if (dx === 0) { if (ax < x0 || ax > x1) t0 = 2; }
  else {
    let ta = (x0 - ax) / dx, tb = (x1 - ax) / dx;
    if (ta > tb) { const t = ta; ta = tb; tb = t; }
    if (ta > t0) t0 = ta;
    if (tb < t1) t1 = tb;
  }
  if (dy === 0) { if (ay < y0 || ay > y1) t0 = 2; }
  else {
    let ta = (y0 - ay) / dy, tb = (y1 - ay) / dy;
    if (ta > tb) { const t = ta; ta = tb; tb = t; }
    if (ta > t0) t0 = ta;
    if (tb < t1) t1 = tb;
  }
  if (t0 <= t1) return 0;
  // apart: the least of the ends' distances to the rectangle and the corners' distances to the segment
  const ex = ax < x0 ? x0 - ax : ax > x1 ? ax - x1 : 0, ey = ay < y0 ? y0 - ay : ay > y1 ? ay - y1 : 0;
  const fx = bx < x0 ? x0 - bx : bx > x1 ? bx - x1 : 0, fy = by < y0 ? y0 - by : by > y1 ? by - y1 : 0;
  return Math.min(ex * ex + ey * ey, fx * fx + fy * fy,
    segDist2(x0, y0, ax, ay, bx, by), segDist2(x1, y0, ax, ay, bx, by), segDist2(x0, y1, ax, ay, bx, by), segDist2(x1, y1, ax, ay, bx, by));
}

/** Near grid: smallest cell (m) and cap on the number of cells. */
const NEAR_MIN_CELL_M = 5;
const NEAR_MAX_CELLS = 8_000_000;

function buildNearGrid(g: Graph, minX: number, minY: number, w: number, h: number, pointEdge: Int32Array, cellM: number): NearGrid {
  let cell = cellM;
  while (Math.ceil(w / cell + 1) * Math.ceil(h / cell + 1) > NEAR_MAX_CELLS) cell *= 1.25;
  const cols = Math.ceil(w / cell) + 1, rows = Math.ceil(h / cell) + 1;
  const { start, seg, xy } = fillGrid(g, minX, minY, cell, cols, rows, () => true);
  return nearGrid(minX, minY, cell, cols, rows, start, seg, xy!, pointEdge);
}

/** The near grid over filled cell lists with their inline geometry: adds the distance transform of empty cells. */
function nearGrid(minX: number, minY: number, cell: number, cols: number, rows: number, start: Int32Array, seg: Int32Array, xy: Float64Array, pointEdge: Int32Array): NearGrid {
  // Chebyshev distance transform of the non-empty cells (two chamfer passes, 8-neighbourhood, unit steps: exact).
  const empty = lasting.u8(cols * rows);
  for (let c = 0; c < cols * rows; c++) empty[c] = start[c + 1] > start[c] ? 0 : 255;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      let v = empty[i];
      if (v === 0) continue;
      if (c > 0 && empty[i - 1] + 1 < v) v = empty[i - 1] + 1;
      if (r > 0) {
        const u = i - cols;
        if (empty[u] + 1 < v) v = empty[u] + 1;
        if (c > 0 && empty[u - 1] + 1 < v) v = empty[u - 1] + 1;
        if (c + 1 < cols && empty[u + 1] + 1 < v) v = empty[u + 1] + 1;
      }
      empty[i] = v;
    }
  }
  for (let r = rows - 1; r >= 0; r--) {
    for (let c = cols - 1; c >= 0; c--) {
      const i = r * cols + c;
      let v = empty[i];
      if (v === 0) continue;
      if (c + 1 < cols && empty[i + 1] + 1 < v) v = empty[i + 1] + 1;
      if (r + 1 < rows) {
        const d = i + cols;
        if (empty[d] + 1 < v) v = empty[d] + 1;
        if (c > 0 && empty[d - 1] + 1 < v) v = empty[d - 1] + 1;
        if (c + 1 < cols && empty[d + 1] + 1 < v) v = empty[d + 1] + 1;
      }
      empty[i] = v;
    }
  }
  return { minX, minY, cell, inv: 1 / cell, cols, rows, start, xy, seg, pointEdge, empty, runs: new Int32Array(4 * (rows + cols) + 16) };
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

// Result of the last nearest search (single-threaded; avoids allocating per query).
let qSeg = -1, qK = -1;
/** searches (searchNear, searchDisc) and the runs of entries they scanned, for NearestLists.worth */
let qSearches = 0, qRuns = 0;
/** [best d², its t]: doubles in a typed array, as a module-level `let` holding a double allocates a number per store */
const qF = new Float64Array(2);

/**
 * The distance test of every search: entries from .. to-1 of the near grid (or, with `list`, the entries list[from ..
 * to-1]) against the best so far in qF / qSeg / qK, which it updates. Keeps the least (d², segment id) with
 * d² ≤ qF[0]; t and d² are computed as `segDist2` does (same operations, same rounding).
 */
function scanEntries(ng: NearGrid, closed: Uint8Array | null, list: Int32Array | null, from: number, to: number, px: number, py: number): void {
  const xy = ng.xy, seg = ng.seg, pointEdge = ng.pointEdge;
  let best = qF[0], bestSeg = qSeg, bestT = qF[1], bestK = qK;
  let rej = best + best * 1e-6 + 1e-8;
  for (let i = from; i < to; i++) {
    const k = list === null ? i : list[i];
    if (closed !== null && closed[pointEdge[seg[k]]] !== 0) continue;
    const o = k << 2;
    const ax = xy[o], ay = xy[o + 1], dx = xy[o + 2], dy = xy[o + 3];
    const ex = px - ax, ey = py - ay;
    const l2 = dx * dx + dy * dy;
    // quick reject: the segment's line is already farther than the best (with a margin for rounding)
    const cr = ex * dy - ey * dx;
    if (cr * cr > l2 * rej) continue;
    const dot = ex * dx + ey * dy;
    // t = clamp(dot / l2, 0, 1), dividing only when it does not clamp (same value: division rounds correctly)
    let qx: number, qy: number, t: number;
    if (dot <= 0) { t = 0; qx = ax - px; qy = ay - py; }
    else if (dot >= l2) { t = 1; qx = ax + dx - px; qy = ay + dy - py; }
    else {
      t = dot / l2;
      if (t > 1) t = 1;
      qx = ax + t * dx - px; qy = ay + t * dy - py;
    }
    const d2 = qx * qx + qy * qy;
    if (d2 <= best) {
      const s = seg[k];
      if (d2 < best || (bestSeg >= 0 && s < bestSeg)) { best = d2; bestSeg = s; bestT = t; bestK = k; rej = best + best * 1e-6 + 1e-8; }
    }
  }
  qF[0] = best; qSeg = bestSeg; qF[1] = bestT; qK = bestK;
}

/**
 * d² plus a hair, so that no cell is skipped for rounding when a segment in it ties the best (cell indices are
 * found by multiplying with 1/cell, which may put a point that lies within ~1e-12 m of a cell border into the
 * neighbouring cell: the geometry below stays consistent with the cell chosen, and this slack covers the rest).
 */
function slack(d2: number): number {
  return d2 + d2 * 1e-9 + 1e-6;
}

/**
 * Nearest open segment to (px, py) with squared distance below best2 (ties: the smaller segment id), into
 * qF / qSeg / qK. The distance and the parameter t are computed exactly as `segDist2` does (same
 * operations, same rounding), and the result is the least (d², segment id) over every segment that could be that
 * near, so it does not depend on the order cells are visited in.
 *
 * Visits, as runs of entries along grid rows: the square of rings around the point's cell up to the first
 * possibly non-empty ring (known from the distance transform), then further rings one at a time until a segment
 * is found, then the whole disc of the best distance found (rows clipped to the disc).
 */
function searchNear(ng: NearGrid, closed: Uint8Array | null, px: number, py: number, best2: number): void {
  qF[0] = best2; qSeg = -1; qF[1] = 0; qK = -1; qSearches++;
  const cell = ng.cell, inv = ng.inv, cols = ng.cols, rows = ng.rows;
  const start = ng.start, runs = ng.runs;
  const pc = Math.floor((px - ng.minX) * inv), pr = Math.floor((py - ng.minY) * inv);
  if (!Number.isFinite(pc) || !Number.isFinite(pr)) return; // NaN: nowhere
  // offsets of the point from its cell's low borders (the geometry of the cell chosen)
  const offX = px - (ng.minX + pc * cell), offY = py - (ng.minY + pr * cell);
  let inset = offX;
  if (cell - offX < inset) inset = cell - offX;
  if (offY < inset) inset = offY;
  if (cell - offY < inset) inset = cell - offY;
  // phase 0: square up to ring r; 1: ring r; 2: disc of the best distance
  let phase = 0, r = 0;
  if (pr >= 0 && pr < rows && pc >= 0 && pc < cols) r = ng.empty[pr * cols + pc];
  for (;;) {
    let nr = 0;
    if (phase === 0) {
      let ra = pr - r, rb = pr + r, ca = pc - r, cb = pc + r;
      if (ra < 0) ra = 0;
      if (rb >= rows) rb = rows - 1;
      if (ca < 0) ca = 0;
      if (cb >= cols) cb = cols - 1;
      if (ca <= cb) for (let row = ra; row <= rb; row++) { runs[nr++] = start[row * cols + ca]; runs[nr++] = start[row * cols + cb + 1]; }
    } else if (phase === 1) {
      const r0 = pr - r, r1 = pr + r, c0 = pc - r, c1 = pc + r;
      const ca = c0 < 0 ? 0 : c0, cb = c1 >= cols ? cols - 1 : c1;
      if (ca <= cb) {
        if (r0 >= 0 && r0 < rows) { runs[nr++] = start[r0 * cols + ca]; runs[nr++] = start[r0 * cols + cb + 1]; }
        if (r1 >= 0 && r1 < rows) { runs[nr++] = start[r1 * cols + ca]; runs[nr++] = start[r1 * cols + cb + 1]; }
      }
      let ra = r0 + 1, rb = r1 - 1;
      if (ra < 0) ra = 0;
      if (rb >= rows) rb = rows - 1;
      for (let row = ra; row <= rb; row++) {
        if (c0 >= 0 && c0 < cols) { const c = row * cols + c0; runs[nr++] = start[c]; runs[nr++] = start[c + 1]; }
        if (c1 >= 0 && c1 < cols) { const c = row * cols + c1; runs[nr++] = start[c]; runs[nr++] = start[c + 1]; }
      }
    } else {
      // rows pr-up .. pr+dn meet the disc: row pr-j is (j-1)·cell + offY away, row pr+j is j·cell - offY away;
      // cells within ring r were visited already
      const lim = slack(qF[0]), u = Math.sqrt(lim);
      let ra = u >= offY ? pr - 1 - Math.floor((u - offY) * inv) : pr;
      let rb = pr + Math.floor((u + offY) * inv);
      if (ra < 0) ra = 0;
      if (rb >= rows) rb = rows - 1;
      const sq = r;
      for (let row = ra; row <= rb; row++) {
        const gy = row < pr ? (pr - row - 1) * cell + offY : row > pr ? (row - pr) * cell - offY : 0;
        const w2 = lim - gy * gy;
        if (w2 < 0) continue;
        const w = Math.sqrt(w2);
        let ca = w >= offX ? pc - 1 - Math.floor((w - offX) * inv) : pc;
        let cb = pc + Math.floor((w + offX) * inv);
        if (ca < 0) ca = 0;
        if (cb >= cols) cb = cols - 1;
        if (ca > cb) continue;
        const base = row * cols;
        if (row < pr - sq || row > pr + sq) { runs[nr++] = start[base + ca]; runs[nr++] = start[base + cb + 1]; continue; }
        // this row's part of the visited square is skipped
        const sa = pc - sq, sb = pc + sq;
        if (ca < sa) { runs[nr++] = start[base + ca]; runs[nr++] = start[base + (cb < sa ? cb + 1 : sa)]; }
        if (cb > sb) { const from = ca > sb ? ca : sb + 1; runs[nr++] = start[base + from]; runs[nr++] = start[base + cb + 1]; }
      }
    }
    for (let i = 0; i < nr; i += 2) scanEntries(ng, closed, null, runs[i], runs[i + 1], px, py);
    qRuns += nr >> 1;
    if (phase === 2) break;
    // every cell outside ring r is at least this far
    const reach = r * cell + inset;
    if (reach * reach > slack(qF[0])) break;
    if (qSeg >= 0) { phase = 2; continue; }
    if (pr - r < 0 && pc - r < 0 && pr + r >= rows && pc + r >= cols) break; // ring r already encloses the grid
    r++;
    phase = 1;
  }
}

/**
 * The nearest open segment within sqrt(best2) of (px, py) when best2 is already a close bound (as searchNear, same
 * arithmetic and ties): scans the rows of the square around that disc, one run of entries per row.
 */
function searchDisc(ng: NearGrid, closed: Uint8Array | null, px: number, py: number, best2: number): void {
  qF[0] = best2; qSeg = -1; qF[1] = 0; qK = -1; qSearches++;
  const cell = ng.cell, inv = ng.inv, cols = ng.cols, rows = ng.rows, start = ng.start;
  const pc = Math.floor((px - ng.minX) * inv), pr = Math.floor((py - ng.minY) * inv);
  if (!Number.isFinite(pc) || !Number.isFinite(pr)) return;
  const offX = px - (ng.minX + pc * cell), offY = py - (ng.minY + pr * cell);
  // rows and columns meeting the disc (as in searchNear's disc phase, without clipping each row to the circle)
  const u = Math.sqrt(slack(best2));
  let ra = u >= offY ? pr - 1 - Math.floor((u - offY) * inv) : pr;
  let rb = pr + Math.floor((u + offY) * inv);
  let ca = u >= offX ? pc - 1 - Math.floor((u - offX) * inv) : pc;
  let cb = pc + Math.floor((u + offX) * inv);
  if (ra < 0) ra = 0;
  if (rb >= rows) rb = rows - 1;
  if (ca < 0) ca = 0;
  if (cb >= cols) cb = cols - 1;
  if (ca <= cb) for (let row = ra; row <= rb; row++) scanEntries(ng, closed, null, start[row * cols + ca], start[row * cols + cb + 1], px, py);
  if (ca <= cb && ra <= rb) qRuns += rb - ra + 1;
}

/**
 * searchNear with no edge closed, through the nearest lists: the cell's list holds the nearest segment and every one
 * tying it, so scanning it (same arithmetic and ties) gives the same answer. Cells without a list are searched.
 */
function searchListed(nl: NearestLists, ng: NearGrid, px: number, py: number, best2: number): void {
  const c = Math.floor((px - nl.minX) * nl.inv), r = Math.floor((py - nl.minY) * nl.inv);
  // (NaN fails every comparison: searched, which answers nothing)
  if (!(c >= 0 && c < nl.cols && r >= 0 && r < nl.rows)) { searchNear(ng, null, px, py, best2); return; }
  const ci = r * nl.cols + c;
  let head = nl.at[ci];
  if (head === LIST_UNMADE) head = makeList(nl, ng, ci, r, c);
  if (head === LIST_NONE) { searchNear(ng, null, px, py, best2); return; }
  qF[0] = best2; qSeg = -1; qF[1] = 0; qK = -1;
  scanEntries(ng, null, nl.pool, head + 1, head + 1 + nl.pool[head], px, py);
}

/** Fills `hit` from the search state; false (hit.edge = -1) when nothing was found. */
function hitFromSearch(ix: SegmentIndex, hit: NearestHit): boolean {
  const bestSeg = qSeg, bestT = qF[1];
  if (bestSeg < 0) { hit.edge = -1; hit.dist = Infinity; return false; }
  const g = ix.g, xy = ix.near.xy, o = qK << 2;
  const e = ix.pointEdge[bestSeg];
  hit.edge = e;
  // the entry holds ax = geomX[s] and dx = geomX[s+1] - ax: the same numbers as from the geometry
  hit.x = xy[o] + xy[o + 2] * bestT;
  hit.y = xy[o + 1] + xy[o + 3] * bestT;
  const total = g.geomCum[g.geomStart[e + 1] - 1];
  const along = g.geomCum[bestSeg] + (g.geomCum[bestSeg + 1] - g.geomCum[bestSeg]) * bestT;
  hit.fraction = total > 0 ? Math.min(1, Math.max(0, along / total)) : 0;
  hit.dist = Math.sqrt(qF[0]);
  return true;
}

/**
 * Nearest point on an open edge to (px, py) within maxDist (projected metres). Fills `hit` and returns true,
 * or returns false (hit.edge = -1) when no open edge is that close. Among equally near segments the one with the
 * smallest segment id wins.
 */
export function nearestOnEdges(ix: SegmentIndex, px: number, py: number, maxDist: number, hit: NearestHit): boolean {
  searchNear(ix.near, ix.g.closed, px, py, maxDist * maxDist);
  return hitFromSearch(ix, hit);
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

/** Whether any edge is closed (else searches skip the per-segment check); four flags at a time where the array allows. */
function anyClosed(g: Graph): boolean {
  const c = g.closed;
  let e = 0;
  if (c.byteOffset % 4 === 0) {
    const words = new Int32Array(c.buffer, c.byteOffset, c.length >> 2);
    for (let i = 0; i < words.length; i++) if (words[i] !== 0) return true;
    e = 4 * words.length;
  }
  for (; e < c.length; e++) if (c[e] !== 0) return true;
  return false;
}

/**
 * Snaps every building: the footprint's centroid is snapped first; the "door" is the point of the footprint
 * nearest to that street point; the door is then snapped to the nearest open edge (max `maxSnapM`).
 * Buildings given as points (empty ring) are snapped directly.
 *
 * The door search is bounded by the street point found from the centroid: that point is on an open segment, so
 * the door's nearest segment is at most as far as it is (only that small disc is searched).
 */
export function snapBuildings(ix: SegmentIndex, buildings: EngineBuilding[], maxSnapM: number, only?: Int32Array | null, into?: BuildingSnaps): BuildingSnaps {
  const g = ix.g, p = g.proj, ng = ix.near, closed = anyClosed(g) ? g.closed : null;
  // the nearest lists hold for the open graph only, and are used from its second snap on (see NearestLists)
  const open = closed === null ? ix.lists : null;
  const first = open !== null && open.snaps++ === 0;
  const lists = open !== null && !first && open.worth ? inUse(open, ng) : null;
  qSearches = 0; qRuns = 0;
  const { lon0, lat0, kx, ky } = p;
  const n = buildings.length;
  const out: BuildingSnaps = into ?? {
    edge: lasting.i32(n).fill(-1), fraction: lasting.f64(n), distance: lasting.f64(n).fill(Infinity),
    doorX: lasting.f64(n), doorY: lasting.f64(n), snapX: lasting.f64(n), snapY: lasting.f64(n),
  };
  const { edge: oEdge, fraction: oFraction, distance: oDistance, doorX: oDoorX, doorY: oDoorY, snapX: oSnapX, snapY: oSnapY } = out;
  const { geomCum, geomStart } = g;
  const xy = ng.xy, pointEdge = ix.pointEdge;
  const far2 = (maxSnapM * 4 + 1000) * (maxSnapM * 4 + 1000);
  const max2 = maxSnapM * maxSnapM;
  const count = only ? only.length : n;
  // In input order, the footprints from the input's ring column. (Sorting the queries by grid cell, so that
  // neighbours read the same cells while cached, did not pay: Monaco's re-snap took 15.5 ms sorted and 12.9 in input
  // order; the generated city's first snap 110–367 ms sorted and 102–146 in input order, and about the same, 470–690 ms
  // either way, with its buildings shuffled.)
  let buf = ringScratch;
  const c = [0, 0];
  const { start: ringStart, lonLat } = ringColumn(buildings);
  for (let k = 0; k < count; k++) {
    const b = only ? only[k] : k;
    let dx: number, dy: number, best2 = max2, direct = false;
    const r0 = ringStart[b], m = ringStart[b + 1] - r0;
    if (m > 0) {
      // the ring projected, and its centroid's street point; far search radius: the door may be up to the footprint's
      // size closer than the centroid
      if (m > buf.length) buf = ringScratch = new Float64Array(Math.max(m, 2 * buf.length));
      for (let i = 0; i < m; i += 2) { buf[i] = (lonLat[r0 + i] - lon0) * kx; buf[i + 1] = (lonLat[r0 + i + 1] - lat0) * ky; }
      projectedCentroid(buf, 0, m >> 1, c);
      dx = c[0]; dy = c[1];
      if (lists !== null) searchListed(lists, ng, dx, dy, far2);
      else searchNear(ng, closed, dx, dy, far2);
      if (qSeg >= 0) {
        const o = qK << 2, t = qF[1];
        const hx = xy[o] + xy[o + 2] * t, hy = xy[o + 1] + xy[o + 3] * t;
        projectedNearest(buf, 0, m >> 1, hx, hy, c);
        // the street point is on an open segment: the door's nearest one is at most this far (plus a hair)
        const ex = c[0] - hx, ey = c[1] - hy;
        const bound = Math.sqrt(ex * ex + ey * ey) * (1 + 1e-9) + 1e-6;
        if (bound * bound < max2) { best2 = bound * bound; direct = true; }
        dx = c[0]; dy = c[1];
      }
    } else {
      const bd = buildings[b], ring = bd.ring;
      const pt = bd.point ?? (ring && ring.length >= 2 ? [ring[0], ring[1]] : null);
      if (!pt) throw new Error(`snap: building ${bd.id} has neither a ring nor a point`);
      dx = (pt[0] - lon0) * kx; dy = (pt[1] - lat0) * ky;
    }
    oDoorX[b] = dx; oDoorY[b] = dy;
    if (lists !== null) searchListed(lists, ng, dx, dy, best2);
    else if (direct) searchDisc(ng, closed, dx, dy, best2);
    else searchNear(ng, closed, dx, dy, best2);
    const s = qSeg;
    if (s >= 0) {
      // as hitFromSearch
      const o = qK << 2, t = qF[1];
      const e = pointEdge[s];
      const total = geomCum[geomStart[e + 1] - 1];
      const along = geomCum[s] + (geomCum[s + 1] - geomCum[s]) * t;
      oEdge[b] = e; oFraction[b] = total > 0 ? Math.min(1, Math.max(0, along / total)) : 0; oDistance[b] = Math.sqrt(qF[0]);
      oSnapX[b] = xy[o] + xy[o + 2] * t; oSnapY[b] = xy[o + 1] + xy[o + 3] * t;
    } else {
      oEdge[b] = -1; oFraction[b] = 0; oDistance[b] = Infinity;
      oSnapX[b] = dx; oSnapY[b] = dy;
    }
  }
  if (first) open.worth = qRuns > NEAREST_LISTS_MIN_RUNS * qSearches;
  return out;
}

/** A footprint projected (snapBuildings runs on one thread at a time; grows to the largest ring). */
let ringScratch = new Float64Array(256);

/** ringCentroid on a ring already projected (k points in buf from `at`): the same arithmetic, so the same numbers. */
function projectedCentroid(buf: Float64Array, at: number, k: number, out: number[]): void {
  const x0 = buf[at], y0 = buf[at + 1];
  let a2 = 0, cx = 0, cy = 0, mx = 0, my = 0;
  let xi = buf[at] - x0, yi = buf[at + 1] - y0;
  for (let i = 0; i < k; i++) {
    const j = i + 1 === k ? 0 : i + 1;
    const xj = buf[at + 2 * j] - x0, yj = buf[at + 2 * j + 1] - y0;
    const cr = xi * yj - xj * yi;
    a2 += cr; cx += (xi + xj) * cr; cy += (yi + yj) * cr;
    mx += xi; my += yi;
    xi = xj; yi = yj;
  }
  if (Math.abs(a2) > 1e-9) { out[0] = x0 + cx / (3 * a2); out[1] = y0 + cy / (3 * a2); }
  else { out[0] = x0 + mx / k; out[1] = y0 + my / k; }
}

/** nearestOnRing on a ring already projected (k points in buf from `at`): the same arithmetic (dividing only when t is not clamped). */
function projectedNearest(buf: Float64Array, at: number, k: number, px: number, py: number, out: number[]): void {
  let best = Infinity, bx0 = 0, by0 = 0;
  let ax = buf[at], ay = buf[at + 1];
  for (let i = 0; i < k; i++) {
    const j = i + 1 === k ? 0 : i + 1;
    const bx = buf[at + 2 * j], by = buf[at + 2 * j + 1];
    const dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy;
    const dot = (px - ax) * dx + (py - ay) * dy;
    let qx: number, qy: number;
    if (!(l2 > 0) || dot <= 0) { qx = ax; qy = ay; }
    else if (dot >= l2) { qx = ax + dx; qy = ay + dy; }
    else { let t = dot / l2; if (t > 1) t = 1; qx = ax + t * dx; qy = ay + t * dy; }
    const d2 = (qx - px) * (qx - px) + (qy - py) * (qy - py);
    if (d2 < best) { best = d2; bx0 = qx; by0 = qy; }
    ax = bx; ay = by;
  }
  if (best < Infinity) { out[0] = bx0; out[1] = by0; }
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
  return entrancesOf(ix, site, siteIndex, maxSnapM, stamp ?? new Int32Array(ix.g.geomStart[ix.g.edgeCount]).fill(-1), siteIndex * 64, anyClosed(ix.g) ? ix.g.closed : null);
}

/**
 * siteEntrances with the caller's stamp array, closed flags (null: no edge is closed) and stamps: ring ri marks the
 * segments it has seen with stampBase + (ri & 63), so a stamp array serves many sites without being reset.
 */
function entrancesOf(ix: SegmentIndex, site: EngineSite, siteIndex: number, maxSnapM: number, seen: Int32Array, stampBase: number, shut: Uint8Array | null): Entrance[] {
  const g = ix.g, p = g.proj;
  const out: Entrance[] = [];
  // entrances closer than 0.5 m on one edge are one (the first found is kept)
  const outE: number[] = [], outF: number[] = [];
  const add = (e: number, fraction: number, x: number, y: number, dist: number, how: Entrance['how']) => {
    const tol = 0.5 / Math.max(g.edgeLength[e], 1e-9);
    for (let i = 0; i < outE.length; i++) if (outE[i] === e && Math.abs(outF[i] - fraction) <= tol) return;
    outE.push(e); outF.push(fraction);
    out.push({ edgeIndex: e, fraction, point: [p.lon0 + x / p.kx, p.lat0 + y / p.ky], distanceM: dist, siteIndex, how });
  };
  const { geomX, geomY, geomCum, geomStart, closed } = g;
  const { cellStart, cellSeg, pointEdge } = ix;
  // when the near grid shares the coarse cell lists its inline geometry lets far segments be passed over first
  const nxy = ix.near.seg === cellSeg ? ix.near.xy : null;
  for (let ri = 0; ri < site.rings.length; ri++) {
    const ringLL = site.rings[ri];
    if (!ringLL || ringLL.length < 6) continue;
    if (site.rings.indexOf(ringLL) !== ri) continue; // the same ring listed twice: its crossings are all found once
    const ring = projectRing(ringLL, g);
    const k = ring.length >> 1;
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    for (let i = 0; i < k; i++) {
      minX = Math.min(minX, ring[2 * i]); maxX = Math.max(maxX, ring[2 * i]);
      minY = Math.min(minY, ring[2 * i + 1]); maxY = Math.max(maxY, ring[2 * i + 1]);
    }
    const c0 = Math.max(0, Math.floor((minX - ix.minX) / ix.cell) - 1), c1 = Math.min(ix.cols - 1, Math.floor((maxX - ix.minX) / ix.cell) + 1);
    const r0 = Math.max(0, Math.floor((minY - ix.minY) / ix.cell) - 1), r1 = Math.min(ix.rows - 1, Math.floor((maxY - ix.minY) / ix.cell) + 1);
    const stampId = stampBase + (ri & 63);
    for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) {
      const cell = r * ix.cols + c;
      for (let q = cellStart[cell], end = cellStart[cell + 1]; q < end; q++) {
        if (nxy !== null) {
          // clearly outside the ring's box (by more than any rounding of b = a + (b - a)): the exact test below
          // would pass over it too, here and wherever else it is listed
          const o = q << 2, ax = nxy[o], ay = nxy[o + 1], bx = ax + nxy[o + 2], by = ay + nxy[o + 3];
          if ((ax > bx ? ax : bx) < minX - 1e-6 || (ax < bx ? ax : bx) > maxX + 1e-6 || (ay > by ? ay : by) < minY - 1e-6 || (ay < by ? ay : by) > maxY + 1e-6) continue;
        }
        const s = cellSeg[q];
        if (seen[s] === stampId) continue;
        seen[s] = stampId;
        const e = pointEdge[s];
        if (closed[e]) continue;
        const ax = geomX[s], ay = geomY[s], bx = geomX[s + 1], by = geomY[s + 1];
        if (Math.max(ax, bx) < minX || Math.min(ax, bx) > maxX || Math.max(ay, by) < minY || Math.min(ay, by) > maxY) continue;
        const total = geomCum[geomStart[e + 1] - 1];
        const segA = geomCum[s], segL = geomCum[s + 1] - segA;
        // crossings with every ring edge
        for (let i = 0; i < k; i++) {
          const j = i + 1 === k ? 0 : i + 1;
          const t = segmentIntersectT(ax, ay, bx, by, ring[2 * i], ring[2 * i + 1], ring[2 * j], ring[2 * j + 1]);
          if (t >= 0) {
            const f = total > 0 ? (segA + segL * t) / total : 0;
            add(e, f, ax + (bx - ax) * t, ay + (by - ay) * t, 0, 'crossing');
          }
        }
        // network nodes inside the polygon
        if (s === geomStart[e] && pointInRing(ring, ax, ay)) add(e, 0, ax, ay, 0, 'inside');
        if (s + 1 === geomStart[e + 1] - 1 && pointInRing(ring, bx, by)) add(e, 1, bx, by, 0, 'inside');
      }
    }
  }
  if (out.length > 0) return out;
  // No path crosses the boundary: an open space bordering a path (a garden along a footway) is entered anywhere
  // along that frontage — one entrance per path running within ADJACENT_M of the boundary, where it runs closest.
  const near = new Map<number, NearestHit>();
  const hit = newHit();
  const ng = ix.near;
  const adj2 = ADJACENT_M * ADJACENT_M;
  for (const ringLL of site.rings) {
    const n = ringLL.length >> 1;
    // the previous sample's nearest segment (open) is at most its distance + the step away from the next sample
    let lx = NaN, ly = NaN, ld = Infinity;
    for (let i = 0; i + 1 < n; i++) {
      const ax = (ringLL[2 * i] - p.lon0) * p.kx, ay = (ringLL[2 * i + 1] - p.lat0) * p.ky;
      const bx = (ringLL[2 * i + 2] - p.lon0) * p.kx, by = (ringLL[2 * i + 3] - p.lat0) * p.ky;
      const steps = Math.max(1, Math.ceil(Math.hypot(bx - ax, by - ay) / ADJACENT_STEP_M));
      for (let k = 0; k <= steps; k++) {
        const t = k / steps;
        const x = ax + (bx - ax) * t, y = ay + (by - ay) * t;
        // nearestOnEdges(…, ADJACENT_M): a small radius, so only that disc (or a closer bound's) is searched
        let b2 = adj2;
        if (ld < Infinity) {
          const sx = x - lx, sy = y - ly;
          const bound = (ld + Math.sqrt(sx * sx + sy * sy)) * (1 + 1e-9) + 1e-6;
          if (bound * bound < b2) b2 = bound * bound;
        }
        searchDisc(ng, shut, x, y, b2);
        if (!hitFromSearch(ix, hit)) { ld = Infinity; continue; }
        lx = x; ly = y; ld = hit.dist;
        const cur = near.get(hit.edge);
        if (!cur) near.set(hit.edge, { edge: hit.edge, fraction: hit.fraction, x: hit.x, y: hit.y, dist: hit.dist });
        else if (hit.dist < cur.dist) { cur.fraction = hit.fraction; cur.x = hit.x; cur.y = hit.y; cur.dist = hit.dist; }
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
  const eps = 1e-9;
  const t = (qx * sy - qy * sx) / den;
  if (t < -eps || t > 1 + eps) return -1;
  const u = (qx * ry - qy * rx) / den;
  if (u < -eps || u > 1 + eps) return -1;
  return t < 0 ? 0 : t > 1 ? 1 : t;
}

/** All entrances of all sites (site order), with a flat index. */
export function allEntrances(ix: SegmentIndex, sites: EngineSite[], maxSnapM: number): Entrance[] {
  const st = segmentStamps(ix);
  const base = takeStamps(st, sites.length);
  const out: Entrance[] = [];
  const shut = anyClosed(ix.g) ? ix.g.closed : null;
  for (let s = 0; s < sites.length; s++) for (const en of entrancesOf(ix, sites[s], s, maxSnapM, st.seen, base + s * 64, shut)) out.push(en);
  return out;
}

/**
 * allEntrances(ix, sites, maxSnapM) on a graph whose closed flags differ from those `base` was computed with
 * (`baseClosed`; same index geometry, same maxSnapM), recomputing only the sites a changed edge can affect. A site's
 * entrances only read the closed flags of segments near it: crossings and inside nodes of segments meeting its rings'
 * box, adjacent paths within ADJACENT_M of its boundary, the snapped fallback within maxSnapM of its boundary vertices
 * or its point. So a site whose box (rings and point) is farther than that from every changed edge keeps its
 * entrances from `base` (the same objects); the others are recomputed. Returns `base` itself when no flag differs.
 */
export function entrancesAfterClosures(ix: SegmentIndex, sites: EngineSite[], maxSnapM: number, base: Entrance[], baseClosed: Uint8Array): Entrance[] {
  const g = ix.g, closed = g.closed;
  const changed = changedFlags(closed, baseClosed, g.edgeCount);
  if (changed.length === 0) return base;
  const { geomX, geomY, geomStart } = g;
  const { cols } = ix;
  // coarse-grid cells within reach of an edge whose flag changed (boxes, clamped to the grid: never misses a site)
  const reach = Math.max(maxSnapM, ADJACENT_M) + 1;
  const marks = cellMarks(ix);
  for (const e of changed) {
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    for (let i = geomStart[e]; i < geomStart[e + 1]; i++) {
      minX = Math.min(minX, geomX[i]); maxX = Math.max(maxX, geomX[i]);
      minY = Math.min(minY, geomY[i]); maxY = Math.max(maxY, geomY[i]);
    }
    marks.mark(cellCol(ix, minX - reach), cellCol(ix, maxX + reach), cellRow(ix, minY - reach), cellRow(ix, maxY + reach));
  }
  const mark = marks.cells;
  const cells = siteCells(ix, sites), first = entranceStarts(base, sites.length);
  // the result as runs of `base` (sliced whole: copying 130k entrances one by one cost more than the rest) and the
  // recomputed sites' entrances between them
  const pieces: Entrance[][] = [];
  let from = 0;
  let st: { seen: Int32Array; next: number } | null = null, shut: Uint8Array | null = null;
  for (let s = 0; s < sites.length; s++) {
    const c0 = cells[4 * s], c1 = cells[4 * s + 1];
    let near = false;
    for (let r = cells[4 * s + 2], r1 = cells[4 * s + 3]; r <= r1 && !near; r++) {
      for (let c = r * cols + c0, end = r * cols + c1; c <= end; c++) if (mark[c]) { near = true; break; }
    }
    if (!near) continue;
    if (st === null) { st = segmentStamps(ix); shut = changed.some((e) => closed[e] !== 0) || anyClosed(g) ? closed : null; }
    pieces.push(base.slice(from, first[s]), entrancesOf(ix, sites[s], s, maxSnapM, st.seen, takeStamps(st, 1), shut));
    from = first[s + 1];
  }
  pieces.push(base.slice(from, first[sites.length]));
  return concatAll(pieces);
}

/** The arrays one after another (spread in chunks: a call takes a bounded number of arguments). */
function concatAll<T>(pieces: T[][]): T[] {
  let out: T[] = [];
  for (let i = 0; i < pieces.length; i += 4096) out = out.concat(...pieces.slice(i, i + 4096));
  return out;
}

/** Column / row of the coarse grid cell holding x / y, clamped to the grid. */
function cellCol(ix: SegmentIndex, x: number): number { return Math.min(ix.cols - 1, Math.max(0, Math.floor((x - ix.minX) / ix.cell))); }
function cellRow(ix: SegmentIndex, y: number): number { return Math.min(ix.rows - 1, Math.max(0, Math.floor((y - ix.minY) / ix.cell))); }

/**
 * Edges whose flag differs between two closed-flag arrays (first n edges), compared four flags at a time where both
 * arrays allow (the city has 1.3M edges; a what-if changes a handful).
 */
function changedFlags(a: Uint8Array, b: Uint8Array, n: number): number[] {
  const out: number[] = [];
  let e = 0;
  if (a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0) {
    const words = Math.min(n, a.length, b.length) >> 2;
    const wa = new Int32Array(a.buffer, a.byteOffset, words), wb = new Int32Array(b.buffer, b.byteOffset, words);
    for (let i = 0; i < words; i++) if (wa[i] !== wb[i]) for (let k = 4 * i; k < 4 * i + 4; k++) if (a[k] !== b[k]) out.push(k);
    e = 4 * words;
  }
  for (; e < n; e++) if (a[e] !== b[e]) out.push(e);
  return out;
}

/**
 * Marked cells of an index's coarse grid, kept per index (keyed by its pointEdge, which what-if copies share): the
 * grid has up to 4M cells, too many to allocate and zero per what-if. Each use starts by clearing the rectangles
 * the previous one marked.
 */
class CellMarks {
  readonly cells: Uint8Array;
  private rects: number[] = [];
  constructor(private cols: number, rows: number) { this.cells = new Uint8Array(cols * rows); }
  /** all cells unmarked */
  clear(): void {
    const { rects, cells, cols } = this;
    for (let i = 0; i < rects.length; i += 4) {
      for (let r = rects[i + 2]; r <= rects[i + 3]; r++) cells.fill(0, r * cols + rects[i], r * cols + rects[i + 1] + 1);
    }
    rects.length = 0;
  }
  /** mark columns c0 … c1 of rows r0 … r1 */
  mark(c0: number, c1: number, r0: number, r1: number): void {
    this.rects.push(c0, c1, r0, r1);
    for (let r = r0; r <= r1; r++) this.cells.fill(1, r * this.cols + c0, r * this.cols + c1 + 1);
  }
}
const marksByIndex = new WeakMap<Int32Array, CellMarks>();
function cellMarks(ix: SegmentIndex): CellMarks {
  let m = marksByIndex.get(ix.pointEdge);
  if (!m || m.cells.length !== ix.cols * ix.rows) { m = new CellMarks(ix.cols, ix.rows); marksByIndex.set(ix.pointEdge, m); }
  m.clear();
  return m;
}

/**
 * Each site's box (its point and ring vertices, projected) as coarse-grid cells of the index — first and last column,
 * first and last row —, per sites array and index geometry (what-if copies of an index share its pointEdge): the
 * sites' rings are the same on every what-if, and walking 20k sites' rings cost more than the rest.
 */
const cellsBySites = new WeakMap<EngineSite[], { pointEdge: Int32Array; cells: Int32Array }>();
function siteCells(ix: SegmentIndex, sites: EngineSite[]): Int32Array {
  const c = cellsBySites.get(sites);
  if (c && c.pointEdge === ix.pointEdge && c.cells.length === 4 * sites.length) return c.cells;
  const p = ix.g.proj;
  const cells = new Int32Array(4 * sites.length);
  for (let s = 0; s < sites.length; s++) {
    const site = sites[s];
    let minX = (site.point[0] - p.lon0) * p.kx, minY = (site.point[1] - p.lat0) * p.ky, maxX = minX, maxY = minY;
    for (const ring of site.rings) {
      for (let i = 0; i + 1 < ring.length; i += 2) {
        const x = (ring[i] - p.lon0) * p.kx, y = (ring[i + 1] - p.lat0) * p.ky;
        if (x < minX) minX = x;
        if (x > maxX) maxX = x;
        if (y < minY) minY = y;
        if (y > maxY) maxY = y;
      }
    }
    cells[4 * s] = cellCol(ix, minX); cells[4 * s + 1] = cellCol(ix, maxX); cells[4 * s + 2] = cellRow(ix, minY); cells[4 * s + 3] = cellRow(ix, maxY);
  }
  cellsBySites.set(sites, { pointEdge: ix.pointEdge, cells });
  return cells;
}

/** Where each site's entrances start in an entrance list in site order (first[s] .. first[s+1]-1), per list. */
const startsByEntrances = new WeakMap<Entrance[], Int32Array>();
function entranceStarts(base: Entrance[], nS: number): Int32Array {
  let first = startsByEntrances.get(base);
  if (first && first.length === nS + 1) return first;
  first = new Int32Array(nS + 1);
  let k = 0;
  for (let s = 0; s < nS; s++) {
    first[s] = k;
    while (k < base.length && base[k].siteIndex === s) k++;
  }
  first[nS] = k;
  startsByEntrances.set(base, first);
  return first;
}

/**
 * A segment stamp array per index (keyed by its pointEdge, which the what-if copies of an index share) and the next
 * unused stamp: finding entrances (all sites', or a few sites' again after closures) then costs no geometry-sized
 * allocation (11 MB in the city).
 */
const stampsByIndex = new WeakMap<Int32Array, { seen: Int32Array; next: number }>();
function segmentStamps(ix: SegmentIndex): { seen: Int32Array; next: number } {
  let st = stampsByIndex.get(ix.pointEdge);
  if (!st) { st = { seen: lasting.i32(ix.pointEdge.length).fill(-1), next: 0 }; stampsByIndex.set(ix.pointEdge, st); }
  return st;
}
/** Reserves 64 unused stamps per site for `sites` sites (all marks cleared first when the stamps would run out); returns the first. */
function takeStamps(st: { seen: Int32Array; next: number }, sites: number): number {
  if (st.next > 2 ** 31 - 64 * (sites + 2)) { st.seen.fill(-1); st.next = 0; }
  const base = st.next;
  st.next += 64 * sites;
  return base;
}
