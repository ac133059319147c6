/**
 * OSM model against independently counted figures. The counts are made here with separate code: a line scan of
 * the XML exports (one element per line, as the OSM API writes them) and a raw osm-read pass over the PBF, so a
 * bug in server/import/osm.ts or osmxml.ts does not cancel out. Where data/README.md quotes a figure, the test
 * says whether it is reproduced.
 */
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import osmread from 'osm-read';
import * as turf from '@turf/turf';
import { parseOsmFile, isWalkable, OsmFileError, type OsmModel } from '../../../server/import/osm.ts';
import { siteKindFromTags } from '../../../server/domain/hazards.ts';
import { sharedFile } from '../../helpers/shared.ts';

type Raw = { nodeIds?: Set<number>; ways: { id: number; refs: number[]; tags: Record<string, string> }[]; rels: { tags: Record<string, string> }[]; nodes: { tags: Record<string, string> }[] };

/** Independent XML scan: line by line, regexes for the attributes we need. */
function scanXml(file: string): Raw {
  const out: Raw = { ways: [], rels: [], nodes: [] };
  let cur: { kind: string; id: number; refs: number[]; tags: Record<string, string> } | null = null;
  const unesc = (s: string) => s.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const open = /^\s*<(node|way|relation) id="(-?\d+)"[^>]*?(\/?)>\s*$/.exec(line);
    if (open) {
      cur = { kind: open[1], id: Number(open[2]), refs: [], tags: {} };
      if (open[3] === '/') { if (cur.kind === 'node') out.nodes.push(cur); cur = null; }
      continue;
    }
    const nd = /^\s*<nd ref="(-?\d+)"\/>/.exec(line);
    if (nd && cur) { cur.refs.push(Number(nd[1])); continue; }
    const tag = /^\s*<tag k="([^"]*)" v="([^"]*)"\/>/.exec(line);
    if (tag && cur) { cur.tags[unesc(tag[1])] = unesc(tag[2]); continue; }
    const close = /^\s*<\/(node|way|relation)>/.exec(line);
    if (close && cur) {
      if (cur.kind === 'way') out.ways.push(cur);
      else if (cur.kind === 'relation') out.rels.push(cur);
      else out.nodes.push(cur);
      cur = null;
    }
  }
  return out;
}

function scanPbf(file: string): Promise<Raw> {
  const out: Raw = { ways: [], rels: [], nodes: [], nodeIds: new Set() };
  return new Promise((resolve, reject) =>
    osmread.parse({
      filePath: file, format: 'pbf',
      node: (n: any) => { out.nodeIds!.add(Number(n.id)); if (Object.keys(n.tags).length) out.nodes.push({ tags: n.tags }); },
      way: (w: any) => out.ways.push({ id: Number(w.id), refs: w.nodeRefs.map(Number), tags: w.tags }),
      relation: (r: any) => out.rels.push({ tags: r.tags }),
      endDocument: () => resolve(out), error: reject,
    }),
  );
}

/** building=* (not "no") closed ways with ≥ 4 refs + multipolygon relations with building=* */
const countBuildings = (r: Raw) =>
  r.ways.filter((w) => w.tags.building && w.tags.building !== 'no' && w.refs.length >= 4 && w.refs[0] === w.refs[w.refs.length - 1]).length +
  r.rels.filter((x) => x.tags.building && x.tags.building !== 'no' && x.tags.type === 'multipolygon').length;

const closed = (w: Raw['ways'][number]) => w.refs.length >= 4 && w.refs[0] === w.refs[w.refs.length - 1];

function checkNetwork(m: OsmModel) {
  const { nodes, edges } = m.network;
  const ids = new Set(nodes.map((n) => n.id));
  expect(ids.size).toBe(nodes.length);
  for (const e of edges) {
    expect(ids.has(e.source) && ids.has(e.target)).toBe(true);
    expect(e.coords.length).toBeGreaterThanOrEqual(2);
    // haversine vs turf's geodesic length: within 0.5 %
    const t = turf.length(turf.lineString(e.coords), { units: 'meters' });
    expect(Math.abs(e.lengthM - t)).toBeLessThanOrEqual(Math.max(0.01, t * 0.005));
  }
}

