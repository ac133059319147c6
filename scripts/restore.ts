/**
 * Restore a backup made by scripts/backup.ts into an EMPTY database, in one transaction:
 *   npx tsx scripts/restore.ts IN.jsonl.gz          (database: DATABASE_URL, else the embedded one in DATA_DIR)
 * The database is created and migrated first if needed; a database with data in it is refused (exit 3) and
 * left untouched. Prints one JSON line: rows per table and ms.
 */
import { existsSync } from 'node:fs';
import { openDb } from '../server/db/index.ts';
import { restore, RestoreRefused } from '../server/backup/index.ts';

async function main() {
  const file = process.argv[2];
  if (!file || file === '-h' || file === '--help') {
    console.error('usage: npx tsx scripts/restore.ts IN.jsonl.gz   (DATABASE_URL=postgres://… or DATA_DIR=… selects the database)');
    process.exit(file ? 0 : 2);
  }
  if (!existsSync(file)) {
    console.error(`restore: no file ${file}`);
    process.exit(2);
  }
  const db = await openDb();
  try {
    const r = await restore(db, file);
    console.log(JSON.stringify({ ...r, driver: db.kind }));
  } catch (e) {
    if (e instanceof RestoreRefused) {
      console.error(`restore refused: ${e.message}`);
      process.exitCode = 3;
    } else throw e;
  } finally {
    await db.close();
  }
}

main().catch((e) => {
  console.error(`restore failed: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
});
