/**
 * Hot loops: sum of |x − Q(x)| and (x − Q(x))² over a slice, optionally weighted by counts
 * (a histogram of distinct values). They compute exactly what `quantizeOne` computes, and tests
 * check that. Rounding goes through `roundHalfUp` (the value of Math.round, faster). The
 * WebAssembly SIMD kernels (simd-kernels.ts) compute the same terms for the unweighted hot paths.
 */
import { E4M3, roundToFp8 } from './fp8-format.ts';
import { type LevelParams, potRatio, roundHalfUp } from './levels.ts';
import { exactSums, loadSlice, potFits, SIMD_MAX_VALUES, simdEnabled } from './simd-kernels.ts';

export type Values = Float32Array | Float64Array;

/**
 * Accumulates into acc[0] (L1 sum) and acc[1] (squared sum); returns acc. One loop for every family:
 * the family is the same for every value, so the branch on it is predicted, and the hot unweighted
 * cases run in the SIMD kernels anyway (errorSumsMany).
 */
export function errorSums(
  p: LevelParams,
  v: Values,
  w: Float64Array | null,
  start: number,
  end: number,
  acc: Float64Array,
): Float64Array {
  // 0: zero scale (every value maps to 0); 1: uniform (symmetric: zero point 0, lowest level −n); 2: pot; 3: fp8.
  const kind = p.inv === 0 ? 0 : p.family === 'uniform-symmetric' || p.family === 'uniform-asymmetric' ? 1 : p.family === 'pot' ? 2 : 3;
  const inv = p.inv;
  const step = p.scale;
  const n = p.qmax;
  const z = p.zero;
  const lowest = p.family === 'uniform-symmetric' ? -n : 0;
  const m = p.minExp;
  const f = p.fp8 ?? E4M3;
  let l1 = 0;
  let sq = 0;
  for (let i = start; i < end; i++) {
    const x = v[i];
    const d = kind === 1 ? uniformD(x, inv, step, lowest, n, z) : kind === 2 ? potD(x, inv, step, m) : kind === 0 ? x : x - roundToFp8(x * inv, f) * step;
    const k = w === null ? 1 : w[i];
    l1 += Math.abs(d) * k;
    sq += d * d * k;
  }
  acc[0] += l1;
  acc[1] += sq;
  return acc;
}

/**
 * x − Q(x) for both uniform families: q = roundHalfUp(x·inv) + z clamped to [lowest, n], level (q − z)·step.
 * With z = 0 and lowest = −n it is `symD` up to the sign of a zero difference (q + 0 and q − 0 are q),
 * so |d| and d² are the same doubles.
 */
function uniformD(x: number, inv: number, step: number, lowest: number, n: number, z: number): number {
  let q = roundHalfUp(x * inv) + z;
  q = q > n ? n : q < lowest ? lowest : q;
  return x - (q - z) * step;
}

/**
 * `errorSums` of several levels over one slice, each added into its own accumulator (accs[k] +=
 * [L1 sum, squared sum] of ps[k]): unweighted slices go through the SIMD kernel four levels of a
 * family at a time, one per lane in slice order, which gives errorSums' very sums; the rest (weights,
 * fp8, pot where some |x|·inv would be subnormal) through errorSums. `key` names the slice's values
 * for the kernel's memory (see loadSlice); by default a fresh one, so the slice is copied in.
 */
export function errorSumsMany(ps: readonly LevelParams[], v: Values, w: Float64Array | null, start: number, end: number, accs: Float64Array[], key: object = {}, minAbs = NaN): void {
  const n = end - start;
  const n8 = w === null && simdEnabled() && n > 0 && n <= SIMD_MAX_VALUES && ps.length > 0 ? loadSlice(key, v, start, end) : 0;
  if (n8 > 0 && Number.isNaN(minAbs)) {
    minAbs = Infinity;
    for (let i = start; i < end; i++) {
      const a = Math.abs(v[i]);
      if (a > 0 && a < minAbs) minAbs = a;
    }
  }
  const simd = (p: LevelParams) => n8 > 0 && p.inv !== 0 && (p.family === 'uniform-symmetric' || p.family === 'uniform-asymmetric' || (p.family === 'pot' && potFits(p, minAbs)));
  const batch: number[] = [];
  const buf = new Float64Array(8);
  const flush = () => {
    exactSums(batch.map((k) => ps[k]), n8, buf);
    batch.forEach((k, j) => {
      accs[k][0] += buf[2 * j];
      accs[k][1] += buf[2 * j + 1];
    });
    batch.length = 0;
  };
  for (const fam of ['uniform-symmetric', 'uniform-asymmetric', 'pot'] as const) {
    ps.forEach((p, k) => {
      if (p.family !== fam || !simd(p)) return;
      batch.push(k);
      if (batch.length === 4) flush();
    });
    if (batch.length > 0) flush();
  }
  ps.forEach((p, k) => {
    if (!simd(p)) errorSums(p, v, w, start, end, accs[k]);
  });
}

/** Which error sum a clip search minimises: 0 = L1 (acc[0]), 1 = squared (acc[1]). */
export type Objective = 0 | 1;

