import { describe, expect, it } from 'vitest';
import { DEFAULT_PARAMS, decodeHash, hashPassword, needsRehash, verifyDummy, verifyPassword } from '../../../server/auth/passwords.ts';

const FAST = { N: 1024, r: 8, p: 1 };

describe('passwords (scrypt)', () => {
  it('hashes with the OWASP defaults, encodes the parameters and verifies', async () => {
    const t0 = performance.now();
    const h = await hashPassword('correct horse 电池 staple');
    const ms = performance.now() - t0;
    expect(h).toMatch(/^scrypt\$131072\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(decodeHash(h)).toMatchObject(DEFAULT_PARAMS);
    expect(await verifyPassword('correct horse 电池 staple', h)).toBe(true);
    expect(await verifyPassword('correct horse 电池 staplE', h)).toBe(false);
    expect(await verifyPassword('', h)).toBe(false);
    expect(needsRehash(h)).toBe(false);
    console.log(`scrypt N=2^17 r=8 p=1 hash: ${ms.toFixed(0)} ms`);
  });

  it('uses a fresh salt per hash', async () => {
    const a = await hashPassword('same password', FAST);
    const b = await hashPassword('same password', FAST);
    expect(a).not.toBe(b);
    expect(decodeHash(a)!.salt.equals(decodeHash(b)!.salt)).toBe(false);
    expect(await verifyPassword('same password', a)).toBe(true);
    expect(await verifyPassword('same password', b)).toBe(true);
  });

  it('verifies with the parameters stored in the hash and flags weak ones for re-hashing', async () => {
    const weak = await hashPassword('pw-12345678', FAST);
    expect(weak.startsWith('scrypt$1024$8$1$')).toBe(true);
    expect(await verifyPassword('pw-12345678', weak)).toBe(true);
    expect(needsRehash(weak)).toBe(true);
    expect(needsRehash(weak, FAST)).toBe(false);
  });

  it('treats NFC and NFD spellings of a password alike', async () => {
    const h = await hashPassword('caf\u00e9-password', FAST);
    expect(await verifyPassword('cafe\u0301-password', h)).toBe(true);
  });

  it('returns false (never throws) for malformed or hostile hashes', async () => {
    const good = await hashPassword('x-password', FAST);
    const parts = good.split('$');
    for (const bad of [
      '',
      'plain',
      'bcrypt$2b$10$abc',
      ['scrypt', '1000', '8', '1', parts[4], parts[5]].join('$'), // N not a power of two
      ['scrypt', String(2 ** 24), '8', '1', parts[4], parts[5]].join('$'), // absurd memory
      ['scrypt', '1024', '8', '1', 'not base64!', parts[5]].join('$'),
      ['scrypt', '1024', '8', '1', parts[4], ''].join('$'),
      good + '$extra',
    ]) {
      expect(await verifyPassword('x-password', bad)).toBe(false);
      expect(needsRehash(bad)).toBe(true);
    }
  });

  it('rejects empty and oversized passwords when hashing', async () => {
    await expect(hashPassword('', FAST)).rejects.toThrow(/non-empty/);
    await expect(hashPassword('x'.repeat(1025), FAST)).rejects.toThrow(/longer/);
    expect(await verifyPassword('x'.repeat(1025), await hashPassword('x'.repeat(1024), FAST))).toBe(false);
  });

  it('the unknown-user dummy check costs about as much as a real verification', async () => {
    const h = await hashPassword('real-password');
    await verifyDummy('warm-up'); // first call builds the dummy hash
    const time = async (f: () => Promise<unknown>) => {
      const t = performance.now();
      await f();
      return performance.now() - t;
    };
    const real = (await time(() => verifyPassword('guess', h))) + (await time(() => verifyPassword('guess', h)));
    const dummy = (await time(() => verifyDummy('guess'))) + (await time(() => verifyDummy('guess')));
    // Loose bounds: the machine is shared, but a missing dummy check would make the ratio ~0.
    expect(dummy / real).toBeGreaterThan(0.3);
    expect(dummy / real).toBeLessThan(3.5);
  });
});
