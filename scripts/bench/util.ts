/** Small helpers for the benchmark: order statistics, a text table, memory snapshots, the full-plan hooks. */
import v8 from 'node:v8';
import vm from 'node:vm';
import { fullPlanHooks } from '../../server/engine/full.ts';
import { computeGuides } from '../../server/engine/guides.ts';
import type { PlanHooks, PlanResult } from '../../server/engine/plan.ts';

export function quantile(xs: number[], q: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  // nearest-rank
  const k = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1));
  return s[k];
}
export const median = (xs: number[]) => quantile(xs, 0.5);
export const p90 = (xs: number[]) => quantile(xs, 0.9);
export const r1 = (x: number) => Math.round(x * 10) / 10;
export const r2 = (x: number) => Math.round(x * 100) / 100;

/** Aligned plain-text table. */
export function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)))];
  const w = head.map((_, j) => Math.max(...cells.map((r) => String(r[j] ?? '').length)));
  const line = (r: (string | number)[]) => r.map((c, j) => (j === 0 ? String(c).padEnd(w[j]) : String(c).padStart(w[j]))).join('  ');
  return [line(cells[0]), w.map((n) => '-'.repeat(n)).join('  '), ...cells.slice(1).map(line)].join('\n');
}
function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x)) return x.toLocaleString('en');
  return Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2);
}

let gcFn: (() => void) | null = null;
/** Full GC when possible (flag set at run time), so memory figures are live data, not garbage. */
export function gc(): void {
  if (!gcFn) {
    try {
      v8.setFlagsFromString('--expose-gc');
      gcFn = vm.runInNewContext('gc') as () => void;
    } catch {
      gcFn = () => {};
    }
  }
  gcFn();
}
export interface Mem { rssMB: number; heapUsedMB: number }

/**
 * Lets what a loader left go before a plan is timed: the OSM reader's streams close, and their memory becomes garbage,
 * on later turns of the event loop, and V8 and the C allocator hand the freed pages back in the background. Timed
 * right after parsing the city (2 GB resident, ~1.3 GB of it the parser's), the first plan paid for that: 3.8–3.9 s
 * against 3.5 s once settled, its graph stage 660 against 480 ms, while nothing in it differed. A server plans
 * long after it loaded its input, so the plan is timed from the settled state. Two full collections a turn apart.
 */
export async function settle(): Promise<void> {
  gc();
  await new Promise((r) => setTimeout(r, 100));
  gc();
  await new Promise((r) => setImmediate(r));
  gc();
}
export function mem(collect = true): Mem {
  if (collect) gc();
  const m = process.memoryUsage();
  return { rssMB: Math.round(m.rss / 1048576), heapUsedMB: Math.round(m.heapUsed / 1048576) };
}

/**
 * The whole plan's hooks: signs and guides. Uses fullPlanHooks(); when that does not (yet) fill guides, adds a guides
 * hook with the same inputs (people sent from each building, junction/turn signs' flows, no roster).
 */
export function benchHooks(): PlanHooks & { guidesFrom: 'full.ts' | 'bench' } {
  const h = fullPlanHooks();
  if (h.guides) return { ...h, guidesFrom: 'full.ts' };
  return {
    ...h,
    guidesFrom: 'bench',
    guides: (plan: PlanResult) => {
      const { input } = plan.context;
      const B = plan.buildings;
      const people = new Float64Array(input.buildings.length);
      for (let p = 0; p < plan.routes.partBuilding.length; p++) people[plan.routes.partBuilding[p]] += plan.routes.partPeople[p];
      const signs = (plan.signs as { signs?: { kind: string; nodeIndex: number; lon: number; lat: number; people: number }[] } | null)?.signs ?? [];
      return computeGuides({
        buildings: input.buildings.map((b, i) => ({ id: b.id, name: b.name, people: Math.round(people[i]), levels: b.levels, lon: B.doorLon[i], lat: B.doorLat[i] })),
        junctions: signs.filter((s) => (s.kind === 'junction' || s.kind === 'turn') && s.nodeIndex >= 0).map((s) => ({ nodeIndex: s.nodeIndex, lon: s.lon, lat: s.lat, people: s.people })),
        volunteers: null,
      });
    },
  };
}

export const STAGES = ['graph', 'snap', 'assign', 'routes', 'signs', 'guides', 'coverage', 'total'] as const;
export type Stage = (typeof STAGES)[number];

