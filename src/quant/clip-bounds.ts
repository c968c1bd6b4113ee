/**
 * Cheap, rigorous intervals around the L1 objective of one clip candidate, for the clip search
 * (range-search.ts) to discard candidates without evaluating them in slice order.
 *
 * The quantity bracketed is S = the float sum, in slice order, of the kernel terms |x − Q(x)|
 * (what `errorSums` returns in acc[0]). Two ways to bracket it:
 *
 *  - `binnedL1`: every family here (uniform symmetric / asymmetric, pot) maps x to its nearest
 *    level, up to float rounding at the midpoints. Over an ascending copy of the slice with
 *    double-double prefix sums, the exact nearest-level sum is, level by level,
 *      Σ_{x ≥ ℓ}(x − ℓ) + Σ_{x < ℓ}(ℓ − x)  over the level's bin,
 *    found by bisection in a bucket index of the sorted slice (galloping searches where its range is
 *    degenerate): O(levels in the data's range) searches instead of O(n) work. The interval
 *    absorbs (1) rounding of the kernel's ratio and level (a value within 2u of a midpoint may
 *    go to the other neighbour: the two distances differ by ≤ 4.01u|x|; level and difference
 *    roundings ≤ u(|x| + c)), (2) rounding of the prefix sums and of this sum, and (3) the
 *    slice-order summation of S (γ_n). Everything is bounded by a multiple of u·(Σ|x| + n·c)
 *    plus u·R·|A| for R non-empty bins; the constants below are about twice what the analysis needs.
 *  - `approxL1`: the kernel's own terms, bit for bit (same per-value functions), summed with four
 *    accumulators (no loop-carried latency chain; one for pot); any two summation orders of n non-negative
 *    terms differ by at most 2γ_n of their sum.
 *
 * Both return [lower, upper]; `approxL1` may stop early once its partial sum proves the
 * candidate is worse than `limit` (then upper is Infinity).
 */
import { potD, symD, asymD } from './error-kernels.ts';
import type { LevelParams } from './levels.ts';

const U = 2 ** -53;

/** Ascending copy of a slice with double-double prefix sums and Σ|x|: built once per slice. */
export interface SortedPrefix {
  sorted: Float64Array;
  /** prefix sums of `sorted`, high and low parts: Σ_{i<j} sorted[i] ≈ hi[j] + lo[j]. */
  hi: Float64Array;
  lo: Float64Array;
  /** An upper bound on Σ|x|. */
  absSum: number;
  /** Smallest non-zero |x| (Infinity when every value is 0). */
  minAbs: number;
  /**
   * Bucket index for the level walk's searches: idx[b] = first i with bucketOf(sorted[i]) ≥ b, where
   * bucketOf(y) = floor(clamp((y − sorted[0])·bscale, 0, B − 1)) is non-decreasing in y; null when the
   * range is degenerate (then the walk gallops).
   */
  idx: Uint32Array | null;
  bscale: number;
}

export function sortedPrefix(sorted: Float64Array): SortedPrefix {
  const n = sorted.length;
  const hi = new Float64Array(n + 1);
  const lo = new Float64Array(n + 1);
  let s = 0;
  let e = 0;
  let a = 0;
  let minAbs = Infinity;
  for (let i = 0; i < n; i++) {
    const x = sorted[i];
    const ax = Math.abs(x);
    if (ax > 0 && ax < minAbs) minAbs = ax;
    const t = s + x; // TwoSum: t + err = s + x exactly
    const bb = t - s;
    e += s - (t - bb) + (x - bb);
    s = t;
    hi[i + 1] = s;
    lo[i + 1] = e;
    a += ax;
  }
  return { sorted, hi, lo, absSum: a * (1 + (n + 2) * 2 * U), minAbs, ...bucketIndex(sorted) };
}

function bucketIndex(x: Float64Array): { idx: Uint32Array | null; bscale: number } {
  const n = x.length;
  const B = Math.min(4096, Math.max(16, n >> 2));
  const bscale = n > 0 ? B / (x[n - 1] - x[0]) : 0;
  if (!(bscale > 0 && bscale < Infinity)) return { idx: null, bscale: 0 };
  const idx = new Uint32Array(B + 1);
  let b = 0;
  for (let i = 0; i < n; i++) {
    const k = bucketOf(x[i], x[0], bscale, B);
    while (b <= k) idx[b++] = i;
  }
  while (b <= B) idx[b++] = n;
  return { idx, bscale };
}

