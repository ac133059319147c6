import { describe, expect, it } from 'vitest';
import gcoord from 'gcoord';
import { CSV_HEADER, generateDistrict, parseSize, type DistrictOptions, type DistrictStats } from '../../../server/demo/district.ts';
import { localFrame } from '../../../server/demo/geo.ts';
import { isWalkable, readOsm, type OsmWay } from './osm-fixture.ts';

function run(opts: DistrictOptions) {
  const gen = generateDistrict(opts);
  let osm = '';
  let csv = '';
  let r = gen.next();
  while (!r.done) {
    if (r.value.file === 'osm') osm += r.value.text;
    else csv += r.value.text;
    r = gen.next();
  }
  return { osm, csv, stats: r.value as DistrictStats };
}

const demo = run({});
const parsed = readOsm(demo.osm);
const frame = localFrame(119.97, 31.78);
const xy = (id: number) => {
  const n = parsed.nodes.get(id)!;
  return frame.toXY(n.lon, n.lat);
};
const bbox = (w: OsmWay) => {
  const pts = w.refs.map(xy);
  const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
  return { x0: Math.min(...xs), y0: Math.min(...ys), x1: Math.max(...xs), y1: Math.max(...ys) };
};
type Box = ReturnType<typeof bbox>;
const overlap = (a: Box, b: Box, tol = 0.05) =>
  Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0) > tol && Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0) > tol;
const buildings = parsed.ways.filter((w) => w.tags.building);

function components(ways: OsmWay[]): number {
  const parent = new Map<number, number>();
  const find = (a: number): number => {
    let r = a;
    while (parent.get(r) !== r) r = parent.get(r)!;
    while (parent.get(a) !== r) { const n = parent.get(a)!; parent.set(a, r); a = n; }
    return r;
  };
  for (const w of ways) for (const r of w.refs) if (!parent.has(r)) parent.set(r, r);
  for (const w of ways) for (let i = 1; i < w.refs.length; i++) parent.set(find(w.refs[i]!), find(w.refs[0]!));
  return new Set([...parent.keys()].map(find)).size;
}

function vertices(ways: OsmWay[]): number {
  const uses = new Map<number, number>();
  const ends = new Set<number>();
  for (const w of ways) {
    for (const r of w.refs) uses.set(r, (uses.get(r) ?? 0) + 1);
    ends.add(w.refs[0]!);
    ends.add(w.refs[w.refs.length - 1]!);
  }
  let n = 0;
  for (const [id, u] of uses) if (u >= 2 || ends.has(id)) n++;
  return n;
}