/** median / p90 per stage (and the assign detail) over plan runs. */
export function stageStats(plans: Pick<PlanResult, 'ms' | 'msDetail'>[]): Record<string, { median: number; p90: number }> {
  const out: Record<string, { median: number; p90: number }> = {};
  const keys: [string, (p: Pick<PlanResult, 'ms' | 'msDetail'>) => number][] = [
    ...STAGES.map((s) => [s, (p: Pick<PlanResult, 'ms' | 'msDetail'>) => p.ms[s]] as [string, (p: Pick<PlanResult, 'ms' | 'msDetail'>) => number]),
    ['assign.nearest', (p) => p.msDetail.nearest], ['assign.candidates', (p) => p.msDetail.candidates], ['assign.assign', (p) => p.msDetail.assign],
  ];
  for (const [k, f] of keys) {
    const xs = plans.map(f);
    out[k] = { median: r2(median(xs)), p90: r2(p90(xs)) };
  }
  return out;
}

/**
 * What a page fault costs here: µs to touch each 4 KB page of a new 64 MB buffer once (a SharedArrayBuffer, as the
 * engine's city-sized arrays). A city's first plan touches ~1 GB of new memory, so at 2 µs a page that is ~0.5 s of
 * its time; on this kind of virtual machine the cost has been seen to vary about twofold between runs.
 */
export function faultCostUs(): number {
  const bytes = 64 << 20;
  const a = new Uint8Array(new SharedArrayBuffer(bytes));
  const t0 = performance.now();
  for (let i = 0; i < bytes; i += 4096) a[i] = 1;
  return r2(((performance.now() - t0) * 1000) / (bytes / 4096));
}

/**
 * The host's speed at memory-bound and CPU-bound work, printed with every run: the engine's city stages are
 * memory-bound, and this machine's random-access latency has been seen to vary three- to fourfold between runs, so
 * a city figure says little without it. Latency: a dependent pointer chase through a 128 MB random cycle (ns per
 * load); CPU: 3·10⁸ multiply-adds in a register (ms).
 */
export function hostSpeed(): { memLatencyNs: number; cpuLoopMs: number; pageFaultUs: number } {
  const pageFaultUs = faultCostUs();
  const n = 1 << 25;
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  let s = 12345;
  for (let i = n - 1; i > 0; i--) { // Sattolo: one cycle through every slot
    s = (Math.imul(s, 1103515245) + 12345) | 0;
    const j = (s >>> 1) % i;
    const t = a[i]; a[i] = a[j]; a[j] = t;
  }
  const chase = (k: number) => { let p = 0; for (let i = 0; i < k; i++) p = a[p]; return p; };
  const spin = (k: number) => { let x = 0; for (let i = 0; i < k; i++) x = (Math.imul(x, 1103515245) + 12345) | 0; return x; };
  chase(1e5); spin(1e6);
  const t0 = performance.now(); const p = chase(5e6); const t1 = performance.now();
  const x = spin(3e8); const t2 = performance.now();
  if (p === -1 && x === -1) console.log(''); // (keeps both results alive)
  return { memLatencyNs: r1(((t1 - t0) / 5e6) * 1e6), cpuLoopMs: Math.round(t2 - t1), pageFaultUs };
}

/**
 * Time in garbage collection while `fn` runs, from the runtime's gc entries: scavenges (young generation), and the
 * rest — mark-compacts of the whole heap, most of whose pause Node 20 reports as the finalisation of incremental
 * marking (kind INCREMENTAL), so both kinds count (seen against --trace-gc: the same ~200 ms pauses).
 */
export async function gcTime<T>(fn: () => T | Promise<T>): Promise<{ value: T; minorMs: number; majorMs: number }> {
  const { PerformanceObserver, constants } = await import('node:perf_hooks');
  const out = { minorMs: 0, majorMs: 0 };
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries() as (PerformanceEntry & { detail?: { kind?: number } })[]) {
      if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) out.minorMs += e.duration;
      else out.majorMs += e.duration;
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  const value = await fn();
  await new Promise((r) => setTimeout(r, 20)); // the entries arrive asynchronously
  obs.disconnect();
  return { value, minorMs: r1(out.minorMs), majorMs: r1(out.majorMs) };
}
