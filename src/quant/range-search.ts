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
import { approxL1, binnedL1, binnedLevelCount, sortedPrefix, type SortedPrefix } from './clip-bounds.ts';
import { clippedTermSum, errorSums, errorSumsBelow, errorSumsMany, type Objective, type Values } from './error-kernels.ts';
import { fillLevelParams, type LevelParams, levelParams } from './levels.ts';
import { radixSortedCopy } from './radix-sort.ts';
import { exactSums, lanesL1, lanesMargin, loadSlice, potFits, SIMD_MAX_VALUES, simdEnabled } from './simd-kernels.ts';
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

/** The c-th clip factor of a pass (the order `clipCandidates` lists); outside (0, 1] when it is skipped. */
function candidateClip(pass: number, center: number, c: number): number {
  if (pass === 0) return (CLIP_COARSE_STEPS - c) / CLIP_COARSE_STEPS;
  const j = (c >> 1) + 1;
  return center + (c & 1 ? -j : j) * CLIP_REFINE_STEPS[pass - 1];
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
  prefix?: SortedPrefix,
): ChosenLevels {
  if (range === 'absmax' || w !== null) return chooseLevelsPlain(family, bits, range, v, w, start, end, bounds);
  const [lo, hi] = bounds ?? sliceBounds(v, start, end);
  const asc = sorted ?? prefix?.sorted ?? sortedCopy(v, start, end);
  if (range === 'clip-l1' && (family === 'uniform-symmetric' || family === 'uniform-asymmetric' || family === 'pot') && end > start) {
    return chooseLevelsL1(family, bits, v, start, end, lo, hi, prefix ?? sortedPrefix(asc));
  }
  const obj: Objective = range === 'clip-l1' ? 0 : 1;
  const kappa = roundingDiscount(end - start);
  const n = end - start;
  const n8 = simdEnabled() && n > 0 && n <= SIMD_MAX_VALUES ? loadSlice(asc, v, start, end) : 0;
  const minAbs = n8 > 0 && family === 'pot' ? minNonZeroAbs(asc) : Infinity;
  return gridSearch(family, bits, lo, hi, obj, (p, best, acc) => {
    if (best < Infinity) {
      // Prune: the full objective is ≥ P·kappa > best, so this candidate cannot win.
      const P = clippedTermSum(p, asc, obj, best * PRUNE_STOP);
      if (P > PRUNE_MIN && P * kappa > best) return false;
    }
    if (n8 > 0 && p.inv !== 0 && (p.family === 'uniform-symmetric' || p.family === 'uniform-asymmetric' || (p.family === 'pot' && potFits(p, minAbs)))) {
      exactSums([p], n8, acc);
      return acc[obj] < best;
    }
    return errorSumsBelow(p, v, start, end, obj, best, acc);
  });
}

/**
 * The coarse-to-fine grid every clip rule walks: for each candidate clip in visiting order,
 * `evaluate` fills acc with the [L1 sum, squared sum] of its levels, or returns false when it has
 * proved the candidate's objective is not below `best`; the first strictly smallest acc[obj] wins.
 */
function gridSearch(family: QuantFamily, bits: number, lo: number, hi: number, obj: Objective, evaluate: (p: LevelParams, best: number, acc: Float64Array) => boolean): ChosenLevels {
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
      const t = candidateClip(pass, center, c);
      if (!(t > 0 && t <= 1)) continue;
      fillLevelParams(scratch, family, bits, lo * t, hi * t);
      if (!evaluate(scratch, bestObj, acc)) continue;
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

/** Smallest non-zero |x| of an ascending array (Infinity when every value is 0): next to the zero crossing. */
function minNonZeroAbs(asc: Float64Array): number {
  let a = 0;
  let b = asc.length;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (asc[m] < 0) a = m + 1;
    else b = m;
  }
  // asc[a - 1] < 0 ≤ asc[a]; skip the zeros.
  let p = a;
  while (p < asc.length && asc[p] === 0) p++;
  const pos = p < asc.length ? asc[p] : Infinity;
  const neg = a > 0 ? -asc[a - 1] : Infinity;
  return pos < neg ? pos : neg;
}

