/**
 * The `coquant profile --json` document. Other commands (`bounds`, `plan`) and users' scripts
 * read it, so fields are only ever added, never renamed. Documented in docs/profile-json.md.
 */
import type { DType } from '../io/types.ts';
import type { QuantFamily, RangeRule } from '../quant/types.ts';

export interface ProfileGroup {
  name: string;
  shape: number[];
  dtype: DType;
  params: number;
  meanAbs: number;
  maxAbs: number;
  std: number;
  /** Exponential fit of |w|: lambda = 1 / meanAbs (maximum likelihood). */
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
