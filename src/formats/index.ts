/**
 * Engine behind `coquant quantize --format`: writes a model whose weights are really stored in
 * low-bit form and reports what it did, measured: file sizes, the weights it could not express
 * (left float, with reasons), which operators onnxruntime's CPU provider actually runs as
 * integer kernels, and, given evaluation inputs, the output distortion against full precision
 * and against the fake-quantized simulation at the same bits. Writing the bytes is the caller's
 * job (writeFileAtomic).
 */
import { buildFormatReport, FORMAT_NAMES, type FormatName, type FormatReport, type StoredWeights } from '../documents/format-report-document.ts';
import { readFile } from 'node:fs/promises';
import type { Feed } from '../data/tensor.ts';
import type { RangeMethod, TensorRange } from './calibrate-ranges.ts';
import { formatDistortion, runnerFor } from './compare-outputs.ts';
import { FormatError } from './errors.ts';
import { fakeQuantizeModel, type FakeScheme } from './fake.ts';
import { integerCensus, warnCensus, type IntegerCensus } from './inspect.ts';
import { decodeModel, encodeModel } from './onnx-graph.ts';
import { hasExternalData } from '../io/external-data.ts';
import { isSyntheticModel } from '../io/synthetic-marker.ts';
import { quantizeExternalModel } from './external-quantize.ts';
import { preoptimize } from './preoptimize.ts';
import type { FloatWeight, QdqOp } from './qdq-int8.ts';
import { writeIntegerFormat } from './write-integer-format.ts';

export type { FloatWeight } from './qdq-int8.ts';
export type { IntegerCensus } from './inspect.ts';
export type { OutputDistortion } from './compare-outputs.ts';
export { integerCensus, censusOf, isIntegerOp } from './inspect.ts';
export { packNBits, unpackNBits, packedBytes, type NBitsPacked, type NBitsConfig } from './nbits-pack.ts';
export { quantizeMatMulNBits } from './int4.ts';
export { quantizeQdqInt8 } from './qdq-int8.ts';
export { fakeQuantizeModel } from './fake.ts';
export { upgradeOpset, QDQ_OPSET } from './opset-upgrade.ts';
export { preoptimize, ortOptimizedModel } from './preoptimize.ts';
export { compareOutputs, runnerFor } from './compare-outputs.ts';
export { FormatError } from './errors.ts';

export type { FormatName };
export const FORMATS: readonly FormatName[] = FORMAT_NAMES;
/** Bit-widths MatMulNBits accepts on onnxruntime-node 1.30's CPU kernel and our packer writes (verified in tests). */
export const NBITS_SUPPORTED_BITS: readonly number[] = [2, 4, 8];
/** Block sizes verified against the CPU kernel (power of two ≥ 16). */
export const NBITS_SUPPORTED_BLOCKS: readonly number[] = [16, 32, 64, 128, 256];

export interface QuantizeToFormatOptions {
  modelPath?: string;
  modelBytes?: Uint8Array;
  format: FormatName;
  /** int4: 2, 4 (default) or 8; fake: 2..16 (default 8). qdq-int8 is always 8. */
  bits?: number;
  /** int4: block size along K (default 64). */
  blockSize?: number;
  /** int4: symmetric blocks without stored zero points. */
  symmetric?: boolean;
  /** int4: MatMulNBits accuracy_level (4 = int8 compute on A). */
  accuracyLevel?: number;
  /** Real model inputs. Required for qdq-int8 (activation ranges); used for distortion when `evaluation` is absent. */
  calibration?: Feed[];
  /** Inputs for the distortion report; none = no distortion measured. */
  evaluation?: Feed[];
  calibrationMethod?: RangeMethod;
  percentile?: number;
  reduceRange?: boolean;
  /** qdq-int8 operator types (default Conv and MatMul). */
  ops?: readonly QdqOp[];
  excludeNodes?: readonly string[];
  /** Skip the executed-graph census (it costs one extra onnxruntime optimisation pass). */
  skipCensus?: boolean;
  onWarning?: (message: string) => void;
  /** Progress lines (stderr in the CLI). */
  onProgress?: (message: string) => void;
  /**
   * Where the model is written. Required for models with external data, which are written here
   * (with `<outPath>.data`) by quantizeToFormat itself; other models are returned as bytes.
   */
  outPath?: string;
}

export type { FormatReport };

export interface QuantizeToFormatResult {
  bytes: Uint8Array;
  report: FormatReport;
  /** Activation ranges (qdq-int8), for callers that want to inspect them. */
  ranges?: Map<string, TensorRange>;
  /** Set when quantizeToFormat wrote the model itself (external data): `bytes` are then the written graph. */
  written?: { modelPath: string; dataPath?: string };
}

function listWeights(ws: readonly FloatWeight[], max = 8): string {
  const shown = ws.slice(0, max).map((w) => `${w.tensor} (${w.opType} '${w.node}': ${w.reason})`);
  return shown.join('; ') + (ws.length > max ? `; and ${ws.length - max} more` : '');
}

