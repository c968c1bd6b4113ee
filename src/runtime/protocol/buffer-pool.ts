/**
 * Reusable message buffers for the server and the client. A 1 MiB request used to allocate
 * about 5 MiB of fresh ArrayBuffers on the main thread (body, worker output, answer buffer…);
 * V8 counts that external memory towards its heap limits, so it forced an old-space
 * mark-compact every few requests. Buffers taken from a pool are allocated once and reused.
 *
 * Contract: `acquire` hands out a buffer nobody else holds until it is given back with
 * `release`, which must happen exactly once (a second release is a bug and throws). Sizes are
 * rounded up to powers of two from 64 KiB; smaller requests get a fresh, unpooled buffer
 * (cheap, and not worth a free list). Free buffers are kept up to `maxFreeBytes`; beyond that
 * a released buffer is dropped (`onDrop` tells whoever cached it, e.g. a worker thread).
 */
import v8 from 'node:v8';

export interface PooledBuffer {
  /** Stable id while the buffer lives (0 for an unpooled one). */
  readonly id: number;
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  /** The whole buffer as bytes. */
  readonly bytes: Buffer;
}

export interface BufferPoolOptions {
  /** SharedArrayBuffers, so worker threads can read and write them without transfers. */
  shared?: boolean;
  /** Free buffers kept for reuse, in bytes (default 64 MiB). */
  maxFreeBytes?: number;
  onDrop?: (id: number) => void;
  /** Fill every released buffer with 0xEE, so a use after release shows as wrong bytes (tests). */
  poisonOnRelease?: boolean;
}

export interface BufferPoolStats {
  inUse: number;
  free: number;
  freeBytes: number;
  /** Pooled buffers allocated since the start. */
  created: number;
}

const MIN_POOLED = 64 * 1024;

function sizeClass(bytes: number): number {
  let c = MIN_POOLED;
  while (c < bytes) c *= 2;
  return c;
}

export class BufferPool {
  private readonly free = new Map<number, PooledBuffer[]>();
  private readonly inUse = new Map<ArrayBufferLike, PooledBuffer>();
  private freeBytes = 0;
  private created = 0;
  private nextId = 1;
  private readonly maxFreeBytes: number;

  constructor(private readonly opts: BufferPoolOptions = {}) {
    this.maxFreeBytes = opts.maxFreeBytes ?? 64 * 1024 * 1024;
  }

  acquire(bytes: number): PooledBuffer {
    if (bytes < MIN_POOLED) {
      const b = Buffer.allocUnsafeSlow(bytes);
      return { id: 0, buffer: b.buffer, bytes: b };
    }
    const c = sizeClass(bytes);
    let p = this.free.get(c)?.pop();
    if (p) {
      this.freeBytes -= c;
    } else {
      const buffer = this.opts.shared ? new SharedArrayBuffer(c) : new ArrayBuffer(c);
      p = { id: this.nextId++, buffer, bytes: Buffer.from(buffer) };
      this.created++;
    }
    this.inUse.set(p.buffer, p);
    return p;
  }

  /** The pooled buffer in use that `view` lies in, if any. */
  owner(view: ArrayBufferView): PooledBuffer | undefined {
    return this.inUse.get(view.buffer);
  }

  release(p: PooledBuffer): void {
    if (p.id === 0) return;
    if (this.inUse.get(p.buffer) !== p) throw new Error(`pooled buffer ${p.id} released twice (or not from this pool)`);
    this.inUse.delete(p.buffer);
    if (this.opts.poisonOnRelease) p.bytes.fill(0xee);
    const c = p.buffer.byteLength;
    if (this.freeBytes + c > this.maxFreeBytes) {
      this.opts.onDrop?.(p.id);
      return;
    }
    let list = this.free.get(c);
    if (!list) this.free.set(c, (list = []));
    list.push(p);
    this.freeBytes += c;
  }

  stats(): BufferPoolStats {
    let free = 0;
    for (const l of this.free.values()) free += l.length;
    return { inUse: this.inUse.size, free, freeBytes: this.freeBytes, created: this.created };
  }
}

/**
 * The buffers one exchange holds, given back together when the last holder lets go. The
 * creator holds the first reference; `hold` adds one (false once everything was given back:
 * the buffers may already serve someone else), `drop` removes one.
 * Buffers come from the lease's pool, or from another one passed to `acquire` (the server reads
 * a body that will be computed on its own thread into ordinary memory, since onnxruntime
 * refuses shared memory); `owner` only sees the lease's own pool, whose buffers the workers know.
 */
export class BufferLease {
  private refs = 1;
  private readonly held: Array<{ p: PooledBuffer; from: BufferPool }> = [];

  constructor(private readonly pool: BufferPool) {}

  get released(): boolean { return this.refs === 0; }

  /** A buffer of at least `bytes` from `from` (default: the lease's pool), given back with the lease. */
  acquire(bytes: number, from: BufferPool = this.pool): PooledBuffer {
    if (this.refs === 0) throw new Error('buffer lease used after it was given back');
    const p = from.acquire(bytes);
    this.held.push({ p, from });
    return p;
  }

  /** The pooled buffer of this lease's own pool that `view` lies in, if any. */
  owner(view: ArrayBufferView): PooledBuffer | undefined {
    return this.held.find((h) => h.from === this.pool && h.p.buffer === view.buffer && h.p.id !== 0)?.p;
  }

  hold(): boolean {
    if (this.refs === 0) return false;
    this.refs++;
    return true;
  }

  drop(): void {
    if (this.refs === 0) return;
    if (--this.refs > 0) return;
    for (const h of this.held.splice(0)) h.from.release(h.p);
  }
}

/** The heap growth the serving processes (`coquant serve`, `coquant agent`) run with; see below and docs/bench/serve.md. */
export const SERVING_HEAP_GROWTH = 400;

/**
 * Sets V8's old-generation growth after a mark-compact (`--heap-growing-percent`, process-wide;
 * read at every collection, so setting it at run time works). Megabyte messages leave dead
 * buffers (Node's HTTP parser copies every body chunk) that V8 counts against a limit derived
 * from the small JS heap of a server or an agent, which can settle into a mark-compact every few
 * requests; a larger growth trades heap headroom for those collections. `percent` undefined:
 * $COQUANT_GC_HEAP_GROWTH, else `fallback`; 0 or less leaves V8's own heuristic alone.
 * Returns the percent set (0 when V8's heuristic was left alone).
 */
export function applyGcHeapGrowth(percent: number | undefined, fallback: number): number {
  const env = process.env.COQUANT_GC_HEAP_GROWTH;
  const p = percent ?? (env ? Number(env) : fallback);
  if (!(Number.isFinite(p) && p > 0)) return 0;
  v8.setFlagsFromString(`--heap-growing-percent=${Math.round(p)}`);
  return Math.round(p);
}
