/** Helpers for the safety tests: the whole product app, users of every role, calls, and the app's write routes. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Hono } from 'hono';
import type { Db } from '../../server/db/index.ts';
import { buildServerApp } from '../../server/main.ts';
import { createUser, ROLES, type Role } from '../../server/auth/users.ts';

export const FAST = { N: 1024, r: 8, p: 1 };
export const PASSWORD = 'secret-口令-123';

let emptyWebRoot: string | undefined;
/** The product app exactly as `npm start` builds it (with an empty web root unless one is given). */
export function productApp(db: Db, webRoot?: string): Hono {
  emptyWebRoot ??= mkdtempSync(path.join(tmpdir(), 'cep-web-'));
  return buildServerApp({ db, webRoot: webRoot ?? emptyWebRoot });
}

let seq = 0;
export const uniq = (p: string) => `${p}${process.pid}x${++seq}`;

export async function userToken(app: Hono, db: Db, role: Role, communityIds: number[] = []): Promise<string> {
  const name = uniq(role);
  await db.transaction((tx) => createUser(tx, { username: name, password: PASSWORD, role, communityIds }, { actor: { id: null, username: 'test' }, params: FAST }));
  const res = await app.request('http://localhost/api/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: name, password: PASSWORD, token: true }),
  });
  if (res.status !== 200) throw new Error(`login ${name}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** One bearer token per role, plus `anonymous: null`. */
export async function roleTokens(app: Hono, db: Db): Promise<Record<'anonymous' | Role, string | null>> {
  const out: Record<string, string | null> = { anonymous: null };
  for (const r of ROLES) out[r] = await userToken(app, db, r);
  return out as Record<'anonymous' | Role, string | null>;
}

export interface Call {
  token?: string | null;
  body?: unknown;
  ifMatch?: string | number;
  headers?: Record<string, string>;
}

export async function call(app: { request: Hono['request'] }, method: string, path: string, o: Call = {}) {
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  if (o.ifMatch !== undefined) headers['if-match'] = `"${o.ifMatch}"`;
  if (o.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  const res = await app.request(`http://localhost${path}`, {
    method,
    headers,
    body: o.body === undefined ? undefined : typeof o.body === 'string' || o.body instanceof Uint8Array ? (o.body as any) : JSON.stringify(o.body),
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

/** Distinct (method, path) pairs of the app's routes, without middleware-only `ALL` entries. */
export function appRoutes(app: Hono): { method: string; path: string }[] {
  const seen = new Set<string>();
  const out: { method: string; path: string }[] = [];
  for (const r of app.routes) {
    if (r.method === 'ALL') continue;
    const k = `${r.method} ${r.path}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push({ method: r.method, path: r.path });
  }
  return out;
}

export const isWrite = (m: string) => !['GET', 'HEAD', 'OPTIONS'].includes(m);
