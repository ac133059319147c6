/**
 * Backup and restore of everything in the database (issue 6): map data, plans and their results, operations
 * records (ops_*), users, sessions, the audit log — every table of the schema (server/backup/tables.ts) — as one
 * portable file that either driver can restore (PGlite ⇄ PostgreSQL server).
 *
 * File: gzip of JSON lines.
 *   {"format":"cep-backup","formatVersion":1,"schemaVersion":5,"migrations":[…],"driver":…,"createdAt":…}
 *   {"table":"buildings","columns":[{"name","type","spatial"}…],"sequences":[{"column","sequence","lastValue","isCalled"}]}
 *   ["1","…",null,…]            one array per row: PostgreSQL's text form of each value (exact for numbers, times
 *                               with their offset, jsonb, arrays), geometry/geography as EWKB hex (SRID kept)
 *   {"end":"buildings","rows":123}
 *   …
 *   {"done":true,"tables":{"buildings":123,…}}
 * Rows are written in primary-key order from one REPEATABLE READ snapshot, so the file is consistent.
 *
 * Restore: only into an EMPTY database at the same schema version (migrated, no rows but the migrations' own seed
 * rows), in ONE transaction: a truncated or damaged file, or any failing row, leaves the target as it was.
 * Sequences are set to the backed-up value (or the largest id, if higher), so ids are never handed out twice.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { createGunzip, createGzip } from 'node:zlib';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { PassThrough } from 'node:stream';
import type { Db, Queryable } from '../db/index.ts';
import { listTables, quoteIdent, type TableInfo } from './tables.ts';

export const BACKUP_FORMAT = 'cep-backup';
export const BACKUP_FORMAT_VERSION = 1;
/** Tables the migrations fill with one seed row; a freshly migrated database still counts as empty with them. */
const SEEDED = new Set(['data_version', 'ops_config']);
/** Kept from the target (its own migrations), checked against the file's schema version instead. */
const SKIP = new Set(['schema_migrations']);
const PAGE = 2000;

export interface BackupResult {
  file: string;
  schemaVersion: number;
  tables: Record<string, number>;
  bytes?: number;
  ms: number;
}

async function migrations(db: Queryable): Promise<number[]> {
  const [{ t }] = await db.query<{ t: string | null }>(`SELECT to_regclass('schema_migrations')::text AS t`);
  if (!t) throw new RestoreRefused('this database has no schema_migrations table: it was never set up (run the app or a migration first)');
  return (await db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).map((r) => r.version);
}

const selectExpr = (c: TableInfo['columns'][number]) =>
  c.spatial ? `encode(ST_AsEWKB(${quoteIdent(c.name)}), 'hex')` : `${quoteIdent(c.name)}::text`;

/** Write a backup of `db` to `file` (gzipped JSON lines). */
export async function backup(db: Db, file: string): Promise<BackupResult> {
  const t0 = performance.now();
  const gzip = createGzip({ level: 6 });
  const out = createWriteStream(file);
  const done = pipeline(gzip, out);
  const write = async (obj: unknown) => {
    if (!gzip.write(JSON.stringify(obj) + '\n')) await once(gzip, 'drain');
  };
  const counts: Record<string, number> = {};
  let schemaVersion = 0;
  await db.transaction(async (tx) => {
    // one snapshot for the whole file (first statement of the transaction)
    await tx.exec('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const migs = await migrations(tx);
    schemaVersion = migs.length ? migs[migs.length - 1] : 0;
    await write({ format: BACKUP_FORMAT, formatVersion: BACKUP_FORMAT_VERSION, schemaVersion, migrations: migs, driver: db.kind, createdAt: new Date().toISOString() });
    for (const t of await listTables(tx)) {
      const cols = t.columns.filter((c) => !c.generated);
      const sequences = [];
      for (const s of t.sequences) {
        const [v] = await tx.query<{ last_value: number; is_called: boolean }>(`SELECT last_value::float8 AS last_value, is_called FROM ${quoteIdent(s.sequence)}`);
        sequences.push({ column: s.column, sequence: s.sequence, lastValue: Number(v.last_value), isCalled: v.is_called });
      }
      await write({ table: t.name, columns: cols.map((c) => ({ name: c.name, type: c.type, spatial: c.spatial })), sequences });
      const order = (t.pk.length ? t.pk : cols.map((c) => c.name)).map(quoteIdent).join(', ');
      let n = 0;
      for (let offset = 0; ; offset += PAGE) {
        const rows = await tx.query(
          // as JSON text: both drivers hand it over alike (postgres.js turns NULL elements of text[] into 'NULL')
          `SELECT array_to_json(ARRAY[${cols.map(selectExpr).join(', ')}]::text[])::text AS r FROM ${quoteIdent(t.name)} ORDER BY ${order} LIMIT ${PAGE} OFFSET ${offset}`,
        );
        for (const row of rows) await write(JSON.parse(row.r));
        n += rows.length;
        if (rows.length < PAGE) break;
      }
      counts[t.name] = n;
      await write({ end: t.name, rows: n });
    }
  });
  await write({ done: true, tables: counts });
  gzip.end();
  await done;
  return { file, schemaVersion, tables: counts, ms: Math.round(performance.now() - t0) };
}

export class RestoreRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RestoreRefused';
  }
}