// A level walk costs about this many value evaluations per level (two galloping searches and a
// few prefix-sum differences, measured on ISNet's channels); above that the four-lane pass is cheaper.
const BIN_COST = 6;
// The same with the SIMD kernels (simd-kernels.ts), whose lane pass is several times cheaper than the scalar one
// (measured on ISNet: CPU time flat between 60 and 200, 2x more at 6).
const BIN_COST_SIMD = 100;

/**
 * The clip-l1 search of `chooseLevelsPlain`, pass by pass, deciding with intervals instead of
 * slice-order sums. Every candidate of a pass gets an interval [L, U] around its slice-order
 * objective S (clipped-tail lower bound, nearest-level bins, or a four-lane pass; see
 * clip-bounds.ts). With τ the least U among the pass's candidates and the best so far, a
 * candidate with L > τ has S > some other S, so it is not the pass's minimum. The plain search
 * keeps the first minimum in visiting order (the previous best first); every candidate equal to
 * the minimum has L ≤ S = min ≤ τ and survives. One survivor is therefore the plain result;
 * several are evaluated exactly and compared in visiting order. Only the final best needs
 * slice-order sums, so most searches make one full slice-order pass instead of up to 26.
 */
function chooseLevelsL1(family: QuantFamily, bits: number, v: Values, start: number, end: number, lo: number, hi: number, sp: SortedPrefix): ChosenLevels {
  const found = searchL1(family, bits, v, start, end, lo, hi, sp, NaN);
  const params = levelParams(family, bits, lo * found.clip, hi * found.clip);
  return { params, clip: found.clip, sums: found.sums ?? finalSums([params], v, start, end, sp)[0] };
}

/** Slice-order [L1, squared] sums of chosen levels over one unweighted slice (errorSumsMany, the slice keyed by its sorted prefix). */
function finalSums(ps: LevelParams[], v: Values, start: number, end: number, sp: SortedPrefix): Float64Array[] {
  const out = ps.map(() => new Float64Array(2));
  errorSumsMany(ps, v, null, start, end, out, sp, sp.minAbs);
  return out;
}

/** The clip an L1 search settled on, with its slice-order sums when the search computed them. */
interface FoundClip {
  clip: number;
  sums: Float64Array | null;
}

/**
 * The interval search of `chooseLevelsL1` without the final slice-order sums. `hint` (a clip factor,
 * NaN for none; e.g. the clip of the next narrower bit-width) only changes the order in which the
 * first pass evaluates its candidates: the likely best first gives a tight τ at once, so the others
 * are cut short or pruned. The outcome does not depend on the order: every candidate gets its
 * interval against a τ that only decreases, survivors are taken against the pass's final τ, and
 * several survivors are compared in visiting order.
 */
