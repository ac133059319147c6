import { describe, expect, it } from 'vitest';
import v8 from 'node:v8';
import vm from 'node:vm';
import { BufferPool, bucketLength, budgetedBuffer, lasting, newMemory, Scratch, scratchFor, Spares, sparesMemory, unboxed, type Block } from '../../../server/engine/alloc.ts';
import { buildGraph } from '../../../server/engine/graph.ts';
import { gridFixture } from './fixtures.ts';

describe('unboxed', () => {
  it('returns the same number (−0, fractions, large and odd values included)', () => {
    for (const x of [0, -0, 1, -1, 146, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 5e9, 1.5, -2.25, 1e-300, NaN, Infinity, -Infinity]) {
      expect(Object.is(unboxed(x), x), String(x)).toBe(true);
    }
    const f = new Float64Array([7, 0.5, -0]);
    expect([...f].map(unboxed)).toEqual([7, 0.5, -0]);
    expect(Object.is(unboxed(f[2]), -0)).toBe(true);
  });
});

describe('Scratch', () => {
  it('hands out zeroed, non-overlapping arrays, and the same memory again after reset', () => {
    const sc = new Scratch();
    const a = sc.float64(100), b = sc.float64(50), i = sc.int32(10), u = sc.uint8(7);
    expect([a.length, b.length, i.length, u.length]).toEqual([100, 50, 10, 7]);
    a.fill(1); b.fill(2); i.fill(3); u.fill(4);
    expect(a.every((x) => x === 1) && b.every((x) => x === 2)).toBe(true);
    sc.reset();
    const a2 = sc.float64(100);
    expect(a2.buffer).toBe(a.buffer);
    expect(a2.every((x) => x === 0)).toBe(true); // zeroed again
    const b2 = sc.float64(50, false);
    expect(b2.every((x) => x === 2)).toBe(true); // not zeroed on request: what the last call left
  });

  it('keeps the arrays of the current call intact when it grows', () => {
    const sc = new Scratch();
    const a = sc.float64(1000).fill(7);
    const b = sc.float64(5000).fill(8); // does not fit: a new buffer
    const c = sc.int32(3000).fill(9);
    const d = sc.int32(3000).fill(10);
    expect(a.every((x) => x === 7) && b.every((x) => x === 8) && c.every((x) => x === 9) && d.every((x) => x === 10)).toBe(true);
    expect(b.buffer).not.toBe(a.buffer);
    // the next call fits in the grown buffers without new memory
    sc.reset();
    const bufs = [sc.float64(1000).buffer, sc.float64(5000).buffer];
    expect(bufs[0]).toBe(bufs[1]);
  });

  it('is kept per key', () => {
    const cache = new WeakMap<object, Scratch>();
    const k1 = {}, k2 = {};
    const s1 = scratchFor(cache, k1);
    expect(scratchFor(cache, k1)).toBe(s1);
    expect(scratchFor(cache, k2)).not.toBe(s1);
  });
});

describe('Spares', () => {
  it('hands a given-back array out again for the same type and length, refilled; else a new one', () => {
    const sp = new Spares();
    const a = sp.take('f64', 5, NaN);
    expect(Array.from(a).every(Number.isNaN)).toBe(true);
    a.fill(7);
    sp.give(a);
    expect(sp.take('f64', 6, 0)).not.toBe(a); // another length
    expect(sp.take('i32', 5, 0)).toBeInstanceOf(Int32Array); // another type
    const b = sp.take('f64', 5, -1);
    expect(b).toBe(a);
    expect(Array.from(b)).toEqual([-1, -1, -1, -1, -1]);
    expect(sp.reused).toBe(1);
    expect(sp.take('f64', 5, 0)).not.toBe(a); // taken once, gone from the spares
  });

  it('copies into a spare; keeps no views, no array twice, and at most 32 per shape', () => {
    const sp = new Spares();
    const src = Int32Array.from([1, 2, 3]);
    const spare = new Int32Array(3);
    sp.give(spare, spare, new Int32Array(8).subarray(0, 3));
    const c = sp.copy(src);
    expect(c).toBe(spare);
    expect(Array.from(c)).toEqual([1, 2, 3]);
    expect(sp.copy(src)).not.toBe(spare); // the view and the second give were not kept: a fresh copy
    const many = Array.from({ length: 40 }, () => new Uint8Array(2));
    sp.give(...many);
    const back = new Set(Array.from({ length: 40 }, () => sp.take('u8', 2, 0)));
    expect(many.filter((m) => back.has(m)).length).toBe(32);
  });

  it('takeAtLeast: a whole array of the bucketed length, shared by sizes in one bucket, contents as left', () => {
    expect([0, 1, 1024].map(bucketLength)).toEqual([1024, 1024, 1024]);
    expect(bucketLength(1025)).toBe(1280);
    for (let n = 1; n < 5e6; n = Math.ceil(n * 1.7) + 3) {
      const b = bucketLength(n);
      expect(b).toBeGreaterThanOrEqual(n);
      expect(b % 256).toBe(0);
      expect(b).toBeLessThanOrEqual(Math.max(1024, Math.ceil(n * 1.25) + 256));
    }
    const sp = new Spares();
    const a = sp.takeAtLeast('i32', 1100);
    expect(a.length).toBe(1280);
    a.fill(9);
    sp.give(a);
    const b = sp.takeAtLeast('i32', 1200); // another size in the same bucket
    expect(b).toBe(a);
    expect(b[1199]).toBe(9); // not refilled
    expect(sp.reused).toBe(1);
    expect(sp.takeAtLeast('i32', 1200)).not.toBe(a);
    expect(sp.takeAtLeast('f64', 2000)).toBeInstanceOf(Float64Array);
  });
});

