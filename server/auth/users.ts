/**
 * Accounts: roles, validation and the database operations shared by the login route and `npm run user`.
 * Password hashes never leave this module except to `verifyPassword`; `publicUser` is what responses carry.
 */
import { z } from 'zod';
import type { Queryable } from '../db/index.ts';
import { audit, type AuditActor } from './audit.ts';
import { DEFAULT_PARAMS, hashPassword, MAX_PASSWORD_LENGTH, type ScryptParams } from './passwords.ts';

export const ROLES = ['admin', 'planner', 'inspector', 'reporter'] as const;
export type Role = (typeof ROLES)[number];
/** Roles whose edits can be limited to a list of communities. */
export const COMMUNITY_LIMITED_ROLES: readonly Role[] = ['planner', 'reporter'];

/** The signed-in user as the API sees it (c.get('user')). */
export interface AuthUser {
  id: number;
  username: string;
  role: Role;
  /** Communities a planner/reporter may edit; empty = all. Ignored for admins and inspectors. */
  communityIds: number[];
}

/** Letters (any script, so 张三 works), digits, '.', '_' and '-'; 1–64 characters, starting with a letter or digit. */
export const usernameSchema = z
  .string()
  .trim()
  .normalize('NFC')
  .min(1, 'username is empty')
  .max(64, 'username is longer than 64 characters')
  .regex(/^[\p{L}\p{N}][\p{L}\p{N}._-]*$/u, 'username may contain letters, digits, ".", "_" and "-" only');

/** Rules for new passwords (login accepts any non-empty string up to the maximum). */
export const newPasswordSchema = z
  .string()
  .min(8, 'password must have at least 8 characters')
  .max(MAX_PASSWORD_LENGTH, `password must have at most ${MAX_PASSWORD_LENGTH} characters`);

export const roleSchema = z.enum(ROLES);
export const communityIdsSchema = z.array(z.number().int().positive()).max(10_000);

export interface UserRow {
  id: number;
  username: string;
  password_hash: string;
  role: Role;
  community_ids: number[];
  disabled: boolean;
  created_at: Date;
}

export function publicUser(row: Pick<UserRow, 'id' | 'username' | 'role' | 'community_ids'>): AuthUser {
  return { id: row.id, username: row.username, role: row.role, communityIds: [...(row.community_ids ?? [])].map(Number) };
}

/** Postgres array literal for `$n::text::int[]` (both drivers accept it; no driver-specific array binding). */
export const intArrayLiteral = (ids: number[]) => `{${ids.map((n) => String(Math.trunc(n))).join(',')}}`;

export class UserError extends Error {
  constructor(
    readonly code: 'exists' | 'not_found' | 'invalid' | 'unknown_community',
    message: string,
  ) {
    super(message);
  }
}

const auditView = (r: Pick<UserRow, 'id' | 'username' | 'role' | 'community_ids' | 'disabled'>) => ({
  id: r.id,
  username: r.username,
  role: r.role,
  communityIds: r.community_ids,
  disabled: r.disabled,
});

export async function findUserByName(q: Queryable, username: string): Promise<UserRow | null> {
  const name = usernameSchema.safeParse(username);
  if (!name.success) return null;
  const [row] = await q.query<UserRow>('SELECT * FROM users WHERE lower(username) = lower($1)', [name.data]);
  return row ?? null;
}

export async function listUsers(q: Queryable): Promise<Omit<UserRow, 'password_hash'>[]> {
  return q.query('SELECT id, username, role, community_ids, disabled, created_at FROM users ORDER BY id');
}

async function checkCommunities(q: Queryable, ids: number[]): Promise<void> {
  if (!ids.length) return;
  const found = await q.query<{ id: number }>('SELECT id FROM communities WHERE id = ANY($1::text::int[])', [intArrayLiteral(ids)]);
  const missing = ids.filter((id) => !found.some((r) => r.id === id));
  if (missing.length) throw new UserError('unknown_community', `no such community: ${missing.join(', ')}`);
}

function parse<T>(schema: z.ZodType<T>, v: unknown): T {
  const r = schema.safeParse(v);
  if (!r.success) throw new UserError('invalid', r.error.issues.map((i) => i.message).join('; '));
  return r.data;
}

export interface NewUser {
  username: string;
  password: string;
  role: Role;
  communityIds?: number[];
}

/** Create an account (audited as `actor`). Throws UserError('exists') when the name is taken (case-insensitive). */
export async function createUser(
  q: Queryable,
  input: NewUser,
  opts: { actor: AuditActor; ip?: string | null; params?: ScryptParams },
): Promise<AuthUser> {
  const username = parse(usernameSchema, input.username);
  const password = parse(newPasswordSchema, input.password);
  const role = parse(roleSchema, input.role);
  const communityIds = [...new Set(parse(communityIdsSchema, input.communityIds ?? []))].sort((a, b) => a - b);
  await checkCommunities(q, communityIds);
  const hash = await hashPassword(password, opts.params ?? DEFAULT_PARAMS);
  const [row] = await q.query<UserRow>(
    `INSERT INTO users (username, password_hash, role, community_ids) VALUES ($1, $2, $3, $4::text::int[])
     ON CONFLICT DO NOTHING RETURNING *`,
    [username, hash, role, intArrayLiteral(communityIds)],
  );
  if (!row) throw new UserError('exists', `user ${username} already exists`);
  await audit(q, { user: opts.actor, action: 'create', entity: 'users', entityId: row.id, after: auditView(row), ip: opts.ip });
  return publicUser(row);
}

/** Disable or re-enable an account; disabling also ends all its sessions. */
export async function setDisabled(q: Queryable, username: string, disabled: boolean, opts: { actor: AuditActor; ip?: string | null }) {
  const before = await findUserByName(q, username);
  if (!before) throw new UserError('not_found', `no such user: ${username}`);
  const [after] = await q.query<UserRow>('UPDATE users SET disabled = $2, updated_at = now() WHERE id = $1 RETURNING *', [
    before.id,
    disabled,
  ]);
  if (disabled) await q.query('DELETE FROM sessions WHERE user_id = $1', [before.id]);
  await audit(q, {
    user: opts.actor,
    action: disabled ? 'disable' : 'enable',
    entity: 'users',
    entityId: before.id,
    before: auditView(before),
    after: auditView(after),
    ip: opts.ip,
  });
  return publicUser(after);
}

/** Set a new password; ends all the account's sessions. The audit row records the change, never the hash. */
export async function setPassword(
  q: Queryable,
  username: string,
  password: string,
  opts: { actor: AuditActor; ip?: string | null; params?: ScryptParams },
) {
  const user = await findUserByName(q, username);
  if (!user) throw new UserError('not_found', `no such user: ${username}`);
  const hash = await hashPassword(parse(newPasswordSchema, password), opts.params ?? DEFAULT_PARAMS);
  await q.query('UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1', [user.id, hash]);
  await q.query('DELETE FROM sessions WHERE user_id = $1', [user.id]);
  await audit(q, { user: opts.actor, action: 'password', entity: 'users', entityId: user.id, ip: opts.ip });
  return publicUser(user);
}
