/**
 * The report of `coquant quantize --format` (schema `coquant.format-report/1`, printed by
 * `--json`): what the written file stores in low bits, what onnxruntime really runs in integer
 * form, and the output distortion measured against fp32. Its type and schema live here, with the
 * one builder both format engines (in-memory and external-data models) fill in, and its reader.
 * Fields are only ever added. Non-finite numbers follow json-numbers.ts.
 */
import { z } from 'zod';
import { jsonNumber, stringifyDocument } from './json-numbers.ts';
import { readDocument } from './read-json.ts';

/** The executable formats `quantize --format` writes. */
export const FORMAT_NAMES = ['fake', 'qdq-int8', 'int4'] as const;
export type FormatName = (typeof FORMAT_NAMES)[number];

/** How activation ranges were calibrated (qdq-int8). */
export const RANGE_METHODS = ['minmax', 'percentile'] as const;
export type RangeMethod = (typeof RANGE_METHODS)[number];

const floatWeightSchema = z.object({
  /** Weight tensor name. */
  tensor: z.string(),
  node: z.string(),
  opType: z.string(),
  shape: z.array(z.number()),
  reason: z.string(),
});
/** A weight the format left in float, and why. */
export type FloatWeight = z.infer<typeof floatWeightSchema>;

const upgradeSchema = z.object({
  from: z.number(),
  to: z.number(),
  /** Human-readable list of rewrites, e.g. `Clip x28: min/max attributes → inputs`. */
  rewrites: z.array(z.string()),
});
/** An opset upgrade done before quantizing (QDQ needs opset 13). */
export type UpgradeResult = z.infer<typeof upgradeSchema>;

const censusSchema = z.object({
  /** Node count per operator type in the executed graph (`domain:op` for non-default domains). */
  ops: z.record(z.string(), z.number()),
  integerOps: z.number(),
  floatComputeOps: z.number(),
  /** QuantizeLinear / DequantizeLinear / DynamicQuantizeLinear left at integer↔float boundaries. */
  boundaryOps: z.number(),
  /** Share of weight-carrying compute nodes that run as integer kernels. */
  integerShare: jsonNumber,
  /** Quantized weights that reach a float kernel (integer path folded back to float): the DequantizeLinear and the float node it feeds. */
  fallbacks: z.array(z.object({ dequantize: z.string(), consumer: z.string(), consumerOp: z.string() })),
});
/** Executed-graph census (after onnxruntime's CPU fusions). */
export type IntegerCensus = z.infer<typeof censusSchema>;

const outputDistortionSchema = z.object({
  /** Mean over feeds of the mean |a − b| over all output elements. */
  meanAbs: jsonNumber,
  /** sqrt(Σ(a − b)²) / sqrt(Σ a²) over all feeds and outputs; null when the reference is all zero and the outputs differ. */
  relL2: jsonNumber.nullable(),
  maxAbs: jsonNumber,
  feeds: z.number(),
});
/** Output distortion of one model against another over the same feeds. */
export type OutputDistortion = z.infer<typeof outputDistortionSchema>;

const coveredSchema = z.object({ tensors: z.number(), fp32Bytes: z.number(), storedBytes: z.number(), ratio: jsonNumber });

export const formatReportSchema = z.object({
  schema: z.literal('coquant.format-report/1'),
  /** Present when the source model's weights were generated (coquant synth), not pretrained. */
  weights: z.literal('synthetic').optional(),
  format: z.enum(FORMAT_NAMES),
  bits: z.number(),
  blockSize: z.number().optional(),
  source: z.string(),
  /** Bytes of the input model file (fp32Bytes) and of the written model. */
  sizes: z.object({ fp32Bytes: z.number(), bytes: z.number(), ratio: jsonNumber }),
  /** The weights the format stores in low-bit form, against their float32 bytes. */
  covered: coveredSchema,
  quantizedNodes: z.record(z.string(), z.number()),
  leftFloat: z.array(floatWeightSchema),
  opset: upgradeSchema.optional(),
  census: censusSchema.optional(),
  distortion: z
    .object({
      vsFp32: outputDistortionSchema,
      /** The simulation at the same bits against fp32: what fake quantization predicted. */
      fakeVsFp32: outputDistortionSchema,
      vsFake: outputDistortionSchema,
    })
    .optional(),
  calibration: z.object({ method: z.enum(RANGE_METHODS), feeds: z.number(), tensors: z.number() }).optional(),
  /** External-data models: the files written. */
  external: z.object({ model: z.string(), data: z.string().nullable(), tensors: z.number() }).optional(),
  warnings: z.array(z.string()),
});
export type FormatReport = z.infer<typeof formatReportSchema>;

/** What a written format stores: the weights it covers, the nodes it rewrote, what it left in float, how it was calibrated. */
export type StoredWeights = Pick<FormatReport, 'covered' | 'quantizedNodes' | 'leftFloat' | 'opset' | 'calibration'>;

/** What a format engine measured; optional parts that are undefined are left out of the report. */
export type FormatReportFields = Omit<FormatReport, 'schema' | 'weights' | 'sizes' | keyof StoredWeights> & {
  stored: StoredWeights;
  synthetic: boolean;
  /** Bytes of the source model and of the written model (graph plus data file). */
  sourceBytes: number;
  writtenBytes: number;
};

/** The one place a format report is assembled, so both engines write the same document. */
export function buildFormatReport(f: FormatReportFields): FormatReport {
  const { synthetic, sourceBytes, writtenBytes, blockSize, census, distortion, external, stored, ...rest } = f;
  const { opset, calibration } = stored;
  return {
    schema: 'coquant.format-report/1',
    ...(synthetic ? { weights: 'synthetic' as const } : {}),
    format: rest.format,
    bits: rest.bits,
    ...(blockSize !== undefined ? { blockSize } : {}),
    source: rest.source,
    sizes: { fp32Bytes: sourceBytes, bytes: writtenBytes, ratio: sourceBytes / writtenBytes },
    covered: stored.covered,
    quantizedNodes: stored.quantizedNodes,
    leftFloat: stored.leftFloat,
    ...(opset ? { opset } : {}),
    ...(census ? { census } : {}),
    ...(distortion ? { distortion } : {}),
    ...(calibration ? { calibration } : {}),
    ...(external ? { external } : {}),
    warnings: rest.warnings,
  };
}

/** The report as JSON text (non-finite numbers as strings, see json-numbers.ts). */
export function serializeFormatReport(report: FormatReport): string {
  return stringifyDocument(report);
}

/** Reads a saved format report (e.g. `quantize --format … --json > report.json`), checked against the schema. */
export function readFormatReport(path: string): Promise<FormatReport> {
  // `--json` prints the written path (`out`) beside the report's fields; the schema drops it.
  return readDocument(path, formatReportSchema, { what: 'format report', code: 'E_BAD_REPORT', hint: 'pass the output of `coquant quantize MODEL --format FORMAT --json`' });
}
