/**
 * Password hashing with scrypt (node:crypto, no native addon).
 *
 * Encoded form: `scrypt$N$r$p$<salt base64url>$<hash base64url>` — the parameters travel with the hash, so they
 * can be raised later: old hashes still verify and `needsRehash` tells the login to upgrade them.
 * Defaults follow the OWASP Password Storage Cheat Sheet minimum for scrypt (N=2^17, r=8, p=1: 128 MiB, about
 * 0.35 s on this project's 2-core machines); hashing runs on libuv's thread pool, never on the event loop.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface ScryptParams {
  /** CPU/memory cost, a power of two. Memory used is 128 · N · r bytes. */
  N: number;
  r: number;
  p: number;
}

export const DEFAULT_PARAMS: ScryptParams = { N: 2 ** 17, r: 8, p: 1 };
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Refuse absurd parameters from a stored hash (a corrupted or hostile row must not exhaust memory). */
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;
export const MAX_PASSWORD_LENGTH = 1024;

function scrypt(password: string, salt: Buffer, keylen: number, params: ScryptParams): Promise<Buffer> {
  const opts: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 128 * params.N * params.r * 2 + 1024 * 1024 };
  return new Promise((resolve, reject) =>
    scryptCb(password.normalize('NFC'), salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

function checkParams(p: ScryptParams): void {
  const pow2 = Number.isInteger(p.N) && p.N >= 2 && (p.N & (p.N - 1)) === 0;
  if (!pow2 || p.N > MAX_N) throw new Error(`scrypt N must be a power of two ≤ ${MAX_N}`);
  if (!Number.isInteger(p.r) || p.r < 1 || p.r > MAX_R) throw new Error(`scrypt r must be 1..${MAX_R}`);
  if (!Number.isInteger(p.p) || p.p < 1 || p.p > MAX_P) throw new Error(`scrypt p must be 1..${MAX_P}`);
}

/** Hash a password with a fresh random salt. `params` is for tests and tuning; production uses the defaults. */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_PARAMS): Promise<string> {
  if (typeof password !== 'string' || password.length === 0) throw new Error('password must be a non-empty string');
  if (password.length > MAX_PASSWORD_LENGTH) throw new Error(`password longer than ${MAX_PASSWORD_LENGTH} characters`);
  checkParams(params);
  const salt = randomBytes(SALT_BYTES);
  const key = await scrypt(password, salt, KEY_BYTES, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

interface Decoded extends ScryptParams {
  salt: Buffer;
  key: Buffer;
}

export function decodeHash(encoded: string): Decoded | null {
  const parts = typeof encoded === 'string' ? encoded.split('$') : [];
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [N, r, p] = parts.slice(1, 4).map((s) => (/^\d{1,8}$/.test(s) ? Number(s) : NaN));
  const b64 = /^[A-Za-z0-9_-]+$/;
  if (!b64.test(parts[4]) || !b64.test(parts[5])) return null;
  const salt = Buffer.from(parts[4], 'base64url');
  const key = Buffer.from(parts[5], 'base64url');
  try {
    checkParams({ N, r, p });
  } catch {
    return null;
  }
  if (salt.length < 8 || key.length < 16 || key.length > 128) return null;
  return { N, r, p, salt, key };
}

/** True when `password` matches `encoded`. Compares in constant time; false (never throws) for a malformed hash. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const d = decodeHash(encoded);
  if (!d || typeof password !== 'string' || password.length > MAX_PASSWORD_LENGTH) return false;
  const key = await scrypt(password, d.salt, d.key.length, d);
  return timingSafeEqual(key, d.key);
}

/** True when a stored hash uses weaker parameters than `target` (re-hash it at the next successful login). */
export function needsRehash(encoded: string, target: ScryptParams = DEFAULT_PARAMS): boolean {
  const d = decodeHash(encoded);
  return !d || d.N < target.N || d.r < target.r || d.p < target.p || d.key.length < KEY_BYTES;
}

const dummies = new Map<string, Promise<string>>();
/**
 * Spend the same time as a real verification when the user does not exist, so response times do not reveal
 * which usernames are valid.
 */
export async function verifyDummy(password: string, params: ScryptParams = DEFAULT_PARAMS): Promise<false> {
  const k = `${params.N}/${params.r}/${params.p}`;
  let dummy = dummies.get(k);
  if (!dummy) dummies.set(k, (dummy = hashPassword('dummy password that never matches', params)));
  await verifyPassword(typeof password === 'string' ? password.slice(0, MAX_PASSWORD_LENGTH) : '', await dummy);
  return false;
}