/** Tables of `db` that hold data (beyond the migrations' seed rows): restore refuses to write over them. */
export async function nonEmptyTables(db: Queryable): Promise<string[]> {
  const out: string[] = [];
  for (const t of await listTables(db)) {
    if (SKIP.has(t.name)) continue;
    const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${quoteIdent(t.name)}`);
    if (n > (SEEDED.has(t.name) ? 1 : 0)) out.push(`${t.name} (${n} rows)`);
  }
  return out;
}

async function* lines(file: string): AsyncGenerator<any> {
  const input = createReadStream(file).pipe(createGunzip());
  const pass = new PassThrough();
  input.on('error', (e) => pass.destroy(e));
  input.pipe(pass);
  const rl = createInterface({ input: pass, crlfDelay: Infinity });
  for await (const line of rl) {
    if (line.trim() === '') continue;
    yield JSON.parse(line);
  }
}

/** Restore `file` into the empty database `db` in one transaction. Throws RestoreRefused (nothing written) when it may not. */
export async function restore(db: Db, file: string): Promise<BackupResult> {
  const t0 = performance.now();
  const it = lines(file);
  const first = (await it.next()).value;
  if (!first || first.format !== BACKUP_FORMAT) throw new RestoreRefused(`${file} is not a ${BACKUP_FORMAT} file`);
  if (first.formatVersion !== BACKUP_FORMAT_VERSION) throw new RestoreRefused(`backup format ${first.formatVersion} is not supported (expected ${BACKUP_FORMAT_VERSION})`);
  const mine = await migrations(db);
  if (JSON.stringify(mine) !== JSON.stringify(first.migrations)) {
    throw new RestoreRefused(`schema versions differ: backup has migrations [${first.migrations}], this database [${mine}] — restore with the same release`);
  }
  const counts: Record<string, number> = {};
  await db.transaction(async (tx) => {
    const busy = await nonEmptyTables(tx);
    if (busy.length) throw new RestoreRefused(`the target database is not empty: ${busy.join(', ')}`);
    const tables = new Map((await listTables(tx)).map((t) => [t.name, t]));
    let finished = false;
    let skipping = false;
    let cur: { info: TableInfo; cols: { name: string; type: string; spatial: boolean }[]; sequences: any[]; rows: (string | null)[][]; n: number } | null = null;
    const flush = async () => {
      if (!cur || cur.rows.length === 0) return;
      const { info, cols, rows } = cur;
      // one JSON parameter per batch (arrays of text with NULLs are not passed alike by both drivers)
      const casts = cols.map((c, i) => {
        const v = `(r ->> ${i})`;
        if (!c.spatial) return `${v}::${c.type}`;
        const base = c.type.startsWith('geography') ? 'geography' : 'geometry';
        return `ST_GeomFromEWKB(decode(${v}, 'hex'))::${base}::${c.type}`;
      });
      await tx.query(
        `INSERT INTO ${quoteIdent(info.name)} (${cols.map((c) => quoteIdent(c.name)).join(', ')})
         SELECT ${casts.join(', ')} FROM json_array_elements($1::text::json) AS r`,
        [JSON.stringify(rows)],
      );
      cur.rows = [];
    };
    for await (const line of it) {
      if (Array.isArray(line)) {
        if (skipping) continue;
        if (!cur) throw new RestoreRefused('damaged backup: a row outside any table');
        if (line.length !== cur.cols.length) throw new RestoreRefused(`damaged backup: a row of ${cur.info.name} has ${line.length} values, expected ${cur.cols.length}`);
        cur.rows.push(line);
        cur.n++;
        if (cur.rows.length >= PAGE) await flush();
      } else if (line.table) {
        const info = tables.get(line.table);
        if (!info) throw new RestoreRefused(`the backup has table ${line.table}, which this database does not`);
        for (const c of line.columns) {
          const mineCol = info.columns.find((x) => x.name === c.name);
          if (!mineCol) throw new RestoreRefused(`column ${line.table}.${c.name} of the backup does not exist here`);
          if (mineCol.type !== c.type) throw new RestoreRefused(`column ${line.table}.${c.name} is ${c.type} in the backup and ${mineCol.type} here`);
        }
        // schema_migrations: the target keeps its own (checked equal above); read past the rows
        skipping = SKIP.has(line.table);
        cur = skipping ? null : { info, cols: line.columns, sequences: line.sequences ?? [], rows: [], n: 0 };
        if (cur && SEEDED.has(line.table)) await tx.query(`DELETE FROM ${quoteIdent(line.table)}`);
      } else if (line.end) {
        if (cur) {
          await flush();
          if (cur.n !== line.rows) throw new RestoreRefused(`damaged backup: ${line.end} has ${cur.n} rows, the file says ${line.rows}`);
          for (const s of cur.sequences) {
            const col = quoteIdent(s.column);
            await tx.query(
              `SELECT setval($1::regclass, GREATEST($2::bigint, COALESCE((SELECT max(${col}) FROM ${quoteIdent(cur.info.name)}), 0), 1), $3::boolean OR (SELECT max(${col}) FROM ${quoteIdent(cur.info.name)}) IS NOT NULL)`,
              [quoteIdent(s.sequence), s.lastValue, s.isCalled],
            );
          }
          counts[line.end] = cur.n;
        }
        cur = null;
        skipping = false;
      } else if (line.done) {
        finished = true;
      }
    }
    if (!finished) throw new RestoreRefused('the backup file is incomplete (no end marker): nothing was restored');
  });
  return { file, schemaVersion: first.schemaVersion, tables: counts, ms: Math.round(performance.now() - t0) };
}
