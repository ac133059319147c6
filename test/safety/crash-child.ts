/**
 * Child process for the crash-safety test: opens the database (embedded in DATA_DIR, or the server at
 * DATABASE_URL in schema CEP_SCHEMA), then runs one operation and prints markers the parent kills on:
 *   npx tsx test/safety/crash-child.ts import FILE      import an OSM file (one transaction)
 *   npx tsx test/safety/crash-child.ts plan             run and save a plan (one transaction)
 * Markers on stdout: READY (database open), TX_BEGIN (the operation's transaction started), TX_COMMITTED (it
 * committed), DONE {json}. The parent SIGKILLs the process at one of them (or a delay after TX_BEGIN).
 */
import { openDb } from '../../server/db/index.ts';
import { importFile } from '../../server/import/index.ts';
import { runAndSavePlan } from '../../server/plans/service.ts';

const say = (s: string) => process.stdout.write(s + '\n');

async function main() {
  const [op, file] = process.argv.slice(2);
  const db = process.env.CEP_SCHEMA
    ? await openDb({ url: process.env.DATABASE_URL!, schema: process.env.CEP_SCHEMA })
    : await openDb({ dataDir: process.env.DATA_DIR! });
  say('READY');
  const tx = db.transaction.bind(db);
  let depth = 0;
  (db as any).transaction = async (fn: any) => {
    const outer = depth++ === 0;
    if (outer) say('TX_BEGIN');
    try {
      const r = await tx(fn);
      if (outer) say('TX_COMMITTED');
      return r;
    } finally {
      depth--;
    }
  };
  const t0 = performance.now();
  const result = op === 'import' ? await importFile(db, file) : op === 'plan' ? (await runAndSavePlan(db, { hazard: 'earthquake', name: 'crash test' })).summary : null;
  say(`DONE ${JSON.stringify({ ms: Math.round(performance.now() - t0), result: result && { ...(result as object), plan: undefined } })}`);
  await db.close();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
