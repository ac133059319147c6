import { describe, expect, it } from 'vitest';
import { EdgeColumnsBuilder, edgeAt, edgeCount, edgeIdAt, toEdgeColumns } from '../../../server/engine/edges.ts';
import { buildGraph } from '../../../server/engine/graph.ts';
import type { EngineEdge } from '../../../server/engine/types.ts';
import { randomGridInput } from './fixtures.ts';

describe('edge columns', () => {
  it('round-trips edges of every shape (widths null or set, empty, reversed and long geometry)', () => {
    const edges: EngineEdge[] = [
      { id: 7, source: 1, target: 2, lengthM: 10, highway: 'footway', widthM: null, coords: [116, 40, 116.0001, 40] },
      { id: 9, source: 2, target: 3, lengthM: 0, highway: 'residential', widthM: 4.5, coords: [] },
      { id: 11, source: 3, target: 1, lengthM: 25.5, highway: 'footway', widthM: 0, coords: [116.0001, 40.0001, 116.00005, 40.00005, 116, 40] },
    ];
    const c = toEdgeColumns(edges);
    expect(edgeCount(c)).toBe(3);
    expect(c.highways).toEqual(['footway', 'residential']);
    expect(Array.from(c.coordStart)).toEqual([0, 2, 2, 5]);
    for (let e = 0; e < 3; e++) {
      const back = edgeAt(c, e);
      expect({ ...back, coords: Array.from(back.coords) }).toEqual(edges[e]);
      expect(edgeIdAt(c, e)).toBe(edges[e].id);
      expect(edgeAt(edges, e)).toBe(edges[e]);
    }
  });

  it('grows past the sizes it was given', () => {
    const b = new EdgeColumnsBuilder(1, 1);
    for (let i = 0; i < 100; i++) b.push(i + 1, i, i + 1, i, i % 3 ? 'path' : 'steps', null, [i, 0, i + 1, 0, i + 2, 0]);
    const c = b.finish();
    expect(c.id.length).toBe(100);
    expect(c.coords.length).toBe(600);
    expect(Array.from(edgeAt(c, 99).coords)).toEqual([99, 0, 100, 0, 101, 0]);
    expect(edgeAt(c, 98).highway).toBe('path');
  });

  it('rejects columns of different lengths', () => {
    const c = toEdgeColumns([{ id: 1, source: 1, target: 2, lengthM: 1, highway: 'path', widthM: null, coords: [] }]);
    expect(() => toEdgeColumns({ ...c, lengthM: new Float64Array(2) })).toThrow(/lengthM has 2 values for 1 edges/);
    expect(() => toEdgeColumns({ ...c, coordStart: new Int32Array([0, 3]) })).toThrow(/coordStart/);
  });

  it('gives the same graph as the objects it came from', () => {
    const input = randomGridInput({ w: 12, h: 9, buildings: 5, sites: 2, seed: 3, dropEdges: 0.1, lengthJitter: 0.2 });
    input.edges[4].widthM = 7;
    const a = buildGraph(input);
    const b = buildGraph({ nodes: input.nodes, edges: toEdgeColumns(input.edges) });
    for (const k of ['edgeId', 'edgeSource', 'edgeTarget', 'edgeLength', 'edgeWidth', 'adjStart', 'adjNode', 'adjLen', 'geomStart', 'geomX', 'geomY', 'geomCum'] as const) {
      expect(b[k], k).toEqual(a[k]);
    }
    expect(b.edgeWidth[4]).toBe(7);
  });
});
