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
 * - `Spares`: typed arrays whose owner is done with them (a plan handed back with `recyclePlan`, a plan's own temporary
 *   columns), handed out again by type and length, refilled — a stream of what-ifs on one city needs the same
 *   city-sized columns every time, and fresh ones cost more than the what-if's own work.
 */

export function unboxed(x: number): number {
  const i = x | 0;
  return i === x && (i !== 0 || 1 / x > 0) ? i : x;
}


/** One growing buffer of one array type, handed out in consecutive pieces until reset. */
class Pool<A extends Column> {
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
  // (kept as long as their key: `lasting`, below)
  private f64 = new Pool((n) => lasting.f64(n));
  private i32 = new Pool((n) => lasting.i32(n));
  private u8 = new Pool((n) => lasting.u8(n));

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

/**
 * Typed arrays for what a plan context keeps: the graph, the segment index, the search graphs and the stages'
 * workspaces — made once per network and reused by every plan on it. They sit on a SharedArrayBuffer where the runtime
 * has one (Node; a browser page only when cross-origin isolated, else a plain ArrayBuffer): V8 counts each new
 * ArrayBuffer towards its external-memory limit and starts a full mark-compact of the whole heap after every 64 MB of
 * them (11–14 while a city's context, ~800 MB of arrays, is built: 150–250 ms each, a quarter of the cold plan),
 * and it does not count shared buffers. Measured: twenty 48 MB ArrayBuffers cost 3 mark-compacts, as many shared ones
 * none. Nothing is shared between threads: these are ordinary arrays to the engine, and
 * process.memoryUsage().arrayBuffers still reports them. Not for arrays a plan drops: uncounted garbage waits for a
 * collection something else starts (plan columns from `Spares` are lasting only within a budget: `sparesMemory`).
 */
const LastingBuffer: new (bytes: number) => ArrayBufferLike = typeof SharedArrayBuffer === 'function' ? SharedArrayBuffer : ArrayBuffer;

/**
 * Told of every new shared `lasting` buffer of at least `minBytes`, as it is made (null: nobody). A host with a spare
 * core sets it to fault the buffer's pages in from another thread (server/plans/prefault.ts) while the engine goes on:
 * the first touch of new memory is what a cold plan spends most of its extra time on, and the engine is one thread.
 * An observer must not change a byte of the buffer: the engine writes it at the same time.
 */
export const newMemory: { minBytes: number; observe: ((buffer: SharedArrayBuffer) => void) | null } = {
  minBytes: 1 << 20,
  observe: null,
};
/** `observe` false: not told to `newMemory.observe` (memory another thread fills later, in its own time). */
function lastingBuffer(bytes: number, observe = true): ArrayBufferLike {
  const buf = new LastingBuffer(bytes);
  if (observe && newMemory.observe !== null && bytes >= newMemory.minBytes && LastingBuffer !== ArrayBuffer) newMemory.observe(buf as SharedArrayBuffer);
  return buf;
}
export const lasting = {
  f64: (n: number, observe = true): Float64Array => new Float64Array(lastingBuffer(8 * n, observe)),
  i32: (n: number, observe = true): Int32Array => new Int32Array(lastingBuffer(4 * n, observe)),
  u8: (n: number, observe = true): Uint8Array => new Uint8Array(lastingBuffer(n, observe)),
  buffer: lastingBuffer,
};

/** A piece of a stage buffer: `bytes` bytes of `buffer` from `offset` (a multiple of 8). */
export interface Block {
  readonly buffer: ArrayBufferLike;
  readonly offset: number;
  readonly bytes: number;
}

/**
 * Big working buffers that a stage holds only while it runs — a search's labels until the routes have read them, the
 * exact assignment's scratch, the signs' passage and sign columns — handed on to the next stage that needs memory, so
 * that a plan's stages share it (its peak instead of the sum). Fresh memory is expensive: the first touch of every
 * 4 KB page faults (2–20 µs on our virtual machines), and a city's first plan touches ~1 GB.
 *
 * `take` gives a block (contents unspecified) cut from the smallest free piece that holds the bytes (the whole piece
 * when less than `minBytes` would be left), else a new (zeroed) `lasting` buffer; `give` hands a block back, and the
 * owner must not use it after that. Free neighbours in one buffer join again, so that the next plan's labels find
 * their buffer whole once every stage has given its blocks back. Buffers under `minBytes` are not kept, nor whole free
 * buffers beyond `keepBytes` in all. One per graph (`stageBuffersOf`, shared by a graph's what-if copies), so the
 * memory goes with the city it is sized for; the engine is synchronous, so a stage always gives its blocks back before
 * the next one takes them.
 */
export class BufferPool {
  private free: Block[] = [];
  /** bytes of the free blocks kept */
  freeBytes = 0;
  /** how many takes were served from free blocks (for tests and benchmarks) */
  reused = 0;
  constructor(readonly minBytes = 4096, readonly keepBytes = 1 << 30) {}
  take(bytes: number): Block {
    const need = Math.ceil(bytes / 8) * 8;
    let best = -1;
    if (need >= this.minBytes) {
      for (let i = 0; i < this.free.length; i++) {
        const len = this.free[i].bytes;
        if (len >= need && (best < 0 || len < this.free[best].bytes)) best = i;
      }
    }
    if (best < 0) return { buffer: lasting.buffer(need), offset: 0, bytes: need };
    const b = this.free[best];
    this.reused++;
    if (b.bytes - need >= Math.max(this.minBytes, 8)) {
      this.free[best] = { buffer: b.buffer, offset: b.offset + need, bytes: b.bytes - need };
      this.freeBytes -= need;
      return { buffer: b.buffer, offset: b.offset, bytes: need };
    }
    this.free.splice(best, 1);
    this.freeBytes -= b.bytes;
    return b;
  }
  give(block: Block): void {
    const { buffer } = block;
    let { offset, bytes } = block;
    if (offset === 0 && bytes === buffer.byteLength && (bytes < this.minBytes || this.freeBytes + bytes > this.keepBytes)) return;
    // (a piece is always taken back: the pool kept its buffer, so its memory is counted already)
    for (const f of this.free) if (f.buffer === buffer && f.offset < offset + bytes && offset < f.offset + f.bytes) return; // given twice
    this.freeBytes += bytes;
    for (let i = 0; i < this.free.length; i++) {
      const f = this.free[i];
      if (f.buffer !== buffer || (f.offset + f.bytes !== offset && offset + bytes !== f.offset)) continue;
      if (f.offset < offset) offset = f.offset;
      bytes += f.bytes;
      this.free.splice(i, 1);
      i = -1;
    }
    this.free.push({ buffer, offset, bytes });
  }
  /** Writes `byte` all over the free blocks (for tests: no stage may depend on what its memory held before). */
  fillFree(byte: number): void {
    for (const f of this.free) new Uint8Array(f.buffer, f.offset, f.bytes).fill(byte);
  }
}
const poolsByKey = new WeakMap<object, BufferPool>();
/** The stage buffers of a graph, by one of its lasting arrays (the adjacency: what-if copies share it). */
export function stageBuffersOf(key: object): BufferPool {
  let p = poolsByKey.get(key);
  if (!p) poolsByKey.set(key, (p = new BufferPool()));
  return p;
}

export type ColumnType = 'f64' | 'i32' | 'u8';
export interface ColumnOf { f64: Float64Array; i32: Int32Array; u8: Uint8Array }
export type Column = ColumnOf[ColumnType];
/** Hands out a column of a type and length, every element set to a value. */
export type TakeColumn = <T extends ColumnType>(type: T, n: number, fill: number) => ColumnOf[T];
const MAKE = { f64: (n: number) => new Float64Array(n), i32: (n: number) => new Int32Array(n), u8: (n: number) => new Uint8Array(n) };
const BYTES = { f64: 8, i32: 4, u8: 1 };
const typeOf = (a: Column): ColumnType => (a instanceof Float64Array ? 'f64' : a instanceof Int32Array ? 'i32' : 'u8');

/**
 * The columns `Spares` make (a plan's own and temporary columns, when there is no spare to refill). A plan hands them
 * back (`recyclePlan`, the temporary ones at its end) or is dropped with them. They are `lasting` while the bytes
 * made so that are still reachable stay within `budget`, and plain beyond it: the first plans of a context — a city's
 * cold plan makes ~90 MB of columns — then start no full collection for them (two fewer mark-compacts of 80–100 ms
 * each in the city's cold plan: 3.2–3.3 → 3.0–3.1 s), while a server that drops plans without recycling them leaves
 * at most `budget` of uncounted garbage, and counted columns beyond it. Reachability is tracked by a
 * FinalizationRegistry on the buffers (where the runtime has none, or no SharedArrayBuffer, columns are plain).
 */
export const sparesMemory = {
  budget: 256 * 1024 * 1024,
  /** bytes of lasting columns made by Spares and not yet collected */
  outstanding: 0,
};
const sparesFreed = typeof FinalizationRegistry === 'function' && LastingBuffer !== ArrayBuffer
  ? new FinalizationRegistry<number>((bytes) => { sparesMemory.outstanding -= bytes; })
  : null;
/**
 * A buffer of `bytes` for a plan's passing working arrays: `lasting` within the budget of `sparesMemory`, plain beyond
 * it (and where the runtime has no FinalizationRegistry or SharedArrayBuffer).
 */
export function budgetedBuffer(bytes: number): ArrayBufferLike {
  if (sparesFreed === null || sparesMemory.outstanding + bytes > sparesMemory.budget) return new ArrayBuffer(bytes);
  const buf = lasting.buffer(bytes);
  sparesMemory.outstanding += bytes;
  // (the buffer, not a view: a plan's columns are views of whole spares, and outlive the whole ones' objects)
  sparesFreed.register(buf, bytes);
  return buf;
}
function makeSpare<T extends ColumnType>(type: T, n: number): ColumnOf[T] {
  const buf = budgetedBuffer(n * BYTES[type]);
  return (type === 'f64' ? new Float64Array(buf) : type === 'i32' ? new Int32Array(buf) : new Uint8Array(buf)) as ColumnOf[T];
}

/** Hands out a view of n elements (contents unspecified). */
export type TakeView = <T extends ColumnType>(type: T, n: number) => ColumnOf[T];
/** New arrays, for callers no plan recycles. */
export const freshView: TakeView = (type, n) => MAKE[type](n) as never;
/** Views of whole spares (`takeAtLeast`), each whole array listed in `owned` so that its owner can give it back. */
export function viewsOf(spares: Spares, owned: Column[]): TakeView {
  return (type, n) => {
    const whole = spares.takeAtLeast(type, n);
    owned.push(whole);
    return whole.subarray(0, n) as never;
  };
}

/** The bucketed lengths of `Spares.takeAtLeast`: 1024, then each 25 % more (rounded up to 256), the first ≥ n. */
export function bucketLength(n: number): number {
  let b = 1024;
  while (b < n) b = Math.ceil((b * 1.25) / 256) * 256;
  return b;
}

export class Spares {
  private free = new Map<string, Column[]>();
  /** How many arrays were handed out again instead of allocated (for tests and benchmarks). */
  reused = 0;

