/**
 * Authentication and authorisation for the API.
 *
 *   app.use('*', sessionMiddleware(db));           // c.get('user'): AuthUser | null, CSRF check for cookie writes
 *   app.route('/api/auth', authRoutes(db));         // POST /login, POST /logout, GET /me
 *   app.post('/api/sites', requireRole('planner'), handler);   // 401 anonymous, 403 other roles (admin always passes)
 *
 * Sessions: a random 256-bit token in an HttpOnly, SameSite=Strict, Path=/ cookie (Secure on https), or — when
 * the login asks for `{ token: true }` — returned in the body for `Authorization: Bearer <token>` (scripts, tests).
 * Only the token's SHA-256 is stored. Every state lives in the database (sessions, login failure counters), so
 * several API instances on one database agree.
 * CSRF: a non-GET/HEAD/OPTIONS request authenticated by the cookie must send `X-CSRF-Token` equal to the session's
 * token (given by login and GET /me); bearer requests need none (browsers never attach them by themselves).
 * Login: 5 failures per 15 minutes per username and per client IP, counted in the database → 429 + Retry-After.
 * Errors are JSON: `{ error: { code, message } }`.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { z } from 'zod';
import type { Db, Queryable } from '../db/index.ts';
import { audit, type AuditActor } from './audit.ts';
import { DEFAULT_PARAMS, hashPassword, MAX_PASSWORD_LENGTH, needsRehash, verifyDummy, verifyPassword, type ScryptParams } from './passwords.ts';
import { COMMUNITY_LIMITED_ROLES, findUserByName, publicUser, type AuthUser, type Role } from './users.ts';

export { audit, type AuditActor, type AuditEntry } from './audit.ts';
export { hashPassword, verifyPassword, needsRehash } from './passwords.ts';
export { ROLES, type AuthUser, type Role } from './users.ts';

/** What sessionMiddleware stores besides the user. */
export interface SessionInfo {
  tokenHash: string;
  userId: number;
  csrfToken: string;
  via: 'cookie' | 'bearer';
  expiresAt: Date;
}

declare module 'hono' {
  interface ContextVariableMap {
    /** The signed-in user, or null for anonymous requests (set by sessionMiddleware). */
    user: AuthUser | null;
    session: SessionInfo | null;
  }
}

/** Hono env type for apps that want it explicitly: `new Hono<AuthEnv>()`. */
export type AuthEnv = { Variables: { user: AuthUser | null; session: SessionInfo | null } };

export interface AuthOptions {
  /** Failed logins allowed per window, per username and per IP (default 5). */
  maxFailures?: number;
  /** Rate-limit window in seconds (default 900 = 15 min). */
  windowSeconds?: number;
  /** Session lifetime in seconds (default 12 h, one working shift). */
  sessionTtlSeconds?: number;
  /** Take the client IP from X-Forwarded-For / X-Real-IP (behind a reverse proxy). Default: env TRUST_PROXY=1. */
  trustProxy?: boolean;
  /** Secure cookie flag: 'auto' (default) = when the request is https (or X-Forwarded-Proto https with trustProxy). */
  secureCookie?: boolean | 'auto';
  /** scrypt parameters for re-hashing old hashes at login and for the unknown-user dummy check. */
  passwordParams?: ScryptParams;
  /** Unsafe paths exempt from the CSRF check (default: the login route, which does not use the session). */
  csrfExemptPaths?: string[];
}

export const SESSION_COOKIE = 'cep_session';
export const CSRF_HEADER = 'X-CSRF-Token';

function settings(o: AuthOptions = {}) {
  return {
    maxFailures: o.maxFailures ?? 5,
    windowSeconds: o.windowSeconds ?? 900,
    sessionTtlSeconds: o.sessionTtlSeconds ?? 12 * 3600,
    trustProxy: o.trustProxy ?? process.env.TRUST_PROXY === '1',
    secureCookie: o.secureCookie ?? ('auto' as const),
    passwordParams: o.passwordParams ?? DEFAULT_PARAMS,
    csrfExemptPaths: o.csrfExemptPaths ?? ['/api/auth/login'],
  };
}