function bucketOf(y: number, x0: number, bscale: number, B: number): number {
  const t = (y - x0) * bscale;
  return t < 1 ? 0 : t >= B - 1 ? B - 1 : Math.floor(t);
}

/**
 * First index i in [from, n) with x[i] ≥ key (n if none), through the bucket index: every value in a
 * lower bucket is below key and every value in a higher one above it, so the answer lies in key's
 * bucket (or is `from`); bisection there.
 */
export function seekBucket(sp: SortedPrefix, idx: Uint32Array, from: number, key: number): number {
  const x = sp.sorted;
  const B = idx.length - 1;
  const b = bucketOf(key, x[0], sp.bscale, B);
  let lo = idx[b] > from ? idx[b] : from;
  let hi = idx[b + 1] > lo ? idx[b + 1] : lo;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index i in [from, n) with x[i] ≥ key (n if none): exponential then binary search. */
function gallop(x: Float64Array, from: number, key: number): number {
  const n = x.length;
  // Bins are often a few values wide: a short linear probe first.
  const near = from + 8 < n ? from + 8 : n;
  for (let i = from; i < near; i++) if (x[i] >= key) return i;
  if (near === n) return n;
  let lo = near - 1; // x[lo] < key
  from = lo;
  let step = 1;
  let hi = from + 1;
  while (hi < n && x[hi] < key) {
    lo = hi;
    step *= 2;
    hi = from + step;
  }
  if (hi > n) hi = n;
  // x[lo] < key, and hi = n or x[hi] ≥ key
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (x[mid] < key) lo = mid;
    else hi = mid;
  }
  return hi;
}

// Levels of the candidate in the data's range, ascending; reused between calls.
let levels = new Float64Array(1024);

function pushLevel(k: number, v: number): void {
  if (k >= levels.length) {
    const grown = new Float64Array(levels.length * 2);
    grown.set(levels);
    levels = grown;
  }
  levels[k] = v;
}

/**
 * Number of levels `binnedL1` would walk for these params over the slice, or -1 when it does
 * not apply (fp8, zero scale, magnitudes where the rounding margins stop being relative).
 */
export function binnedLevelCount(p: LevelParams, sp: SortedPrefix): number {
  const x = sp.sorted;
  const n = x.length;
  if (n === 0 || p.inv === 0 || !(p.scale > 2 ** -900) || !(p.scale < 2 ** 900) || Math.max(-x[0], x[n - 1]) > 2 ** 900) return -1;
  switch (p.family) {
    case 'uniform-symmetric':
    case 'uniform-asymmetric': {
      const [a, b] = uniformRange(p, x[0], x[n - 1]);
      return b >= a ? b - a + 1 : 1;
    }
    case 'pot':
      return 2 * (1 - potLowExp(p, sp.minAbs)) + 1;
    default:
      return -1;
  }
}

/** Level indices k (level k·scale) that values in [xmin, xmax] can reach, clamped to the grid. */
function uniformRange(p: LevelParams, xmin: number, xmax: number): [number, number] {
  const kmin = p.family === 'uniform-symmetric' ? -p.qmax : -p.zero;
  const kmax = p.family === 'uniform-symmetric' ? p.qmax : p.qmax - p.zero;
  return [Math.max(kmin, Math.floor(xmin * p.inv) - 1), Math.min(kmax, Math.ceil(xmax * p.inv) + 1)];
}

/**
 * Lowest pot exponent k (level c·2^k) the walk needs: every non-zero |x| lies above the lower
 * edge 0.75·c·2^k of that level's bin (two exponents of slack for log2's rounding), so the
 * levels below it, absent from the walk, have no values nearest to them.
 */
function potLowExp(p: LevelParams, minAbs: number): number {
  if (minAbs === Infinity) return 0;
  const k = Math.floor(Math.log2(minAbs / p.scale)) - 2;
  return Math.min(0, Math.max(p.minExp, k));
}

/**
 * [lower, upper] around S for one candidate, by nearest-level bins over the sorted slice. The
 * caller checks `binnedLevelCount(p, sp) ≥ 0` first.
 */