// Per-value errors x − Q(x), written once and inlined by V8 into every loop below, with the
// same operations in the same order as the loops above, so they give the same bits.
export function symD(x: number, inv: number, step: number, n: number): number {
  let q = roundHalfUp(x * inv);
  q = q > n ? n : q < -n ? -n : q;
  return x - q * step;
}
export function asymD(x: number, inv: number, step: number, n: number, z: number): number {
  let q = roundHalfUp(x * inv) + z;
  q = q > n ? n : q < 0 ? 0 : q;
  return x - (q - z) * step;
}
export function potD(x: number, inv: number, c: number, minExp: number): number {
  const a = Math.abs(x);
  return a - potRatio(a * inv, minExp) * c;
}

const EXIT_BLOCK = 128;

/**
 * `errorSums` of an unweighted slice into a zeroed acc, bit for bit (same terms, same order), and
 * whether the objective's sum is below `limit`. fp8 (which has no SIMD kernel) gives up once the
 * running sum reaches `limit`: every term is ≥ 0 and adding a non-negative double never lowers a
 * sum, so the full sum could not be below `limit`. Returns false when the sum is not below limit
 * (acc may then be partial), true with acc = [L1 sum, squared sum].
 */
export function errorSumsBelow(p: LevelParams, v: Values, start: number, end: number, obj: Objective, limit: number, acc: Float64Array): boolean {
  acc[0] = 0;
  acc[1] = 0;
  if (p.inv !== 0 && (p.family === 'fp8-e4m3' || p.family === 'fp8-e5m2')) return fp8Below(p, v, start, end, obj, limit, acc);
  errorSums(p, v, null, start, end, acc);
  return acc[obj] < limit;
}

function fp8Below(p: LevelParams, v: Values, s: number, e: number, obj: Objective, limit: number, acc: Float64Array): boolean {
  let l1 = 0;
  let sq = 0;
  const f = p.fp8!;
  for (let b = s; b < e; b += EXIT_BLOCK) {
    const be = b + EXIT_BLOCK < e ? b + EXIT_BLOCK : e;
    for (let i = b; i < be; i++) {
      const x = v[i];
      const d = x - roundToFp8(x * p.inv, f) * p.scale;
      l1 += Math.abs(d);
      sq += d * d;
    }
    if ((obj === 0 ? l1 : sq) >= limit) return false;
  }
  acc[0] = l1;
  acc[1] = sq;
  return true;
}

/**
 * Sum of the objective's terms (|x − Q(x)| or (x − Q(x))², the very doubles the loops above add)
 * over the values beyond the outermost levels, read from both ends of an ascending copy of the
 * slice. Those are the values clipping hurts most, so this partial sum is a cheap lower bound
 * on the full error. Stops as soon as it exceeds `stop`.
 */
export function clippedTermSum(p: LevelParams, sorted: Float64Array, obj: Objective, stop: number): number {
  const len = sorted.length;
  if (len === 0 || p.inv === 0) return 0;
  const inv = p.inv;
  const step = p.scale;
  const n = p.qmax;
  let sum = 0;
  switch (p.family) {
    case 'uniform-symmetric': {
      const top = n * step;
      for (let i = len - 1; i >= 0 && sorted[i] > top && sum <= stop; i--) {
        const d = symD(sorted[i], inv, step, n);
        sum += obj === 0 ? Math.abs(d) : d * d;
      }
      for (let i = 0; i < len && sorted[i] < -top && sum <= stop; i++) {
        const d = symD(sorted[i], inv, step, n);
        sum += obj === 0 ? Math.abs(d) : d * d;
      }
      return sum;
    }
    case 'uniform-asymmetric': {
      const z = p.zero;
      const top = (n - z) * step;
      const bottom = (0 - z) * step;
      for (let i = len - 1; i >= 0 && sorted[i] > top && sum <= stop; i--) {
        const d = asymD(sorted[i], inv, step, n, z);
        sum += obj === 0 ? Math.abs(d) : d * d;
      }
      for (let i = 0; i < len && sorted[i] < bottom && sum <= stop; i++) {
        const d = asymD(sorted[i], inv, step, n, z);
        sum += obj === 0 ? Math.abs(d) : d * d;
      }
      return sum;
    }
    case 'pot': {
      const c = step;
      const m = p.minExp;
      for (let i = len - 1; i >= 0 && sorted[i] > c && sum <= stop; i--) {
        const d = potD(sorted[i], inv, c, m);
        sum += obj === 0 ? Math.abs(d) : d * d;
      }
      for (let i = 0; i < len && sorted[i] < -c && sum <= stop; i++) {
        const d = potD(sorted[i], inv, c, m);
        sum += obj === 0 ? Math.abs(d) : d * d;
      }
      return sum;
    }
    default: {
      const f = p.fp8!;
      const top = f.maxFinite * step;
      for (let i = len - 1; i >= 0 && sorted[i] > top && sum <= stop; i--) {
        const x = sorted[i];
        const d = x - roundToFp8(x * inv, f) * step;
        sum += obj === 0 ? Math.abs(d) : d * d;
      }
      for (let i = 0; i < len && sorted[i] < -top && sum <= stop; i++) {
        const x = sorted[i];
        const d = x - roundToFp8(x * inv, f) * step;
        sum += obj === 0 ? Math.abs(d) : d * d;
      }
      return sum;
    }
  }
}
