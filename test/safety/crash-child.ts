/**
 * Child process for the crash-safety test: opens the database (embedded in DATA_DIR, or the server at
 * DATABASE_URL in schema CEP_SCHEMA) and runs one operation, then SIGKILLs ITSELF at the point named by CRASH_AT:
 *   CRASH_AT=write:K   inside the operation's transaction, right after its K-th write statement completed
 *   CRASH_AT=commit    right after the operation's transaction committed (before anything else runs)
 *   npx tsx test/safety/crash-child.ts import FILE      import an OSM file (one transaction)
 *   npx tsx test/safety/crash-child.ts plan             run and save a plan (one transaction)
 * Killing itself makes the crash point exact (a kill sent from the parent lands wherever the child happens to be).
 * Markers on stdout: READY, TX_BEGIN, WRITE n, TX_COMMITTED, DONE {json} (DONE means it was not killed).
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
  const crashAt = process.env.CRASH_AT ?? '';
  const writeK = /^write:(\d+)$/.exec(crashAt)?.[1];
  const die = (why: string) => {
    say(`KILL ${why}`);
    process.kill(process.pid, 'SIGKILL');
  };
  const tx = db.transaction.bind(db);
  (db as any).transaction = async (fn: any) => {
    let writes = 0;
    let began = false;
    const r = await tx(async (t: any) => {
      const wrapped = {
        ...t,
        query: async (sql: string, params?: unknown[]) => {
          const isWrite = /^\s*(INSERT|UPDATE|DELETE|WITH[\s\S]*\b(INSERT|UPDATE|DELETE)\b)/i.test(sql);
          if (isWrite && !began) {
            began = true;
            say('TX_BEGIN');
          }
          const out = await t.query(sql, params);
          if (isWrite) {
            writes++;
            say(`WRITE ${writes}`);
            if (writeK && writes === Number(writeK)) die(`after write ${writes}`);
          }
          return out;
        },
        exec: (sql: string) => t.exec(sql),
      };
      return fn(wrapped);
    });
    if (began) {
      say('TX_COMMITTED');
      if (crashAt === 'commit') die('after commit');
    }
    return r;
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
