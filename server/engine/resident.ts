/**
 * The resident's question — "where is my nearest open shelter, and how do I get there?" — for any point:
 * snap the point onto the nearest path, then one bounded search from it to the k nearest eligible sites.
 * Built once per (data, hazard) and reused for every lookup (touched-list workspace, no per-query allocation
 * proportional to the graph).
 */
import { allEntrances, nearestOnEdges, newHit } from './snap.ts';
import { indexEntrancesByEdge, PointSearcher, type EntranceEdgeIndex } from './dijkstra.ts';
import { appendEdgePart, pointAtFraction, type Graph } from './graph.ts';
import type { PlanContext } from './plan.ts';
import type { Entrance, Hazard } from './types.ts';

export interface ResidentIndex {
  ctx: PlanContext;
  hazard: Hazard;
  entrances: Entrance[];
  byEdge: EntranceEdgeIndex;
  searcher: PointSearcher;
  /** every site allowed: `byEdge` holds only the eligible sites' entrances */
  anySite: Uint8Array;
  maxSnapM: number;
}

/** Sites a resident may be sent to: open, designated, suited to the hazard, with capacity and an entrance. */
export function residentIndex(ctx: PlanContext, hazard: Hazard, maxSnapM = 250): ResidentIndex {
  const { input, graph, index } = ctx;
  const entrances = allEntrances(index, input.sites, maxSnapM);
  const active: number[] = [];
  entrances.forEach((en, i) => {
    const s = input.sites[en.siteIndex];
    if (s.status === 'open' && !s.candidate && s.capacity > 0 && s.hazards.includes(hazard)) active.push(i);
  });
  const nS = input.sites.length;
  return {
    ctx, hazard, entrances, byEdge: indexEntrancesByEdge(graph.edgeCount, entrances, active),
    searcher: new PointSearcher(graph, nS), anySite: new Uint8Array(nS).fill(1), maxSnapM,
  };
}

export interface NearestAnswer {
  from: { lon: number; lat: number; snapDistanceM: number; snapped: [number, number] } | null;
  sites: { siteIndex: number; distanceM: number; coords: number[] }[];
}

/** The k nearest eligible sites from (lon, lat) by walking distance (within `boundM`), with their routes. */
export function nearestFrom(ri: ResidentIndex, lon: number, lat: number, k = 3, boundM = 5000): NearestAnswer {
  const g: Graph = ri.ctx.graph;
  const p = g.proj;
  const hit = newHit();
  if (!nearestOnEdges(ri.ctx.index, (lon - p.lon0) * p.kx, (lat - p.lat0) * p.ky, ri.maxSnapM, hit)) return { from: null, sites: [] };
  const e = hit.edge, f = hit.fraction;
  const snapped: number[] = [0, 0];
  pointAtFraction(g, e, f, snapped);
  const ps = ri.searcher;
  const n = ps.search(g, ri.entrances, ri.byEdge, ri.anySite, e, f, k, boundM);
  const sites: NearestAnswer['sites'] = [];
  for (let j = 0; j < n; j++) {
    const en = ri.entrances[ps.ent[j]];
    const out: number[] = [];
    if (ps.node[j] < 0) {
      appendEdgePart(g, e, f, en.fraction, out);
    } else {
      const steps: number[] = [];
      const first = ps.path(g, ps.node[j], steps);
      appendEdgePart(g, e, f, first === g.edgeSource[e] ? 0 : 1, out);
      let node = first;
      for (const st of steps) {
        const ed = st >> 1, fwd = (st & 1) === 0;
        appendEdgePart(g, ed, fwd ? 0 : 1, fwd ? 1 : 0, out, true);
        node = fwd ? g.edgeTarget[ed] : g.edgeSource[ed];
      }
      appendEdgePart(g, en.edgeIndex, node === g.edgeSource[en.edgeIndex] ? 0 : 1, en.fraction, out, true);
    }
    sites.push({ siteIndex: ps.site[j], distanceM: ps.dist[j], coords: out });
  }
  return { from: { lon, lat, snapDistanceM: hit.dist, snapped: [p.lon0 + snapped[0] / p.kx, p.lat0 + snapped[1] / p.ky] }, sites };
}