describe('generateDistrict — demo', () => {
  it('is deterministic: same seed → same bytes, another seed → other bytes', () => {
    const again = run({});
    expect(again.osm).toBe(demo.osm);
    expect(again.csv).toBe(demo.csv);
    expect(run({ seed: 7 }).osm).not.toBe(demo.osm);
  });

  it('writes well-formed OSM: unique positive ids, every nd ref exists, areas closed', () => {
    expect(demo.osm.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6"')).toBe(true);
    expect(demo.osm.endsWith('</osm>\n')).toBe(true);
    expect(parsed.nodes.size).toBe(demo.stats.nodes);
    expect(parsed.ways.length).toBe(demo.stats.ways);
    for (const id of parsed.nodes.keys()) expect(id).toBeGreaterThan(0);
    expect(new Set(parsed.ways.map((w) => w.id)).size).toBe(parsed.ways.length);
    for (const w of parsed.ways) {
      for (const r of w.refs) expect(parsed.nodes.has(r), `way ${w.id} → node ${r}`).toBe(true);
      const area = w.tags.building || w.tags.landuse || w.tags.leisure || w.tags.natural || w.tags.amenity
        || w.tags.area === 'yes' || w.tags.barrier === 'wall';
      if (area) expect(w.refs[0], `way ${w.id} closed`).toBe(w.refs[w.refs.length - 1]);
    }
  });

  it('lies in Changzhou around 119.97 E 31.78 N', () => {
    for (const n of parsed.nodes.values()) {
      expect(Math.abs(n.lon - 119.97)).toBeLessThan(0.02);
      expect(Math.abs(n.lat - 31.78)).toBeLessThan(0.02);
    }
  });

  it('has the demo size: 60–150 buildings, 1,500–4,000 residents', () => {
    expect(buildings.length).toBe(demo.stats.buildings);
    expect(demo.stats.buildings).toBeGreaterThanOrEqual(60);
    expect(demo.stats.buildings).toBeLessThanOrEqual(150);
    expect(demo.stats.residents).toBeGreaterThanOrEqual(1500);
    expect(demo.stats.residents).toBeLessThanOrEqual(4000);
  });

  it('buildings overlap neither each other nor walkable ways', () => {
    const boxes = buildings.map(bbox);
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) expect(overlap(boxes[i]!, boxes[j]!), `${buildings[i]!.id}/${buildings[j]!.id}`).toBe(false);
    }
    // every walkable segment is axis-parallel here: as a thin box it must not cut into a footprint
    for (const w of parsed.ways.filter(isWalkable)) {
      for (let k = 1; k < w.refs.length; k++) {
        const [ax, ay] = xy(w.refs[k - 1]!), [bx, by] = xy(w.refs[k]!);
        const seg = { x0: Math.min(ax, bx), y0: Math.min(ay, by), x1: Math.max(ax, bx), y1: Math.max(ay, by) };
        for (let i = 0; i < boxes.length; i++) {
          const b = boxes[i]!;
          const inside = Math.min(seg.x1, b.x1) - Math.max(seg.x0, b.x0) > 0.05 && Math.min(seg.y1, b.y1) - Math.max(seg.y0, b.y0) > 0.05;
          const crossesThin = (seg.x0 === seg.x1 || seg.y0 === seg.y1) && !(seg.x1 <= b.x0 + 0.05 || seg.x0 >= b.x1 - 0.05 || seg.y1 <= b.y0 + 0.05 || seg.y0 >= b.y1 - 0.05);
          expect(inside || crossesThin, `way ${w.id} cuts building ${buildings[i]!.id}`).toBe(false);
        }
      }
    }
  });

  it('tags blocks, towers, compounds, school, parks, square and roads with Chinese names', () => {
    const res = buildings.filter((w) => w.tags.building === 'residential');
    expect(res.length).toBeGreaterThan(20);
    for (const b of res) {
      expect(['6', '18']).toContain(b.tags['building:levels']);
      expect(Number(b.tags.height)).toBe(3 * Number(b.tags['building:levels']));
      expect(b.tags.name).toMatch(/^\d+号楼$/);
      expect(b.tags['addr:housenumber']).toBe(b.tags.name!.replace('号楼', ''));
      const { x0, y0, x1, y1 } = bbox(b);
      expect(x1 - x0).toBeGreaterThan(49);
      expect(y1 - y0).toBeGreaterThan(10.5);
    }
    const compounds = parsed.ways.filter((w) => w.tags.landuse === 'residential');
    expect(compounds.length).toBe(4);
    for (const c of compounds) expect(c.tags.name).toMatch(/^[\u4e00-\u9fff]{2}(小区|花园|苑)$/);
    expect(parsed.ways.some((w) => w.tags.amenity === 'school' && /小学$/.test(w.tags.name ?? ''))).toBe(true);
    expect(parsed.ways.some((w) => w.tags.leisure === 'playground')).toBe(true);
    expect(parsed.ways.some((w) => w.tags.leisure === 'pitch')).toBe(true);
    expect(parsed.ways.some((w) => w.tags.leisure === 'park' && /公园$/.test(w.tags.name ?? ''))).toBe(true);
    expect(parsed.ways.some((w) => w.tags.natural === 'water')).toBe(true);
    expect(parsed.ways.some((w) => w.tags.leisure === 'garden' || w.tags.landuse === 'grass')).toBe(true);
    const sq = parsed.ways.find((w) => w.tags.place === 'square')!;
    expect(sq.tags).toMatchObject({ highway: 'pedestrian', area: 'yes' });
    expect(sq.tags.name).toMatch(/广场$/);
    const mains = parsed.ways.filter((w) => w.tags.highway === 'primary' || w.tags.highway === 'secondary');
    expect(mains.length).toBeGreaterThan(0);
    expect(mains.map((w) => w.tags.name)).toContain('龙城大道');
    expect(mains.some((w) => w.tags.sidewalk === 'both')).toBe(true);
    expect(parsed.ways.some((w) => w.tags.highway === 'tertiary' || w.tags.highway === 'residential')).toBe(true);
    expect(buildings.some((w) => ['retail', 'commercial', 'public'].includes(w.tags.building!))).toBe(true);
    expect(demo.osm).not.toContain('v="shelter"');
  });

  it('walls each compound with 1–3 gates that the walking network passes through', () => {
    const walls = parsed.ways.filter((w) => w.tags.barrier === 'wall');
    const walkNodes = new Set(parsed.ways.filter(isWalkable).flatMap((w) => w.refs));
    expect(walls.length).toBe(4);
    for (const wall of walls) {
      const gates = wall.refs.filter((r) => parsed.nodes.get(r)!.tags.barrier === 'gate');
      expect(gates.length).toBeGreaterThanOrEqual(1);
      expect(gates.length).toBeLessThanOrEqual(3);
      for (const g of gates) expect(walkNodes.has(g)).toBe(true);
    }
  });

  it('walking network is one connected graph reaching every building entrance', () => {
    const walk = parsed.ways.filter(isWalkable);
    expect(walk.length).toBe(demo.stats.walkableWays);
    expect(components(walk)).toBe(1);
    expect(vertices(walk)).toBe(demo.stats.networkVertices);
    const walkNodes = new Set(walk.flatMap((w) => w.refs));
    for (const b of buildings) {
      expect(b.refs.some((r) => parsed.nodes.get(r)!.tags.entrance && walkNodes.has(r)), `building ${b.id}`).toBe(true);
    }
  });

  it('writes the civil-defence CSV in GCJ-02, each work under a named block', () => {
    const lines = demo.csv.trimEnd().split('\n');
    expect(lines[0]).toBe(CSV_HEADER);
    const rows = lines.slice(1).map((l) => l.split(','));
    expect(rows.length).toBe(demo.stats.cdWorks);
    expect(rows.length).toBeGreaterThanOrEqual(3);
    const compounds = new Map(parsed.ways.filter((w) => w.tags.landuse === 'residential').map((w) => [w.tags.name!, bbox(w)]));
    let underBlocks = 0;
    rows.forEach((r, i) => {
      expect(r.length).toBe(9);
      const [id, name, type, addr, lon, lat, area, people, hazards] = r as [string, string, string, string, string, string, string, string, string];
      expect(id).toBe(`RF-${String(i + 1).padStart(4, '0')}`);
      expect(['人防工程', '地下室', '避难场所']).toContain(type);
      expect(addr).toMatch(/^常州市/);
      expect(Number(area)).toBeGreaterThanOrEqual(800);
      expect(Number(area)).toBeLessThanOrEqual(3000);
      expect(Number(people)).toBe(Number(area)); // 1 m² per person, GB 50225 (unconfirmed)
      for (const h of hazards.split(';')) expect(['空袭', '地震', '火灾', '洪涝']).toContain(h);
      const [wlon, wlat] = gcoord.transform([Number(lon), Number(lat)], gcoord.GCJ02, gcoord.WGS84) as [number, number];
      const [gx, gy] = frame.toXY(Number(lon), Number(lat));
      const [x, y] = frame.toXY(wlon, wlat);
      expect(Math.hypot(gx - x, gy - y)).toBeGreaterThan(100); // GCJ-02 is hundreds of metres off WGS-84 here
      const m = /^(.+?)(\d+)号楼(地下人防工程|地下室)$/.exec(name);
      if (type === '避难场所') {
        expect(name).toMatch(/避难场所$/);
        return;
      }
      underBlocks++;
      expect(hazards.split(';')).toContain('空袭');
      const area0 = compounds.get(m![1]!)!;
      const block = buildings.find((b) => b.tags['addr:place'] === m![1] && b.tags.name === `${m![2]}号楼`)!;
      const bb = bbox(block);
      expect(Math.hypot(x - (bb.x0 + bb.x1) / 2, y - (bb.y0 + bb.y1) / 2)).toBeLessThan(1);
      expect(x > area0.x0 && x < area0.x1 && y > area0.y0 && y < area0.y1).toBe(true);
    });
    expect(underBlocks).toBeGreaterThanOrEqual(3);
  });
});

