/**
 * POST …/infer, independent of the HTTP framework: decode and validate the request against
 * the model, wait for a compute slot under the request's deadline, run onnxruntime, encode
 * the reply (binary sections for the outputs that asked for them).
 */
import type { BufferLease } from '../protocol/buffer-pool.ts';
import { decodeInferRequest, encodeInferResponseParts, type EncodedParts } from '../protocol/infer-codec.ts';
import type { NumericArray } from '../protocol/datatypes.ts';
import { invalidArg } from '../protocol/protocol-error.ts';
import type { InferTensor } from '../protocol/tensor-codec.ts';
import type { ConcurrencyLimiter } from './limiter.ts';
import type { ServerMetrics } from './metrics.ts';
import { validateInputs, validateOutputs, type LoadedModel } from './model-registry.ts';
import type { ComputeDispatch } from './compute-dispatch.ts';

export interface InferContext {
  limiter: ConcurrencyLimiter;
  /** Worker threads, or the event loop for models that are faster than the hop to a worker. */
  compute: Pick<ComputeDispatch, 'run'>;
  metrics: ServerMetrics;
  /** Server-wide deadline per request (--timeout-ms); Infinity for none. */
  timeoutMs: number;
}

/** Triton's per-request `timeout` parameter is in microseconds; 0 or absent means the server default. */
function requestDeadlineMs(params: Record<string, unknown> | undefined, serverMs: number): number {
  const v = params?.timeout;
  if (v === undefined || v === null) return serverMs;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw invalidArg('parameters.timeout must be a non-negative integer number of microseconds', 'parameters');
  }
  return v === 0 ? serverMs : Math.min(serverMs, v / 1000);
}

/**
 * The buffers the decoded inputs live in, which the worker may take over: a decoded input is
 * either a view of the body or a fresh array made by the decoder, so both are the request's
 * own once the body is (`bodyOwned`: no other view of body.buffer exists).
 */
function transferable(body: Uint8Array, bodyOwned: boolean, inputs: readonly InferTensor[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const t of inputs) {
    if (t.datatype === 'BYTES') continue;
    const buf = (t.data as NumericArray).buffer;
    if (!(buf instanceof ArrayBuffer)) continue;
    if (buf === body.buffer && !bodyOwned) continue;
    out.add(buf);
  }
  return [...out];
}

/**
 * `lease`, when the body lies in pooled buffers: it must be held by the caller until the reply
 * is written (the reply's binary sections may be views of its buffers).
 */
export async function handleInfer(
  ctx: InferContext, model: LoadedModel, body: Uint8Array, headerLength: string | undefined, bodyOwned = false,
  lease?: BufferLease,
): Promise<EncodedParts> {
  const req = decodeInferRequest(body, headerLength);
  validateInputs(model, req.inputs);
  const wanted = req.outputs ?? model.outputs.map((o) => ({ name: o.name, binary: req.binaryDefault }));
  validateOutputs(model, wanted.map((o) => o.name));
  const deadline = requestDeadlineMs(req.parameters, ctx.timeoutMs);
  let queueMs = 0;
  const { outputs, computeMs } = await ctx.limiter.run(
    async () => {
      const r = await ctx.compute.run(model.name, req.inputs, wanted.map((o) => o.name), transferable(body, bodyOwned, req.inputs), lease);
      ctx.metrics.computeDuration.observe({ model: model.name }, r.computeMs * 1000);
      return r;
    },
    deadline,
    (t) => {
      queueMs = t.queueMs;
      ctx.metrics.queueDuration.observe({ model: model.name }, t.queueMs * 1000);
    },
  );
  // The server's own time, so a client can split its round trip into network and server stages.
  const parameters = { queue_us: Math.round(queueMs * 1000), compute_us: Math.round(computeMs * 1000) };
  const head = { model_name: model.name, model_version: model.version, ...(req.id !== undefined ? { id: req.id } : {}), parameters };
  return encodeInferResponseParts(head, outputs.map((o, i) => ({ ...o, binary: wanted[i]!.binary })));
}
