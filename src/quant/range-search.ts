/**
 * Range rules: which interval a slice's levels cover. `absmax` covers every value; `clip-l1`
 * and `clip-mse` shrink the interval by a factor t ∈ (0, 1] chosen by a deterministic
 * coarse-to-fine grid search that minimises that slice's own L1 or squared error:
 *   pass 1: t = 8/8, 7/8, …, 1/8;  passes 2-4: t_best ± j·step for j = 1..3, step = 1/32, 1/128, 1/512,
 * keeping t ≤ 1 and t > 0. Ties keep the candidate seen first (pass 1 scans from t = 1 down), so the
 * result never depends on anything but the values. 26 evaluations; the clip is resolved to 1/512 of absmax.
 */
import { errorSums, type Values } from './error-kernels.ts';
import { fillLevelParams, type LevelParams, levelParams } from './levels.ts';
import type { QuantFamily, RangeRule } from './types.ts';

export const CLIP_COARSE_STEPS = 8;
export const CLIP_REFINE_STEPS: readonly number[] = [1 / 32, 1 / 128, 1 / 512];
export const CLIP_REFINE_SPAN = 3;

/** [lo, hi] = [min(min x, 0), max(max x, 0)] over a slice (entries with weight 0 are not in histograms). */
export function sliceBounds(v: Values, start: number, end: number): [number, number] {
  let lo = 0;
  let hi = 0;
  for (let i = start; i < end; i++) {
    const x = v[i];
    if (x < lo) lo = x;
    else if (x > hi) hi = x;
  }
  return [lo, hi];
}

/** The clip factors the search visits, in visiting order, given the best of the previous passes. Exposed for tests. */
export function clipCandidates(pass: number, best: number): number[] {
  if (pass === 0) return Array.from({ length: CLIP_COARSE_STEPS }, (_, k) => (CLIP_COARSE_STEPS - k) / CLIP_COARSE_STEPS);
  const step = CLIP_REFINE_STEPS[pass - 1];
  const out: number[] = [];
  for (let j = 1; j <= CLIP_REFINE_SPAN; j++) {
    for (const t of [best + j * step, best - j * step]) if (t > 0 && t <= 1) out.push(t);
  }
  return out;
}

export interface ChosenLevels {
  params: LevelParams;
  /** Clip factor t the range rule settled on (1 for absmax). */
  clip: number;
  /** Error sums of the chosen levels over the slice: [L1 sum, squared sum]. */
  sums: Float64Array;
}

/** Chooses levels for one slice under a range rule and returns them with their error sums. */
export function chooseLevels(
  family: QuantFamily,
  bits: number,
  range: RangeRule,
  v: Values,
  w: Float64Array | null,
  start: number,
  end: number,
  bounds?: [number, number],
): ChosenLevels {
  const [lo, hi] = bounds ?? sliceBounds(v, start, end);
  if (range === 'absmax') {
    const params = levelParams(family, bits, lo, hi);
    return { params, clip: 1, sums: errorSums(params, v, w, start, end, new Float64Array(2)) };
  }
  const k = range === 'clip-l1' ? 0 : 1;
  // One scratch params object and accumulator for all 26 candidates: tiny slices (depthwise
  // channels of 9 values) would otherwise spend most of their time allocating.
  const scratch = levelParams(family, bits, lo, hi);
  const acc = new Float64Array(2);
  let bestT = 1;
  let bestL1 = Infinity;
  let bestSq = Infinity;
  let bestObj = Infinity;
  for (let pass = 0; pass <= CLIP_REFINE_STEPS.length; pass++) {
    const center = bestT;
    const count = pass === 0 ? CLIP_COARSE_STEPS : 2 * CLIP_REFINE_SPAN;
    for (let c = 0; c < count; c++) {
      let t: number;
      if (pass === 0) t = (CLIP_COARSE_STEPS - c) / CLIP_COARSE_STEPS;
      else {
        const j = (c >> 1) + 1;
        t = center + (c & 1 ? -j : j) * CLIP_REFINE_STEPS[pass - 1];
        if (!(t > 0 && t <= 1)) continue;
      }
      fillLevelParams(scratch, family, bits, lo * t, hi * t);
      acc[0] = 0;
      acc[1] = 0;
      errorSums(scratch, v, w, start, end, acc);
      if (acc[k] < bestObj) {
        bestObj = acc[k];
        bestT = t;
        bestL1 = acc[0];
        bestSq = acc[1];
      }
    }
  }
  return { params: levelParams(family, bits, lo * bestT, hi * bestT), clip: bestT, sums: Float64Array.of(bestL1, bestSq) };
}