describe('generateDistrict — scaled', () => {
  const big = run({ size: 4000, seed: 3 });
  const p = readOsm(big.osm);

  it('meets the requested building count with ≥ 5 network vertices per building, all connected', () => {
    const b = p.ways.filter((w) => w.tags.building);
    expect(b.length).toBe(big.stats.buildings);
    expect(big.stats.buildings).toBeGreaterThanOrEqual(4000);
    expect(big.stats.buildings).toBeLessThan(4000 * 1.3);
    const walk = p.ways.filter(isWalkable);
    expect(vertices(walk)).toBe(big.stats.networkVertices);
    // the city size (200,000 buildings) needs ≥ 1,000,000 vertices
    expect(big.stats.networkVertices / big.stats.buildings).toBeGreaterThanOrEqual(5);
    expect(components(walk)).toBe(1);
    for (const w of p.ways) for (const r of w.refs) expect(p.nodes.has(r)).toBe(true);
  });

  it('buildings do not overlap (sample of 300 against all)', () => {
    const fr = localFrame(119.97, 31.78);
    const bb = p.ways.filter((w) => w.tags.building).map((w) => {
      const pts = w.refs.map((r) => { const n = p.nodes.get(r)!; return fr.toXY(n.lon, n.lat); });
      const xs = pts.map((q) => q[0]), ys = pts.map((q) => q[1]);
      return { x0: Math.min(...xs), y0: Math.min(...ys), x1: Math.max(...xs), y1: Math.max(...ys) };
    });
    const step = Math.floor(bb.length / 300);
    const clashes: string[] = [];
    for (let i = 0; i < bb.length; i += step) {
      for (let j = 0; j < bb.length; j++) if (j !== i && overlap(bb[i]!, bb[j]!)) clashes.push(`${i}/${j}`);
    }
    expect(clashes).toEqual([]);
  });

  it('names compounds uniquely and mixes towers with blocks', () => {
    const names = p.ways.filter((w) => w.tags.landuse === 'residential').map((w) => w.tags.name);
    expect(new Set(names).size).toBe(names.length);
    expect(p.ways.some((w) => w.tags['building:levels'] === '18')).toBe(true);
    expect(p.ways.filter((w) => w.tags.amenity === 'school').length).toBeGreaterThan(1);
  });
});

describe('parseSize', () => {
  it('accepts demo, city and a number of buildings', () => {
    expect(parseSize('demo')).toBe('demo');
    expect(parseSize('city')).toBe('city');
    expect(parseSize('250_000')).toBe(250000);
    expect(() => parseSize('huge')).toThrow(/--size/);
  });
});
