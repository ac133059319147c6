/**
 * `npm run plan -- [--hazard earthquake] [--json] [--out DIR] [--no-save]`: run a plan on the database's data
 * (DATABASE_URL, else the embedded database in DATA_DIR) and save it as a new plan version.
 * --json prints one summary line; --out writes assignments.csv, graph_edges.csv, snaps.csv and signs.csv.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { openDb } from '../server/db/index.ts';
import { HAZARDS } from '../server/engine/types.ts';
import { computePlan, planSummary, savePlan } from '../server/plans/service.ts';
import { planCsvFiles } from '../server/plans/export.ts';
import { startPrefaulter } from '../server/plans/prefault.ts';
import { startSearchHelper } from '../server/plans/search-helper.ts';

const Args = z.object({
  hazard: z.enum(HAZARDS as unknown as [string, ...string[]]).default('earthquake'),
  json: z.boolean().default(false),
  out: z.string().min(1).optional(),
  'no-save': z.boolean().default(false),
  name: z.string().max(200).optional(),
});

async function main() {
  const { values } = parseArgs({
    options: {
      hazard: { type: 'string' },
      json: { type: 'boolean' },
      out: { type: 'string' },
      'no-save': { type: 'boolean' },
      name: { type: 'string' },
    },
    strict: true,
  });
  const parsed = Args.safeParse(values);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    console.error(`plan: --${String(i.path[0])}: ${i.message}`);
    process.exit(2);
  }
  const args = parsed.data;
  // as npm start: a worker thread takes part of the searches, and another faults new memory in where huge pages are
  // in effect (opt-in, README)
  startPrefaulter();
  startSearchHelper();
  const db = await openDb();
  try {
    const [{ n }] = await db.query('SELECT count(*)::int AS n FROM buildings');
    if (n === 0) throw new Error('the database has no buildings: import an OSM file first (npm run import -- FILE)');
    const { plan, version } = await computePlan(db, { hazard: args.hazard as any });
    const summary = planSummary(plan);
    let id: number | null = null;
    if (!args['no-save']) id = (await savePlan(db, plan, version, { name: args.name ?? null, createdBy: 'cli' })).id;
    if (args.out) {
      mkdirSync(args.out, { recursive: true });
      for (const [name, text] of Object.entries(planCsvFiles(plan))) writeFileSync(path.join(args.out, name), text);
    }
    const line = {
      buildings: summary.buildings, population: summary.population, sites: summary.sites,
      assignedPopulation: summary.assignedPopulation, unplacedPopulation: summary.unplacedPopulation,
      coveredPopulationShare: summary.coveredPopulationShare, maxSiteUtilisation: summary.maxSiteUtilisation,
      signs: summary.signs, guidesNeeded: summary.guidesNeeded, guidesAssigned: summary.guidesAssigned,
      ms: Object.fromEntries(Object.entries(summary.ms).map(([k, v]) => [k, Math.round(v * 10) / 10])),
    };
    if (args.json) console.log(JSON.stringify(line));
    else {
      console.log(`Plan ${id ?? '(not saved)'} — ${args.hazard}: ${line.population} residents in ${line.buildings} buildings, ${line.sites} usable sites`);
      console.log(`  placed ${line.assignedPopulation}, unplaced ${line.unplacedPopulation}; covered ${(line.coveredPopulationShare * 100).toFixed(1)} %; busiest site ${(line.maxSiteUtilisation * 100).toFixed(0)} % full`);
      console.log(`  ${line.signs} signs; guides needed ${line.guidesNeeded}, assigned ${line.guidesAssigned}; engine ${line.ms.total} ms`);
      if (args.out) console.log(`  CSV files in ${args.out}`);
    }
  } finally {
    await db.close();
  }
}

main().catch((e) => {
  console.error(`plan: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
});
