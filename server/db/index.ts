/**
 * One database interface, two drivers running the same SQL:
 *  - embedded PGlite + PostGIS (default), persisted under DATA_DIR (./.data);
 *  - a PostgreSQL/PostGIS server through postgres.js when DATABASE_URL is set.
 * Parameters are always positional ($1, $2 …); JSON goes in as text and is cast with `$n::text::jsonb`.
 * int8 and numeric are returned as JS numbers on both drivers so callers never see driver differences.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { runMigrations } from './migrate.ts';

export type Row = Record<string, any>;

export interface Queryable {
  /** Run one parameterised statement and return its rows. */
  query<T extends Row = Row>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Run one or more statements without parameters (DDL, migrations). */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Everything inside `fn` commits together or not at all. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** postgres:// URL of a server; when absent, the embedded database is used. */
  url?: string;
  /** Directory of the embedded database; `memory://` keeps it in memory. */
  dataDir?: string;
  /** Gzipped data-dir tarball (from `dumpDataDir`) to start the embedded database from. */
  loadDataDir?: Blob | File;
  /** Server only: use this schema (created if missing) ahead of `public`, for isolated tests. */
  schema?: string;
  /** Run migrations after connecting (default true). */
  migrate?: boolean;
}

export async function openDb(opts: OpenOptions = {}): Promise<Db> {
  const url = opts.url ?? (opts.dataDir || opts.loadDataDir ? undefined : process.env.DATABASE_URL);
  const db = url ? await openServer(url, opts.schema) : await openEmbedded(opts);
  if (opts.migrate !== false) await runMigrations(db);
  return db;
}

const parseNumber = (v: string) => (v === null ? null : Number(v));

async function openServer(url: string, schema?: string): Promise<Db> {
  const { default: postgres } = await import('postgres');
  if (schema && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name: ${schema}`);
  const sql = postgres(url, {
    max: Number(process.env.DB_POOL_SIZE ?? 10),
    onnotice: () => {},
    // int8 (20), numeric (1700) → number, like the embedded driver's configuration below.
    types: {
      int8: { to: 20, from: [20], serialize: (v: unknown) => String(v), parse: parseNumber },
      numeric: { to: 1700, from: [1700], serialize: (v: unknown) => String(v), parse: parseNumber },
    } as any,
    connection: schema ? { search_path: `${schema},public` } : {},
  });
  if (schema) await sql.unsafe(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  await sql.unsafe('CREATE EXTENSION IF NOT EXISTS postgis SCHEMA public');
  const wrap = (s: any): Queryable => ({
    query: async (text, params = []) => [...(await s.unsafe(text, params as any[]))] as any[],
    exec: async (text) => {
      await s.unsafe(text);
    },
  });
  const base = wrap(sql);
  return {
    kind: 'postgres',
    ...base,
    transaction: (fn) => sql.begin((tx: any) => fn(wrap(tx))) as any,
    close: () => sql.end({ timeout: 5 }),
  };
}

async function openEmbedded(opts: OpenOptions): Promise<Db> {
  const { PGlite, types } = await import('@electric-sql/pglite');
  const { postgis } = await import('@electric-sql/pglite-postgis');
  let dataDir = opts.dataDir ?? (opts.loadDataDir ? undefined : process.env.DATA_DIR ?? './.data');
  if (dataDir && !dataDir.includes('://')) {
    dataDir = path.resolve(dataDir);
    mkdirSync(dataDir, { recursive: true });
  }
  const pg = await PGlite.create({
    dataDir,
    loadDataDir: opts.loadDataDir,
    extensions: { postgis },
    parsers: { [types.INT8]: parseNumber, [types.NUMERIC]: parseNumber },
  });
  await pg.exec('CREATE EXTENSION IF NOT EXISTS postgis');
  const wrap = (s: any): Queryable => ({
    query: async (text, params = []) => (await s.query(text, params)).rows,
    exec: async (text) => {
      await s.exec(text);
    },
  });
  return {
    kind: 'pglite',
    ...wrap(pg),
    transaction: (fn) => pg.transaction((tx) => fn(wrap(tx))),
    close: () => pg.close(),
    // exposed for test templates (dumpDataDir)
    ...({ pglite: pg } as {}),
  };
}
