/**
 * Thin wrappers around onnxruntime-node: session creation with thread settings that suit a
 * small shared machine, input specs read from the model's metadata, and runs that take and
 * return plain host tensors (copied, so results outlive the session).
 */
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import * as ort from 'onnxruntime-node';
import { CoquantError } from '../errors.ts';
import { ortLoadError, ortRunError } from './ort-errors.ts';
import type { Feed, HostTensor, HostTensorType } from '../data/tensor.ts';
import type { InputSpec } from '../data/random-inputs.ts';
import type { ModelSignature, OutputSpec } from '../data/model-signature.ts';

export interface SessionOptions {
  /** Threads inside one operator (default: all cores). */
  intraOpThreads?: number;
  /** Label for error messages (e.g. the model path). */
  label?: string;
  /** Turn on onnxruntime's profiler (a Chrome-trace JSON of per-node kernel times) with this file prefix. */
  profilePrefix?: string;
  /** Graph optimisation level (default 'all'). Probes and calibration use 'disabled' so every named tensor survives. */
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Write the optimised graph here (onnxruntime's `optimizedModelFilePath`). */
  optimizedModelPath?: string;
  /** Folder the external-data locations of a model given as bytes are relative to (see io/external-data.ts `ortLoadable`). */
  externalDataDir?: string;
  /** With `optimizedModelPath`: write the optimised graph's initializers to `<path>.data` (needed past 2 GiB). */
  optimizedExternalData?: boolean;
}

export type Session = ort.InferenceSession;

/**
 * onnxruntime's own log level: fatal only (4), so its coloured `[E:onnxruntime…]` lines never
 * precede coquant's one-line error; warnings (2) with `coquant --verbose` (COQUANT_VERBOSE=1).
 */
export function ortLogSeverity(): 2 | 4 {
  return process.env.COQUANT_VERBOSE ? 2 : 4;
}
ort.env.logLevel = process.env.COQUANT_VERBOSE ? 'warning' : 'fatal';

export function defaultThreads(): number {
  return Math.max(1, availableParallelism());
}

export async function createSession(model: string | Uint8Array, opts: SessionOptions = {}): Promise<Session> {
  const so: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: opts.intraOpThreads ?? defaultThreads(),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: opts.optimization ?? 'all',
    logSeverityLevel: ortLogSeverity(),
    ...(opts.optimizedModelPath ? { optimizedModelFilePath: opts.optimizedModelPath } : {}),
    // Idle intra-op threads otherwise spin for work: on a small machine shared with the edge
    // server (or other sessions) that doubles the CPU a run takes (measured 54 vs 29 CPU-ms).
    extra: {
      session: {
        intra_op: { allow_spinning: '0' },
        ...(opts.externalDataDir ? { model_external_initializers_file_folder_path: opts.externalDataDir } : {}),
        ...(opts.optimizedModelPath && opts.optimizedExternalData
          ? { optimized_model_external_initializers_file_name: `${basename(opts.optimizedModelPath)}.data`, optimized_model_external_initializers_min_size_in_bytes: '1024' }
          : {}),
      },
    },
    ...(opts.profilePrefix ? { enableProfiling: true, profileFilePrefix: opts.profilePrefix } : {}),
  };
  const label = opts.label ?? (typeof model === 'string' ? model : 'in-memory model');
  try {
    return typeof model === 'string' ? await ort.InferenceSession.create(model, so) : await ort.InferenceSession.create(model, so);
  } catch (e) {
    throw ortLoadError(e, label);
  }
}

/** Input names, element types and (possibly symbolic) shapes, from the session metadata. */
export function inputSpecs(session: Session): InputSpec[] {
  return session.inputMetadata.map((m) => {
    if (!m.isTensor) throw new CoquantError('E_INPUT_TYPE', `model input '${m.name}' is not a tensor; coquant feeds tensors only`);
    return { name: m.name, type: m.type, shape: m.shape.map((d) => (typeof d === 'number' ? d : d)) };
  });
}

/** Output names, and element types and shapes for the tensor ones (sequence/map/optional outputs are `isTensor: false`). */
export function outputSpecs(session: Session): OutputSpec[] {
  return session.outputMetadata.map((m) => (m.isTensor ? { name: m.name, isTensor: true, type: m.type, shape: [...m.shape] } : { name: m.name, isTensor: false, shape: [] }));
}

/** Inputs and outputs together: what the task registry recognises a model by. */
export function modelSignature(session: Session): ModelSignature {
  return { inputs: inputSpecs(session), outputs: outputSpecs(session) };
}

/** Opens a model just long enough to read its signature. */
export async function readSignature(model: string | Uint8Array, label?: string): Promise<ModelSignature> {
  const s = await createSession(model, { intraOpThreads: 1, label });
  try {
    return modelSignature(s);
  } finally {
    await s.release();
  }
}

