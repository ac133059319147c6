import { expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { openDb, type Db } from '../../../server/db/index.ts';
import { canEditCommunity, communityScope, SESSION_COOKIE } from '../../../server/auth/index.ts';
import { forEachDb } from '../../helpers/db.ts';
import { addUser, bearerSession, cookieSession, ipOf, login, PASSWORD, post, testApp, uniq } from './helpers.ts';

it('canEditCommunity / communityScope limit planners and reporters to their communities', () => {
  const u = (role: any, communityIds: number[] = []) => ({ id: 1, username: 'u', role, communityIds });
  expect(canEditCommunity(null, 1)).toBe(false);
  expect(canEditCommunity(u('admin', [2]), 1)).toBe(true);
  expect(canEditCommunity(u('inspector', [2]), 1)).toBe(true);
  expect(canEditCommunity(u('planner'), 1)).toBe(true);
  expect(canEditCommunity(u('planner'), null)).toBe(true);
  expect(canEditCommunity(u('planner', [1, 3]), 3)).toBe(true);
  expect(canEditCommunity(u('planner', [1, 3]), 2)).toBe(false);
  expect(canEditCommunity(u('reporter', [1]), 2)).toBe(false);
  expect(canEditCommunity(u('reporter', [1]), null)).toBe(false);
  expect(communityScope(u('reporter', [1]))).toEqual([1]);
  expect(communityScope(u('reporter'))).toBeNull();
  expect(communityScope(u('admin', [1]))).toBeNull();
  expect(communityScope(null)).toBeNull();
});

forEachDb('auth routes', (getDb, kind) => {
  it('logs in: user + CSRF token, an HttpOnly SameSite=Strict Path=/ cookie, only a hash stored, an audit row', async () => {
    const db = getDb();
    const app = testApp(db);
    const u = await addUser(db, 'planner', []);
    const res = await login(app, u.username);
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.user).toEqual({ id: u.id, username: u.username, role: 'planner', communityIds: [] });
    expect(body.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(body.token).toBeUndefined();
    expect(res.headers.get('cache-control')).toBe('no-store');
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{43};`));
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Strict/);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).toMatch(/; Max-Age=43200/);
    expect(cookie).not.toMatch(/Secure/);
    const token = cookie.split(';')[0].split('=')[1];
    const rows = await db.query('SELECT token_hash, kind, csrf_token FROM sessions WHERE user_id = $1', [u.id]);
    expect(rows).toEqual([{ token_hash: createHash('sha256').update(token).digest('hex'), kind: 'cookie', csrf_token: body.csrfToken }]);
    const audit = await db.query(`SELECT username, action, entity FROM audit_log WHERE user_id = $1 AND action = 'login'`, [u.id]);
    expect(audit).toEqual([{ username: u.username, action: 'login', entity: 'session' }]);

    const me = await app.request('/api/auth/me', { headers: { cookie: cookie.split(';')[0] } });
    expect(await me.json()).toEqual({ user: body.user, csrfToken: body.csrfToken });
    const anon = await app.request('/api/auth/me');
    expect(await anon.json()).toEqual({ user: null, csrfToken: null });
    // Case-insensitive username
    expect((await login(app, u.username.toUpperCase())).status).toBe(200);
  });

  it('sets Secure on https (directly or behind a trusted proxy)', async () => {
    const db = getDb();
    const app = testApp(db);
    const u = await addUser(db, 'inspector');
    const direct = await login(app, u.username, PASSWORD, { base: 'https://planner.example' });
    expect(direct.headers.get('set-cookie')).toMatch(/; Secure/);
    const proxied = await login(app, u.username, PASSWORD, { headers: { 'x-forwarded-proto': 'https' } });
    expect(proxied.headers.get('set-cookie')).toMatch(/; Secure/);
  });

  it('answers wrong password, unknown user and disabled user alike; rejects malformed bodies with 4xx', async () => {
    const db = getDb();
    const app = testApp(db);
    const u = await addUser(db, 'reporter');
    const off = await addUser(db, 'reporter');
    await db.query('UPDATE users SET disabled = true WHERE id = $1', [off.id]);
    const answers = [];
    for (const [name, pw] of [
      [u.username, 'wrong-password'],
      [uniq('nobody'), PASSWORD],
      [off.username, PASSWORD],
      ['../../etc', PASSWORD],
    ]) {
      const r = await login(app, name, pw);
      answers.push([r.status, await r.text(), r.headers.get('set-cookie')]);
    }
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(answers[0][0]).toBe(401);
    expect(JSON.parse(answers[0][1] as string)).toEqual({ error: { code: 'invalid_credentials', message: 'wrong username or password' } });
    expect(answers[0][2]).toBeNull();

    const bad = async (body: unknown, headers: Record<string, string> = {}) => {
      const r = await post(app, '/api/auth/login', body, { 'x-forwarded-for': ipOf(), ...headers });
      return [r.status, ((await r.json()) as any).error.code];
    };
    expect(await bad('{"username":')).toEqual([400, 'bad_json']);
    expect(await bad({ username: 'x' })).toEqual([400, 'invalid_input']);
    expect(await bad({ username: 5, password: [] })).toEqual([400, 'invalid_input']);
    expect(await bad({ username: 'x', password: 'y'.repeat(2000) })).toEqual([400, 'invalid_input']);
    expect(await bad({ username: 'x', password: 'y' }, { 'content-type': 'text/plain' })).toEqual([415, 'unsupported_media_type']);
    expect(await bad({ username: 'x', password: 'y'.repeat(20_000) })).toEqual([413, 'too_large']);
  });

  it('limits failures per username (5 / 15 min, across IPs) with 429 + Retry-After, also for the right password', async () => {
    const db = getDb();
    const app = testApp(db);
    const u = await addUser(db, 'planner');
    for (let i = 0; i < 5; i++) expect((await login(app, u.username, 'wrong', { ip: ipOf() })).status).toBe(401);
    const blocked = await login(app, u.username, PASSWORD, { ip: ipOf() });
    expect(blocked.status).toBe(429);
    expect(((await blocked.json()) as any).error.code).toBe('rate_limited');
    const retry = Number(blocked.headers.get('retry-after'));
    expect(retry).toBeGreaterThan(890);
    expect(retry).toBeLessThanOrEqual(900);
    // The window passes → the right password works again and clears the counter.
    await db.query(`UPDATE login_attempts SET window_start = window_start - interval '15 minutes' WHERE key = $1`, [
      `user:${u.username.toLowerCase()}`,
    ]);
    expect((await login(app, u.username, PASSWORD)).status).toBe(200);
    expect(await db.query('SELECT * FROM login_attempts WHERE key = $1', [`user:${u.username.toLowerCase()}`])).toEqual([]);
  });

  it('a success resets the username count: 4 failures, success, 4 failures still pass', async () => {
    const db = getDb();
    const app = testApp(db);
    const u = await addUser(db, 'planner');
    for (let i = 0; i < 4; i++) expect((await login(app, u.username, 'wrong')).status).toBe(401);
    expect((await login(app, u.username)).status).toBe(200);
    for (let i = 0; i < 4; i++) expect((await login(app, u.username, 'wrong')).status).toBe(401);
    expect((await login(app, u.username)).status).toBe(200);
  });

  it('limits failures per IP across usernames', async () => {
    const db = getDb();
    const app = testApp(db);
    const ip = ipOf();
    const u = await addUser(db, 'planner');
    for (let i = 0; i < 5; i++) expect((await login(app, uniq('guess'), 'wrong', { ip })).status).toBe(401);
    expect((await login(app, u.username, PASSWORD, { ip })).status).toBe(429);
    expect((await login(app, u.username, PASSWORD, { ip: ipOf() })).status).toBe(200);
  });

  it('counts exactly under concurrency: 10 parallel wrong attempts → 5 × 401, 5 × 429', async () => {
    const db = getDb();
    const app = testApp(db);
    const u = await addUser(db, 'planner');
    const statuses = await Promise.all(Array.from({ length: 10 }, () => login(app, u.username, 'wrong', { ip: ipOf() }).then((r) => r.status)));
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(5);
  });

  it('two API instances on one database share the limit and the sessions', async () => {
    const db = getDb();
    let db2: Db = db;
    if (kind === 'postgres') {
      // A second connection pool on the same schema: a separate instance in all but process.
      const [{ s }] = await db.query('SELECT current_schema() AS s');
      db2 = await openDb({ url: process.env.DATABASE_URL!, schema: s });
    }
    try {
      const a = testApp(db);
      const b = testApp(db2);
      const u = await addUser(db, 'planner');
      const ip = ipOf();
      for (let i = 0; i < 5; i++) expect((await login(i % 2 ? a : b, u.username, 'wrong', { ip })).status).toBe(401);
      expect((await login(a, u.username, PASSWORD, { ip: ipOf() })).status).toBe(429);
      expect((await login(b, u.username, PASSWORD, { ip: ipOf() })).status).toBe(429);
      expect((await login(b, uniq('other'), PASSWORD, { ip })).status).toBe(429); // the IP is blocked on both too

      const v = await addUser(db2, 'inspector');
      const s = await cookieSession(a, v.username);
      const me = await b.request('/api/auth/me', { headers: { cookie: s.cookie } });
      expect(((await me.json()) as any).user.username).toBe(v.username);
      const out = await post(b, '/api/auth/logout', {}, { cookie: s.cookie, 'x-csrf-token': s.csrfToken });
      expect(out.status).toBe(200);
      expect(((await (await a.request('/api/auth/me', { headers: { cookie: s.cookie } })).json()) as any).user).toBeNull();
    } finally {
      if (db2 !== db) await db2.close();
    }
  });

  it('requires X-CSRF-Token on cookie-authenticated writes, not on reads', async () => {
    const db = getDb();
    const app = testApp(db);
    const u = await addUser(db, 'planner');
    const s = await cookieSession(app, u.username);
    const write = (headers: Record<string, string>) => post(app, '/t/planning', {}, { cookie: s.cookie, ...headers });
    const none = await write({});
    expect(none.status).toBe(403);
    expect(((await none.json()) as any).error.code).toBe('csrf');
    expect((await write({ 'x-csrf-token': 'x'.repeat(43) })).status).toBe(403);
    expect((await write({ 'x-csrf-token': s.csrfToken.slice(0, -1) })).status).toBe(403);
    expect((await write({ 'x-csrf-token': s.csrfToken })).status).toBe(200);
    // Also on routes anonymous users may call: a signed-in browser is still protected.
    expect((await post(app, '/t/public', {}, { cookie: s.cookie })).status).toBe(403);
    for (const method of ['PUT', 'PATCH', 'DELETE']) {
      expect((await app.request('/t/planning', { method, headers: { cookie: s.cookie } })).status).toBe(403);
    }
    expect((await app.request('/t/planning', { headers: { cookie: s.cookie } })).status).toBe(200);
    // Logout is a write too; then the cookie is cleared and the session gone.
    expect((await post(app, '/api/auth/logout', {}, { cookie: s.cookie })).status).toBe(403);
    const out = await post(app, '/api/auth/logout', {}, { cookie: s.cookie, 'x-csrf-token': s.csrfToken });
    expect(out.status).toBe(200);
    expect(out.headers.get('set-cookie')).toMatch(new RegExp(`^${SESSION_COOKIE}=; Max-Age=0`));
    expect((await app.request('/t/staff', { headers: { cookie: s.cookie } })).status).toBe(401);
    expect(await db.query(`SELECT 1 FROM audit_log WHERE user_id = $1 AND action = 'logout'`, [u.id])).toHaveLength(1);
  });

  it('bearer tokens: no cookie, no CSRF needed, revoked by logout; a bad token is anonymous', async () => {
    const db = getDb();
    const app = testApp(db);
    const u = await addUser(db, 'planner');
    const res = await login(app, u.username, PASSWORD, { token: true });
    expect(res.headers.get('set-cookie')).toBeNull();
    const body = (await res.json()) as any;
    expect(body.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Date(body.expiresAt).getTime()).toBeGreaterThan(Date.now() + 11 * 3600e3);
    const auth = { authorization: `Bearer ${body.token}` };
    expect((await post(app, '/t/planning', {}, auth)).status).toBe(200);
    expect(((await (await app.request('/api/auth/me', { headers: auth })).json()) as any).user.id).toBe(u.id);
    for (const bad of ['Bearer nope', `Bearer ${body.token.slice(0, -2)}xx`, `Basic ${body.token}`, 'Bearer']) {
      expect((await post(app, '/t/planning', {}, { authorization: bad })).status).toBe(401);
    }
    expect((await post(app, '/api/auth/logout', {}, auth)).status).toBe(200);
    expect((await post(app, '/t/planning', {}, auth)).status).toBe(401);
  });

  it('expired sessions and disabled users are anonymous', async () => {
    const db = getDb();
    const app = testApp(db);
    const u = await addUser(db, 'planner');
    const t1 = await bearerSession(app, u.username);
    const t2 = await bearerSession(app, u.username);
    await db.query(`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE token_hash = $1`, [
      createHash('sha256').update(t1).digest('hex'),
    ]);
    expect((await app.request('/t/staff', { headers: { authorization: `Bearer ${t1}` } })).status).toBe(401);
    expect((await app.request('/t/staff', { headers: { authorization: `Bearer ${t2}` } })).status).toBe(200);
    await db.query('UPDATE users SET disabled = true WHERE id = $1', [u.id]);
    expect((await app.request('/t/staff', { headers: { authorization: `Bearer ${t2}` } })).status).toBe(401);
  });

  it('requireRole matrix: anonymous and every role × GET and POST routes, by cookie and by bearer', async () => {
    const db = getDb();
    const app = testApp(db);
    const routes = ['GET /t/public', 'POST /t/public', 'GET /t/staff', 'GET /t/planning', 'POST /t/planning', 'POST /t/inspection', 'POST /t/admin'];
    const expected: Record<string, number[]> = {
      anonymous: [200, 200, 401, 401, 401, 401, 401],
      admin: [200, 200, 200, 200, 200, 200, 200],
      planner: [200, 200, 200, 200, 200, 403, 403],
      inspector: [200, 200, 200, 403, 403, 200, 403],
      reporter: [200, 200, 200, 200, 403, 403, 403],
    };
    for (const who of Object.keys(expected)) {
      const headerSets: Record<string, string>[] = [];
      if (who === 'anonymous') headerSets.push({});
      else {
        const u = await addUser(db, who as any);
        const s = await cookieSession(app, u.username);
        headerSets.push({ cookie: s.cookie, 'x-csrf-token': s.csrfToken });
        headerSets.push({ authorization: `Bearer ${await bearerSession(app, u.username)}` });
      }
      for (const headers of headerSets) {
        const got = [];
        for (const r of routes) {
          const [method, path] = r.split(' ');
          const res = await app.request(path, { method, headers });
          got.push(res.status);
          if (res.status >= 400) expect(Object.keys(((await res.json()) as any).error).sort()).toEqual(['code', 'message']);
        }
        expect({ who, got }).toEqual({ who, got: expected[who] });
      }
    }
  });

  it('ignores a forged or malformed cookie', async () => {
    const app = testApp(getDb());
    for (const cookie of [`${SESSION_COOKIE}=${'a'.repeat(43)}`, `${SESSION_COOKIE}=' OR 1=1 --`, `${SESSION_COOKIE}=`]) {
      const res = await app.request('/t/staff', { headers: { cookie } });
      expect(res.status).toBe(401);
    }
  });
});

