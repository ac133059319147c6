/**
 * Allocation helpers for the stages that build many result objects from typed columns (guides, coverage). Pure.
 *
 * - `unboxed(x)`: the same number, as a small integer when it is one. A number read from a Float64Array is a heap
 *   number, and an object field that first receives heap numbers keeps every later value in a 16-byte box of its own;
 *   fields fed small integers store them inline. Same value (−0 stays −0, fractions stay as they are).
 * - `Scratch`: typed working arrays reused by the next call with the same key object (kept in the caller's WeakMap,
 *   so they go with the key, e.g. the plan's input). Fresh memory is expensive — every new page faults, and V8 counts
 *   new external memory towards full collections — so city-sized per-call arrays come from here. Results must never
 *   keep a scratch array: the next call with the same key overwrites it.
 */

export function unboxed(x: number): number {
  const i = x | 0;
  return i === x && (i !== 0 || 1 / x > 0) ? i : x;
}

type Typed = Float64Array | Int32Array | Uint8Array;

/** One growing buffer of one array type, handed out in consecutive pieces until reset. */
class Pool<A extends Typed> {
  private buf: A;
  private off = 0;
  constructor(private make: (n: number) => A) { this.buf = make(0); }
  reset(): void { this.off = 0; }
  take(n: number, zero: boolean): A {
    // a new, larger buffer when this one is full; pieces handed out before stay valid on the old one
    if (this.off + n > this.buf.length) { this.buf = this.make(Math.max(2 * this.buf.length, this.off + n, 1024)); this.off = 0; }
    const a = this.buf.subarray(this.off, this.off + n) as A;
    this.off += n;
    return zero ? (a.fill(0) as A) : a;
  }
}

export class Scratch {
  private f64 = new Pool((n) => new Float64Array(n));
  private i32 = new Pool((n) => new Int32Array(n));
  private u8 = new Pool((n) => new Uint8Array(n));

  /** Starts a call: the arrays handed out before are free again. */
  reset(): this {
    this.f64.reset(); this.i32.reset(); this.u8.reset();
    return this;
  }
  /** n doubles, zeroed unless `zero` is false (then the contents are whatever an earlier call left). */
  float64(n: number, zero = true): Float64Array { return this.f64.take(n, zero); }
  /** n 32-bit integers, zeroed unless `zero` is false. */
  int32(n: number, zero = true): Int32Array { return this.i32.take(n, zero); }
  /** n bytes, zeroed unless `zero` is false. */
  uint8(n: number, zero = true): Uint8Array { return this.u8.take(n, zero); }
}

/** The scratch of `key` in `cache` (made on first use), reset for a new call. */
export function scratchFor(cache: WeakMap<object, Scratch>, key: object): Scratch {
  let s = cache.get(key);
  if (!s) cache.set(key, (s = new Scratch()));
  return s.reset();
}