describe('OSM model: Beijing Wudaokou (XML)', () => {
  const file = sharedFile('osm/beijing_wudaokou_2017.osm');
  it.skipIf(!file)('matches the independent counts (521 buildings per data/README.md and PROVENANCE_china.md)', async () => {
    const m = await parseOsmFile(file!);
    const raw = scanXml(file!);
    expect(m.elements).toEqual({ nodes: 7450, ways: 1360, relations: 189 }); // PROVENANCE_china.md (osmium)
    expect(countBuildings(raw)).toBe(521);
    expect(m.buildings.length).toBe(521);
    const uses: Record<string, number> = {};
    for (const b of m.buildings) uses[b.use] = (uses[b.use] ?? 0) + 1;
    // PROVENANCE_china.md: yes 352, residential 117, dormitory 24, school 15, apartments 6
    expect(uses).toMatchObject({ yes: 352, residential: 117, dormitory: 24, school: 15, apartments: 6 });
    // sites: closed ways with a site tag + tagged nodes (PROVENANCE: park 12, garden 3, grass 15, playground 2,
    // pitch 21 + 2 nodes, stadium 4 — some of them open ways, which are lines and not areas)
    const expectedSites = raw.ways.filter((w) => closed(w) && siteKindFromTags(w.tags)).length + raw.nodes.filter((n) => siteKindFromTags(n.tags)).length
      + raw.rels.filter((r) => r.tags.type === 'multipolygon' && siteKindFromTags(r.tags)).length;
    expect(m.sites.length).toBe(expectedSites);
    expect(m.sites.filter((s) => s.kind === 'park').length).toBe(12);
    expect(m.sites.filter((s) => s.osmType === 'node' && s.kind === 'pitch').length).toBe(2);
    expect(m.communities.map((c) => c.name)).toEqual(expect.arrayContaining(['新林院', '荷清苑教师住宅区']));
    // network: every walkable way (independent filter) contributes; no excluded class appears
    const walk = raw.ways.filter((w) => isWalkable(w.tags));
    expect(new Set(m.network.edges.map((e) => e.wayId))).toEqual(new Set(walk.map((w) => w.id)));
    expect(m.network.edges.some((e) => ['motorway', 'trunk', 'construction', 'proposed'].includes(e.highway))).toBe(false);
    checkNetwork(m);
    expect(m.network.components).toBeGreaterThanOrEqual(1);
  });
});

describe('OSM model: Shanghai University Baoshan (XML)', () => {
  const file = sharedFile('osm/shanghai_shu_baoshan_2021.osm');
  it.skipIf(!file)('107 buildings, 2 squares, 32 pitches (data/README.md, PROVENANCE_china.md)', async () => {
    const m = await parseOsmFile(file!);
    const raw = scanXml(file!);
    expect(countBuildings(raw)).toBe(107);
    expect(m.buildings.length).toBe(107);
    const squares = m.sites.filter((s) => s.tags.place === 'square');
    expect(squares.map((s) => s.name).sort()).toEqual(['下沉式广场', '音乐广场'].sort());
    // 32 leisure=pitch elements (ways + relations), counted independently
    const pitches = raw.ways.filter((w) => w.tags.leisure === 'pitch').length + raw.rels.filter((r) => r.tags.leisure === 'pitch').length;
    expect(pitches).toBe(32);
    expect(m.sites.filter((s) => s.tags.leisure === 'pitch').length).toBe(32);
    // + stadiums (2 per PROVENANCE) and tracks are pitch-kind sites too
    const sporty = (t: Record<string, string>) => ['pitch', 'stadium', 'track'].includes(t.leisure);
    const pitchKind = raw.ways.filter((w) => closed(w) && sporty(w.tags)).length + raw.rels.filter((r) => r.tags.type === 'multipolygon' && sporty(r.tags)).length;
    expect(m.sites.filter((s) => s.kind === 'pitch').length).toBe(pitchKind);
    expect(m.communities.map((c) => c.name)).toContain('当代高坻');
    checkNetwork(m);
  });
});

