/** Shelter lists: the two real formats in ../shared/data/shelters/ and the demo civil-defence CSV (GCJ-02). */
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import gcoord from 'gcoord';
import { readShelterList, detectMapping, listMappings, loadMapping, ListFileError } from '../../../server/import/shelters.ts';
import { sharedFile } from '../../helpers/shared.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'cep-shelters-'));

describe('Taipei shelter list (tw-shelters)', () => {
  const f = sharedFile('shelters/taiwan_taipei_shelters_2022.csv');
  it.skipIf(!f)('272 rows, 2 with bad coordinates rejected, capacities and hazards (shelters/PROVENANCE.md)', () => {
    const l = readShelterList(f!);
    expect(l.mapping).toBe('tw-shelters');
    // PROVENANCE.md: 272 rows; two have bad coordinates: 北市大附小 (120.913, 22.4797) and 士東國小 (121, 25)
    expect(l.rows.length + l.rejected.length).toBe(272);
    expect(l.rejected.map((r) => r.reason.split(' at ')[0]).sort()).toEqual(['士東國小', '北市大附小'].sort());
    // the capacity column sums to 150,616 (PROVENANCE.md) minus the two rejected rows' capacities (read independently)
    const raw = parse(readFileSync(f!), { bom: true, columns: true }) as Record<string, string>[];
    expect(raw.reduce((s, r) => s + Number(r['預計收容人數'] || 0), 0)).toBe(150616);
    const rejectedCap = raw.filter((r) => ['北市大附小', '士東國小'].includes(r['避難收容處所名稱'])).reduce((s, r) => s + Number(r['預計收容人數']), 0);
    expect(l.rows.reduce((s, r) => s + (r.capacity ?? 0), 0)).toBe(150616 - rejectedCap);
    expect(Math.max(...l.rows.map((r) => r.capacity ?? 0))).toBe(47436);
    // 210 rows are 「水災,震災」 (PROVENANCE.md) → flood + earthquake
    const both = l.rows.filter((r) => r.hazards.length === 2 && r.hazards.includes('flood') && r.hazards.includes('earthquake'));
    const rawBoth = raw.filter((r) => r['適用災害類別'] === '水災,震災' && !['北市大附小', '士東國小'].includes(r['避難收容處所名稱']));
    expect(both.length).toBe(rawBoth.length);
    expect(l.rows.some((r) => r.hazards.includes('landslide'))).toBe(true);
    for (const r of l.rows) {
      // Taipei City lies within 121.45–121.67 E, 24.96–25.21 N
      expect(r.point[0]).toBeGreaterThan(121.4); expect(r.point[0]).toBeLessThan(121.7);
      expect(r.point[1]).toBeGreaterThan(24.9); expect(r.point[1]).toBeLessThan(25.25);
      expect(r.level).toBe('fixed');
    }
  });
});

describe('Japan GSI lists', () => {
  const e = sharedFile('shelters/japan_gsi_sasebo_42202_designated_emergency_evacuation_sites.csv');
  const s = sharedFile('shelters/japan_gsi_sasebo_42202_designated_shelters.csv');
  it.skipIf(!e)('emergency evacuation sites: 270 rows, hazard flags, no capacity', () => {
    const l = readShelterList(e!);
    expect(l.mapping).toBe('jp-gsi-emergency-sites');
    expect(l.rows.length).toBe(270);
    expect(l.rejected).toEqual([]); // the Uku island cluster (~56 km away) is kept: it has neighbours
    const raw = parse(readFileSync(e!), { bom: true, columns: true }) as Record<string, string>[];
    expect(l.rows.filter((r) => r.hazards.includes('earthquake')).length).toBe(raw.filter((r) => r['地震'] === '1').length);
    expect(l.rows.filter((r) => r.hazards.includes('fire')).length).toBe(raw.filter((r) => r['大規模な火事'] === '1').length);
    expect(l.rows.filter((r) => r.hazards.includes('flood')).length).toBe(raw.filter((r) => r['洪水'] === '1' || r['内水氾濫'] === '1').length);
    const first = l.rows.find((r) => r.extRef === 'E4220200002201')!;
    expect(first.name).toBe('もみじが丘中央公園');
    expect(first.hazards.sort()).toEqual(['earthquake', 'fire', 'tsunami']);
    expect(first.point).toEqual([129.7743528, 33.1599]);
    expect(l.rows.every((r) => r.capacity === null && r.areaM2 === null)).toBe(true);
    for (const r of l.rows) { expect(r.point[0]).toBeGreaterThan(128.9); expect(r.point[0]).toBeLessThan(130); expect(r.point[1]).toBeGreaterThan(32.9); expect(r.point[1]).toBeLessThan(33.5); }
  });
  it.skipIf(!s)('designated shelters: 145 rows', () => {
    const l = readShelterList(s!);
    expect(l.mapping).toBe('jp-gsi-shelters');
    expect(l.rows.length).toBe(145);
    expect(l.rows.every((r) => r.level === 'fixed' && r.hazards.length === 0)).toBe(true);
  });
});

