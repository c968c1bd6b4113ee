/**
 * HTTP client for the KServe v2 / Open Inference Protocol with Triton's binary tensor data
 * extension. It speaks to `coquant serve`, Triton or KServe unchanged. No retries here: the
 * agent owns retry policy; every call takes an AbortSignal and a timeout.
 */
import { BufferPool, applyGcHeapGrowth } from '../protocol/buffer-pool.ts';
import {
  BINARY_CONTENT_TYPE, HEADER_LENGTH_HEADER, decodeInferResponse, encodeInferRequestParts,
  type EncodeRequestOptions, type Parameters,
} from '../protocol/infer-codec.ts';
import { ProtocolError } from '../protocol/protocol-error.ts';
import {
  describeZodError, modelMetadataSchema, serverMetadataSchema, type ModelMetadata, type ServerMetadata,
} from '../protocol/schemas.ts';
import type { InferTensor } from '../protocol/tensor-codec.ts';
import { BadResponseError, ServerHttpError } from './client-errors.ts';
import { exchange, type ExchangeResponse } from './http-exchange.ts';

export interface ClientOptions {
  /** Base URL, e.g. http://127.0.0.1:8000 (a trailing slash is fine). */
  url: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Default per-call timeout (whole exchange, body included). Default 30 s. */
  timeoutMs?: number;
  /** Extra headers on every request (e.g. a proxy's auth header). */
  headers?: Record<string, string>;
  /**
   * V8's old-generation growth in percent, set for the whole process (see applyGcHeapGrowth):
   * default $COQUANT_GC_HEAP_GROWTH, else unchanged (a library does not retune its host's
   * collector unasked). 400 removed most mark-compacts of a client process receiving 1 MiB answers.
   */
  gcHeapGrowthPercent?: number;
}

export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface InferOptions extends CallOptions {
  version?: string;
  id?: string;
  /** Outputs to return (all when omitted); per-output `binary` overrides `binaryOutputs`. */
  outputs?: Array<string | { name: string; binary?: boolean }>;
  /** Send inputs as binary sections (default true). FP16/BF16 always go binary. */
  binaryInputs?: boolean;
  /** Ask for outputs as binary sections (default true). */
  binaryOutputs?: boolean;
  parameters?: Parameters;
}

export interface InferResult {
  modelName: string;
  modelVersion?: string;
  id?: string;
  parameters?: Parameters;
  outputs: InferTensor[];
}

type RawResponse = ExchangeResponse;

const enc = encodeURIComponent;

export class InferenceClient {
  readonly url: string;
  private readonly token?: string;
  private readonly timeoutMs: number;
  private readonly headers: Record<string, string>;
  /** Answer buffers for inferScoped (a few MiB at most are kept). */
  private answers?: BufferPool;

  constructor(opts: ClientOptions) {
    this.url = opts.url.replace(/\/+$/, '');
    this.token = opts.token;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.headers = { ...(opts.headers ?? {}) };
    if (opts.token) this.headers.authorization = `Bearer ${opts.token}`;
    applyGcHeapGrowth(opts.gcHeapGrowthPercent, 0);
  }

  /** One HTTP exchange with timeout/abort mapping; any status is returned, transport failures throw. */
  private call(
    method: string, path: string,
    opts: CallOptions & { chunks?: readonly Uint8Array[]; headers?: Record<string, string>; pool?: BufferPool } = {},
  ): Promise<RawResponse> {
    return exchange({
      pool: opts.pool,
      method,
      url: `${this.url}${path}`,
      headers: { ...this.headers, ...(opts.headers ?? {}) },
      chunks: opts.chunks,
      timeoutMs: opts.timeoutMs ?? this.timeoutMs,
      signal: opts.signal,
    });
  }

  private httpError(path: string, r: RawResponse): ServerHttpError {
    let msg = r.body.toString('utf8', 0, Math.min(r.body.length, 500)).trim();
    try {
      const j = JSON.parse(r.body.toString('utf8')) as { error?: unknown };
      if (typeof j.error === 'string') msg = j.error;
    } catch { /* not JSON: keep the text */ }
    return new ServerHttpError(`${this.url}${path}`, r.status, msg || '(empty body)');
  }

  private async getJson(path: string, opts: CallOptions): Promise<unknown> {
    const r = await this.call('GET', path, opts);
    if (r.status !== 200) throw this.httpError(path, r);
    try {
      return JSON.parse(r.body.toString('utf8'));
    } catch {
      throw new BadResponseError(`${this.url}${path}`, `not JSON: ${JSON.stringify(r.body.toString('utf8', 0, 80))}`);
    }
  }

  /**
   * Health as a boolean. Triton answers 200 with an empty body (or 400); the newer OIP text
   * answers `{"live": true}` / `{"ready": true}`: both readings are accepted.
   */
  private async health(path: string, key: 'live' | 'ready', opts: CallOptions): Promise<boolean> {
    const r = await this.call('GET', path, opts);
    if (r.status !== 200) {
      if (r.status === 400 || r.status === 503) return false;
      throw this.httpError(path, r);
    }
    const text = r.body.toString('utf8').trim();
    if (text === '') return true;
    try {
      const j = JSON.parse(text) as Record<string, unknown>;
      return j[key] !== false;
    } catch {
      throw new BadResponseError(`${this.url}${path}`, `health body is neither empty nor JSON: ${JSON.stringify(text.slice(0, 80))}`);
    }
  }