describe('OSM model: Monaco (PBF)', () => {
  const file = sharedFile('osm/monaco.osm.pbf');
  it.skipIf(!file)('buildings, sites and network against a raw osm-read count', async () => {
    const t = performance.now();
    const m = await parseOsmFile(file!);
    const ms = performance.now() - t;
    const raw = await scanPbf(file!);
    expect(m.elements).toEqual({ nodes: 180118, ways: 27377, relations: 212 }); // STACK.md
    // data/README.md says 23,327 buildings. Counted here: 23,345 closed building ways, 19 of them degenerate
    // (< 4 refs), + 3 multipolygon relations = 23,329 — 2 more than the README's figure (which was presumably
    // made with a tool that also drops invalid polygons).
    expect(countBuildings(raw)).toBe(23329);
    expect(m.buildings.length).toBe(23329);
    // data/README.md: 121 green/pitch/playground sites. Independently: 100 closed ways with leisure=park|garden|
    // pitch|playground|stadium or landuse=grass + 18 highway=pedestrian areas + 5 playground nodes = 123
    // (the README's 121 = 123 without the 2 stadiums).
    const siteWays = raw.ways.filter((w) => closed(w) && siteKindFromTags(w.tags)).length;
    const siteNodes = raw.nodes.filter((n) => siteKindFromTags(n.tags)).length;
    expect(siteWays + siteNodes).toBe(123);
    expect(m.sites.length).toBe(123);
    expect(m.sites.filter((s) => s.tags.leisure === 'stadium').length).toBe(2);
    // data/README.md: a 4,279-vertex walking network. Not reproduced: splitting ALL highway ways at shared
    // nodes gives 4,177 vertices; the walkable subset (foot=no, motorways, construction, areas out) gives 4,008.
    expect(m.network.nodes.length).toBe(4008);
    // walkable ways with at least 2 of their nodes in the file (3 are cut off at the extract's edge)
    const walkIds = new Set(raw.ways.filter((w) => isWalkable(w.tags) && w.refs.filter((r) => raw.nodeIds!.has(r)).length >= 2).map((w) => w.id));
    expect(new Set(m.network.edges.map((e) => e.wayId))).toEqual(walkIds);
    checkNetwork(m);
    console.log(`[measure] Monaco PBF parse + model: ${ms.toFixed(0)} ms, ${m.network.components} network components`);
  });
});

describe('OSM model: network splitting and walkability', () => {
  it('splits at shared nodes and way ends, drops foot-forbidden ways', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cep-osm-'));
    const f = path.join(dir, 'x.osm');
    const n = (id: number, lon: number, lat: number) => `<node id="${id}" lat="${lat}" lon="${lon}"/>`;
    writeFileSync(f, `<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
${n(1, 120, 31)}${n(2, 120.001, 31)}${n(3, 120.002, 31)}${n(4, 120.001, 31.001)}${n(5, 120.003, 31)}${n(6, 120.001, 30.999)}
<way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="5"/><tag k="highway" v="footway"/><tag k="width" v="2.5"/></way>
<way id="11"><nd ref="4"/><nd ref="2"/><tag k="highway" v="residential"/></way>
<way id="12"><nd ref="2"/><nd ref="6"/><tag k="highway" v="motorway"/></way>
<way id="13"><nd ref="3"/><nd ref="6"/><tag k="highway" v="primary"/><tag k="foot" v="no"/></way>
<way id="14"><nd ref="5"/><nd ref="6"/><tag k="highway" v="trunk"/><tag k="sidewalk" v="both"/></way>
<way id="15"><nd ref="1"/><nd ref="6"/><tag k="highway" v="service"/><tag k="access" v="no"/></way>
<way id="16"><nd ref="1"/><nd ref="4"/><tag k="highway" v="construction"/></way>
</osm>`);
    const m = await parseOsmFile(f);
    const e = m.network.edges.map((x) => `${x.wayId}:${x.source}-${x.target}`).sort();
    expect(e).toEqual(['10:1-2', '10:2-5', '11:4-2', '14:5-6'].sort());
    expect(m.network.nodes.map((x) => x.id).sort()).toEqual([1, 2, 4, 5, 6]);
    expect(m.network.edges.find((x) => x.wayId === 10)!.widthM).toBe(2.5);
    expect(m.network.edges.find((x) => x.wayId === 11)!.widthM).toBeNull();
    // 0.001° of longitude at 31° N ≈ 95.3 m
    expect(m.network.edges.find((x) => x.wayId === 10 && x.source === 1)!.lengthM).toBeCloseTo(95.3, 0);
    expect(m.network.components).toBe(1);
  });
});