function searchL1(family: QuantFamily, bits: number, v: Values, start: number, end: number, lo: number, hi: number, sp: SortedPrefix, hint: number): FoundClip {
  const n = end - start;
  const kappa = roundingDiscount(n);
  const scratch = levelParams(family, bits, lo, hi);
  const acc = new Float64Array(2);
  const iv = new Float64Array(2);
  const ts = new Float64Array(CLIP_COARSE_STEPS);
  // Lower bound of each candidate, by visiting index; NaN when skipped or pruned.
  const Ls = new Float64Array(CLIP_COARSE_STEPS);
  let bestT = 1;
  let bestLo = Infinity;
  let bestHi = Infinity;
  let bestExact = false;
  let bestL1 = Infinity;
  let bestSq = Infinity;
  // The SIMD kernels when they apply to this slice (pot: every non-zero |x|·inv normal, checked per candidate).
  const n8 = simdEnabled() && n <= SIMD_MAX_VALUES ? loadSlice(sp, v, start, end) : 0;
  const one = [scratch];
  const useSimd = (): boolean => n8 > 0 && (family !== 'pot' || potFits(scratch, sp.minAbs));
  const fs = (n8 + 4) * 4 * 2 ** -53;
  const exact = (t: number): number => {
    fillLevelParams(scratch, family, bits, lo * t, hi * t);
    if (scratch.inv !== 0 && useSimd()) return exactSums(one, n8, acc)[0];
    acc[0] = 0;
    acc[1] = 0;
    errorSums(scratch, v, null, start, end, acc);
    return acc[0];
  };
  const first0 = hint > 0 ? Math.min(CLIP_COARSE_STEPS - 1, Math.max(0, Math.round(CLIP_COARSE_STEPS * (1 - hint)))) : 0;
  for (let pass = 0; pass <= CLIP_REFINE_STEPS.length; pass++) {
    const center = bestT;
    const count = pass === 0 ? CLIP_COARSE_STEPS : 2 * CLIP_REFINE_SPAN;
    const first = pass === 0 ? first0 : 0;
    let tau = bestHi;
    for (let e = 0; e < count; e++) {
      // Evaluation order: `first`, then the others in visiting order.
      const c = e === 0 ? first : e <= first ? e - 1 : e;
      Ls[c] = NaN;
      const t = candidateClip(pass, center, c);
      ts[c] = t;
      if (!(t > 0 && t <= 1)) continue;
      fillLevelParams(scratch, family, bits, lo * t, hi * t);
      const walk = binnedLevelCount(scratch, sp);
      const simd = scratch.inv !== 0 && useSimd();
      const walked = walk >= 0 && walk * (simd ? BIN_COST_SIMD : BIN_COST) < n;
      // The clipped-tail bound before a full pass; a short level walk costs about what the bound does.
      if (tau < Infinity && (!walked || !simd)) {
        const P = clippedTermSum(scratch, sp.sorted, 0, tau * PRUNE_STOP);
        if (P > PRUNE_MIN && P * kappa > tau) continue;
      }
      let L: number;
      let Uu: number;
      if (walked) {
        binnedL1(scratch, sp, iv);
        L = iv[0];
        Uu = iv[1];
      } else if (simd) {
        // Lane sums of (nearly) the kernel's terms: any two summation orders differ by at most 2γ of
        // the sum, and the terms by at most lanesMargin in total.
        const M = lanesMargin(scratch, n8, sp.absSum);
        const stop = (tau + M) / (1 - fs);
        const sum = lanesL1(scratch, n8, stop);
        L = sum * (1 - fs) - M;
        Uu = sum > stop ? Infinity : sum * (1 + fs) + M;
      } else if (scratch.inv !== 0) {
        approxL1(scratch, v, start, end, tau, iv);
        L = iv[0];
        Uu = iv[1];
      } else {
        L = Uu = exact(t);
      }
      if (L > tau) continue;
      Ls[c] = L;
      if (Uu < tau) tau = Uu;
    }
    let survivors = pass > 0 && bestLo <= tau ? 1 : 0;
    let last = -1;
    for (let c = 0; c < count; c++) {
      if (Ls[c] <= tau) {
        survivors++;
        last = c;
      }
    }
    if (survivors === 1 && last >= 0) {
      // The one survivor is a candidate: the pass's unique minimum.
      bestT = ts[last];
      bestLo = Ls[last];
      bestHi = tau;
      bestExact = false;
    } else if (survivors > 1) {
      // Several may be the minimum: slice-order sums decide, the previous best first.
      let cur = Infinity;
      if (pass > 0 && bestLo <= tau) {
        cur = bestExact ? bestL1 : exact(bestT);
        if (!bestExact) {
          bestL1 = acc[0];
          bestSq = acc[1];
        }
      }
      for (let c = 0; c < count; c++) {
        if (!(Ls[c] <= tau)) continue;
        const s = exact(ts[c]);
        if (s < cur) {
          cur = s;
          bestT = ts[c];
          bestL1 = acc[0];
          bestSq = acc[1];
        }
      }
      bestLo = bestHi = cur;
      bestExact = true;
    }
  }
  return { clip: bestT, sums: bestExact ? Float64Array.of(bestL1, bestSq) : null };
}

