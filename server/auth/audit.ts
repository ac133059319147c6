/**
 * The audit log: who changed what, when, with the record before and after.
 * `audit(tx, …)` must be given the transaction of the change itself, so a rolled-back write leaves no audit row
 * and a committed write always has one.
 */
import type { Queryable } from '../db/index.ts';

/** The actor of a change: a signed-in user, or a named system actor (`{ id: null, username: 'cli' }`). */
export type AuditActor = { id: number | null; username: string } | null;

export interface AuditEntry {
  user: AuditActor;
  /** What happened: 'create', 'update', 'delete', 'login', 'logout', 'import', … */
  action: string;
  /** Which kind of record: a table or resource name ('sites', 'zones', 'users', 'session', …). */
  entity: string;
  entityId?: string | number | null;
  /** The record before the change (null/undefined for a creation). Never include secrets such as password hashes. */
  before?: unknown;
  /** The record after the change (null/undefined for a deletion). */
  after?: unknown;
  ip?: string | null;
}

const json = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));

/** Write one audit row inside the caller's transaction. Returns the row id. */
export async function audit(tx: Queryable, e: AuditEntry): Promise<number> {
  if (!e.action || !e.entity) throw new Error('audit: action and entity are required');
  const [row] = await tx.query<{ id: number }>(
    `INSERT INTO audit_log (user_id, username, action, entity, entity_id, before, after, ip)
     VALUES ($1, $2, $3, $4, $5, $6::text::jsonb, $7::text::jsonb, $8) RETURNING id`,
    [
      e.user?.id ?? null,
      e.user?.username ?? null,
      e.action,
      e.entity,
      e.entityId === undefined || e.entityId === null ? null : String(e.entityId),
      json(e.before),
      json(e.after),
      e.ip ?? null,
    ],
  );
  return row.id;
}
