import { describe, expect, it } from 'vitest';
import { appendEdgePart, buildGraph, closeEdges, components, hypot, IdIndex, pointAtFraction } from '../../../server/engine/graph.ts';
import { gridFixture, SPACING } from './fixtures.ts';

describe('buildGraph (CSR)', () => {
  it('builds an undirected adjacency with the input lengths', () => {
    const { input, nodeId } = gridFixture(`
+--+
|  |
+--+---+`);
    const g = buildGraph(input);
    expect(g.nodeCount).toBe(5);
    expect(g.edgeCount).toBe(5);
    const v = input.nodes.ids.indexOf(nodeId(2, 3) as never);
    const nbrs: number[] = [];
    for (let k = g.adjStart[v]; k < g.adjStart[v + 1]; k++) nbrs.push(g.nodeIds[g.adjNode[k]]);
    expect(nbrs.sort()).toEqual([nodeId(0, 3), nodeId(2, 0), nodeId(2, 7)].sort());
    const e = g.edgeIndexById.get(input.edges.find((x) => x.source === nodeId(2, 3) && x.target === nodeId(2, 7))!.id)!;
    expect(g.edgeLength[e]).toBe(4 * SPACING);
    // projected geometry length agrees with the metric length within 0.5 %
    expect(Math.abs(g.geomCum[g.geomStart[e + 1] - 1] - 40) / 40).toBeLessThan(0.005);
  });

  it('rejects edges to unknown nodes', () => {
    const { input } = gridFixture('+--+');
    input.edges[0].target = 42;
    expect(() => buildGraph(input)).toThrow(/node 42/);
  });

  it('orients reversed geometry and cuts edges at fractions', () => {
    const { input } = gridFixture('+----+');
    const c = input.edges[0].coords as number[];
    input.edges[0].coords = [c[2], c[3], c[0], c[1]];
    const g = buildGraph(input);
    const pt = [0, 0];
    pointAtFraction(g, 0, 0.25, pt);
    expect(pt[0]).toBeCloseTo(g.x[0] + 12.5, 1);
    const out: number[] = [];
    appendEdgePart(g, 0, 0.75, 0.25, out);
    expect(out.length).toBe(4);
    expect(out[0]).toBeGreaterThan(out[2]);
  });

  it('closing an edge splits components', () => {
    const { input } = gridFixture('+--+--+');
    const g = buildGraph(input);
    expect(components(g).count).toBe(1);
    closeEdges(g, [1]);
    expect(components(g).count).toBe(2);
  });
});

describe('hypot', () => {
  it('equals Math.hypot bit for bit (geometry lengths, hence snap fractions, stay as they were)', () => {
    // deterministic pseudo-random pairs over magnitudes from subnormal to near overflow, plus equal and opposite pairs
    let seed = 12345;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
    const scales = [5e-324, 1e-300, 1e-10, 1, 1e3, 1e150, 1e300, 1.7e308];
    let differ = 0;
    for (let i = 0; i < 200_000; i++) {
      const x = (rnd() - 0.5) * scales[(rnd() * scales.length) | 0];
      const y = rnd() < 0.1 ? (rnd() < 0.5 ? x : -x) : (rnd() - 0.5) * scales[(rnd() * scales.length) | 0];
      if (!Object.is(hypot(x, y), Math.hypot(x, y))) differ++;
    }
    expect(differ).toBe(0);
    for (const [a, b] of [[0, 0], [-0, -0], [NaN, 1], [1, NaN], [Infinity, NaN], [NaN, -Infinity], [3, 4], [1e308, 1e308], [-7, 0]]) {
      expect(Object.is(hypot(a, b), Math.hypot(a, b))).toBe(true);
    }
  });
});

describe('IdIndex', () => {
  it('maps ids to indexes, dense or hashed, built up front or on first use, later duplicates winning', () => {
    const dense = [10, 11, 13, 12, 11], sparse = [2 ** 40, -7, 3.5, 2 ** 40 + 1, -7];
    for (const ids of [dense, sparse]) {
      for (const ix of [IdIndex.from(ids), IdIndex.lazy(Float64Array.from(ids))]) {
        expect(ids.map((id) => ix.get(id))).toEqual(ids.map((id) => ids.lastIndexOf(id)));
        expect([ix.get(99), ix.has(ids[0]), ix.size]).toEqual([undefined, true, 4]);
        ix.set(99, 5);
        expect([ix.get(99), ix.get(ids[2]), ix.size]).toEqual([5, 2, 5]);
      }
    }
    // a lazy index asked its size first, and one read first by set
    expect(IdIndex.lazy([4, 5, 5]).size).toBe(2);
    const l = IdIndex.lazy([1, 2, 3]);
    l.set(2, 7);
    expect([l.get(1), l.get(2), l.get(3), l.size]).toEqual([0, 7, 2, 3]);
  });

  it('a graph keeps its edge-id index as a plain field (no accessor: that would slow every read of the graph)', () => {
    const { input } = gridFixture(`
+--+
|  |
+--+`);
    const g = buildGraph(input);
    const d = Object.getOwnPropertyDescriptor(g, 'edgeIndexById')!;
    expect([d.get, d.value instanceof IdIndex]).toEqual([undefined, true]);
    const edges = input.edges as { id: number }[];
    expect(edges.map((e) => g.edgeIndexById.get(e.id))).toEqual(edges.map((_, i) => i));
  });
});