  /** n elements of `type`, every one set to `fill`: a spare of that type and length when there is one, else new. */
  take<T extends ColumnType>(type: T, n: number, fill: number): ColumnOf[T] {
    const a = this.free.get(type + n)?.pop() as ColumnOf[T] | undefined;
    if (!a) return (fill === 0 ? makeSpare(type, n) : makeSpare(type, n).fill(fill)) as ColumnOf[T];
    this.reused++;
    return a.fill(fill) as ColumnOf[T];
  }
  /**
   * A whole array of at least n elements, of a bucketed length (1024, then steps of 25 %), contents as left: plans of
   * about the same size (a plan after a small edit) share spares. Callers use a view of its first n and hand the whole
   * array back.
   */
  takeAtLeast<T extends ColumnType>(type: T, n: number): ColumnOf[T] {
    const len = bucketLength(n);
    const a = this.free.get(type + len)?.pop() as ColumnOf[T] | undefined;
    if (!a) return makeSpare(type, len);
    this.reused++;
    return a;
  }
  /** A copy of `src` (in a spare when there is one). */
  copy<A extends Column>(src: A): A {
    const a = this.free.get(typeOf(src) + src.length)?.pop() as A | undefined;
    if (!a) return src.slice() as A;
    this.reused++;
    a.set(src);
    return a;
  }
  /** Hands arrays back; the caller must not use them again. Only whole arrays (not views) are kept. */
  give(...arrays: Column[]): void {
    for (const a of arrays) {
      if (a.byteOffset !== 0 || a.byteLength !== a.buffer.byteLength) continue;
      const key = typeOf(a) + a.length;
      let list = this.free.get(key);
      if (!list) this.free.set(key, (list = []));
      // a bounded number per shape: about what one plan needs (a plan has ~15 columns of its buildings' length)
      if (list.length < 32 && !list.includes(a)) list.push(a);
    }
  }
}