export async function quantizeToFormat(opts: QuantizeToFormatOptions): Promise<QuantizeToFormatResult> {
  const warn = (m: string) => {
    warnings.push(m);
    opts.onWarning?.(m);
  };
  const progress = opts.onProgress ?? (() => undefined);
  const warnings: string[] = [];
  if (!FORMATS.includes(opts.format)) throw new FormatError('E_FORMAT', `unknown format '${opts.format}'`, `use one of ${FORMATS.join(', ')}`);
  let input: Uint8Array;
  if (opts.modelBytes) input = opts.modelBytes;
  else if (opts.modelPath) {
    try {
      input = await readFile(opts.modelPath);
    } catch {
      throw new FormatError('E_NOT_FOUND', `${opts.modelPath}: no such file`);
    }
  } else throw new FormatError('E_USAGE', 'quantizeToFormat needs modelPath or modelBytes');
  const source = opts.modelPath ?? 'in-memory model';
  if (opts.modelPath && hasExternalData(decodeModel(input, source))) {
    if (!opts.outPath) throw new FormatError('E_USAGE', `${source} keeps its weights in external data, so the quantized model is written with its own data file`, 'pass outPath');
    const bits = opts.format === 'int4' ? (opts.bits ?? 4) : 8;
    const blockSize = opts.blockSize ?? 64;
    if (opts.format === 'int4' && !NBITS_SUPPORTED_BITS.includes(bits)) throw new FormatError('E_BITS', `MatMulNBits is written with ${NBITS_SUPPORTED_BITS.join(', ')} bits here, not ${bits}`);
    if (opts.format === 'int4' && !NBITS_SUPPORTED_BLOCKS.includes(blockSize)) throw new FormatError('E_BLOCK_SIZE', `block size ${blockSize} is not one of ${NBITS_SUPPORTED_BLOCKS.join(', ')}`);
    return quantizeExternalModel(opts, { bits, blockSize, outPath: opts.outPath, source, warn, warnings, progress });
  }

  progress('canonicalising the float graph (onnxruntime basic optimisations)');
  const pre = await preoptimize(input, source);
  const preBytes = encodeModel(pre);

  let bytes: Uint8Array;
  let bits: number;
  let blockSize: number | undefined;
  let stored: StoredWeights;
  let fakeScheme: FakeScheme;
  let ranges: Map<string, TensorRange> | undefined;

  if (opts.format === 'qdq-int8' || opts.format === 'int4') {
    if (opts.format === 'qdq-int8') {
      bits = 8;
      if (opts.bits !== undefined && opts.bits !== 8) throw new FormatError('E_BITS', `qdq-int8 stores 8-bit weights; --bits ${opts.bits} does not apply`, 'use --format int4 for other bit-widths of MatMul weights');
    } else {
      bits = opts.bits ?? 4;
      blockSize = opts.blockSize ?? 64;
      if (!NBITS_SUPPORTED_BITS.includes(bits)) throw new FormatError('E_BITS', `MatMulNBits is written with ${NBITS_SUPPORTED_BITS.join(', ')} bits here, not ${bits}`);
      if (!NBITS_SUPPORTED_BLOCKS.includes(blockSize)) throw new FormatError('E_BLOCK_SIZE', `block size ${blockSize} is not one of ${NBITS_SUPPORTED_BLOCKS.join(', ')}`);
    }
    const w = await writeIntegerFormat(pre, { ...opts, format: opts.format }, { bits, blockSize }, { warn, progress });
    bytes = encodeModel(w.model);
    ({ stored, ranges, fakeScheme } = w);
  } else {
    bits = opts.bits ?? 8;
    fakeScheme = { kind: 'channel', bits, ops: opts.ops };
    const r = fakeQuantizeModel(pre, fakeScheme);
    bytes = encodeModel(r.model);
    stored = { quantizedNodes: {}, leftFloat: [], covered: { tensors: r.tensors.length, fp32Bytes: 0, storedBytes: 0, ratio: 1 } };
    warn('fake quantization stores dequantized float32 weights: the file is not smaller and runs float kernels');
  }
  const { leftFloat } = stored;
  if (leftFloat.length > 0) warn(`${leftFloat.length} weight tensor(s) left in float: ${listWeights(leftFloat)}`);

  let census: IntegerCensus | undefined;
  if (!opts.skipCensus) {
    progress('inspecting the graph onnxruntime executes');
    census = await integerCensus(bytes, source);
    if (opts.format !== 'fake') warnCensus(census, opts.format, warn);
  }

  let distortion: FormatReport['distortion'];
  const evalFeeds = opts.evaluation ?? opts.calibration;
  if (evalFeeds && evalFeeds.length > 0) {
    progress(`measuring output distortion on ${evalFeeds.length} input(s)`);
    const fake = opts.format === 'fake' ? bytes : encodeModel(fakeQuantizeModel(pre, fakeScheme).model);
    const rf = await runnerFor(preBytes);
    const rq = await runnerFor(bytes);
    const rk = await runnerFor(fake);
    try {
      distortion = await formatDistortion(rf.run, rq.run, rk.run, evalFeeds);
    } finally {
      await Promise.all([rf.release(), rq.release(), rk.release()]);
    }
  }

  const report = buildFormatReport({
    synthetic: isSyntheticModel(pre),
    format: opts.format,
    bits,
    blockSize,
    source,
    sourceBytes: input.length,
    writtenBytes: bytes.length,
    stored,
    census,
    distortion,
    warnings,
  });
  return { bytes, report, ranges };
}
