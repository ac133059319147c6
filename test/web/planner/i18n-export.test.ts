import { describe, expect, it } from 'vitest';
import zh from '../../../web/src/i18n/planner.zh.ts';
import en from '../../../web/src/i18n/planner.en.ts';
import { assignmentsCsv, layerCsv, toCsv } from '../../../web/src/planner/ExportPanel.tsx';
import { arrowChar, planBody, DEFAULT_PLAN_FORM } from '../../../web/src/planner/PlanPanel.tsx';
import { arrowPath, flowWidth, siteColor, UNPLACED } from '../../../web/src/planner/resultLayers.ts';
import { parseOverride } from '../../../web/src/planner/SitesPanel.tsx';
import { layers, planDetail } from './fixtures.ts';

function leaves(o: unknown, prefix = ''): Record<string, unknown> {
  if (o && typeof o === 'object' && !Array.isArray(o))
    return Object.assign({}, ...Object.entries(o).map(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k)));
  return { [prefix]: o };
}

describe('planner strings', () => {
  it('have the same keys in Chinese and English, none empty, same placeholders', () => {
    const z = leaves(zh);
    const e = leaves(en);
    expect(Object.keys(e).sort()).toEqual(Object.keys(z).sort());
    const ph = (s: unknown) => [...String(s).matchAll(/{{(\w+)}}/g)].map((m) => m[1]).sort();
    for (const [k, v] of Object.entries(z)) {
      if (Array.isArray(v)) {
        expect((e[k] as string[]).length, k).toBe(v.length);
        continue;
      }
      if (k.endsWith('hint.static')) continue; // browsing needs no hint
      expect(String(v).length, k).toBeGreaterThan(0);
      expect(String(e[k]).length, k).toBeGreaterThan(0);
      expect(ph(e[k]), k).toEqual(ph(v));
    }
  });
});

describe('planner exports and helpers', () => {
  it('CSV: BOM, quoting of commas, quotes and new lines', () => {
    expect(toCsv(['a', 'b'], [['x,y', 'say "hi"'], ['line\nbreak', null]])).toBe('\ufeffa,b\n"x,y","say ""hi"""\n"line\nbreak",\n');
  });

  it('a result layer as CSV has every property and a lon/lat', () => {
    const csv = layerCsv(layers.plan_signs as any).slice(1).split('\n');
    expect(csv[0]).toBe('feature_id,sign_id,kind,bearing,target,distance_m,lon,lat');
    expect(csv[1]).toBe('1,J-1,junction,90,翠竹公园,60,120.0006000,31.0001000');
  });

  it('the assignments CSV names each building, its community and site, or why it is not placed', () => {
    const results = {
      plans: [], plan: planDetail(1) as any, data: { plan_buildings: layers.plan_buildings as any },
      buildings: new Map([[11, { id: 11, name: '1号楼', communityId: 1, population: 120 }], [13, { id: 13, name: '3号楼', communityId: 2, population: 80 }]]),
      communities: [{ id: 1, name: '翠竹小区' }, { id: 2, name: '白云花园' }], communityFc: { type: 'FeatureCollection', features: [] } as any,
    };
    const rows = assignmentsCsv(results, []).slice(1).trim().split('\n');
    expect(rows[0]).toBe('plan_id,building_id,building,community,population,site_id,site,distance_m,minutes,split,unplaced_reason');
    expect(rows[1]).toBe('1,11,1号楼,翠竹小区,120,1,翠竹公园,140,2.4,,');
    expect(rows[3]).toBe('1,13,3号楼,白云花园,80,,,,,,no_site_in_reach');
  });

  it('plan options from the form; empty or bad numbers fall back to the engine defaults', () => {
    expect(planBody({ ...DEFAULT_PLAN_FORM, reachEmergency: '', speedNormal: 'x', name: ' 演练 ' })).toEqual({
      hazard: 'earthquake', name: '演练', options: { reachM: { fixed: 2500 }, walkSpeedMps: { vulnerable: 0.5 } },
    });
  });

  it('flow widths grow with the square root of people; arrows point along the bearing; colours by site', () => {
    expect(flowWidth(0, 100)).toBe(2);
    expect(flowWidth(100, 100)).toBe(14);
    expect(flowWidth(25, 100)).toBe(8);
    const [[from, tip]] = arrowPath([120, 31], 90, 10);
    expect(tip[1]).toBeCloseTo(31, 9);
    expect((tip[0] - from[0]) * 111_320 * Math.cos((31 * Math.PI) / 180)).toBeCloseTo(10, 3);
    expect(siteColor(null)).toEqual(UNPLACED);
    expect(siteColor(3)).not.toEqual(siteColor(4));
    expect([0, 90, 180, 270, null].map(arrowChar)).toEqual(['↑', '→', '↓', '←', '↓']);
  });

  it('capacity override: empty clears it, a whole number sets it, anything else is refused', () => {
    expect(parseOverride('')).toBeNull();
    expect(parseOverride(' 250 ')).toBe(250);
    expect(parseOverride('-3')).toBeUndefined();
    expect(parseOverride('2.5')).toBeUndefined();
  });
});