const isL1Family = (f: QuantFamily): boolean => f === 'uniform-symmetric' || f === 'uniform-asymmetric' || f === 'pot';

/** What the clip searches of one slice share across families and bit-widths. */
export interface PreparedSlice {
  bounds: [number, number];
  /** Ascending copy of the slice's values. */
  sorted: Float64Array;
  /** Smallest non-zero |x| (Infinity when every value is 0). */
  minAbs: number;
  /** The sorted copy with its prefix sums, for the clip-l1 interval bounds. */
  prefix: SortedPrefix;
}

export function prepareSlice(v: Values, start: number, end: number): PreparedSlice {
  const sorted = sortedCopy(v, start, end);
  const prefix = sortedPrefix(sorted);
  return { bounds: sliceBounds(v, start, end), sorted, minAbs: prefix.minAbs, prefix };
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
  const order = bitsList.map((b, i) => i).sort((a, b) => bitsList[a] - bitsList[b]);
  const l1 = range === 'clip-l1' && isL1Family(family) && end > start;
  // The first saturated pot bit-width searches; the wider ones reuse its clip and sums.
  let saturated = -1;
  const reuse: number[] = [];
  // L1 searches go narrowest first, each hinted with the previous clip; their slice-order sums are batched at the end.
  let hint = NaN;
  const pending: number[] = [];
  for (const i of order) {
    const bits = bitsList[i];
    const sat = family === 'pot' && range !== 'absmax' && potSaturated(bits, lo, hi, slice.minAbs);
    if (sat && saturated >= 0) {
      reuse.push(i);
      continue;
    }
    if (sat) saturated = i;
    if (!l1) {
      out[i] = chooseLevels(family, bits, range, v, null, start, end, slice.bounds, slice.sorted, slice.prefix);
      continue;
    }
    const found = searchL1(family, bits, v, start, end, lo, hi, slice.prefix, hint);
    hint = found.clip;
    out[i] = { params: levelParams(family, bits, lo * found.clip, hi * found.clip), clip: found.clip, sums: found.sums ?? new Float64Array(2) };
    if (!found.sums) pending.push(i);
  }
  const sums = finalSums(pending.map((i) => out[i].params), v, start, end, slice.prefix);
  pending.forEach((i, k) => (out[i].sums = sums[k]));
  for (const i of reuse) {
    const s = out[saturated];
    out[i] = { params: levelParams(family, bitsList[i], lo * s.clip, hi * s.clip), clip: s.clip, sums: Float64Array.from(s.sums) };
  }
  return out;
}

/** Ascending float64 copy of a slice: shared by every clip search over that slice (all families, bit-widths). */
export function sortedCopy(v: Values, start: number, end: number): Float64Array {
  if (v instanceof Float32Array && end - start >= RADIX_MIN) return radixSortedCopy(v, start, end);
  return sortedCopyReference(v, start, end);
}

// Below this many values the typed-array sort is as fast as the radix passes (2048 counters each).
const RADIX_MIN = 1024;

/** The definition of `sortedCopy`: widen, then Float64Array.prototype.sort. */
export function sortedCopyReference(v: Values, start: number, end: number): Float64Array {
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
  return gridSearch(family, bits, lo, hi, range === 'clip-l1' ? 0 : 1, (p, _best, acc) => {
    acc[0] = 0;
    acc[1] = 0;
    errorSums(p, v, w, start, end, acc);
    return true;
  });
}
