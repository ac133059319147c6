/** Independent brute-force reference for tests: explicit graph with virtual nodes at every snap, O(V²) Dijkstra. */
import type { Graph } from '../../../server/engine/graph.ts';

export interface PointOnEdge { edge: number; fraction: number; }

/** Distances from point `from` to every point in `targets` (network metres), over open edges only. */
export function bruteDistances(g: Graph, from: PointOnEdge, targets: PointOnEdge[]): number[] {
  const all = [from, ...targets];
  const V = g.nodeCount + all.length;
  const adj: [number, number][][] = Array.from({ length: V }, () => []);
  const link = (a: number, b: number, w: number) => { adj[a].push([b, w]); adj[b].push([a, w]); };
  const onEdge = new Map<number, { f: number; v: number }[]>();
  all.forEach((p, i) => {
    if (!onEdge.has(p.edge)) onEdge.set(p.edge, []);
    onEdge.get(p.edge)!.push({ f: p.fraction, v: g.nodeCount + i });
  });
  for (let e = 0; e < g.edgeCount; e++) {
    if (g.closed[e]) continue;
    const L = g.edgeLength[e];
    const pts = [{ f: 0, v: g.edgeSource[e] }, ...(onEdge.get(e) ?? []).sort((a, b) => a.f - b.f), { f: 1, v: g.edgeTarget[e] }];
    for (let i = 0; i + 1 < pts.length; i++) link(pts[i].v, pts[i + 1].v, (pts[i + 1].f - pts[i].f) * L);
  }
  const dist = new Array(V).fill(Infinity);
  const done = new Array(V).fill(false);
  dist[g.nodeCount] = 0;
  for (;;) {
    let u = -1;
    for (let i = 0; i < V; i++) if (!done[i] && dist[i] < Infinity && (u < 0 || dist[i] < dist[u])) u = i;
    if (u < 0) break;
    done[u] = true;
    for (const [w, len] of adj[u]) if (dist[u] + len < dist[w]) dist[w] = dist[u] + len;
  }
  return targets.map((_, i) => dist[g.nodeCount + 1 + i]);
}
