/**
 * The `coquant distortion --json` document (schema `coquant.distortion/1`, documented in
 * docs/distortion-json.md): its type, the schema of what readers take from it, and reading and
 * writing it. `coquant bounds --distortion` reads `fit`; fields are only ever added, never
 * renamed. Non-finite numbers follow json-numbers.ts.
 */
import { z } from 'zod';
import type { AlphaFit } from '../theory/alpha-fit.ts';
import type { QuantFamily, RangeRule } from '../quant/types.ts';
import { jsonNumber, stringifyDocument } from './json-numbers.ts';
import { readDocument } from './read-json.ts';

/** Task metrics of a quantized model (named by the task, see src/tasks/); the OCR task's are listed. */
export interface DistortionQuality {
  [metric: string]: number | undefined;
  /** Corpus CER of the quantized model's decoded text against the full-precision text. */
  cerVsFp?: number;
  /** Corpus CER against the labels, when labels were given. */
  cerVsLabels?: number;
  /** Exact-match rate against the labels, when labels were given. */
  accuracy?: number;
}

export interface DistortionPoint {
  bits: number;
  family: QuantFamily;
  /** `tensor`, `channel` or `groupN`. */
  granularity: string;
  range: RangeRule;
  /** mean |w − Q(w)| over every quantized weight (parameter-weighted). */
  Dp: number;
  /** mean (w − Q(w))² over the same weights. */
  DpMse: number;
  /** Dp / mean |w|. */
  DpRel: number;
  /** Mean over calibration samples of the mean |y − ŷ| over the output's elements; null if the quantized model produced non-finite values. */
  Do: number | null;
  /** sqrt(Σ (y − ŷ)² / Σ y²) pooled over all samples and elements; null when non-finite. */
  relL2: number | null;
  /** Largest |y − ŷ| seen. */
  maxAbs: number | null;
  quality?: DistortionQuality;
  /** Wall time for this point (quantize, build, load, run), seconds. */
  seconds: number;
}

export interface DistortionFit extends AlphaFit {
  /** Config label the fit belongs to, e.g. `uniform-symmetric/tensor/absmax`. */
  config: string;
  /** Bit-widths that entered the fit (finite D_o and D_p > 0). */
  bits: number[];
  /** The bit-width whose D_o/D_p sets alphaMax (the paper's α); absent when no point entered the fit. */
  alphaMaxBits?: number;
}

export interface DistortionConfigResult {
  config: string;
  family: QuantFamily;
  granularity: string;
  range: RangeRule;
  points: DistortionPoint[];
  fit: DistortionFit;
}

export interface DistortionDocument {
  schema: 'coquant.distortion/1';
  model: { path: string; sha256: string; weights: number; params: number; meanAbs: number; selection: 'weights' | 'all-float' };
  inputs: { source: string; samples: number; rows: number; seed?: number; labels: boolean };
  /** Output tensor compared. */
  output: string;
  /** Task quality of the full-precision model itself (against labels), when a decoder applies. */
  fullPrecision?: { cerVsLabels?: number; accuracy?: number; texts?: string[]; [metric: string]: number | string[] | undefined };
  configs: DistortionConfigResult[];
  /** The fit of the first (default) config, for consumers that want one α. */
  fit: DistortionFit;
  run: { seconds: number; threads: number; fpCache: 'hit' | 'miss' | 'off'; cacheKey: string; onnxruntime: string };
}

/** What readers take from a distortion document: the fitted α and its quality. */
export const distortionReaderSchema = z.object({
  fit: z.object({
    alpha: jsonNumber,
    /** The paper's α (largest measured D_o/D_p); absent in documents written before it was added. */
    alphaMax: jsonNumber.optional(),
    r2: jsonNumber.optional(),
    maxRelErr: jsonNumber.optional(),
    config: z.string().optional(),
  }),
});
export type DistortionReaderView = z.infer<typeof distortionReaderSchema>;

/** Reads and validates a distortion document for a reader. */
export function readDistortion(path: string): Promise<DistortionReaderView> {
  return readDocument(path, distortionReaderSchema, { what: 'distortion JSON', code: 'E_BAD_DISTORTION', hint: 'pass the output of `coquant distortion --json`' });
}

/** The document as written to disk (non-finite numbers encoded, trailing newline). */
export function serializeDistortion(doc: DistortionDocument): string {
  return stringifyDocument(doc);
}