export function outputNames(session: Session): string[] {
  return [...session.outputNames];
}

function toOrt(t: Pick<HostTensor, 'type' | 'data' | 'dims'>): ort.Tensor {
  return new ort.Tensor(t.type as ort.Tensor.Type, t.data as ort.Tensor.DataType, [...t.dims]);
}

/** A host feed as onnxruntime tensors (views, no copy of the data). */
export function toOrtFeed(feed: Readonly<Record<string, Pick<HostTensor, 'type' | 'data' | 'dims'>>>): Record<string, ort.Tensor> {
  const out: Record<string, ort.Tensor> = {};
  for (const [k, t] of Object.entries(feed)) out[k] = toOrt(t);
  return out;
}

/** Runs one feed; returns every output (or the named ones) as host tensors. */
export async function runFeed(session: Session, feed: Feed, names?: readonly string[]): Promise<Record<string, HostTensor>> {
  const ortFeed = toOrtFeed(feed);
  let res: ort.InferenceSession.OnnxValueMapType;
  try {
    res = names ? await session.run(ortFeed, names as string[]) : await session.run(ortFeed);
  } catch (e) {
    const shapes = Object.entries(feed)
      .map(([k, v]) => `${k}[${v.dims.join('x')}]`)
      .join(', ');
    throw ortRunError(e, `inference with inputs ${shapes}`, 'check input shapes and dtypes against the model (set dynamic sizes with --dim)');
  }
  const out: Record<string, HostTensor> = {};
  for (const [k, t] of Object.entries(res)) {
    const data = t.data as HostTensor['data'];
    out[k] = { type: t.type as HostTensorType, data: data.slice() as HostTensor['data'], dims: [...t.dims] };
    t.dispose?.();
  }
  return out;
}

/** A tensor at the boundary in onnxruntime's own type names ('float32', 'uint64', …): for callers whose types are wider than HostTensorType. */
export interface RawTensor { type: string; data: ArrayBufferView; dims: readonly number[] }

/**
 * Runs one feed and returns the named outputs as onnxruntime handed them, without the copy
 * `runFeed` makes: onnxruntime-node already gives every run fresh output arrays, so a caller
 * that uses them before the next run (the server answering one request) needs no second copy.
 * Failures are the same one-line errors as `runFeed`'s.
 */
export async function runRaw(session: Session, feed: Readonly<Record<string, RawTensor>>, names: readonly string[]): Promise<Record<string, RawTensor>> {
  let res: ort.InferenceSession.OnnxValueMapType;
  try {
    res = await session.run(toOrtFeed(feed as Readonly<Record<string, Pick<HostTensor, 'type' | 'data' | 'dims'>>>), names as string[]);
  } catch (e) {
    throw ortRunError(e, 'inference', 'check input shapes and dtypes against the model');
  }
  const out: Record<string, RawTensor> = {};
  for (const n of names) {
    const t = res[n] as ort.Tensor;
    out[n] = { type: t.type, data: t.data as ArrayBufferView, dims: Array.from(t.dims, Number) };
  }
  return out;
}

/** onnxruntime tensors as host feeds (views, no copy): for code that built its inputs as ort.Tensor. */
export function hostFeeds(feeds: readonly Readonly<Record<string, ort.Tensor>>[]): Feed[] {
  return feeds.map((f) => Object.fromEntries(Object.entries(f).map(([k, t]) => [k, { type: t.type as HostTensorType, data: t.data as HostTensor['data'], dims: [...t.dims] }])));
}

/** A feed converted once to onnxruntime tensors, for timing loops that run the same feed many times. */
export type PreparedFeed = Readonly<Record<string, ort.Tensor>>;

/** Converts a host feed once (views, no copy); run it with `runDiscard`. */
export function prepareFeed(feed: Feed): PreparedFeed {
  return toOrtFeed(feed);
}

/** Runs a prepared feed and drops its outputs: what a timed repetition needs, with no copy out. */
export async function runDiscard(session: Session, feed: PreparedFeed): Promise<void> {
  let res: ort.InferenceSession.OnnxValueMapType;
  try {
    res = await session.run(feed as Record<string, ort.Tensor>);
  } catch (e) {
    throw ortRunError(e, 'a timed inference', 'check input shapes and dtypes against the model');
  }
  for (const t of Object.values(res)) (t as ort.Tensor).dispose?.();
}

/** onnxruntime's version, for reports and cache keys. */
export function onnxruntimeVersion(): string {
  return ort.env.versions.common;
}

export async function releaseSession(session: Session): Promise<void> {
  await session.release();
}
