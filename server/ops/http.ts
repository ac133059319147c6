/**
 * Shared pieces of the operations routes: JSON bodies validated with zod, path ids, optimistic concurrency
 * (If-Match / body.version), authorisation by role and community, points, photos as data URLs, dates.
 * Errors are thrown as ApiError and rendered by the sub-app's onError in the common shape
 * `{ error: { code, message, details? } }`.
 */
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { ApiError } from '../api/errors.ts';
import { actorOf, audit, canEditCommunity, type AuthUser, type Role } from '../auth/index.ts';
import type { Db, Queryable } from '../db/index.ts';

export const MAX_BODY_BYTES = 256 * 1024;
/** Photos (incident reports, inspection evidence): 2 MiB decoded, JPEG / PNG / WebP. */
export const MAX_PHOTO_BYTES = 2 * 1024 * 1024;
export const MAX_PHOTO_BODY_BYTES = Math.ceil((MAX_PHOTO_BYTES * 4) / 3) + 64 * 1024;

export const bad = (message: string, details?: unknown) => new ApiError(400, 'invalid_input', message, details);
export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`);
export const conflict = (code: string, message: string, details?: unknown) => new ApiError(409, code, message, details);

function issuesMessage(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  const list = issues.slice(0, 5).map((i) => `${i.path.map(String).join('.') || 'body'}: ${i.message}`);
  return list.join('; ') + (issues.length > 5 ? ` (and ${issues.length - 5} more)` : '');
}

export function parseWith<T extends z.ZodType>(schema: T, value: unknown, where = 'body'): z.infer<T> {
  const r = schema.safeParse(value);
  if (!r.success) {
    throw new ApiError(400, 'invalid_input', `invalid ${where}: ${issuesMessage(r.error.issues)}`, {
      issues: r.error.issues.map((i) => ({ in: where, path: i.path.map(String).join('.'), message: i.message })),
    });
  }
  return r.data;
}

/** Read a JSON body (Content-Type application/json, size-limited) and validate it. */
export async function readBody<T extends z.ZodType>(c: Context, schema: T, maxBytes = MAX_BODY_BYTES): Promise<z.infer<T>> {
  if (!/^application\/json\b/i.test(c.req.header('content-type') ?? '')) {
    throw new ApiError(415, 'unsupported_media_type', 'send JSON with Content-Type: application/json');
  }
  const declared = Number(c.req.header('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) throw new ApiError(413, 'too_large', `body over ${maxBytes} bytes`);
  const text = await c.req.text();
  if (Buffer.byteLength(text) > maxBytes) throw new ApiError(413, 'too_large', `body over ${maxBytes} bytes`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiError(400, 'bad_json', 'body is not valid JSON');
  }
  return parseWith(schema, body);
}

const idSchema = z
  .string()
  .regex(/^[1-9]\d{0,9}$/, 'expected a positive integer id')
  .transform(Number)
  .refine((n) => n <= 2_147_483_647, 'id too large');

export function pathId(c: Context, name = 'id'): number {
  return parseWith(idSchema, c.req.param(name), `path parameter '${name}'`);
}

export function query<T extends z.ZodType>(c: Context, schema: T): z.infer<T> {
  return parseWith(schema, c.req.query(), 'query');
}

// ---------------------------------------------------------------------------------------------------------------
// optimistic concurrency

/**
 * The version the client edited: `If-Match: 3` (or `"3"`, `W/"3"`) or `version` in the body. Required: a write
 * without it answers 428 so nothing is overwritten blind.
 */
export function expectedVersion(c: Context, body?: { version?: number | undefined } | null): number {
  const h = c.req.header('if-match');
  if (h !== undefined) {
    const m = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(h);
    if (!m) throw new ApiError(400, 'invalid_input', 'If-Match must be the record version, e.g. If-Match: "3"');
    return Number(m[1]);
  }
  if (body && typeof body.version === 'number') return body.version;
  throw new ApiError(428, 'version_required', 'send the version you edited (If-Match header or body.version)');
}

/** The stale-write answer: 409 with the current version so the client can reload. */
export const stale = (entity: string, current: number, sent: number) =>
  conflict('stale_version', `${entity} was changed by someone else (version ${current}, you sent ${sent}); reload and retry`, {
    currentVersion: current,
  });

export const versionField = z.number().int().min(1).max(999_999_999).optional();

export function etag(c: Context, version: number) {
  c.header('ETag', `"${version}"`);
}

/**
 * Lock a versioned row, check its version and community rights. Returns the locked row.
 * `sql` must select the row (with `version` and `community_id`) by $1 … FOR UPDATE.
 */
export async function lockForEdit<T extends { version: number; community_id: number | null }>(
  tx: Queryable,
  c: Context,
  entity: string,
  sql: string,
  params: unknown[],
  sentVersion: number,
): Promise<T> {
  const [row] = await tx.query<T>(sql, params);
  if (!row) throw notFound(entity);
  assertCommunity(c, row.community_id);
  if (row.version !== sentVersion) throw stale(entity, row.version, sentVersion);
  return row;
}

// ---------------------------------------------------------------------------------------------------------------
// versioned records: the create / update / delete steps most operations tables share, inside the caller's transaction

/** A table of versioned community records (columns `id`, `community_id`, `version`, `updated_at`). */
export interface RecordTable {
  /** What messages call a record: 'volunteer'. */
  entity: string;
  /** The table, also the audit log's entity: 'ops_volunteers'. */
  table: string;
  /** `SELECT … FROM table alias [JOIN …]`, the full row. */
  select: string;
  /** The table's alias in `select`. */
  alias: string;
  /** The record as the audit log keeps it. */
  audit: (row: any) => unknown;
}

/** The full row `id` (undefined when there is none). */
export async function readRecord(tx: Queryable, t: RecordTable, id: number): Promise<any> {
  const [row] = await tx.query(`${t.select} WHERE ${t.alias}.id = $1`, [id]);
  return row;
}

/** Lock the row `id` for a write: 404 when missing, 403 outside the caller's communities, 409 when not at `sent`. */
export function lockRecord(tx: Queryable, c: Context, t: RecordTable, id: number, sent: number): Promise<any> {
  return lockForEdit<any>(tx, c, t.entity, `${t.select} WHERE ${t.alias}.id = $1 FOR UPDATE OF ${t.alias}`, [id], sent);
}

/** After an INSERT … RETURNING id: the new full row, with its audit row. */
export async function recordCreated(tx: Queryable, c: Context, t: RecordTable, id: number): Promise<any> {
  const row = await readRecord(tx, t, id);
  await audit(tx, { ...actorOf(c), action: 'create', entity: t.table, entityId: row.id, after: t.audit(row) });
  return row;
}

/** Set the fields given on the locked row `before` (version + 1, updated_at), with the audit row. Returns the new row. */
export async function updateRecord(tx: Queryable, c: Context, t: RecordTable, before: any, fields: (SetField | null | undefined | false)[]): Promise<any> {
  const set = setClause(fields, 2);
  await tx.query(`UPDATE ${t.table} SET ${set.sql} WHERE id = $1`, [before.id, ...set.params]);
  const after = await readRecord(tx, t, before.id);
  await audit(tx, { ...actorOf(c), action: 'update', entity: t.table, entityId: before.id, before: t.audit(before), after: t.audit(after) });
  return after;
}

/** Delete the locked row `before`, with the audit row. */
export async function deleteRecord(tx: Queryable, c: Context, t: RecordTable, before: any): Promise<void> {
  await tx.query(`DELETE FROM ${t.table} WHERE id = $1`, [before.id]);
  await audit(tx, { ...actorOf(c), action: 'delete', entity: t.table, entityId: before.id, before: t.audit(before) });
}

/** `DELETE path`: a planner (or admin) of the record's community deletes record `:param` at the version sent (If-Match) → 204. */
export function deleteRoute(app: Hono, db: Db, path: string, param: string, t: RecordTable): void {
  app.delete(path, async (c) => {
    const id = pathId(c, param);
    assertRole(c, 'planner');
    const sent = expectedVersion(c, null);
    await db.transaction(async (tx) => deleteRecord(tx, c, t, await lockRecord(tx, c, t, id, sent)));
    return c.body(null, 204);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// authorisation

export function userOf(c: Context): AuthUser | null {
  return (c.get('user') as AuthUser | null | undefined) ?? null;
}

export function assertRole(c: Context, ...roles: Role[]): AuthUser {
  const u = userOf(c);
  if (!u) throw new ApiError(401, 'unauthenticated', 'sign in first');
  if (roles.length && u.role !== 'admin' && !roles.includes(u.role)) {
    throw new ApiError(403, 'forbidden', `role ${u.role} may not do this (needs ${roles.join(' or ')})`);
  }
  return u;
}

export function assertCommunity(c: Context, communityId: number | null | undefined): void {
  const u = userOf(c);
  if (!canEditCommunity(u, communityId)) {
    throw new ApiError(403, 'forbidden', `you may not edit records of community ${communityId ?? '(none)'}`);
  }
}

/** May the caller see personal data (phones, reporters' names) of this community? Admins and its planners. */
export function seesPrivate(c: Context, communityId: number | null | undefined): boolean {
  const u = userOf(c);
  if (!u) return false;
  if (u.role === 'admin') return true;
  return u.role === 'planner' && canEditCommunity(u, communityId);
}

export async function assertCommunityExists(db: Queryable, id: number): Promise<{ id: number; name: string }> {
  const [row] = await db.query<{ id: number; name: string }>('SELECT id, name FROM communities WHERE id = $1', [id]);
  if (!row) throw notFound(`community ${id}`);
  return row;
}

/**
 * The start of a planner's write to community `:id`, checked in this order: the path id, the role (planner or
 * admin), the caller's rights in the community, the body, that the community exists.
 */
export async function communityWrite<T extends z.ZodType>(c: Context, db: Queryable, schema: T): Promise<{ cid: number; user: AuthUser; b: z.infer<T> }> {
  const cid = pathId(c);
  const user = assertRole(c, 'planner');
  assertCommunity(c, cid);
  const b = await readBody(c, schema);
  await assertCommunityExists(db, cid);
  return { cid, user, b };
}

// ---------------------------------------------------------------------------------------------------------------
// values

export const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD')
  .refine((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
  }, 'not a calendar date');

export const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max);
export const optText = (max: number) => z.string().trim().max(max).nullable().optional();
export const phoneSchema = z
  .string()
  .trim()
  .regex(/^[+\d][\d\s-]{4,24}$/, 'expected a phone number (digits, spaces, dashes, leading +)');

/** A point as `{lon, lat}` or a GeoJSON Point. */
export const pointSchema = z
  .union([
    z.object({ lon: z.number().finite(), lat: z.number().finite() }).strict(),
    z.object({ type: z.literal('Point'), coordinates: z.tuple([z.number().finite(), z.number().finite()]) }),
  ])
  .transform((p) => ('lon' in p ? { lon: p.lon, lat: p.lat } : { lon: p.coordinates[0], lat: p.coordinates[1] }))
  .refine((p) => p.lon >= -180 && p.lon <= 180 && p.lat >= -90 && p.lat <= 90, 'lon must be in [-180, 180], lat in [-90, 90]');

export const photoSchema = z
  .string()
  .max(MAX_PHOTO_BODY_BYTES, `photo over ${MAX_PHOTO_BYTES} bytes`)
  .transform((s, ctx) => {
    const m = /^data:(image\/(?:jpeg|png|webp));base64,([A-Za-z0-9+/]+={0,2})$/.exec(s);
    if (!m) {
      ctx.addIssue({ code: 'custom', message: 'expected a data URL: data:image/jpeg|png|webp;base64,…' });
      return z.NEVER;
    }
    const bytes = Buffer.from(m[2], 'base64');
    if (bytes.length === 0 || bytes.length > MAX_PHOTO_BYTES) {
      ctx.addIssue({ code: 'custom', message: `photo must be 1 … ${MAX_PHOTO_BYTES} bytes` });
      return z.NEVER;
    }
    if (!magicMatches(m[1], bytes)) {
      ctx.addIssue({ code: 'custom', message: `photo content is not ${m[1]}` });
      return z.NEVER;
    }
    return { type: m[1] as 'image/jpeg' | 'image/png' | 'image/webp', base64: bytes.toString('base64'), bytes: bytes.length };
  });

function magicMatches(type: string, b: Buffer): boolean {
  if (type === 'image/jpeg') return b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
  if (type === 'image/png') return b.length > 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  return b.length > 12 && b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP';
}

/** `{lon, lat}` from SQL columns lon/lat (null when the geometry is null). */
export const pointOf = (r: { lon: number | null; lat: number | null }) =>
  r.lon === null || r.lon === undefined || r.lat === null || r.lat === undefined ? null : { lon: r.lon, lat: r.lat };

export const iso = (d: Date | string | null | undefined) => (d === null || d === undefined ? null : new Date(d).toISOString());

/** Postgres array literal for `$n::text::text[]`. */
export function textArrayLiteral(values: string[]): string {
  return `{${values.map((v) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

export const intArray = (ids: number[]) => `{${ids.map((n) => String(Math.trunc(n))).join(',')}}`;

// ---------------------------------------------------------------------------------------------------------------
// partial updates

export interface SetField {
  column: string;
  values: unknown[];
  /** SQL for the value given the placeholders, e.g. (p) => `ST_SetSRID(ST_MakePoint(${p[0]}, ${p[1]}), 4326)`. */
  expr?: (placeholders: string[]) => string;
}

/**
 * `col = $n, …` for the fields present (column names come from code, values are always parameters), plus
 * `version = version + 1, updated_at = now()`. `first` is the number of the first placeholder.
 */
export function setClause(fields: (SetField | null | undefined | false)[], first: number, touch = true): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  for (const f of fields) {
    if (!f) continue;
    const ph = f.values.map((v) => {
      params.push(v);
      return `$${first + params.length - 1}`;
    });
    parts.push(`${f.column} = ${f.expr ? f.expr(ph) : ph[0]}`);
  }
  if (touch) parts.push('version = version + 1', 'updated_at = now()');
  return { sql: parts.join(', '), params };
}

/** A SetField when `key` is present in the body. */
export function field<B extends object>(body: B, key: keyof B, column: string, map: (v: any) => unknown[] = (v) => [v ?? null], expr?: SetField['expr']): SetField | null {
  return body[key] === undefined ? null : { column, values: map(body[key]), expr };
}

export const pointExpr = (p: string[]) => `CASE WHEN ${p[0]}::float8 IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint(${p[0]}::float8, ${p[1]}::float8), 4326) END`;
export const pointValues = (v: { lon: number; lat: number } | null) => [v?.lon ?? null, v?.lat ?? null];