describe('Spares: lasting columns within a budget', () => {
  it('makes lasting columns while the reachable ones stay within the budget, plain ones beyond, and counts collected ones out', async () => {
    const budget = sparesMemory.budget;
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    // what earlier tests dropped is counted out first
    const settle = async (done: () => boolean) => {
      for (let i = 0; i < 50 && !done(); i++) { gc(); await new Promise((r) => setTimeout(r, 10)); }
    };
    let last = -1;
    await settle(() => { const same = sparesMemory.outstanding === last; last = sparesMemory.outstanding; return same; });
    try {
      const sp = new Spares();
      sparesMemory.budget = sparesMemory.outstanding + 3 * 8192;
      const start = sparesMemory.outstanding;
      let a: Float64Array | null = sp.take('f64', 1024, 0), b: Int32Array | null = sp.takeAtLeast('i32', 2048);
      expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(b.buffer).toBeInstanceOf(SharedArrayBuffer);
      const made = 8192 + 4 * bucketLength(2048);
      expect(sparesMemory.outstanding - start).toBe(made);
      const c = sp.take('f64', 2048, 1); // 16 KB more: over the budget
      expect(c.buffer).toBeInstanceOf(ArrayBuffer);
      expect([...c.subarray(0, 3)]).toEqual([1, 1, 1]);
      // the assignment's scratch buffers share the budget: over it, plain too
      expect(budgetedBuffer(16384)).toBeInstanceOf(ArrayBuffer);
      expect(sparesMemory.outstanding - start).toBe(made);
      // dropped (never given back): counted out once collected
      a = null; b = null;
      await settle(() => sparesMemory.outstanding <= start);
      expect(sparesMemory.outstanding).toBe(start);
      expect(sp.take('f64', 1024, 0).buffer).toBeInstanceOf(SharedArrayBuffer);
    } finally {
      sparesMemory.budget = budget;
    }
  });
});

