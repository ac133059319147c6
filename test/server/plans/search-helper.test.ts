import { afterEach, describe, expect, it, vi } from 'vitest';
import { K_SEARCH, searchThread } from '../../../server/engine/dijkstra.ts';
import { runPlan, type PlanResult } from '../../../server/engine/plan.ts';
import { startSearchHelper, type SearchHelper } from '../../../server/plans/search-helper.ts';
import { randomGridInput } from '../engine/fixtures.ts';
import { repoModule as mod, runScript } from '../../helpers/script.ts';

const strip = (p: PlanResult) => JSON.stringify({ ...p, ms: null, msDetail: null, context: null }, (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v));

describe('startSearchHelper', () => {
  let sh: SearchHelper | null = null;
  const keepSearch = { ...searchThread }, keepK = { ...K_SEARCH };
  afterEach(async () => {
    await sh?.stop();
    sh = null;
    Object.assign(searchThread, keepSearch);
    Object.assign(K_SEARCH, keepK);
  });

  it('plans exactly as without it, its worker labelling chains, and searching part of the sites once its copy is made', async () => {
    // (small graphs search all sites at once, and alone: here site by site, and split)
    Object.assign(K_SEARCH, { minBytes: 0 });
    const input = () => randomGridInput({ w: 30, h: 30, buildings: 300, sites: 12, seed: 5, dropEdges: 0.1 });
    const in0 = input();
    const first = runPlan(in0);
    const alone = [strip(first), strip(runPlan(in0, {}, {}, first.context))];
    sh = startSearchHelper({});
    expect(sh).not.toBeNull();
    expect(startSearchHelper({})).toBe(sh);
    await sh!.ready;
    expect(sh!.lastError()).toBeNull();
    searchThread.minJunctions = 0;
    // the first plan's search graph is new: the engine searches its sites alone, and the worker copies the records
    // after the plan; the second plan, on the same context, splits them
    const in1 = input();
    const p1 = runPlan(in1);
    expect(sh!.tasks()).toEqual({ copies: 0, sites: 0, chains: 1 });
    await vi.waitFor(() => expect(sh!.tasks().copies).toBe(1), { timeout: 10_000 });
    const p2 = runPlan(in1, {}, {}, p1.context);
    expect(sh!.tasks()).toEqual({ copies: 1, sites: 1, chains: 2 });
    expect([strip(p1), strip(p2)]).toEqual(alone);
    expect(sh!.lastError()).toBeNull();
  });

  it('makes the copy asked for while it was still loading the engine', async () => {
    Object.assign(K_SEARCH, { minBytes: 0 });
    const in0 = randomGridInput({ w: 30, h: 30, buildings: 300, sites: 12, seed: 6 });
    const alone = strip(runPlan(in0, {}, {}, runPlan(in0).context));
    sh = startSearchHelper({});
    searchThread.minJunctions = 0;
    // (planned at once: the worker is still loading the engine, so the engine labels everything itself)
    const p1 = runPlan(in0);
    await sh!.ready;
    await vi.waitFor(() => expect(sh!.tasks().copies).toBe(1), { timeout: 10_000 });
    const p2 = runPlan(in0, {}, {}, p1.context);
    expect(sh!.tasks().sites).toBeGreaterThanOrEqual(1);
    expect(strip(p2)).toBe(alone);
  });

  it('is off with EVAC_SEARCH_HELPER=0; after stop() the engine searches alone', async () => {
    expect(startSearchHelper({ EVAC_SEARCH_HELPER: '0' })).toBeNull();
    expect(searchThread.helper).toBeNull();
    sh = startSearchHelper({});
    await sh!.ready;
    expect(searchThread.helper).not.toBeNull();
    await sh!.stop();
    expect(searchThread.helper).toBeNull();
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