export function binnedL1(p: LevelParams, sp: SortedPrefix, out: Float64Array): Float64Array {
  const x = sp.sorted;
  const n = x.length;
  let L = 0;
  let cLev: number;
  if (p.family === 'pot') {
    const c = p.scale;
    const kLow = potLowExp(p, sp.minAbs);
    for (let k = 0; k >= kLow; k--) pushLevel(L++, -(c * 2 ** k));
    pushLevel(L++, 0);
    for (let k = kLow; k <= 0; k++) pushLevel(L++, c * 2 ** k);
    cLev = c;
  } else {
    const s = p.scale;
    const kmin = p.family === 'uniform-symmetric' ? -p.qmax : -p.zero;
    const kmax = p.family === 'uniform-symmetric' ? p.qmax : p.qmax - p.zero;
    const [a, b] = uniformRange(p, x[0], x[n - 1]);
    if (b < a) pushLevel(L++, (x[0] < 0 ? kmin : kmax) * s);
    else for (let k = a; k <= b; k++) pushLevel(L++, k * s);
    cLev = Math.max(-kmin * s, kmax * s);
  }
  const hi = sp.hi;
  const lo = sp.lo;
  const idx = sp.idx;
  let sum = 0;
  let R = 0;
  let start = 0;
  for (let j = 0; j < L && start < n; j++) {
    const l = levels[j];
    // The level splits its bin; the bin's upper edge (the midpoint to the next level) lies above it.
    const m = idx ? seekBucket(sp, idx, start, l) : gallop(x, start, l);
    const end = j === L - 1 ? n : idx ? seekBucket(sp, idx, m, (l + levels[j + 1]) * 0.5) : gallop(x, m, (l + levels[j + 1]) * 0.5);
    if (end === start) continue;
    const mm = m < end ? m : end;
    const up = hi[end] - hi[mm] + (lo[end] - lo[mm]) - l * (end - mm);
    const down = l * (mm - start) - (hi[mm] - hi[start] + (lo[mm] - lo[start]));
    sum += up + down;
    R++;
    start = end;
  }
  const G = sp.absSum + n * cLev * (1 + 4 * U);
  const margin = 64 * U * G + 8 * R * n * n * U * U * G + 2 * (R + 2) * U * Math.abs(sum) + 2 ** -1000 * (n + 1);
  const f = (n + 4) * 2 * U;
  out[0] = (sum - margin) * (1 - f);
  out[1] = (sum + margin) * (1 + f);
  return out;
}

/**
 * [lower, upper] around S from the kernel's own terms summed in four lanes; gives up (upper =
 * Infinity) once the partial sum proves S > limit.
 */
export function approxL1(p: LevelParams, v: Float32Array | Float64Array, s: number, e: number, limit: number, out: Float64Array): Float64Array {
  const f = (e - s + 4) * 4 * U;
  const stop = limit / (1 - f);
  let a0 = 0;
  let a1 = 0;
  let a2 = 0;
  let a3 = 0;
  const inv = p.inv;
  const step = p.scale;
  const q = p.qmax;
  const z = p.zero;
  const m = p.minExp;
  const BLOCK = 256;
  let i = s;
  for (let b = s; b < e; b = i) {
    const be = b + BLOCK < e ? b + BLOCK : e;
    const be4 = be - ((be - b) & 3);
    if (p.family === 'uniform-symmetric') {
      for (i = b; i < be4; i += 4) {
        a0 += Math.abs(symD(v[i], inv, step, q));
        a1 += Math.abs(symD(v[i + 1], inv, step, q));
        a2 += Math.abs(symD(v[i + 2], inv, step, q));
        a3 += Math.abs(symD(v[i + 3], inv, step, q));
      }
      for (; i < be; i++) a0 += Math.abs(symD(v[i], inv, step, q));
    } else if (p.family === 'uniform-asymmetric') {
      for (i = b; i < be4; i += 4) {
        a0 += Math.abs(asymD(v[i], inv, step, q, z));
        a1 += Math.abs(asymD(v[i + 1], inv, step, q, z));
        a2 += Math.abs(asymD(v[i + 2], inv, step, q, z));
        a3 += Math.abs(asymD(v[i + 3], inv, step, q, z));
      }
      for (; i < be; i++) a0 += Math.abs(asymD(v[i], inv, step, q, z));
    } else {
      // One lane: potRatio goes through a shared scratch double, so interleaving gains nothing.
      for (i = b; i < be; i++) a0 += Math.abs(potD(v[i], inv, step, m));
    }
    if (a0 + a1 + (a2 + a3) > stop) {
      out[0] = (a0 + a1 + (a2 + a3)) * (1 - f);
      out[1] = Infinity;
      return out;
    }
  }
  const t = a0 + a1 + (a2 + a3);
  out[0] = t * (1 - f);
  out[1] = t * (1 + f);
  return out;
}
