/**
 * Run a block of database tests on every available driver: the embedded PGlite + PostGIS always, and the
 * PostgreSQL/PostGIS server too when DATABASE_URL is set (each test file gets its own schema there).
 * Embedded databases start from a migrated template made once in test/globalSetup.ts (~4 s instead of ~15 s).
 */
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, inject } from 'vitest';
import { openDb, type Db } from '../../server/db/index.ts';

export type DbKind = 'pglite' | 'postgres';

export function dbKinds(): DbKind[] {
  return process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
}

/** A fresh, migrated, empty database of the given kind. `drop()` removes it (server schema) and closes it. */
export async function openTestDb(kind: DbKind): Promise<{ db: Db; drop: () => Promise<void> }> {
  if (kind === 'postgres') {
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const db = await openDb({ url: process.env.DATABASE_URL!, schema });
    return {
      db,
      drop: async () => {
        await db.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await db.close();
      },
    };
  }
  const template = inject('pgliteTemplate' as never) as string | undefined;
  const db = template
    ? await openDb({ loadDataDir: new Blob([readFileSync(template)]) })
    : await openDb({ dataDir: 'memory://' });
  return { db, drop: () => db.close() };
}

/** describe() once per driver; `getDb()` returns that driver's database inside tests. */
export function forEachDb(title: string, body: (getDb: () => Db, kind: DbKind) => void): void {
  for (const kind of dbKinds()) {
    describe(`${title} [${kind}]`, () => {
      let handle: Awaited<ReturnType<typeof openTestDb>> | undefined;
      beforeAll(async () => {
        handle = await openTestDb(kind);
      }, 120_000);
      afterAll(async () => {
        await handle?.drop();
      }, 60_000);
      body(() => {
        if (!handle) throw new Error('database not open');
        return handle.db;
      }, kind);
    });
  }
}
