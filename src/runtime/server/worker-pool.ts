/**
 * A fixed pool of onnxruntime worker threads (ort-worker.mjs), one per compute slot. Each
 * worker holds its own session of every served model, so N requests compute in parallel while
 * the server's event loop stays responsive. The Limiter in front guarantees at most N jobs, so
 * a started job always finds an idle worker.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CoquantError } from '../../errors.ts';
import { BufferPool, type BufferLease, type PooledBuffer } from '../protocol/buffer-pool.ts';
import { fromOrtType, toOrtType, typedArrayCtor, type NumericArray } from '../protocol/datatypes.ts';
import { invalidArg, unsupported } from '../protocol/protocol-error.ts';
import { bytesOf, textOf, type InferTensor } from '../protocol/tensor-codec.ts';
import type { ModelSpec } from './model-registry.ts';

export interface WorkerValueMeta { name: string; isTensor: boolean; type: string; shape: number[] }
export interface WorkerModelMeta { name: string; inputs: WorkerValueMeta[]; outputs: WorkerValueMeta[] }

interface Job {
  resolve: (r: { outputs: InferTensor[]; computeMs: number }) => void;
  reject: (e: unknown) => void;
  model: string;
  /** Held while the worker may still read or write the job's pooled buffers. */
  lease?: BufferLease;
  out?: PooledBuffer;
}

interface Slot {
  worker: Worker; busy: Job | undefined; jobId: number; onIdle: Array<() => void>; onReleased?: () => void;
  /** Ids of the shared buffers this worker has been sent (it keeps them until told to forget). */
  shared: Set<number>;
}

/** Where a tensor lies in a shared pooled buffer (the worker's view of it). */
interface BufferRef { id: number; off: number; len: number }
type WorkerOutput = { name: string; type: string; dims: number[]; data?: NumericArray | string[]; ref?: BufferRef };

type WorkerMsg =
  | { kind: 'ready'; models: WorkerModelMeta[] }
  | { kind: 'init-failed'; model: string; message: string }
  | { kind: 'done'; id: number; outputs: WorkerOutput[]; computeMs: number; outBytes: number }
  | { kind: 'fail'; id: number; message: string }
  | { kind: 'released' };

const WORKER_URL = new URL('./ort-worker.mjs', import.meta.url);

/** Outputs smaller than this travel as their own (transferred) buffers, not through the pool. */
const MIN_POOLED_OUTPUT = 64 * 1024;

