/**
 * The engine's k-nearest search on two threads (Node): `startSearchHelper` starts a worker thread with the engine's
 * search code and sets `searchThread.helper` (dijkstra.ts). A k-nearest search on a large graph then hands about half
 * of its sites, and half of its chains' labels, to the worker and does the rest itself (the same labels bit for bit,
 * see dijkstra.ts). The engine is synchronous, so it waits for the worker with `Atomics.wait` on a shared flag; the
 * worker gets its task as a message (its own event loop runs while the engine's thread waits). A `copy` task (the
 * worker's copy of the search graph's records) is not waited for: the engine looks at the copy's own flag.
 *
 * What the worker writes is on SharedArrayBuffers (the engine's `lasting` arrays); so is what it reads, but for an
 * edge-length column taken from the input, which is copied to one once (kept by the column; a graph's lengths never
 * change) so that it is not cloned into every message. If the worker fails, is not ready yet, or does
 * not answer within `timeoutMs`, the engine searches those sites itself, and a worker that timed out is stopped.
 * `EVAC_SEARCH_HELPER=0` turns it off. Once loaded the worker is unref'd: it never keeps a process alive.
 */
import { Worker } from 'node:worker_threads';
import { searchThread, type HelperTask, type HelperThread } from '../engine/dijkstra.ts';

const ENGINE = new URL('../engine/dijkstra.ts', import.meta.url).href;

// (CommonJS: an eval'd worker script is not a module; the engine is TypeScript, loaded through tsx's loader)
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const flag = new Int32Array(workerData.flag);
import('tsx/esm/api')
  .then(({ register }) => { register(); return import(workerData.engine); })
  .then((engine) => {
    parentPort.on('message', (task) => {
      let state = 3;
      try { state = engine.helperPart(task) ? 1 : 2; } catch (e) { parentPort.postMessage({ error: String(e && e.stack || e) }); }
      if (task.kind === 'copy') { if (state === 1) parentPort.postMessage({ copied: true }); return; }
      Atomics.store(flag, 0, state);
      Atomics.notify(flag, 0);
    });
    Atomics.store(flag, 1, 1);
    parentPort.postMessage({ ready: true });
  })
  .catch((e) => parentPort.postMessage({ error: String(e && e.stack || e) }));
`;

/** flag[0]: 0 = working, 1 = done, 2 = gave up (over budget), 3 = failed (not for `copy` tasks); flag[1]: 1 once the
 *  engine is loaded */
const WORKING = 0, DONE = 1, GAVE_UP = 2;

export interface SearchHelper {
  /** Resolves once the worker has loaded the engine (searches before that run on the engine's thread alone). */
  ready: Promise<void>;
  /** What the worker has done: copies of search records made, site searches and chain labellings. */
  tasks(): { copies: number; sites: number; chains: number };
  /** The last error the worker reported, if any. */
  lastError(): string | null;
  stop(): Promise<void>;
}

let current: SearchHelper | null = null;
const sharedCopies = new WeakMap<Float64Array, Float64Array>();

/** The column itself when it is on a SharedArrayBuffer, else a shared copy (made once per column: only for columns
 *  that never change). */
function sharedOnce(a: Float64Array): Float64Array {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  let c = sharedCopies.get(a);
  if (!c) {
    c = new Float64Array(new SharedArrayBuffer(a.byteLength));
    c.set(a);
    sharedCopies.set(a, c);
  }
  return c;
}

/**
 * Starts the worker (once per process; later calls return the same one) unless `EVAC_SEARCH_HELPER=0` or the runtime
 * has no SharedArrayBuffer (then null). `timeoutMs`: how long the engine waits for the worker's part.
 */
export function startSearchHelper(env: NodeJS.ProcessEnv = process.env, timeoutMs = 120_000): SearchHelper | null {
  if (current) return current;
  if (env.EVAC_SEARCH_HELPER === '0' || typeof SharedArrayBuffer !== 'function') return null;
  const flag = new Int32Array(new SharedArrayBuffer(8));
  const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { flag: flag.buffer, engine: ENGINE } });
  const done = { copies: 0, sites: 0, chains: 0 };
  let error: string | null = null, alive = true;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => { markReady = resolve; });
  worker.on('message', (m: { ready?: boolean; error?: string; copied?: boolean }) => {
    if (m.copied) done.copies++;
    if (m.ready) { markReady(); worker.unref(); }
    if (m.error) { error = m.error; markReady(); worker.unref(); }
  });
  const gone = () => {
    alive = false;
    markReady();
    if (searchThread.helper === helper) searchThread.helper = null;
  };
  worker.on('error', (e) => { error = String(e); gone(); });
  worker.on('exit', gone);
  // (ref'd until the engine is loaded or loading failed, so that awaiting `ready` keeps the process; unref'd then: it
  // never keeps a process alive)
  const helper: HelperThread = {
    start(task: HelperTask) {
      if (task.kind === 'copy') {
        // (once the engine's synchronous work — the plan — is over: made during a cold plan, the copy's new memory
        // slowed the engine's own first touches more than its later searches gain; a worker still loading the engine
        // gets it once it listens)
        setImmediate(() => { if (alive) worker.postMessage(task); });
        return () => null;
      }
      // not loaded yet, or gone: the engine does it all (it would wait for the load)
      if (!alive || Atomics.load(flag, 1) !== 1) return () => null;
      Atomics.store(flag, 0, WORKING);
      worker.postMessage(task.kind === 'sites' ? { ...task, edgeLength: sharedOnce(task.edgeLength) } : task);
      return () => {
        const r = Atomics.wait(flag, 0, WORKING, timeoutMs);
        if (r === 'timed-out') {
          // it may still write into its records (or, for chains, the same values into the labels): never hand it
          // another task
          error = `no answer within ${timeoutMs} ms`;
          gone();
          void worker.terminate();
          return null;
        }
        const state = Atomics.load(flag, 0);
        if (state === DONE || state === GAVE_UP) { done[task.kind]++; return state === DONE; }
        return null;
      };
    },
  };
  searchThread.helper = helper;
  const self: SearchHelper = {
    ready,
    tasks: () => ({ ...done }),
    lastError: () => error,
    stop: async () => {
      gone();
      if (current === self) current = null;
      await worker.terminate();
    },
  };
  current = self;
  return self;
}