// ---------------------------------------------------------------------------------------------------------------
// helpers

/** `{ error: { code, message } }` with the given status. */
export function jsonError(c: Context, status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429, code: string, message: string) {
  return c.json({ error: { code, message } }, status);
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const newToken = () => randomBytes(32).toString('base64url');
const TOKEN_RE = /^[A-Za-z0-9_-]{32,128}$/;

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The client's IP: the socket peer, or (trustProxy) the address our reverse proxy appended to X-Forwarded-For. */
export function clientIp(c: Context, trustProxy = process.env.TRUST_PROXY === '1'): string {
  if (trustProxy) {
    const xff = c.req.header('x-forwarded-for');
    const last = xff?.split(',').map((s) => s.trim()).filter(Boolean).pop();
    if (last) return last.slice(0, 64);
    const real = c.req.header('x-real-ip')?.trim();
    if (real) return real.slice(0, 64);
  }
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? 'unknown';
}

/** The actor and IP for `audit(tx, { ...actorOf(c), action, … })`. */
export function actorOf(c: Context): { user: AuditActor; ip: string } {
  const u = c.get('user');
  return { user: u ? { id: u.id, username: u.username } : null, ip: clientIp(c) };
}

function isHttps(c: Context, trustProxy: boolean): boolean {
  if (trustProxy && c.req.header('x-forwarded-proto')?.split(',')[0].trim() === 'https') return true;
  return new URL(c.req.url).protocol === 'https:';
}

// ---------------------------------------------------------------------------------------------------------------
// authorisation

/**
 * Allow only signed-in users with one of `roles` (any signed-in user when none are given). Admins always pass.
 * Anonymous → 401 `unauthenticated`; other roles → 403 `forbidden`.
 */
export function requireRole(...roles: Role[]): MiddlewareHandler {
  return async (c, next) => {
    const user = c.get('user');
    if (!user) return jsonError(c, 401, 'unauthenticated', 'sign in first');
    if (roles.length && user.role !== 'admin' && !roles.includes(user.role)) {
      return jsonError(c, 403, 'forbidden', `role ${user.role} may not do this (needs ${roles.join(' or ')})`);
    }
    await next();
  };
}

/**
 * Community scope only (combine with requireRole for the role itself): may `user` change records of community
 * `communityId`? Planners and reporters with a community list are limited to it (records outside any community
 * included); everyone else signed in is not limited by community. Anonymous → false.
 */
export function canEditCommunity(user: AuthUser | null | undefined, communityId: number | null | undefined): boolean {
  if (!user) return false;
  if (!COMMUNITY_LIMITED_ROLES.includes(user.role) || user.communityIds.length === 0) return true;
  return communityId !== null && communityId !== undefined && user.communityIds.includes(communityId);
}

/** Communities `user` is limited to for SQL filters (`community_id = ANY(...)`), or null when unlimited. */
export function communityScope(user: AuthUser | null | undefined): number[] | null {
  if (!user || !COMMUNITY_LIMITED_ROLES.includes(user.role) || user.communityIds.length === 0) return null;
  return [...user.communityIds];
}

// ---------------------------------------------------------------------------------------------------------------
// sessions

interface SessionJoin {
  token_hash: string;
  user_id: number;
  csrf_token: string;
  kind: 'cookie' | 'bearer';
  expires_at: Date;
  stale: boolean;
  username: string;
  role: Role;
  community_ids: number[];
}

async function loadSession(db: Queryable, token: string): Promise<SessionJoin | null> {
  const [row] = await db.query<SessionJoin>(
    `SELECT s.token_hash, s.user_id, s.csrf_token, s.kind, s.expires_at,
            s.last_seen < now() - interval '60 seconds' AS stale, u.username, u.role, u.community_ids
       FROM sessions s JOIN users u ON u.id = s.user_id
      WHERE s.token_hash = $1 AND s.expires_at > now() AND NOT u.disabled`,
    [sha256(token)],
  );
  return row ?? null;
}

function bearerToken(c: Context): string | null | undefined {
  const h = c.req.header('authorization');
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m && TOKEN_RE.test(m[1]) ? m[1] : null;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Load the session (bearer header first, else the cookie) and set c.get('user') / c.get('session'); null when
 * anonymous or the session is unknown, expired or its user disabled. Enforces CSRF on cookie-authenticated
 * unsafe requests (403 `csrf`). Running it twice on one request is harmless.
 */
export function sessionMiddleware(db: Db, options: AuthOptions = {}): MiddlewareHandler {
  const s = settings(options);
  return async (c, next) => {
    if (c.get('session') !== undefined) return next();
    c.set('user', null);
    c.set('session', null);
    const bearer = bearerToken(c);
    let token: string | null = null;
    let via: 'cookie' | 'bearer' = 'cookie';
    if (bearer !== undefined) {
      token = bearer; // an Authorization header decides alone: a bad bearer token is anonymous, never the cookie
      via = 'bearer';
    } else {
      const cookie = getCookie(c, SESSION_COOKIE);
      token = cookie && TOKEN_RE.test(cookie) ? cookie : null;
    }
    const row = token ? await loadSession(db, token) : null;
    if (row) {
      if (row.stale) await db.query('UPDATE sessions SET last_seen = now() WHERE token_hash = $1', [row.token_hash]);
      c.set('user', publicUser({ id: row.user_id, username: row.username, role: row.role, community_ids: row.community_ids }));
      c.set('session', { tokenHash: row.token_hash, userId: row.user_id, csrfToken: row.csrf_token, via, expiresAt: row.expires_at });
      if (via === 'cookie' && !SAFE_METHODS.has(c.req.method) && !s.csrfExemptPaths.includes(c.req.path)) {
        const sent = c.req.header(CSRF_HEADER) ?? '';
        if (!safeEqual(sent, row.csrf_token)) {
          return jsonError(c, 403, 'csrf', `missing or wrong ${CSRF_HEADER} header (get it from GET /api/auth/me)`);
        }
      }
    }
    await next();
  };
}

// ---------------------------------------------------------------------------------------------------------------
// login rate limiting (fixed windows in login_attempts; each attempt is counted first, a success is taken back)

async function countAttempt(db: Queryable, keys: string[], windowSeconds: number) {
  const values = keys.map((_, i) => `($${i + 2}, now(), 1)`).join(', ');
  return db.query<{ key: string; count: number; retry_after: number }>(
    `INSERT INTO login_attempts AS a (key, window_start, count) VALUES ${values}
     ON CONFLICT (key) DO UPDATE SET
       window_start = CASE WHEN a.window_start <= now() - $1::int * interval '1 second' THEN now() ELSE a.window_start END,
       count        = CASE WHEN a.window_start <= now() - $1::int * interval '1 second' THEN 1 ELSE a.count + 1 END
     RETURNING key, count,
       GREATEST(1, ceil(extract(epoch FROM (window_start + $1::int * interval '1 second' - now()))))::int AS retry_after`,
    [windowSeconds, ...keys],
  );
}

const loginSchema = z.object({
  username: z.string().min(1, 'username is required').max(128, 'username is too long'),
  password: z.string().min(1, 'password is required').max(MAX_PASSWORD_LENGTH, 'password is too long'),
  token: z.boolean().optional(),
});

const BAD_LOGIN = 'wrong username or password';

/**
 * The auth sub-app, to mount with `app.route('/api/auth', authRoutes(db))`:
 *  - POST /login  {username, password, token?} → {user, csrfToken, token?} + session cookie (unless token:true)
 *  - POST /logout → {ok:true}, ends the session (cookie or bearer) and clears the cookie
 *  - GET  /me     → {user, csrfToken} ({user:null, csrfToken:null} when anonymous)
 */
export function authRoutes(db: Db, options: AuthOptions = {}): Hono {
  const s = settings(options);
  const app = new Hono();
  app.use('*', sessionMiddleware(db, options));

  app.post('/login', bodyLimit({ maxSize: 16 * 1024, onError: (c) => jsonError(c, 413, 'too_large', 'body over 16 KiB') }), async (c) => {
    if (!/^application\/json\b/i.test(c.req.header('content-type') ?? '')) {
      return jsonError(c, 415, 'unsupported_media_type', 'send JSON with Content-Type: application/json');
    }
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return jsonError(c, 400, 'bad_json', 'body is not valid JSON');
    }
    const parsed = loginSchema.safeParse(body);
    if (!parsed.success) {
      const msg = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
      return jsonError(c, 400, 'invalid_input', msg);
    }
    const { username, password, token: wantToken } = parsed.data;
    const ip = clientIp(c, s.trustProxy);
    const userKey = `user:${username.trim().normalize('NFC').toLowerCase()}`;
    const ipKey = `ip:${ip}`;

    const counts = await countAttempt(db, [userKey, ipKey], s.windowSeconds);
    const over = counts.filter((r) => r.count > s.maxFailures);
    if (over.length) {
      c.header('Retry-After', String(Math.max(...over.map((r) => r.retry_after))));
      return jsonError(c, 429, 'rate_limited', 'too many failed sign-ins; try again later');
    }

    const row = await findUserByName(db, username);
    const ok = row && !row.disabled ? await verifyPassword(password, row.password_hash) : await verifyDummy(password, s.passwordParams);
    if (!row || !ok || row.disabled) return jsonError(c, 401, 'invalid_credentials', BAD_LOGIN);

    const token = newToken();
    const csrfToken = newToken();
    const kind = wantToken ? 'bearer' : 'cookie';
    const rehash = needsRehash(row.password_hash, s.passwordParams) ? await hashPassword(password, s.passwordParams) : null;
    const previous = c.get('session');
    const user = publicUser(row);
    const [{ expires_at }] = await db.transaction(async (tx) => {
      // The success is not a failure: forget this user's failures and take this attempt back from the IP's count.
      await tx.query('DELETE FROM login_attempts WHERE key = $1', [userKey]);
      await tx.query('UPDATE login_attempts SET count = GREATEST(count - 1, 0) WHERE key = $1', [ipKey]);
      await tx.query(`DELETE FROM login_attempts WHERE window_start < now() - $1::int * interval '1 second'`, [s.windowSeconds]);
      await tx.query('DELETE FROM sessions WHERE expires_at < now() OR token_hash = $1', [kind === 'cookie' && previous?.via === 'cookie' ? previous.tokenHash : '']);
      if (rehash) await tx.query('UPDATE users SET password_hash = $2 WHERE id = $1', [row.id, rehash]);
      const r = await tx.query<{ expires_at: Date }>(
        `INSERT INTO sessions (token_hash, user_id, kind, csrf_token, ip, expires_at)
         VALUES ($1, $2, $3, $4, $5, now() + $6::int * interval '1 second') RETURNING expires_at`,
        [sha256(token), row.id, kind, csrfToken, ip, s.sessionTtlSeconds],
      );
      await audit(tx, { user, action: 'login', entity: 'session', entityId: row.id, after: { kind }, ip });
      return r;
    });
    if (kind === 'cookie') {
      setCookie(c, SESSION_COOKIE, token, {
        httpOnly: true,
        sameSite: 'Strict',
        secure: s.secureCookie === 'auto' ? isHttps(c, s.trustProxy) : s.secureCookie,
        path: '/',
        maxAge: s.sessionTtlSeconds,
      });
    }
    c.header('Cache-Control', 'no-store');
    return c.json({ user, csrfToken, ...(kind === 'bearer' ? { token, expiresAt: expires_at.toISOString() } : {}) });
  });

  app.post('/logout', async (c) => {
    const session = c.get('session');
    const user = c.get('user');
    if (session && user) {
      await db.transaction(async (tx) => {
        await tx.query('DELETE FROM sessions WHERE token_hash = $1', [session.tokenHash]);
        await audit(tx, { user, action: 'logout', entity: 'session', entityId: user.id, ip: clientIp(c, s.trustProxy) });
      });
    }
    deleteCookie(c, SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'Strict', secure: s.secureCookie === 'auto' ? isHttps(c, s.trustProxy) : s.secureCookie });
    return c.json({ ok: true });
  });

  app.get('/me', (c) => {
    c.header('Cache-Control', 'no-store');
    return c.json({ user: c.get('user'), csrfToken: c.get('session')?.csrfToken ?? null });
  });

  return app;
}
