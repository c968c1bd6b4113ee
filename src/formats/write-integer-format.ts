/**
 * The one dispatch from `--format int4 | qdq-int8` to its writer, shared by in-memory models
 * (formats/index.ts) and models with external data (external-quantize.ts): what was written,
 * what stayed float, how much smaller the covered weights are, and the simulation that predicts it.
 */
import type { Feed } from '../data/tensor.ts';
import type { TensorRange } from './calibrate-ranges.ts';
import { FormatError } from './errors.ts';
import type { FakeScheme } from './fake.ts';
import type { StoredWeights } from '../documents/format-report-document.ts';
import type { QuantizeToFormatOptions } from './index.ts';
import { quantizeMatMulNBits } from './int4.ts';
import type { ModelProto } from './onnx-graph.ts';
import { quantizeQdqInt8, resolveReduceRange } from './qdq-int8.ts';

export interface WrittenIntegerFormat {
  model: ModelProto;
  stored: StoredWeights;
  ranges?: Map<string, TensorRange>;
  /** The fake quantization that simulates this file (the distortion report's prediction). */
  fakeScheme: FakeScheme;
}

/** Writes `model` as int4 (MatMulNBits) or qdq-int8; bits and block size are already validated. */
export async function writeIntegerFormat(
  model: ModelProto,
  opts: QuantizeToFormatOptions & { format: 'int4' | 'qdq-int8' },
  shape: { bits: number; blockSize?: number },
  log: { warn: (m: string) => void; progress: (m: string) => void },
): Promise<WrittenIntegerFormat> {
  if (opts.format === 'int4') {
    const blockSize = shape.blockSize!;
    log.progress(`packing MatMul weights into MatMulNBits (${shape.bits} bits, block ${blockSize})`);
    const r = quantizeMatMulNBits(model, { bits: shape.bits, blockSize, symmetric: opts.symmetric, accuracyLevel: opts.accuracyLevel, excludeNodes: opts.excludeNodes });
    if (r.nodes === 0) log.warn('no MatMul with a constant 2-D weight found: nothing was written as MatMulNBits');
    return {
      model: r.model,
      stored: {
        quantizedNodes: r.nodes ? { MatMul: r.nodes } : {},
        leftFloat: r.leftFloat,
        covered: { tensors: r.nodes, fp32Bytes: r.coveredFp32Bytes, storedBytes: r.coveredPackedBytes, ratio: r.coveredFp32Bytes / Math.max(1, r.coveredPackedBytes) },
      },
      fakeScheme: { kind: 'block', bits: shape.bits, blockSize, symmetric: opts.symmetric },
    };
  }
  const feeds: Feed[] = opts.calibration ?? [];
  if (feeds.length === 0) throw new FormatError('E_NO_CALIBRATION', 'qdq-int8 needs calibration inputs to set activation ranges', 'pass real inputs (e.g. rendered text lines)');
  log.progress(`calibrating activation ranges on ${feeds.length} input(s)`);
  const reduceRange = resolveReduceRange(opts.reduceRange);
  if (reduceRange && opts.reduceRange === undefined) {
    log.warn('int8 weights are stored in 7 bits (±63): this CPU has no int8 dot-product instruction (VNNI), and onnxruntime\'s uint8×int8 kernels saturate on it with full-range weights; for a VNNI target, quantize with reduceRange: false');
  }
  const r = await quantizeQdqInt8(model, feeds, {
    calibration: { method: opts.calibrationMethod, percentile: opts.percentile },
    reduceRange,
    ops: opts.ops,
    excludeNodes: opts.excludeNodes,
  });
  return {
    model: r.model,
    stored: {
      quantizedNodes: r.quantizedNodes,
      leftFloat: r.leftFloat,
      covered: { tensors: r.int8Weights.count, fp32Bytes: r.int8Weights.fp32Bytes, storedBytes: r.int8Weights.storedBytes, ratio: r.int8Weights.fp32Bytes / Math.max(1, r.int8Weights.storedBytes) },
      opset: r.upgrade,
      calibration: { method: opts.calibrationMethod ?? 'minmax', feeds: feeds.length, tensors: r.ranges.size },
    },
    ranges: r.ranges,
    // The simulation stores what the file stores: 7-bit weights under reduce-range.
    fakeScheme: { kind: 'channel', bits: reduceRange ? 7 : 8, ops: opts.ops },
  };
}
