/**
 * Range rules: which interval a slice's levels cover. `absmax` covers every value; `clip-l1`
 * and `clip-mse` shrink the interval by a factor t ∈ (0, 1] chosen by a deterministic
 * coarse-to-fine grid search that minimises that slice's own L1 or squared error:
 *   pass 1: t = 8/8, 7/8, …, 1/8;  passes 2-4: t_best ± j·step for j = 1..3, step = 1/32, 1/128, 1/512,
 * keeping t ≤ 1 and t > 0. Ties keep the candidate seen first (pass 1 scans from t = 1 down), so the
 * result never depends on anything but the values. 26 evaluations; the clip is resolved to 1/512 of absmax.
 *
 * `chooseLevels` visits the same candidates in the same order and computes every objective it
 * compares with the same arithmetic as the plain search (`chooseLevelsPlain`, the definition), but
 * skips work on candidates that cannot become the best, i.e. whose objective is provably ≥ the best
 * so far (a candidate only replaces the best when strictly better), so it returns the same bits:
 *  - a lower bound: the candidate's terms over the clipped tails of a sorted copy of the slice
 *    (`clippedTermSum`), discounted by the worst-case rounding of two float sums;
 *  - an early exit from the full sum once its running value reaches the best (terms are ≥ 0).
 */
import { clippedTermSum, errorSums, errorSumsBelow, type Objective, type Values } from './error-kernels.ts';
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
  sorted?: Float64Array,
): ChosenLevels {
  if (range === 'absmax' || w !== null) return chooseLevelsPlain(family, bits, range, v, w, start, end, bounds);
  const [lo, hi] = bounds ?? sliceBounds(v, start, end);
  const asc = sorted ?? sortedCopy(v, start, end);
  const obj: Objective = range === 'clip-l1' ? 0 : 1;
  const kappa = roundingDiscount(end - start);
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
      if (bestObj < Infinity) {
        // Prune: the full objective is ≥ P·kappa > bestObj, so this candidate cannot win.
        const P = clippedTermSum(scratch, asc, obj, bestObj * PRUNE_STOP);
        if (P > PRUNE_MIN && P * kappa > bestObj) continue;
      }
      if (!errorSumsBelow(scratch, v, start, end, obj, bestObj, acc)) continue;
      if (acc[obj] < bestObj) {
        bestObj = acc[obj];
        bestT = t;
        bestL1 = acc[0];
        bestSq = acc[1];
      }
    }
  }
  return { params: levelParams(family, bits, lo * bestT, hi * bestT), clip: bestT, sums: Float64Array.of(bestL1, bestSq) };
}

/** What the clip searches of one slice share across families and bit-widths. */
export interface PreparedSlice {
  bounds: [number, number];
  /** Ascending copy of the slice's values. */
  sorted: Float64Array;
  /** Smallest non-zero |x| (Infinity when every value is 0). */
  minAbs: number;
}

export function prepareSlice(v: Values, start: number, end: number): PreparedSlice {
  const sorted = sortedCopy(v, start, end);
  let minAbs = Infinity;
  for (let i = 0; i < sorted.length; i++) {
    const a = Math.abs(sorted[i]);
    if (a > 0 && a < minAbs) minAbs = a;
  }
  return { bounds: sliceBounds(v, start, end), sorted, minAbs };
}

/**
 * pot bit-widths beyond which a slice sees no difference. A wider pot grid only adds levels
 * below c·2^minExp; every candidate clip divides by c·t ≤ c, so each ratio r = |x|·inv is at least
 * minAbs·(1/c) (float rounding is monotone). When that is ≥ 2^minExp(b), every r either is 0 or
 * rounds to a level 2^k with k ≥ minExp(b) that does not depend on minExp, so every candidate has
 * the same terms at b and at every wider b': the same search, clip and sums, bit for bit.
 */
export function potSaturated(bits: number, lo: number, hi: number, minAbs: number): boolean {
  const c = Math.max(-lo, hi);
  const inv = c > 0 && Number.isFinite(1 / c) ? 1 / c : 0;
  if (inv === 0 || minAbs === Infinity) return true;
  const minExp = 2 - 2 ** (bits - 1);
  return minAbs * inv >= 2 ** minExp; // 2 ** minExp underflows to 0 only when every positive double is above it
}

/**
 * `chooseLevels` for several bit-widths of one family and range over one unweighted slice,
 * results in the order of `bitsList`. pot bit-widths past saturation reuse one search.
 */
export function chooseLevelsForBits(family: QuantFamily, bitsList: readonly number[], range: RangeRule, v: Values, start: number, end: number, slice: PreparedSlice): ChosenLevels[] {
  const out: ChosenLevels[] = new Array(bitsList.length);
  const [lo, hi] = slice.bounds;
  let saturated: ChosenLevels | undefined;
  const order = bitsList.map((b, i) => i).sort((a, b) => bitsList[a] - bitsList[b]);
  for (const i of order) {
    const bits = bitsList[i];
    if (family === 'pot' && range !== 'absmax' && potSaturated(bits, lo, hi, slice.minAbs)) {
      if (saturated) {
        out[i] = { params: levelParams(family, bits, lo * saturated.clip, hi * saturated.clip), clip: saturated.clip, sums: Float64Array.from(saturated.sums) };
        continue;
      }
      saturated = out[i] = chooseLevels(family, bits, range, v, null, start, end, slice.bounds, slice.sorted);
      continue;
    }
    out[i] = chooseLevels(family, bits, range, v, null, start, end, slice.bounds, slice.sorted);
  }
  return out;
}

/** Ascending float64 copy of a slice: shared by every clip search over that slice (all families, bit-widths). */
export function sortedCopy(v: Values, start: number, end: number): Float64Array {
  const out = new Float64Array(end - start);
  for (let i = start; i < end; i++) out[i - start] = v[i];
  return out.sort();
}

// Below this the product P·kappa could round with an absolute (subnormal) error; never prune there.
const PRUNE_MIN = 2 ** -1000;

// Where clippedTermSum may stop scanning: a little above bestObj / kappa, so stopping implies the prune test passes.
const PRUNE_STOP = 1 + 2 ** -20;

/**
 * kappa such that fl(P·kappa) > B proves S > B, where P is a float sum of some of the n ≥ 0 terms
 * (in any order) and S the float sum of all n terms in slice order. Recursive summation of
 * non-negative terms gives P ≤ (1 + u)^(n−1)·ΣP_terms and S ≥ (1 − u)^(n−1)·Σall with u = 2^-53
 * (a sum that lands in the subnormals is exact), so S ≥ P·(1 − 3nu) for n·u ≤ 1/8; kappa = 1 − (4n + 8)u
 * also absorbs the rounding of the product. Both kappa and the product are exact-or-rounded doubles.
 */
export function roundingDiscount(n: number): number {
  return n < 2 ** 48 ? 1 - (4 * n + 8) * 2 ** -53 : 0;
}

/**
 * The definition: evaluates every candidate fully. Used for absmax, for weighted samples (the
 * fp16 histogram path) and by tests as the reference `chooseLevels` must match bit for bit.
 */
export function chooseLevelsPlain(
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
