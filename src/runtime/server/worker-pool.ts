/**
 * A fixed pool of onnxruntime worker threads (ort-worker.mjs), one per compute slot. Each
 * worker holds its own session of every served model, so N requests compute in parallel while
 * the server's event loop stays responsive. The Limiter in front guarantees at most N jobs, so
 * a started job always finds an idle worker.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CoquantError } from '../../errors.ts';
import { fromOrtType, toOrtType, type NumericArray } from '../protocol/datatypes.ts';
import { invalidArg, unsupported } from '../protocol/protocol-error.ts';
import { bytesOf, textOf, type InferTensor } from '../protocol/tensor-codec.ts';
import type { ModelSpec } from './model-registry.ts';

export interface WorkerValueMeta { name: string; isTensor: boolean; type: string; shape: number[] }
export interface WorkerModelMeta { name: string; inputs: WorkerValueMeta[]; outputs: WorkerValueMeta[] }

interface Job { resolve: (r: { outputs: InferTensor[]; computeMs: number }) => void; reject: (e: unknown) => void }

interface Slot { worker: Worker; busy: Job | undefined; jobId: number; onIdle: Array<() => void>; onReleased?: () => void }

type WorkerMsg =
  | { kind: 'ready'; models: WorkerModelMeta[] }
  | { kind: 'init-failed'; model: string; message: string }
  | { kind: 'done'; id: number; outputs: Array<{ name: string; type: string; dims: number[]; data: NumericArray | string[] }>; computeMs: number }
  | { kind: 'fail'; id: number; message: string }
  | { kind: 'released' };

const WORKER_URL = new URL('./ort-worker.mjs', import.meta.url);

function toFeed(t: InferTensor) {
  const type = toOrtType(t.datatype);
  if (!type) throw unsupported(`input '${t.name}': datatype ${t.datatype} has no onnxruntime-node tensor type`);
  const data = t.datatype === 'BYTES' ? (t.data as Uint8Array[]).map(textOf) : t.data;
  return { name: t.name, type, dims: t.shape, data };
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private metadata: WorkerModelMeta[] = [];

  private constructor(private readonly models: ModelSpec[], private readonly intraOpThreads: number) {}

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
    const slot: Slot = { worker, busy: undefined, jobId: 0, onIdle: [] };
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
          if (m.kind === 'fail') {
            // Inputs passed the metadata checks, so a failure here depends on their values or sizes
            // (e.g. an image too narrow for a convolution): the caller's argument, not a server fault.
            job.reject(invalidArg(`onnxruntime rejected the inputs: ${m.message.slice(0, 300)}`, 'model_run'));
          } else {
            try {
              job.resolve({ outputs: m.outputs.map((o) => this.fromOutput(o)), computeMs: m.computeMs });
            } catch (e) { job.reject(e); }
          }
        }
      });
      const died = (why: string) => {
        if (!ready) reject(new CoquantError('E_WORKER', `onnxruntime worker failed to start: ${why}`));
        const job = slot.busy;
        slot.busy = undefined;
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

  private fromOutput(o: { name: string; type: string; dims: number[]; data: NumericArray | string[] }): InferTensor {
    const dt = fromOrtType(o.type);
    if (!dt) throw unsupported(`output '${o.name}' has onnxruntime type ${o.type}, which the protocol cannot carry`);
    if (dt === 'BYTES') return { name: o.name, datatype: dt, shape: o.dims, data: (o.data as string[]).map(bytesOf) };
    return { name: o.name, datatype: dt, shape: o.dims, data: o.data as NumericArray };
  }

  /**
   * Runs one inference on an idle worker. The caller (Limiter) keeps jobs ≤ pool size.
   * `transfer` lists ArrayBuffers the caller gives away (they are moved to the worker, not
   * copied, and are detached here afterwards): only buffers nobody else holds a view of.
   */
  run(model: string, inputs: InferTensor[], fetches: string[], transfer: readonly ArrayBuffer[] = []): Promise<{ outputs: InferTensor[]; computeMs: number }> {
    const slot = this.slots.find((s) => !s.busy);
    if (!slot) return Promise.reject(new Error('no idle onnxruntime worker (limiter and pool disagree)'));
    return new Promise((resolve, reject) => {
      const feeds = inputs.map(toFeed);
      slot.jobId = this.nextId++;
      slot.busy = { resolve, reject };
      slot.worker.postMessage({ kind: 'run', id: slot.jobId, model, feeds, fetches }, [...new Set(transfer)]);
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
