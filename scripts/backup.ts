/**
 * Back up everything (map data, plans and results, operations records, users, audit log) to one portable file:
 *   npx tsx scripts/backup.ts OUT.jsonl.gz          (database: DATABASE_URL, else the embedded one in DATA_DIR)
 * Prints one JSON line: schema version, rows per table, bytes, ms. Restore with scripts/restore.ts.
 */
import { statSync } from 'node:fs';
import { openDb } from '../server/db/index.ts';
import { backup } from '../server/backup/index.ts';

async function main() {
  const out = process.argv[2];
  if (!out || out === '-h' || out === '--help') {
    console.error('usage: npx tsx scripts/backup.ts OUT.jsonl.gz   (DATABASE_URL=postgres://… or DATA_DIR=… selects the database)');
    process.exit(out ? 0 : 2);
  }
  const db = await openDb({ migrate: false });
  try {
    const r = await backup(db, out);
    console.log(JSON.stringify({ ...r, driver: db.kind, bytes: statSync(out).size }));
  } finally {
    await db.close();
  }
}

main().catch((e) => {
  console.error(`backup failed: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
});