  isLive(opts: CallOptions = {}): Promise<boolean> { return this.health('/v2/health/live', 'live', opts); }
  isReady(opts: CallOptions = {}): Promise<boolean> { return this.health('/v2/health/ready', 'ready', opts); }

  isModelReady(model: string, version?: string, opts: CallOptions = {}): Promise<boolean> {
    return this.health(`${this.modelPath(model, version)}/ready`, 'ready', opts);
  }

  async serverMetadata(opts: CallOptions = {}): Promise<ServerMetadata> {
    const j = await this.getJson('/v2', opts);
    const p = serverMetadataSchema.safeParse(j);
    if (!p.success) throw new BadResponseError(`${this.url}/v2`, `server metadata: ${describeZodError(p.error)}`);
    return p.data;
  }

  async modelMetadata(model: string, version?: string, opts: CallOptions = {}): Promise<ModelMetadata> {
    const path = this.modelPath(model, version);
    const j = await this.getJson(path, opts);
    const p = modelMetadataSchema.safeParse(j);
    if (!p.success) throw new BadResponseError(`${this.url}${path}`, `model metadata: ${describeZodError(p.error)}`);
    return p.data;
  }

  /** Runs `model` on `inputs`. The result owns its memory: keep it as long as you like. */
  async infer(model: string, inputs: InferTensor[], opts: InferOptions = {}): Promise<InferResult> {
    return this.inferRaw(model, inputs, opts, undefined);
  }

  /**
   * Like `infer`, but the output tensors are views of a reusable answer buffer of this client,
   * valid only while `use` runs (and until the promise it returns settles): the buffer is given
   * back to the client's pool afterwards, and the next call may overwrite it. Copy what you
   * keep (e.g. `data.slice()`). This avoids allocating a fresh answer buffer per call, which
   * for megabyte outputs is garbage-collector work; concurrent calls each get their own buffer.
   */
  async inferScoped<T>(model: string, inputs: InferTensor[], use: (r: InferResult) => T | Promise<T>, opts: InferOptions = {}): Promise<T> {
    this.answers ??= new BufferPool({ maxFreeBytes: 16 * 1024 * 1024 });
    const pool = this.answers;
    let release: (() => void) | undefined;
    try {
      return await use(await this.inferRaw(model, inputs, opts, pool, (f) => { release = f; }));
    } finally {
      release?.();
    }
  }

  private async inferRaw(
    model: string, inputs: InferTensor[], opts: InferOptions, pool: BufferPool | undefined, onBody?: (release: () => void) => void,
  ): Promise<InferResult> {
    const path = `${this.modelPath(model, opts.version)}/infer`;
    const encOpts: EncodeRequestOptions = {
      id: opts.id,
      parameters: opts.parameters,
      binaryInputs: opts.binaryInputs ?? true,
      binaryOutputs: opts.binaryOutputs ?? true,
      outputs: opts.outputs?.map((o) => (typeof o === 'string' ? { name: o } : o)),
    };
    // Sent piece by piece: the input tensors go out from their own memory, uncopied.
    const msg = encodeInferRequestParts(inputs, encOpts);
    const headers: Record<string, string> = { 'content-type': msg.contentType };
    if (msg.headerLength !== undefined) headers[HEADER_LENGTH_HEADER] = String(msg.headerLength);
    const r = await this.call('POST', path, { ...opts, chunks: msg.chunks, headers, pool });
    onBody?.(r.release);
    if (r.status !== 200) throw this.httpError(path, r);
    const hl = r.header(HEADER_LENGTH_HEADER);
    const ct = r.header('content-type') ?? '';
    if (hl === undefined && ct.startsWith(BINARY_CONTENT_TYPE)) {
      throw new BadResponseError(`${this.url}${path}`, 'binary response without an Inference-Header-Content-Length header');
    }
    try {
      const d = decodeInferResponse(r.body, hl);
      return { modelName: d.model_name, modelVersion: d.model_version, id: d.id, parameters: d.parameters, outputs: d.outputs };
    } catch (e) {
      if (e instanceof ProtocolError) throw new BadResponseError(`${this.url}${path}`, e.message);
      throw e;
    }
  }

  private modelPath(model: string, version?: string): string {
    return `/v2/models/${enc(model)}${version !== undefined ? `/versions/${enc(version)}` : ''}`;
  }
}

/** The output called `name`, or a clear error listing what came back. */
export function outputByName(r: InferResult, name: string): InferTensor {
  const t = r.outputs.find((o) => o.name === name);
  if (!t) throw new BadResponseError(r.modelName, `no output '${name}' in the answer (got ${r.outputs.map((o) => `'${o.name}'`).join(', ') || 'none'})`);
  return t;
}
