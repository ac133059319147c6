import { afterEach, describe, expect, it } from 'vitest';
import { lasting, newMemory } from '../../../server/engine/alloc.ts';
import { runPlan, type PlanResult } from '../../../server/engine/plan.ts';
import { hugePagesInEffect, startPrefaulter, type Prefaulter } from '../../../server/plans/prefault.ts';
import { randomGridInput } from '../engine/fixtures.ts';
import { repoModule as mod, runScript } from '../../helpers/script.ts';

const PAGE = 4096;
const ON = { EVAC_PREFAULT: '1' };
const pagesOf = (bytes: number) => Math.floor((bytes - 1) / PAGE) + 1;

/** Waits until the worker has touched at least `n` pages. */
async function touched(pf: Prefaulter, n: number): Promise<number> {
  for (let i = 0; i < 500; i++) {
    const p = await pf.pagesTouched();
    if (p >= n) return p;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`the worker touched fewer than ${n} pages`);
}

describe('startPrefaulter', () => {
  let pf: Prefaulter | null = null;
  const minBytes = newMemory.minBytes;
  afterEach(async () => {
    await pf?.stop();
    pf = null;
    newMemory.minBytes = minBytes;
  });

  it('touches every page of each new big buffer from a worker, and leaves every byte as it was', async () => {
    pf = startPrefaulter(ON);
    expect(pf).not.toBeNull();
    expect(startPrefaulter(ON)).toBe(pf); // one per process
    expect(newMemory.observe).not.toBeNull();
    // a buffer full of values, handed to the observer as the engine hands a new one: a worker that wrote zeros (or
    // anything) instead of an atomic no-op would destroy them
    const bytes = 3 * PAGE + 100;
    const u = new Uint8Array(new SharedArrayBuffer(bytes));
    for (let i = 0; i < bytes; i++) u[i] = (i * 7 + 3) & 255;
    const before = await pf!.pagesTouched();
    newMemory.observe!(u.buffer as SharedArrayBuffer);
    expect(await touched(pf!, before + pagesOf(bytes))).toBe(before + pagesOf(bytes));
    expect(u.every((x, i) => x === ((i * 7 + 3) & 255))).toBe(true);
  });

  it('sees the engine\'s lasting buffers of at least minBytes while the engine writes them', async () => {
    pf = startPrefaulter(ON);
    const before = await pf!.pagesTouched();
    const a = lasting.f64((4 << 20) / 8); // 4 MB
    for (let i = 0; i < a.length; i++) a[i] = i + 0.5;
    expect(await touched(pf!, before + pagesOf(a.byteLength))).toBeGreaterThanOrEqual(before + 1024);
    expect(a.every((x, i) => x === i + 0.5)).toBe(true);
  });

  it('changes nothing a plan computes, with every buffer of the plan faulted in by the worker as it is made', async () => {
    // (two equal inputs: a plan context is kept per input, and the second plan must make its memory anew)
    const input = () => randomGridInput({ w: 24, h: 24, buildings: 120, sites: 6, seed: 11 });
    const strip = (p: PlanResult) => JSON.stringify({ ...p, ms: null, msDetail: null, context: null }, (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v));
    const without = strip(runPlan(input()));
    pf = startPrefaulter(ON);
    newMemory.minBytes = 1;
    const before = await pf!.pagesTouched();
    const withWorker = strip(runPlan(input()));
    expect(await pf!.pagesTouched()).toBeGreaterThan(before);
    expect(withWorker).toBe(without);
  });

  it('runs by default only where huge pages are in effect', () => {
    const thp = 'always [madvise] never\n';
    expect(hugePagesInEffect({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' }, thp)).toBe(true);
    expect(hugePagesInEffect({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2:glibc.malloc.hugetlb=2' }, '[always] madvise never')).toBe(true);
    expect(hugePagesInEffect({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' }, thp)).toBe(false);
    expect(hugePagesInEffect({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' }, 'always madvise [never]')).toBe(false);
    expect(hugePagesInEffect({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' }, '')).toBe(false);
    expect(hugePagesInEffect({}, thp)).toBe(false);
    // (vitest runs without the tunable)
    expect(startPrefaulter({})).toBeNull();
    expect(newMemory.observe).toBeNull();
  });

  it('is off with EVAC_PREFAULT=0, and stop() takes the observer away', async () => {
    expect(startPrefaulter({ EVAC_PREFAULT: '0', GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' })).toBeNull();
    expect(newMemory.observe).toBeNull();
    pf = startPrefaulter(ON);
    const asked = pf!.pagesTouched();
    await pf!.stop();
    expect(newMemory.observe).toBeNull();
    // (a question the stopped worker can no longer answer fails instead of hanging)
    await expect(asked.then(() => 'answered', () => 'failed')).resolves.toMatch(/answered|failed/);
    await expect(pf!.pagesTouched()).rejects.toThrow(/stopped/);
    pf = startPrefaulter(ON);
    expect(pf).not.toBeNull(); // a new one after stop
  });
});

describe('startPrefaulter in a process of its own', () => {
  it('never keeps the process alive, and keeps it while an answer is awaited', () => {
    const r = runScript(`
      import { startPrefaulter } from ${mod('server/plans/prefault.ts')};
      import { lasting } from ${mod('server/engine/alloc.ts')};
      const pf = startPrefaulter({ EVAC_PREFAULT: '1' });
      lasting.f64(1 << 20)[0] = 1;
      console.log('pages', await pf.pagesTouched());
    `);
    // (a worker that kept the process would run into the 30 s timeout: status null)
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('pages 2048');
  });
});