function toFeed(t: InferTensor, lease: BufferLease | undefined, share: (p: PooledBuffer) => number) {
  const type = toOrtType(t.datatype);
  if (!type) throw unsupported(`input '${t.name}': datatype ${t.datatype} has no onnxruntime-node tensor type`);
  if (t.datatype === 'BYTES') return { name: t.name, type, dims: t.shape, data: (t.data as Uint8Array[]).map(textOf) };
  const a = t.data as NumericArray;
  const p = lease?.owner(a);
  if (!p) return { name: t.name, type, dims: t.shape, data: a };
  // In a shared pooled buffer: the worker copies it out by reference (onnxruntime-node refuses
  // SharedArrayBuffer-backed tensors), so nothing is transferred or cloned here.
  return { name: t.name, type, dims: t.shape, ref: { id: share(p), off: a.byteOffset, len: a.byteLength }, array: a.constructor.name };
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private metadata: WorkerModelMeta[] = [];
  /** Shared buffers for request bodies and outputs; a dropped one is forgotten by the workers too. */
  readonly buffers = new BufferPool({
    shared: true, onDrop: (id) => this.forget(id), poisonOnRelease: process.env.COQUANT_POOL_POISON === '1',
  });
  /** Output bytes of each model's last run: the size of the output buffer the next run gets. */
  private readonly outBytes = new Map<string, number>();

  /** `intraOpThreads`: onnxruntime intra-op threads per worker session. */
  private constructor(private readonly models: ModelSpec[], readonly intraOpThreads: number) {}

  /** Starts `size` workers and waits until each has loaded every model. */
  static async start(models: ModelSpec[], size: number, intraOpThreads?: number): Promise<WorkerPool> {
    const threads = intraOpThreads && intraOpThreads > 0 ? intraOpThreads : Math.max(1, Math.floor(availableParallelism() / size));
    const pool = new WorkerPool(models, threads);
    try {
      const metas = await Promise.all(Array.from({ length: size }, () => pool.spawn()));
      pool.metadata = metas[0] ?? [];
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  get modelMetadata(): WorkerModelMeta[] { return this.metadata; }

  private spawn(): Promise<WorkerModelMeta[]> {
    const worker = new Worker(WORKER_URL, { workerData: { models: this.models, intraOpThreads: this.intraOpThreads }, execArgv: [] });
    const slot: Slot = { worker, busy: undefined, jobId: 0, onIdle: [], shared: new Set() };
    this.slots.push(slot);
    return new Promise((resolve, reject) => {
      let ready = false;
      worker.on('message', (m: WorkerMsg) => {
        if (m.kind === 'ready') { ready = true; resolve(m.models); return; }
        if (m.kind === 'init-failed') {
          reject(new CoquantError('E_MODEL_LOAD', `model '${m.model}': onnxruntime cannot load ${this.models.find((x) => x.name === m.model)?.path}: ${m.message}`, { exitCode: 2 }));
          return;
        }
        if (m.kind === 'released') { slot.onReleased?.(); return; }
        if ((m.kind === 'done' || m.kind === 'fail') && slot.busy && m.id === slot.jobId) {
          const job = slot.busy;
          slot.busy = undefined;
          for (const f of slot.onIdle.splice(0)) f();
          if (m.kind === 'done') this.outBytes.set(job.model, m.outBytes);
          // Views of job.out are built before the lease is dropped: the answer's own reference
          // (taken by the caller) keeps the buffers until it is written.
          const settle = () => job.lease?.drop();
          if (m.kind === 'fail') {
            settle();
            // Inputs passed the metadata checks, so a failure here depends on their values or sizes
            // (e.g. an image too narrow for a convolution): the caller's argument, not a server fault.
            job.reject(invalidArg(`onnxruntime rejected the inputs: ${m.message.slice(0, 300)}`, 'model_run'));
          } else {
            try {
              job.resolve({ outputs: m.outputs.map((o) => this.fromOutput(o, job.out)), computeMs: m.computeMs });
            } catch (e) { job.reject(e); }
            settle();
          }
        }
      });
      const died = (why: string) => {
        if (!ready) reject(new CoquantError('E_WORKER', `onnxruntime worker failed to start: ${why}`));
        const job = slot.busy;
        slot.busy = undefined;
        job?.lease?.drop();
        job?.reject(new Error(`onnxruntime worker died: ${why}`));
        for (const f of slot.onIdle.splice(0)) f();
        slot.onReleased?.();
        const i = this.slots.indexOf(slot);
        if (i >= 0) this.slots.splice(i, 1);
        if (ready && !this.closed) this.spawn().catch(() => undefined);
      };
      worker.on('error', (e) => died(e.message));
      worker.on('exit', (code) => { if (!this.closed || slot.busy) died(`exit code ${code}`); });
    });
  }

  private fromOutput(o: WorkerOutput, out: PooledBuffer | undefined): InferTensor {
    const dt = fromOrtType(o.type);
    if (!dt) throw unsupported(`output '${o.name}' has onnxruntime type ${o.type}, which the protocol cannot carry`);
    if (dt === 'BYTES') return { name: o.name, datatype: dt, shape: o.dims, data: (o.data as string[]).map(bytesOf) };
    if (o.ref) {
      if (!out || o.ref.id !== out.id) throw new Error(`worker wrote output '${o.name}' into buffer ${o.ref.id}, not the job's`);
      const Ctor = typedArrayCtor(dt);
      return { name: o.name, datatype: dt, shape: o.dims, data: new Ctor(out.buffer, o.ref.off, o.ref.len / Ctor.BYTES_PER_ELEMENT) };
    }
    return { name: o.name, datatype: dt, shape: o.dims, data: o.data as NumericArray };
  }

  /** Tells the workers that hold shared buffer `id` to let it go (the pool dropped it). */
  private forget(id: number): void {
    for (const s of this.slots) {
      if (s.shared.delete(id)) s.worker.postMessage({ kind: 'forget', id });
    }
  }

  /**
   * Runs one inference on an idle worker. The caller (Limiter) keeps jobs ≤ pool size.
   * `transfer` lists ArrayBuffers the caller gives away (they are moved to the worker, not
   * copied, and are detached here afterwards): only buffers nobody else holds a view of.
   * With `lease` (from `buffers`), inputs that lie in its pooled buffers are copied by the worker
   * straight from the shared buffer (no transfer, no clone), and the outputs come back in a
   * pooled buffer of the lease; the job holds the lease until the worker has answered.
   */
  run(
    model: string, inputs: InferTensor[], fetches: string[], transfer: readonly ArrayBuffer[] = [], lease?: BufferLease,
  ): Promise<{ outputs: InferTensor[]; computeMs: number }> {
    const slot = this.slots.find((s) => !s.busy);
    if (!slot) return Promise.reject(new Error('no idle onnxruntime worker (limiter and pool disagree)'));
    if (lease && !lease.hold()) return Promise.reject(new Error('the request\'s buffers were given back before it ran'));
    return new Promise((resolve, reject) => {
      const share: Array<{ id: number; sab: ArrayBuffer | SharedArrayBuffer }> = [];
      const shareId = (p: PooledBuffer) => {
        if (!slot.shared.has(p.id)) { slot.shared.add(p.id); share.push({ id: p.id, sab: p.buffer }); }
        return p.id;
      };
      let out: PooledBuffer | undefined;
      try {
        const feeds = inputs.map((t) => toFeed(t, lease, shareId));
        const want = this.outBytes.get(model) ?? 0;
        out = lease && want >= MIN_POOLED_OUTPUT ? lease.acquire(want) : undefined;
        slot.jobId = this.nextId++;
        slot.busy = { resolve, reject, model, lease, out };
        const outRef = out ? { id: shareId(out), cap: out.buffer.byteLength } : undefined;
        slot.worker.postMessage({ kind: 'run', id: slot.jobId, model, feeds, fetches, share, out: outRef }, [...new Set(transfer)]);
      } catch (e) {
        if (slot.busy?.resolve === resolve) slot.busy = undefined;
        for (const x of share) slot.shared.delete(x.id);
        lease?.drop();
        reject(e);
      }
    });
  }

  private closed = false;

  /**
   * Waits for running jobs to finish (a request that already timed out may still be computing),
   * releases the sessions, then ends the workers. Terminating a worker inside onnxruntime's
   * run() aborts the whole process, so this never cuts a job short.
   */
  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots.splice(0);
    await Promise.all(slots.map(async (s) => {
      if (s.busy) await new Promise<void>((r) => s.onIdle.push(r));
      await new Promise<void>((r) => {
        s.onReleased = r;
        s.worker.postMessage({ kind: 'release' });
      });
      await s.worker.terminate();
    }));
  }
}
