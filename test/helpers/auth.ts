/** Route-test helpers shared by the suites that mount the auth routes: a signed-in user (bearer token) and calls. */
import type { Hono } from 'hono';
import type { Db } from '../../server/db/index.ts';
import { createUser, type Role } from '../../server/auth/users.ts';

/** Cheap scrypt parameters for test users. */
export const FAST = { N: 1024, r: 8, p: 1 };
export const PASSWORD = 'secret-口令-123';

let seq = 0;
/** A username (or other name) unique in this process. */
export const uniq = (p: string) => `${p}${process.pid}x${++seq}`;

/**
 * Create a user and sign in with a bearer token (POST /api/auth/login {username, password, token: true}), each
 * login from its own address so no per-address login limit is reached.
 */
export async function userToken(app: Hono, db: Db, role: Role, communityIds: number[] = []): Promise<string> {
  const name = uniq(role);
  await db.transaction((tx) =>
    createUser(tx, { username: name, password: PASSWORD, role, communityIds }, { actor: { id: null, username: 'test' }, params: FAST }),
  );
  const res = await app.request('http://localhost/api/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.9.${seq % 250}.${(seq * 7) % 250}` },
    body: JSON.stringify({ username: name, password: PASSWORD, token: true }),
  });
  if (res.status !== 200) throw new Error(`login ${name}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

export interface Call {
  token?: string | null;
  body?: unknown;
  /** A number is sent quoted (`"3"`), a string as it is. */
  ifMatch?: string | number;
  headers?: Record<string, string>;
}

/** One request to the app; the answer with its text and, when it parses, its JSON. */
export async function call(app: Hono, method: string, path: string, o: Call = {}) {
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  if (o.ifMatch !== undefined) headers['if-match'] = typeof o.ifMatch === 'number' ? `"${o.ifMatch}"` : o.ifMatch;
  if (o.body !== undefined) headers['content-type'] ??= 'application/json';
  const res = await app.request(`http://localhost${path}`, {
    method,
    headers,
    body: o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body),
  });
  const text = await res.text();
  let json: any = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: res.status, json, text, headers: res.headers };
}
