/**
 * Request plumbing of the editing routes: JSON bodies (size-limited, validated with zod, every failure a 4xx that
 * names the field), path ids, optimistic concurrency (If-Match / body.version) and authorisation by role.
 * Errors are thrown as ApiError and rendered by the sub-app's onError as `{ error: { code, message, details? } }`.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { ApiError, errorJson } from '../api/errors.ts';
import type { AuthUser } from '../auth/index.ts';

export const bad = (message: string, details?: unknown) => new ApiError(400, 'invalid_input', message, details);
export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`);
export const forbidden = (message: string) => new ApiError(403, 'forbidden', message);

type Issue = { path: readonly PropertyKey[]; message: string };

export function pathOf(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${String(p)}` : String(p);
  return s || 'body';
}

function issuesMessage(issues: readonly Issue[]): string {
  const list = issues.slice(0, 5).map((i) => `${pathOf(i.path)}: ${i.message}`);
  return list.join('; ') + (issues.length > 5 ? ` (and ${issues.length - 5} more)` : '');
}

export function parseWith<T extends z.ZodType>(schema: T, value: unknown, where = 'body'): z.infer<T> {
  const r = schema.safeParse(value);
  if (!r.success) {
    throw new ApiError(400, 'invalid_input', `invalid ${where}: ${issuesMessage(r.error.issues)}`, {
      issues: r.error.issues.slice(0, 20).map((i) => ({ in: where, path: pathOf(i.path), message: i.message })),
    });
  }
  return r.data;
}

/** 413 before the body is read when it is larger than `maxBytes` (declared or streamed). */
export function limitBody(maxBytes: number): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: (c) => errorJson(c, 413, { code: 'too_large', message: `request body over ${maxBytes} bytes` }),
  });
}

/** Read a JSON body (Content-Type application/json) and validate it with `schema`. */
export async function readBody<T extends z.ZodType>(c: Context, schema: T): Promise<z.infer<T>> {
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(c.req.header('content-type') ?? '')) {
    throw new ApiError(415, 'unsupported_media_type', 'send JSON with Content-Type: application/json');
  }
  const text = await c.req.text();
  if (!text.trim()) throw new ApiError(400, 'bad_json', 'the request body is empty; send a JSON object');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw new ApiError(400, 'bad_json', `the request body is not valid JSON (${(e as Error).message.slice(0, 120)})`);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw bad('the request body must be a JSON object');
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

/** Query parameters validated with `schema`. */
export function query<T extends z.ZodType>(c: Context, schema: T): z.infer<T> {
  return parseWith(schema, c.req.query(), 'query');
}

// ---------------------------------------------------------------------------------------------------------------
// optimistic concurrency

export const versionField = z.number().int().min(1).max(2_147_483_647).optional();

/**
 * The version the client edited: `If-Match: "3"` (also `3`, `W/"3"`) or `version` in the body. Required: a write
 * without it answers 428 so nothing is overwritten blind. When both are sent they must agree.
 */
export function expectedVersion(c: Context, body?: { version?: number | undefined } | null): number {
  const h = c.req.header('if-match');
  const fromBody = body && typeof body.version === 'number' ? body.version : undefined;
  if (h !== undefined) {
    const m = /^\s*(?:W\/)?"?(\d{1,10})"?\s*$/.exec(h);
    if (!m || Number(m[1]) < 1 || Number(m[1]) > 2_147_483_647) {
      throw new ApiError(400, 'invalid_input', 'If-Match must be the record version you edited, e.g. If-Match: "3"');
    }
    const v = Number(m[1]);
    if (fromBody !== undefined && fromBody !== v) throw bad(`If-Match ("${v}") and body.version (${fromBody}) disagree`);
    return v;
  }
  if (fromBody !== undefined) return fromBody;
  throw new ApiError(428, 'version_required', 'send the version you edited: If-Match: "<version>" header (or body.version)');
}

/** The stale-write answer: 409 with the current record, so the client can show it and merge. */
export function stale(entity: string, current: { version: number } & Record<string, unknown>, sent: number): ApiError {
  return new ApiError(
    409,
    'stale_version',
    `${entity} was changed by someone else (now version ${current.version}, you sent ${sent}); reload and retry`,
    { currentVersion: current.version, current },
  );
}

export function setEtag(c: Context, version: number) {
  c.header('ETag', `"${version}"`);
}

// ---------------------------------------------------------------------------------------------------------------
// authorisation (roles: planner or admin for every write)

export function userOf(c: Context): AuthUser | null {
  return (c.get('user') as AuthUser | null | undefined) ?? null;
}

/** The signed-in planner or admin; anonymous → 401, other roles → 403. */
export function assertPlanner(c: Context): AuthUser {
  const u = userOf(c);
  if (!u) throw new ApiError(401, 'unauthenticated', 'sign in first');
  if (u.role !== 'admin' && u.role !== 'planner') {
    throw forbidden(`role ${u.role} may not edit map data (needs planner or admin)`);
  }
  return u;
}

// ---------------------------------------------------------------------------------------------------------------
// values

export const nameField = (max = 200) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
export const optText = (max: number) => z.string().trim().max(max, `must be at most ${max} characters`).nullable();

export const iso = (d: Date | string | null) => (d === null ? null : (d instanceof Date ? d : new Date(d)).toISOString());
