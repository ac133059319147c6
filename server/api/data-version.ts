/**
 * The map-data version: a counter in `data_version` that every write to map data must bump (importer, site and
 * zone edits, plans). Tile URLs (`?v=`) and ETags carry it so HTTP caches never serve stale map data.
 */
import type { Queryable } from '../db/index.ts';

export interface DataVersion {
  version: number;
  updatedAt: string;
}

export async function getDataVersion(db: Queryable): Promise<DataVersion> {
  const rows = await db.query<{ version: number; updated_at: Date | string }>(
    'SELECT version, updated_at FROM data_version WHERE id = 1',
  );
  if (!rows.length) return { version: 0, updatedAt: new Date(0).toISOString() };
  const u = rows[0].updated_at;
  return { version: Number(rows[0].version), updatedAt: (u instanceof Date ? u : new Date(u)).toISOString() };
}

/** Bump the version; call it inside the same transaction as the write. Returns the new version. */
export async function bumpDataVersion(tx: Queryable): Promise<number> {
  const rows = await tx.query<{ version: number }>(
    `INSERT INTO data_version (id, version, updated_at) VALUES (1, 2, now())
     ON CONFLICT (id) DO UPDATE SET version = data_version.version + 1, updated_at = now()
     RETURNING version`,
  );
  return Number(rows[0].version);
}