describe('BufferPool', () => {
  const MB = 1 << 20;
  const bytesOf = (b: Block) => new Uint8Array(b.buffer, b.offset, b.bytes);
  const whole = (bytes: number): Block => ({ buffer: new ArrayBuffer(bytes), offset: 0, bytes });

  it('hands out the smallest free block that holds a take, else a new zeroed buffer; contents as left', () => {
    const pool = new BufferPool(MB, 64 * MB);
    const a = pool.take(10 * MB), b = pool.take(3 * MB);
    expect([pool.reused, a.bytes, b.bytes, a.offset, a.buffer.byteLength]).toEqual([0, 10 * MB, 3 * MB, 0, 10 * MB]);
    expect(bytesOf(a).every((x) => x === 0)).toBe(true);
    bytesOf(a).fill(7);
    pool.give(a); pool.give(b); pool.give(b);
    expect(pool.freeBytes).toBe(13 * MB);
    // 3 MB for 2.5 MB: whole, since less than minBytes would be left
    const c = pool.take(2.5 * MB);
    expect([c.buffer === b.buffer, c.offset, c.bytes]).toEqual([true, 0, 3 * MB]);
    const d = pool.take(9.5 * MB);
    expect([d.buffer === a.buffer, d.offset, d.bytes]).toEqual([true, 0, 10 * MB]);
    expect(bytesOf(d)[0]).toBe(7);
    expect(pool.reused).toBe(2);
    expect(pool.freeBytes).toBe(0);
  });

  it('cuts takes out of a larger free block and joins the pieces again when they come back', () => {
    const pool = new BufferPool(MB, 64 * MB);
    const big = pool.take(20 * MB);
    pool.give(big);
    // 4 MB + 1 byte: rounded up to 8 bytes, the head of the 20 MB buffer; the rest stays free
    const p = pool.take(4 * MB + 1), q = pool.take(5 * MB);
    expect([p.buffer, p.offset, p.bytes]).toEqual([big.buffer, 0, 4 * MB + 8]);
    expect([q.buffer, q.offset, q.bytes]).toEqual([big.buffer, 4 * MB + 8, 5 * MB]);
    expect(pool.freeBytes).toBe(11 * MB - 8);
    // the pieces do not overlap
    bytesOf(p).fill(1); bytesOf(q).fill(2);
    expect(bytesOf(p).every((x) => x === 1) && bytesOf(q).every((x) => x === 2)).toBe(true);
    // less than minBytes would be left: the rest goes whole
    const r = pool.take(10.5 * MB);
    expect([r.buffer, r.offset, r.bytes]).toEqual([big.buffer, 9 * MB + 8, 11 * MB - 8]);
    expect(pool.freeBytes).toBe(0);
    pool.give(q); pool.give(p); pool.give(r); pool.give(q);
    expect(pool.freeBytes).toBe(20 * MB);
    // whole again: a 20 MB take gets the same buffer, not a new one
    const again = pool.take(20 * MB);
    expect([again.buffer, again.offset, again.bytes]).toEqual([big.buffer, 0, 20 * MB]);
    expect(pool.reused).toBe(4);
  });

  it('keeps no small buffers and no more than keepBytes of whole free ones', () => {
    const pool = new BufferPool(MB, 5 * MB);
    pool.give(whole(MB / 2));
    expect(pool.freeBytes).toBe(0);
    pool.take(MB / 2);
    expect(pool.reused).toBe(0);
    pool.give(whole(4 * MB)); pool.give(whole(2 * MB));
    expect(pool.freeBytes).toBe(4 * MB);
    pool.fillFree(9);
    const t = pool.take(3.5 * MB);
    expect([pool.reused, t.bytes]).toEqual([1, 4 * MB]);
    expect(bytesOf(t).every((x) => x === 9)).toBe(true);
  });
});

describe('lasting', () => {
  it('gives zeroed typed arrays of the asked length that V8 does not count as new external memory (Node)', () => {
    const a = lasting.f64(5), b = lasting.i32(3), c = lasting.u8(7);
    expect([a.constructor, b.constructor, c.constructor]).toEqual([Float64Array, Int32Array, Uint8Array]);
    expect([a.length, b.length, c.length]).toEqual([5, 3, 7]);
    expect([...a, ...b, ...c].every((x) => x === 0)).toBe(true);
    a[4] = 1.5; b[2] = -7;
    expect([a[4], b[2]]).toEqual([1.5, -7]);
    expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
    // what matters: a context's ~1 GB of arrays does not push V8 towards a full collection per 64 MB
    const before = process.memoryUsage().external;
    const big = lasting.f64(16 * 2 ** 20); // 128 MB
    expect(process.memoryUsage().external - before).toBeLessThan(16 * 2 ** 20);
    expect(process.memoryUsage().arrayBuffers).toBeGreaterThanOrEqual(big.byteLength);
  });

  it('holds the graph\'s arrays', () => {
    const g = buildGraph(gridFixture('S--+--B').input);
    for (const a of [g.x, g.edgeSource, g.adjNode, g.geomCum, g.closed]) expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
  });
});

describe('newMemory', () => {
  it('is told of each new shared buffer of at least minBytes, as it is made, and of no smaller one', () => {
    const seen: SharedArrayBuffer[] = [];
    const saved = { ...newMemory };
    newMemory.observe = (b) => seen.push(b);
    try {
      newMemory.minBytes = 1000;
      const small = lasting.u8(999), big = lasting.f64(125), viaBuffer = lasting.buffer(4096);
      const spare = budgetedBuffer(2048);
      expect(seen).toEqual([big.buffer, viaBuffer, ...(spare instanceof SharedArrayBuffer ? [spare] : [])]);
      expect(seen).not.toContain(small.buffer);
      // memory another thread fills in its own time is not handed on
      lasting.f64(1000, false);
      expect(seen).toHaveLength(spare instanceof SharedArrayBuffer ? 3 : 2);
      // told before anyone wrote to it
      expect(new Float64Array(seen[0]).every((x) => x === 0)).toBe(true);
    } finally {
      Object.assign(newMemory, saved);
    }
  });
});
