import { describe, expect, it } from 'vitest';
import { buildGraph } from '../../../server/engine/graph.ts';
import { allEntrances, buildSegmentIndex, newHit, nearestOnEdges, snapBuildings } from '../../../server/engine/snap.ts';
import { gridFixture, metresLonLat, randomGridInput, rng } from './fixtures.ts';

describe('snapping', () => {
  it('snaps a building onto the nearest point of the nearest edge (mid-edge, not a vertex)', () => {
    const { input } = gridFixture(`
+---------+
          |
   b      |
          +`);
    const g = buildGraph(input);
    const ix = buildSegmentIndex(g);
    const s = snapBuildings(ix, input.buildings, 100);
    expect(s.edge[0]).toBe(g.edgeIndexById.get(1));
    expect(s.fraction[0]).toBeCloseTo(0.3, 2);
    expect(s.distance[0]).toBeCloseTo(20, 0);
  });

  it('uses the footprint point nearest the street as the door', () => {
    const { input } = gridFixture('+---------+');
    const ring: number[] = [];
    for (const [e, s] of [[40, 10], [60, 10], [60, 30], [40, 30], [40, 10]]) ring.push(...metresLonLat(e, s));
    input.buildings = [{ id: 1, osmId: 1, name: null, population: 10, levels: 3, communityId: 1, ring }];
    const g = buildGraph(input);
    const s = snapBuildings(buildSegmentIndex(g), input.buildings, 100);
    expect(s.fraction[0]).toBeCloseTo(0.5, 2);
    expect(s.distance[0]).toBeCloseTo(10, 0); // door on the footprint's north side, 10 m from the path
  });

  it('reports buildings beyond the max snap distance and skips closed edges', () => {
    const { input } = gridFixture(`
+-----+


b


+-----+`);
    const g = buildGraph(input);
    const ix = buildSegmentIndex(g);
    expect(snapBuildings(ix, input.buildings, 20).edge[0]).toBe(-1);
    const near = snapBuildings(ix, input.buildings, 50);
    expect(near.edge[0]).toBe(0);
    g.closed[0] = 1;
    expect(snapBuildings(ix, input.buildings, 50).edge[0]).toBe(1);
  });

  it('matches brute-force nearest segment on random points', () => {
    const input = randomGridInput({ w: 12, h: 9, spacing: 37, buildings: 300, sites: 1, seed: 7, dropEdges: 0.3 });
    const g = buildGraph(input);
    const ix = buildSegmentIndex(g);
    const s = snapBuildings(ix, input.buildings, 1e6);
    const hit = newHit();
    for (let b = 0; b < input.buildings.length; b++) {
      let best = Infinity;
      for (let e = 0; e < g.edgeCount; e++) {
        const ax = g.x[g.edgeSource[e]], ay = g.y[g.edgeSource[e]], bx = g.x[g.edgeTarget[e]], by = g.y[g.edgeTarget[e]];
        const dx = bx - ax, dy = by - ay;
        const t = Math.max(0, Math.min(1, ((s.doorX[b] - ax) * dx + (s.doorY[b] - ay) * dy) / (dx * dx + dy * dy)));
        best = Math.min(best, Math.hypot(ax + t * dx - s.doorX[b], ay + t * dy - s.doorY[b]));
      }
      expect(s.distance[b]).toBeCloseTo(best, 6);
      nearestOnEdges(ix, s.doorX[b], s.doorY[b], 1e6, hit);
      expect(hit.dist).toBeCloseTo(best, 6);
    }
    void rng;
  });

  it('finds a site entrance wherever a path crosses the boundary, and nodes inside it', () => {
    const { input } = gridFixture(`
+---------+----------+
          |
          +`);
    // a park 60 m wide around the middle of the long path, south of it, crossed by the vertical spur
    const ring: number[] = [];
    for (const [e, s] of [[70, -5], [130, -5], [130, 15], [70, 15], [70, -5]]) ring.push(...metresLonLat(e, s));
    input.sites = [{ id: 9, name: '公园', kind: 'park', level: 'emergency', capacity: 100, status: 'open', hazards: ['earthquake'], rings: [ring], point: metresLonLat(100, 5) }];
    const g = buildGraph(input);
    const ents = allEntrances(buildSegmentIndex(g), input.sites, 50);
    const crossings = ents.filter((e) => e.how === 'crossing');
    // the long path crosses the west and east sides; the spur crosses the south side; junction node (100,0) is inside
    expect(crossings.length).toBe(3);
    expect(ents.some((e) => e.how === 'inside')).toBe(true);
    const west = crossings.find((e) => e.edgeIndex === g.edgeIndexById.get(1))!;
    expect(west.fraction * g.edgeLength[west.edgeIndex]).toBeCloseTo(70, 0);
  });

  it('snaps a point site or an unconnected polygon to its nearest edge', () => {
    const { input } = gridFixture(`
+---------+

     s`);
    const g = buildGraph(input);
    const ents = allEntrances(buildSegmentIndex(g), input.sites, 50);
    expect(ents).toHaveLength(1);
    expect(ents[0].how).toBe('snapped');
    expect(ents[0].fraction).toBeCloseTo(0.5, 2);
    expect(ents[0].distanceM).toBeCloseTo(20, 0);
  });

  it('gives a site that borders a path (no path crosses it) an entrance where the path runs closest', () => {
    // a 40 m × 20 m garden whose south edge lies 4 m north of a 100 m east-west footway
    const { input } = gridFixture(`
+---------+`);
    const ring: number[] = [];
    for (const [e, s] of [[30, -4], [70, -4], [70, -24], [30, -24], [30, -4]]) ring.push(...metresLonLat(e, s));
    input.sites.push({ id: 9, name: '街边花园', kind: 'green_space', level: 'emergency', capacity: 800, status: 'open', hazards: ['earthquake'], rings: [ring], point: metresLonLat(50, -14) });
    const g = buildGraph(input);
    const ix = buildSegmentIndex(g);
    const ens = allEntrances(ix, input.sites, 250);
    expect(ens).toHaveLength(1);
    expect(ens[0].how).toBe('adjacent');
    expect(ens[0].distanceM).toBeCloseTo(4, 1);
    // on the frontage (30–70 m along the path), not at a corner of the network
    expect(ens[0].fraction).toBeGreaterThanOrEqual(0.3 - 1e-9);
    expect(ens[0].fraction).toBeLessThanOrEqual(0.7 + 1e-9);
  });
});

