/**
 * One cold plan in a process of its own, for `npm run bench` (city): the first plan a server runs after loading a
 * city, without what the benchmark process did before (Monaco, pgRouting, the OSM parse) warming or loading it.
 *
 *   node --max-semi-space-size=32 --import tsx scripts/bench/cold-plan.ts INPUT.bin
 *
 * INPUT.bin is an EngineInput written with v8.serialize. Prints one JSON line: the plan's stage timings (the graph
 * stage builds the graph and segment index inside the plan, as run 1 of the city bench), page faults, CPU time, what
 * a page fault cost in this process just after the plan (faultCostUs), and how much of its memory is in huge pages.
 */
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import { runPlan } from '../../server/engine/plan.ts';
import type { EngineInput } from '../../server/engine/types.ts';
import { startPrefaulter } from '../../server/plans/prefault.ts';
import { startSearchHelper } from '../../server/plans/search-helper.ts';
import { benchHooks, faultCostUs, settle } from './util.ts';

const file = process.argv[2];
if (!file) {
  console.error('usage: cold-plan.ts INPUT.bin');
  process.exit(2);
}
const input = v8.deserialize(readFileSync(file)) as EngineInput;
// as npm start and npm run plan: worker threads take part of the searches (unless EVAC_SEARCH_HELPER=0) and fault new
// memory in where huge pages are in effect, loaded before the plan as in a server that started earlier
const prefaulter = startPrefaulter();
const searchHelper = startSearchHelper();
await searchHelper?.ready;
await settle();
const hooks = benchHooks();
const faults0 = process.resourceUsage().minorPageFault;
const cpu0 = process.cpuUsage();
const plan = runPlan(input, { hazard: 'earthquake' }, hooks);
const cpu = process.cpuUsage(cpu0), pageFaults = process.resourceUsage().minorPageFault - faults0;
const prefaultedPages = prefaulter ? await prefaulter.pagesTouched() : 0;
const searchTasks = searchHelper ? searchHelper.tasks() : { copies: 0, sites: 0, chains: 0 };
await prefaulter?.stop();
await searchHelper?.stop();
// what new memory costs in this process (most of a cold plan's extra time over a warm one), measured after the plan
// so that the probe's pages, given back, are not the plan's
const pageFaultUs = faultCostUs();
// memory the process holds in transparent huge pages (Linux; 0 where there is no such figure)
let hugePagesMB = 0;
try {
  const m = /AnonHugePages:\s+(\d+) kB/.exec(readFileSync('/proc/self/smaps_rollup', 'utf8'));
  if (m) hugePagesMB = Number(m[1]) / 1024;
} catch { /* not Linux */ }
console.log(JSON.stringify({
  ms: plan.ms, msDetail: plan.msDetail, pageFaults,
  cpuMs: { user: cpu.user / 1000, system: cpu.system / 1000 }, pageFaultUs, hugePagesMB, prefaultedPages, searchTasks, personMetres: plan.totals.personMetres,
}));
