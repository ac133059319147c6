/**
 * The application's tables, found from the catalog (so a new migration's tables are covered without edits):
 * every ordinary table in the schema the database resolves unqualified names to (`current_schema()`), except
 * PostGIS's own `spatial_ref_sys`, in foreign-key order (referenced tables first).
 */
import type { Queryable } from '../db/index.ts';

/** PostGIS/extension tables that are not ours (they live in the same schema on the embedded database). */
const NOT_OURS = new Set(['spatial_ref_sys', 'geometry_columns', 'geography_columns', 'topology', 'layer']);

export interface TableInfo {
  name: string;
  /** columns in ordinal order, with their SQL type and whether they are PostGIS geometry/geography */
  columns: { name: string; type: string; spatial: boolean; generated: boolean }[];
  /** sequences owned by the table's columns (serial/bigserial/identity), as [column, sequence] */
  sequences: { column: string; sequence: string }[];
  /** primary-key columns (empty when the table has none) */
  pk: string[];
}

export const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;

export async function listTables(db: Queryable): Promise<TableInfo[]> {
  const rels = await db.query<{ oid: number; name: string }>(
    `SELECT c.oid::int AS oid, c.relname AS name FROM pg_class c
      WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' ORDER BY c.relname`,
  );
  const tables = rels.filter((r) => !NOT_OURS.has(r.name));
  const deps = await db.query<{ child: string; parent: string }>(
    `SELECT c.relname AS child, p.relname AS parent FROM pg_constraint k
       JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid
      WHERE k.contype = 'f' AND c.relnamespace = current_schema()::regnamespace AND k.conrelid <> k.confrelid`,
  );
  const cols = await db.query<{ table: string; name: string; type: string; spatial: boolean; generated: boolean }>(
    `SELECT c.relname AS table, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
            t.typname IN ('geometry', 'geography') AS spatial, a.attgenerated <> '' AS generated
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_type t ON t.oid = a.atttypid
      WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY c.relname, a.attnum`,
  );
  const seqs = await db.query<{ table: string; column: string; sequence: string }>(
    `SELECT t.relname AS table, a.attname AS column, s.relname AS sequence
       FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
       JOIN pg_class t ON t.oid = d.refobjid JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
      WHERE d.deptype IN ('a', 'i') AND t.relnamespace = current_schema()::regnamespace`,
  );
  const pks = await db.query<{ table: string; column: string }>(
    `SELECT c.relname AS table, a.attname AS column FROM pg_index i
       JOIN pg_class c ON c.oid = i.indrelid
       JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
      WHERE i.indisprimary AND c.relnamespace = current_schema()::regnamespace ORDER BY c.relname, k.ord`,
  );
  // topological order: parents before children (ties by name, so the order is stable)
  const names = tables.map((t) => t.name);
  const parents = new Map(names.map((n) => [n, new Set<string>()]));
  for (const d of deps) if (parents.has(d.child) && parents.has(d.parent)) parents.get(d.child)!.add(d.parent);
  const order: string[] = [];
  const done = new Set<string>();
  const visit = (n: string, path: Set<string>) => {
    if (done.has(n)) return;
    if (path.has(n)) throw new Error(`foreign-key cycle through ${n}`);
    path.add(n);
    for (const p of [...parents.get(n)!].sort()) visit(p, path);
    path.delete(n);
    done.add(n);
    order.push(n);
  };
  for (const n of names) visit(n, new Set());
  return order.map((name) => ({
    name,
    columns: cols.filter((c) => c.table === name).map(({ name, type, spatial, generated }) => ({ name, type, spatial, generated })),
    sequences: seqs.filter((s) => s.table === name).map(({ column, sequence }) => ({ column, sequence })),
    pk: pks.filter((p) => p.table === name).map((p) => p.column),
  }));
}

/**
 * Row count and an order-independent checksum of every table (md5 over the sorted md5s of the rows' text).
 * `except` leaves tables out (e.g. sessions, whose last_seen moves on reads).
 */
export async function tableChecksums(db: Queryable, except: string[] = []): Promise<Record<string, { rows: number; md5: string }>> {
  const out: Record<string, { rows: number; md5: string }> = {};
  for (const t of await listTables(db)) {
    if (except.includes(t.name)) continue;
    const [r] = await db.query<{ rows: number; md5: string }>(
      `SELECT count(*)::int AS rows, md5(COALESCE(string_agg(h, '' ORDER BY h), '')) AS md5
         FROM (SELECT md5(x::text) AS h FROM ${quoteIdent(t.name)} x) s`,
    );
    out[t.name] = r;
  }
  return out;
}
