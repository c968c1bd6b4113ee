/**
 * The `coquant.profile/1` document (`coquant profile --json`): its type, its zod schema, and
 * reading and writing it. `bounds`, `plan` and users' scripts read it, so fields are only ever
 * added, never renamed (docs/profile-json.md). Non-finite numbers follow json-numbers.ts:
 * λ = +∞ of an all-zero tensor is written "Infinity" (older files hold null, read as +∞).
 * `z.toJSONSchema(profileDocumentSchema)` gives the JSON Schema.
 */
import { z } from 'zod';
import { CoquantError } from '../errors.ts';
import type { DType } from '../io/types.ts';
import type { QuantFamily, RangeRule } from '../quant/types.ts';
import { jsonNumberNullIsInfinity, stringifyDocument } from './json-numbers.ts';
import { readJsonFile, zodWhere } from './read-json.ts';

export interface ProfileGroup {
  name: string;
  shape: number[];
  dtype: DType;
  params: number;
  meanAbs: number;
  maxAbs: number;
  std: number;
  /** Exponential fit of |w|: lambda = 1 / meanAbs (maximum likelihood); +∞ for an all-zero tensor (written "Infinity"). */
  lambda: number;
  /** Kolmogorov-Smirnov distance between the empirical |w| distribution and Exp(lambda). */
  ks: number;
  /** |ks − exact KS| ≤ ksBound: 0 for fp16/bf16 weights (exact), ≤ 0.0015 for fp32/fp64 (binned). */
  ksBound?: number;
}

export interface ProfileDistortion {
  /** `"model"` for the aggregate over all weights, otherwise a group name. */
  scope: string;
  family: QuantFamily;
  /** `tensor`, `channel` or `groupN`. */
  granularity: string;
  range: RangeRule;
  bits: number;
  /** mean |w - Q(w)| */
  l1: number;
  /** mean (w - Q(w))^2 */
  mse: number;
  /** l1 / mean|w| */
  relL1: number;
}

export interface ProfileDocument {
  schema: 'coquant.profile/1';
  /** `weights: 'synthetic'` when the model's weights were generated (coquant synth), not pretrained. */
  model: { path: string; format: 'onnx' | 'safetensors'; selection: 'weights' | 'all-float'; weights?: 'synthetic' };
  totals: { params: number; groups: number; meanAbs: number; maxAbs: number; std: number; lambda: number; ks: number; ksBound?: number };
  groups: ProfileGroup[];
  distortion: ProfileDistortion[];
  /** Quantizer specs measured (`family/granularity/range`), in the order entries appear. */
  configs?: string[];
  /** Bit-widths measured for the integer families (fp8 entries always have bits = 8). */
  bits?: number[];
  /**
   * Model-level histogram of |w| on equal-width bins over [0, edges[last]] (the 99.9th percentile
   * of |w|, so a few outliers do not squash the plot); `overflow` counts magnitudes beyond it.
   */
  magnitudeHistogram?: { edges: number[]; counts: number[]; overflow: number };
  /** How long the profile took and how it ran; informative, not stable. */
  run?: Record<string, unknown>;
}

const num = z.number();
/** λ of an all-zero group is +∞: "Infinity" in this encoding, null in documents written before it. */
const lambda = jsonNumberNullIsInfinity;

export const profileGroupSchema = z.object({
  name: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  dtype: z.string(),
  params: z.number().int().positive(),
  meanAbs: num,
  maxAbs: num,
  std: num,
  lambda,
  ks: num.min(0).max(1),
  ksBound: num.min(0).optional(),
});

export const profileDistortionSchema = z.object({
  scope: z.string(),
  family: z.enum(['uniform-symmetric', 'uniform-asymmetric', 'pot', 'fp8-e4m3', 'fp8-e5m2']),
  granularity: z.string().regex(/^(tensor|channel|group\d+)$/),
  range: z.enum(['absmax', 'clip-l1', 'clip-mse']),
  bits: z.number().int().min(2).max(16),
  l1: num.min(0),
  mse: num.min(0),
  relL1: num.min(0),
});

export const profileDocumentSchema = z.object({
  schema: z.literal('coquant.profile/1'),
  model: z.object({ path: z.string(), format: z.enum(['onnx', 'safetensors']), selection: z.enum(['weights', 'all-float']), weights: z.literal('synthetic').optional() }),
  totals: z.object({ params: z.number().int().positive(), groups: z.number().int().positive(), meanAbs: num, maxAbs: num, std: num, lambda, ks: num.min(0).max(1), ksBound: num.min(0).optional() }),
  groups: z.array(profileGroupSchema),
  distortion: z.array(profileDistortionSchema),
  configs: z.array(z.string()).optional(),
  bits: z.array(z.number().int()).optional(),
  magnitudeHistogram: z.object({ edges: z.array(num), counts: z.array(num), overflow: num }).optional(),
  run: z.record(z.string(), z.unknown()).optional(),
});

/**
 * What every reader of a profile needs, and no more: the groups (name, params, λ) and the
 * quantizer measurements. Hand-written or trimmed profiles with just these fields are valid.
 */
export const profileReaderSchema = z.object({
  schema: z.literal('coquant.profile/1'),
  groups: z.array(z.object({ name: z.string(), params: z.number().nonnegative(), lambda: jsonNumberNullIsInfinity, ks: z.number().nullable().optional() })).min(1),
  distortion: z
    .array(
      z.object({
        scope: z.string(),
        family: z.string(),
        granularity: z.string(),
        range: z.string(),
        bits: z.number(),
        l1: z.number().nonnegative(),
        /** Optional (proposed): entropy-coded magnitude rate of the codes, bits/param. */
        magnitudeEntropy: z.number().nonnegative().optional(),
      }),
    )
    .default([]),
});
export type ProfileReaderView = z.infer<typeof profileReaderSchema>;

const HINT = 'create one with: coquant profile MODEL --json > profile.json';

/** Validates a parsed profile for a reader; `where` names the file in the error. */
export function parseProfile(doc: unknown, where: string): ProfileReaderView {
  const p = profileReaderSchema.safeParse(doc);
  if (!p.success) throw new CoquantError('E_BAD_PROFILE', zodWhere(p.error, where), { hint: HINT });
  return p.data;
}

/** Reads and validates a profile file. */
export async function readProfile(path: string): Promise<ProfileReaderView> {
  return parseProfile(await readJsonFile(path, 'profile JSON'), path);
}

/** The document as written to disk (non-finite numbers encoded, trailing newline). */
export function serializeProfile(doc: ProfileDocument): string {
  return stringifyDocument(doc);
}
