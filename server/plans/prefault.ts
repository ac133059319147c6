/**
 * Faults the engine's new memory in from a second thread (Node).
 *
 * The first write to every new page of memory traps into the kernel (and, on a virtual machine, often into the host
 * as well), and a city's first plan writes ~1 GB of new arrays. On our VMs that has cost 3–26 µs per 4 KB page, up to
 * 2 s of a cold plan, all on the engine's one thread. `startPrefaulter` starts a worker thread and sets the engine's
 * `newMemory.observe` (alloc.ts): every new shared buffer of ≥ 1 MB is posted to the worker, which touches one byte per
 * page, from the end backwards (the engine mostly fills from the front), so that the two threads share the faults
 * and the engine finds much of its memory already mapped.
 *
 * The touch is `Atomics.add(byte, 0)`: an atomic read-modify-write that leaves the byte as it is, so a value the engine
 * writes at the same moment is never lost (a plain write of 0 could overwrite it). It is a write, so the kernel maps
 * a page of its own (a read would map the shared zero page and fault again at the engine's first write).
 *
 * It changes nothing the engine computes, only who takes the faults, and it pays only where a fault is dear: with
 * transparent huge pages (glibc's `glibc.malloc.hugetlb` tunable, opt-in: README) a first touch maps and clears 2 MB
 * (7.5 µs per 4 KB on the second test machine), and a city's cold plan measured 4–10 % faster with the worker there
 * (the engine thread's system time 1.5 → 0.7 s). With 4 KB pages a fault cost ~3 µs there, and the worker made the
 * cold plan slower (the engine's own user time grew by 0.5–1 s: the pages the worker clears push the engine's data out
 * of the shared caches). So by default it runs only when huge pages are in effect; `EVAC_PREFAULT=1` starts it anyway,
 * `EVAC_PREFAULT=0` never. The worker is unref'd: it never keeps a process alive.
 */
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { newMemory } from '../engine/alloc.ts';

// (CommonJS: an eval'd worker script is not a module)
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const PAGE = 4096;
let pages = 0;
parentPort.on('message', (msg) => {
  if (msg === 'stats') { parentPort.postMessage({ pages }); return; }
  const u = new Uint8Array(msg);
  if (u.length === 0) return;
  Atomics.add(u, u.length - 1, 0);
  for (let i = Math.floor((u.length - 1) / PAGE) * PAGE; i >= 0; i -= PAGE) { Atomics.add(u, i, 0); pages++; }
});
`;

export interface Prefaulter {
  /** Pages the worker has touched so far (including ones the engine had touched first). */
  pagesTouched(): Promise<number>;
  /** Stops the worker and unsets the observer. */
  stop(): Promise<void>;
}

let current: Prefaulter | null = null;

/**
 * Whether glibc backs this process's big blocks with transparent huge pages: its `glibc.malloc.hugetlb` tunable is
 * set (1 or 2), and Linux gives huge pages on request (`enabled` is `always` or `madvise`).
 */
export function hugePagesInEffect(env: NodeJS.ProcessEnv, thpEnabled = readThpEnabled()): boolean {
  const hugetlb = /(?:^|:)glibc\.malloc\.hugetlb=([12])(?::|$)/.test(env.GLIBC_TUNABLES ?? '');
  return hugetlb && /\[(always|madvise)\]/.test(thpEnabled);
}
function readThpEnabled(): string {
  try {
    return readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8');
  } catch {
    return ''; // not Linux, or no THP
  }
}

/**
 * Starts the worker (once per process; later calls return the same one) when huge pages are in effect or
 * `EVAC_PREFAULT=1`; returns null with `EVAC_PREFAULT=0`, without huge pages, or without SharedArrayBuffer.
 */
export function startPrefaulter(env: NodeJS.ProcessEnv = process.env): Prefaulter | null {
  if (current) return current;
  if (typeof SharedArrayBuffer !== 'function' || env.EVAC_PREFAULT === '0') return null;
  if (env.EVAC_PREFAULT !== '1' && !hugePagesInEffect(env)) return null;
  // (no execArgv: the script is plain JavaScript and needs none of the parent's loaders, e.g. tsx)
  const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] });
  // answers to 'stats', in the order asked
  const waiting: { resolve: (pages: number) => void; reject: (e: unknown) => void }[] = [];
  worker.on('message', (m: { pages: number }) => {
    waiting.shift()?.resolve(m.pages);
    if (waiting.length === 0) worker.unref();
  });
  // a failed worker only means no help: the engine takes its faults itself again
  worker.on('error', (e) => {
    if (newMemory.observe === observe) newMemory.observe = null;
    for (const w of waiting.splice(0)) w.reject(e);
  });
  let gone = false;
  const stopped = () => new Error('the prefault worker has stopped');
  worker.on('exit', () => {
    gone = true;
    if (newMemory.observe === observe) newMemory.observe = null;
    for (const w of waiting.splice(0)) w.reject(stopped());
  });
  const observe = (buffer: SharedArrayBuffer) => worker.postMessage(buffer);
  newMemory.observe = observe;
  // (after the listeners: adding a 'message' listener refs the worker's port again; a pending pagesTouched refs it)
  worker.unref();
  const self: Prefaulter = {
    pagesTouched: () => new Promise((resolve, reject) => {
      if (gone) return reject(stopped());
      waiting.push({ resolve, reject });
      // (the process waits for the answer)
      worker.ref();
      worker.postMessage('stats');
    }),
    stop: async () => {
      if (newMemory.observe === observe) newMemory.observe = null;
      if (current === self) current = null;
      await worker.terminate();
    },
  };
  current = self;
  return self;
}
