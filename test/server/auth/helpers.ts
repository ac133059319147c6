/** Shared pieces of the auth tests: a tiny app with guarded routes, fast scrypt, users and login helpers. */
import { Hono } from 'hono';
import type { Db } from '../../../server/db/index.ts';
import { authRoutes, requireRole, sessionMiddleware, type AuthOptions } from '../../../server/auth/index.ts';
import { createUser, type Role } from '../../../server/auth/users.ts';

export const FAST = { N: 1024, r: 8, p: 1 };
export const OPTS: AuthOptions = { trustProxy: true, passwordParams: FAST };
export const PASSWORD = 'secret-口令-123';

export function testApp(db: Db, opts: AuthOptions = OPTS): Hono {
  const app = new Hono();
  app.use('*', sessionMiddleware(db, opts));
  app.route('/api/auth', authRoutes(db, opts));
  const ok = (c: any) => c.json({ ok: true, user: c.get('user')?.username ?? null });
  app.get('/t/public', ok);
  app.post('/t/public', ok);
  app.get('/t/staff', requireRole(), ok);
  app.get('/t/planning', requireRole('planner', 'reporter'), ok);
  app.post('/t/planning', requireRole('planner'), ok);
  app.post('/t/inspection', requireRole('inspector'), ok);
  app.post('/t/admin', requireRole('admin'), ok);
  return app;
}

let seq = 0;
/** A unique name for this test run (tests share one database per driver). */
export const uniq = (p: string) => `${p}${process.pid}x${++seq}`;
/** A unique client IP, so the per-IP login limit of one test does not touch another. */
export const ipOf = () => `10.${(process.pid >> 8) & 255}.${process.pid & 255}.${++seq % 250}`;

export async function addUser(db: Db, role: Role, communityIds: number[] = [], name = uniq(role)) {
  return db.transaction((tx) =>
    createUser(tx, { username: name, password: PASSWORD, role, communityIds }, { actor: { id: null, username: 'test' }, params: FAST }),
  );
}

export async function post(app: Hono, path: string, body: unknown, headers: Record<string, string> = {}, base = 'http://localhost') {
  return await app.request(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export async function login(app: Hono, username: string, password = PASSWORD, o: { ip?: string; token?: boolean; base?: string; headers?: Record<string, string> } = {}) {
  return await post(
    app,
    '/api/auth/login',
    { username, password, ...(o.token ? { token: true } : {}) },
    { 'x-forwarded-for': o.ip ?? ipOf(), ...o.headers },
    o.base,
  );
}

/** Sign in by cookie; returns the Cookie header and the CSRF token. */
export async function cookieSession(app: Hono, username: string) {
  const res = await login(app, username);
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
  const setCookie = res.headers.get('set-cookie')!;
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  return { cookie: setCookie.split(';')[0], csrfToken };
}

export async function bearerSession(app: Hono, username: string) {
  const res = await login(app, username, PASSWORD, { token: true });
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}
