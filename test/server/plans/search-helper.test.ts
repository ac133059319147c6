import { afterEach, describe, expect, it } from 'vitest';
import { K_SEARCH, siteSearch } from '../../../server/engine/dijkstra.ts';
import { runPlan, type PlanResult } from '../../../server/engine/plan.ts';
import { startSearchHelper, type SearchHelper } from '../../../server/plans/search-helper.ts';
import { randomGridInput } from '../engine/fixtures.ts';
import { repoModule as mod, runScript } from '../../helpers/script.ts';

const strip = (p: PlanResult) => JSON.stringify({ ...p, ms: null, msDetail: null, context: null }, (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v));

describe('startSearchHelper', () => {
  let sh: SearchHelper | null = null;
  const keepSearch = { ...siteSearch }, keepK = { ...K_SEARCH };
  afterEach(async () => {
    await sh?.stop();
    sh = null;
    Object.assign(siteSearch, keepSearch);
    Object.assign(K_SEARCH, keepK);
  });

  it('plans exactly as without it, its worker searching part of the sites', async () => {
    // (small graphs search all sites at once, and alone: here site by site, and split)
    Object.assign(K_SEARCH, { minBytes: 0 });
    const input = () => randomGridInput({ w: 30, h: 30, buildings: 300, sites: 12, seed: 5, dropEdges: 0.1 });
    const alone = strip(runPlan(input()));
    sh = startSearchHelper({});
    expect(sh).not.toBeNull();
    expect(startSearchHelper({})).toBe(sh);
    await sh!.ready;
    expect(sh!.lastError()).toBeNull();
    siteSearch.minJunctions = 0;
    const split = strip(runPlan(input()));
    expect(sh!.tasks()).toBeGreaterThan(0);
    expect(split).toBe(alone);
  });

  it('is off with EVAC_SEARCH_HELPER=0; after stop() the engine searches alone', async () => {
    expect(startSearchHelper({ EVAC_SEARCH_HELPER: '0' })).toBeNull();
    expect(siteSearch.helper).toBeNull();
    sh = startSearchHelper({});
    await sh!.ready;
    expect(siteSearch.helper).not.toBeNull();
    await sh!.stop();
    expect(siteSearch.helper).toBeNull();
  });

  it('never keeps a process alive, and keeps it while `ready` is awaited', () => {
    const r = runScript(`
      import { startSearchHelper } from ${mod('server/plans/search-helper.ts')};
      const sh = startSearchHelper({});
      await sh.ready;
      console.log('ready', sh.lastError());
    `);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('ready null');
  });
});
