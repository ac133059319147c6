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

export class Scratch {
  private f64 = new Float64Array(0);
  private i32 = new Int32Array(0);
  private u8 = new Uint8Array(0);
  private fOff = 0;
  private iOff = 0;
  private uOff = 0;

  /** Starts a call: the arrays handed out before are free again. */
  reset(): this {
    this.fOff = this.iOff = this.uOff = 0;
    return this;
  }
  /** n doubles, zeroed unless `zero` is false (then the contents are whatever an earlier call left). */
  float64(n: number, zero = true): Float64Array {
    if (this.fOff + n > this.f64.length) { this.f64 = new Float64Array(Math.max(2 * this.f64.length, this.fOff + n, 1024)); this.fOff = 0; }
    const a = this.f64.subarray(this.fOff, this.fOff + n);
    this.fOff += n;
    return zero ? a.fill(0) : a;
  }
  /** n 32-bit integers, zeroed unless `zero` is false. */
  int32(n: number, zero = true): Int32Array {
    if (this.iOff + n > this.i32.length) { this.i32 = new Int32Array(Math.max(2 * this.i32.length, this.iOff + n, 1024)); this.iOff = 0; }
    const a = this.i32.subarray(this.iOff, this.iOff + n);
    this.iOff += n;
    return zero ? a.fill(0) : a;
  }
  /** n bytes, zeroed unless `zero` is false. */
  uint8(n: number, zero = true): Uint8Array {
    if (this.uOff + n > this.u8.length) { this.u8 = new Uint8Array(Math.max(2 * this.u8.length, this.uOff + n, 1024)); this.uOff = 0; }
    const a = this.u8.subarray(this.uOff, this.uOff + n);
    this.uOff += n;
    return zero ? a.fill(0) : a;
  }
}

/** The scratch of `key` in `cache` (made on first use), reset for a new call. */
export function scratchFor(cache: WeakMap<object, Scratch>, key: object): Scratch {
  let s = cache.get(key);
  if (!s) cache.set(key, (s = new Scratch()));
  return s.reset();
}
