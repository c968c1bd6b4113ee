/**
 * onnxruntime sessions on the server's own event-loop thread, for models whose compute is so
 * short that handing a request to a worker thread costs more than the compute itself: the hop
 * there and back wakes two threads and copies the tensors twice (0.3–0.5 ms per 1 MiB request
 * measured on this project's 2-core machines, docs/bench/serve.md). Which requests run here is
 * the placement policy's choice (compute-placement.ts); this file only runs them.
 */
import { CoquantError } from '../../errors.ts';
import { createSession, releaseSession, runRaw, type RawTensor, type Session } from '../../ort/session.ts';
import { fromOrtType, toOrtType, typedArrayCtor, type NumericArray } from '../protocol/datatypes.ts';
import { invalidArg, unsupported } from '../protocol/protocol-error.ts';
import type { InferTensor } from '../protocol/tensor-codec.ts';
import type { ModelSpec } from './model-registry.ts';

export class InlineRunner {
  private readonly sessions = new Map<string, Session>();
  private readonly opening = new Map<string, Promise<void>>();
  /** `${model}/${input}` -> buffer reused for that input: onnxruntime refuses shared memory. */
  private readonly scratch = new Map<string, ArrayBuffer>();
  private closed = false;

  constructor(private readonly models: readonly ModelSpec[], private readonly intraOpThreads: number) {}

  /** Whether `run` can take the model now. */
  isOpen(model: string): boolean {
    return this.sessions.has(model);
  }

  /** Opens the model's session on this thread (the workers keep their own); rejects if onnxruntime cannot. */
  open(model: string): Promise<void> {
    let p = this.opening.get(model);
    if (!p) {
      const spec = this.models.find((m) => m.name === model);
      p = spec
        ? createSession(spec.path, { intraOpThreads: this.intraOpThreads, label: spec.path }).then((s) => {
          if (this.closed) void releaseSession(s).catch(() => undefined);
          else this.sessions.set(model, s);
        })
        : Promise.reject(new Error(`model '${model}' is not served`));
      this.opening.set(model, p);
    }
    return p;
  }

  /** An input as onnxruntime takes it: views of ordinary memory; shared memory is copied out once. */
  private feedOf(model: string, t: InferTensor): RawTensor {
    const type = toOrtType(t.datatype);
    if (!type || t.datatype === 'BYTES') throw unsupported(`input '${t.name}': datatype ${t.datatype} is not run on the event-loop thread`);
    const a = t.data as NumericArray;
    if (a.buffer instanceof ArrayBuffer) return { type, data: a, dims: t.shape };
    const key = `${model}/${t.name}`;
    let buf = this.scratch.get(key);
    if (!buf || buf.byteLength < a.byteLength) {
      buf = new ArrayBuffer(Math.max(a.byteLength, buf ? buf.byteLength * 2 : 0));
      this.scratch.set(key, buf);
    }
    new Uint8Array(buf, 0, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    const Ctor = typedArrayCtor(t.datatype);
    return { type, data: new Ctor(buf, 0, a.length), dims: t.shape };
  }

  async run(model: string, inputs: readonly InferTensor[], fetches: readonly string[]): Promise<{ outputs: InferTensor[]; computeMs: number }> {
    const session = this.sessions.get(model);
    if (!session) throw new Error(`model '${model}' has no session on the event-loop thread (open it first)`);
    const feed: Record<string, RawTensor> = {};
    for (const t of inputs) feed[t.name] = this.feedOf(model, t);
    const t0 = performance.now();
    let res: Record<string, RawTensor>;
    try {
      res = await runRaw(session, feed, fetches);
    } catch (e) {
      // As from a worker: the inputs passed the metadata checks, so this is about their values.
      if (e instanceof CoquantError) throw invalidArg(`onnxruntime rejected the inputs: ${e.message.slice(0, 300)}`, 'model_run');
      throw e;
    }
    const computeMs = performance.now() - t0;
    const outputs = fetches.map((name): InferTensor => {
      const o = res[name]!;
      const datatype = fromOrtType(o.type);
      if (!datatype || datatype === 'BYTES') throw unsupported(`output '${name}' has onnxruntime type ${o.type}, which is not run on the event-loop thread`);
      return { name, datatype, shape: [...o.dims], data: o.data as NumericArray };
    });
    return { outputs, computeMs };
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.opening.values()]);
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((s) => releaseSession(s).catch(() => undefined)));
  }
}