describe('OSM errors name the file and the place', () => {
  const wd = sharedFile('osm/beijing_wudaokou_2017.osm');
  const mc = sharedFile('osm/monaco.osm.pbf');
  const dir = mkdtempSync(path.join(tmpdir(), 'cep-osm-bad-'));
  it.skipIf(!wd)('a truncated XML export', async () => {
    const f = path.join(dir, 'wudaokou_cut.osm');
    writeFileSync(f, readFileSync(wd!).subarray(0, 1_200_000));
    await expect(parseOsmFile(f)).rejects.toThrow(/^wudaokou_cut\.osm: line \d+.*truncated/);
  });
  it.skipIf(!wd)('a truncated XML export cut between elements', async () => {
    const text = readFileSync(wd!, 'utf8');
    const cut = text.indexOf('\n', text.indexOf('<way ')) + 1;
    const f = path.join(dir, 'wudaokou_cut2.osm');
    writeFileSync(f, text.slice(0, cut));
    await expect(parseOsmFile(f)).rejects.toThrow(/wudaokou_cut2\.osm: line \d+: unexpected end of file inside way \d+ opened at line \d+/);
  });
  it.skipIf(!wd)('malformed XML with the line number', async () => {
    const lines = readFileSync(wd!, 'utf8').split('\n');
    lines[99] = lines[99].replace(/lat="[^"]*"/, 'lat="abc"');
    const f = path.join(dir, 'bad.osm');
    writeFileSync(f, lines.join('\n'));
    await expect(parseOsmFile(f)).rejects.toThrow(/^bad\.osm: line 100 \(node \d+\): .*lat/);
    lines[99] = '<node id="1" lat="1" lon="2"';
    writeFileSync(f, lines.join('\n'));
    await expect(parseOsmFile(f)).rejects.toThrow(/^bad\.osm: line 100/);
  });
  it.skipIf(!mc)('a truncated PBF', async () => {
    const f = path.join(dir, 'monaco_cut.osm.pbf');
    writeFileSync(f, readFileSync(mc!).subarray(0, 1_000_000));
    await expect(parseOsmFile(f)).rejects.toThrow(/^monaco_cut\.osm\.pbf: byte \d+ \(block \d+, OSMData\).*truncated/);
  });
  it.skipIf(!mc)('a corrupt PBF block', async () => {
    const buf = Buffer.from(readFileSync(mc!));
    for (let i = 400; i < 600; i++) buf[i] ^= 0x5a; // inside the first data blob
    const f = path.join(dir, 'monaco_corrupt.osm.pbf');
    writeFileSync(f, buf);
    await expect(parseOsmFile(f)).rejects.toThrow(OsmFileError);
    await expect(parseOsmFile(f)).rejects.toThrow(/^monaco_corrupt\.osm\.pbf: /);
  });
});