describe('demo civil-defence CSV (GCJ-02)', () => {
  const header = '编号,名称,类型,地址,经度,纬度,面积_平方米,容纳人数,适用灾种';
  const f = path.join(dir, 'civil_defence.csv');
  writeFileSync(f, `${header}
RF-001,龙城小区人防工程,人防工程,常州市天宁区龙城大道1号,119.9741,31.8112,1200,1200,空袭;地震
RF-002,幸福里地下室,地下室,常州市天宁区幸福路2号,119.9762,31.8120,800,,空袭
BN-003,文化广场避难场所,避难场所,常州市天宁区文化路3号,119.9700,31.8100,15000,7500,地震;火灾;洪涝
`);
  it('auto-detects the mapping, converts GCJ-02 to WGS-84, maps kinds and hazards', () => {
    const l = readShelterList(f);
    expect(l.mapping).toBe('cn-civil-defence');
    expect(l.crs).toBe('gcj02');
    expect(l.rows.map((r) => r.kind)).toEqual(['civil_defence_work', 'civil_defence_work', 'assembly_point']);
    expect(l.rows[0].hazards).toEqual(['air_raid', 'earthquake']);
    expect(l.rows[2].hazards).toEqual(['earthquake', 'fire', 'flood']);
    expect(l.rows[1].capacity).toBeNull();
    expect(l.rows[1].areaM2).toBe(800);
    const expected = gcoord.transform([119.9741, 31.8112], gcoord.GCJ02, gcoord.WGS84) as number[];
    expect(l.rows[0].point[0]).toBeCloseTo(expected[0], 9);
    // GCJ-02 is offset a few hundred metres from WGS-84 around Changzhou: WGS lon is smaller, lat slightly larger
    expect(l.rows[0].point[0]).toBeLessThan(119.9741);
    expect(Math.abs(l.rows[0].point[0] - 119.9741)).toBeGreaterThan(0.003);
    // --crs overrides the mapping
    expect(readShelterList(f, { crs: 'wgs84' }).rows[0].point).toEqual([119.9741, 31.8112]);
    const bd = readShelterList(f, { crs: 'bd09' }).rows[0].point;
    expect(bd[0]).toBeCloseTo((gcoord.transform([119.9741, 31.8112], gcoord.BD09, gcoord.WGS84) as number[])[0], 9);
  });
  it('rejects a malformed or truncated CSV with the line', () => {
    const bad = path.join(dir, 'cut.csv');
    writeFileSync(bad, readFileSync(f, 'utf8').slice(0, -30));
    expect(() => readShelterList(bad)).toThrow(/^cut\.csv: line 4: malformed CSV/);
    writeFileSync(bad, `${header}\nRF-1,"未闭合,人防工程,x,119,31,1,1,空袭\n`);
    expect(() => readShelterList(bad)).toThrow(ListFileError);
    writeFileSync(bad, 'a,b\n1,2\n');
    expect(() => readShelterList(bad)).toThrow(/no column mapping matches/);
  });
});

describe('mappings', () => {
  it('all mapping files are valid and detection is unambiguous', () => {
    const ms = listMappings();
    expect(ms.map((m) => m.name).sort()).toEqual(['cn-civil-defence', 'geojson-generic', 'jp-gsi-emergency-sites', 'jp-gsi-shelters', 'tw-shelters']);
    expect(detectMapping('csv', ['NO', '共通ID', '施設・場所名', '住所', '洪水', '地震', '大規模な火事', '緯度', '経度'])!.name).toBe('jp-gsi-emergency-sites');
    expect(loadMapping('cn-civil-defence').crs).toBe('gcj02');
    expect(() => loadMapping('nope')).toThrow(/mapping not found/);
  });
  it('reads GeoJSON with polygon and point features', () => {
    const g = path.join(dir, 'sites.geojson');
    writeFileSync(g, JSON.stringify({ type: 'FeatureCollection', features: [
      { type: 'Feature', id: 'p1', properties: { name: '中心公园', kind: 'park', hazards: ['earthquake', 'flood'] },
        geometry: { type: 'Polygon', coordinates: [[[120, 31], [120.001, 31], [120.001, 31.001], [120, 31.001], [120, 31]]] } },
      { type: 'Feature', properties: { id: 'x2', name: '人防一号', kind: 'civil_defence_work', area_m2: 500, capacity: 450 }, geometry: { type: 'Point', coordinates: [120.0005, 31.0005] } },
    ] }));
    const l = readShelterList(g);
    expect(l.mapping).toBe('geojson-generic');
    expect(l.rows[0].kind).toBe('park');
    expect(l.rows[0].hazards).toEqual(['earthquake', 'flood']);
    expect(JSON.parse(l.rows[0].geometry!).type).toBe('Polygon');
    expect(l.rows[1]).toMatchObject({ extRef: 'x2', kind: 'civil_defence_work', areaM2: 500, capacity: 450 });
    const bad = path.join(dir, 'bad.geojson');
    writeFileSync(bad, '{"type":"FeatureCollection","features":[{"type":"Feature",');
    expect(() => readShelterList(bad)).toThrow(/^bad\.geojson: .*malformed JSON/);
  });
});
