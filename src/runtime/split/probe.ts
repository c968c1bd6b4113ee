/**
 * Learns the type and concrete shape of intermediate tensors by running the model with those
 * tensors exposed as extra outputs. ONNX files rarely carry value_info for every tensor, and
 * onnxruntime accepts untyped extra outputs, so a real run is the reliable way to know the
 * bytes that cross the link at each cut. Many tensors are probed in batches (one run each),
 * so the intermediates held at once stay bounded on large inputs.
 */
import type { Feed } from '../../data/tensor.ts';
import { createSession, releaseSession, runFeed } from '../../ort/session.ts';
import { serializeModel } from '../../io/onnx-edit.ts';
import type { ModelProto } from '../../io/onnx-model.ts';
import { withExtraOutputs } from '../../graph/extract.ts';
import { dataTypeOfOrt, ortElementBytes } from '../../io/data-types.ts';

type Model = ModelProto;

export interface ProbedTensor {
  /** onnxruntime's type name, e.g. `float32`. */
  type: string;
  dims: number[];
  elems: number;
  bytes: number;
}

/** ONNX element type of an onnxruntime type name (io's one data-type table). */
export function onnxElemType(ortType: string): number {
  const t = dataTypeOfOrt(ortType);
  if (!t) throw new Error(`unsupported tensor type ${ortType}`);
  return t.onnx;
}

/**
 * Shapes and bytes of `names` (graph optimisation off, so every tensor exists), at most `batch`
 * tensors per run. A run holds all its probed tensors at once, so each batch is also cut to
 * `budgetBytes` over the largest tensor seen so far (the input to start with).
 */
export async function probeTensors(model: Model, names: readonly string[], feed: Feed, batch = 256, externalDataDir?: string, budgetBytes = 512 * 2 ** 20): Promise<Map<string, ProbedTensor>> {
  const result = new Map<string, ProbedTensor>();
  const wanted = [...new Set(names)];
  let largest = Object.values(feed).reduce((m, t) => Math.max(m, t.data.byteLength), 1);
  for (let k = 0; k < wanted.length; ) {
    const part = wanted.slice(k, k + Math.max(1, Math.min(batch, Math.floor(budgetBytes / largest))));
    k += part.length;
    const copy = withExtraOutputs(model, part);
    const session = await createSession(serializeModel(copy as ModelProto), { optimization: 'disabled', label: 'the probe run', externalDataDir });
    try {
      const out = await runFeed(session, feed, part);
      for (const n of part) {
        const t = out[n];
        const dims = t.dims.map(Number);
        const elems = dims.reduce((a, b) => a * b, 1);
        const bytes = elems * ortElementBytes(t.type);
        largest = Math.max(largest, bytes);
        result.set(n, { type: t.type, dims, elems, bytes });
      }
    } finally {
      await releaseSession(session);
    }
  }
  return result;
}
