/**
 * The exponential magnitude model of SPEC §4: |w| ~ Exp(λ) with the maximum-likelihood
 * λ = 1 / mean|w|, and the Kolmogorov-Smirnov distance that says how far to trust it.
 *
 * KS is computed from a 32768-bin histogram of magnitudes keyed by the top 16 bits of a
 * 16-bit float (sign dropped). For fp16 and bf16 weights every bin holds one exact value, so
 * the distance is exact. For fp32/fp64 weights a bin is the interval of float32 values sharing
 * their top 16 bits (relative width 2^-7); the sup is then bracketed between a lower and an
 * upper bound and we report their midpoint with half their gap as `bound`
 * (|reported − exact| ≤ bound ≤ max_x λ·x·2^-7·e^(-λx)/2 ≤ 2^-8/e ≈ 0.0015).
 */

export function fitExponential(meanAbs: number): number {
  return 1 / meanAbs;
}

/** Density of Exp(λ) at x ≥ 0, for plots. */
export function exponentialDensity(lambda: number, x: number): number {
  return x < 0 ? 0 : lambda * Math.exp(-lambda * x);
}

export const MAGNITUDE_BINS = 32768;
export type MagnitudeKey = 'float16' | 'bfloat16' | 'float32';

/** Bins in increasing magnitude order: lower edge and upper edge (equal for point bins). */
export interface MagnitudeEdges {
  lo: Float64Array;
  hi: Float64Array;
  exact: boolean;
}

const edgeCache = new Map<MagnitudeKey, MagnitudeEdges>();

function f16Value(h: number): number {
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return m * 2 ** -24;
  if (e === 0x1f) return Infinity;
  return (1 + m / 1024) * 2 ** (e - 15);
}

/** Edges of the 32768 magnitude bins for a key kind (cached). */
export function magnitudeEdges(kind: MagnitudeKey): MagnitudeEdges {
  const hit = edgeCache.get(kind);
  if (hit) return hit;
  const lo = new Float64Array(MAGNITUDE_BINS);
  const hi = new Float64Array(MAGNITUDE_BINS);
  const u = new Uint32Array(1);
  const f = new Float32Array(u.buffer);
  for (let i = 0; i < MAGNITUDE_BINS; i++) {
    if (kind === 'float16') {
      lo[i] = hi[i] = f16Value(i);
    } else {
      u[0] = i << 16;
      lo[i] = f[0];
      u[0] = (i + 1) << 16;
      hi[i] = kind === 'bfloat16' ? lo[i] : f[0];
    }
  }
  const edges = { lo, hi, exact: kind !== 'float32' };
  edgeCache.set(kind, edges);
  return edges;
}

/** Magnitude bin of a float32 value: its top 16 bits without the sign. */
export function float32MagnitudeKey(bitsOfFloat32: number): number {
  return (bitsOfFloat32 >>> 16) & 0x7fff;
}

export interface KsResult {
  /** Reported distance (exact when `bound` is 0). */
  ks: number;
  /** |ks − exact KS| ≤ bound. */
  bound: number;
}

/** KS distance of the binned magnitudes against Exp(λ); see the file comment for exactness. */
export function ksExponentialBinned(counts: ArrayLike<number>, edges: MagnitudeEdges, lambda: number): KsResult {
  let n = 0;
  for (let i = 0; i < counts.length; i++) n += counts[i];
  if (n === 0 || !Number.isFinite(lambda)) return { ks: 0, bound: 0 };
  const F = (x: number) => (x === Infinity ? 1 : -Math.expm1(-lambda * x));
  let upper = 0;
  let lower = 0;
  let cum = 0;
  for (let i = 0; i < counts.length; i++) {
    if (!(edges.lo[i] < Infinity)) break; // Inf/NaN patterns: never counted (inputs are checked finite)
    const before = cum / n;
    cum += counts[i];
    const after = cum / n;
    const fLo = F(edges.lo[i]);
    const fHi = F(edges.hi[i]);
    // Over the bin F_n rises from `before` to `after` somewhere inside; F rises from fLo to fHi.
    const u = Math.max(after - fLo, fHi - before);
    if (u > upper) upper = u;
    // Just below lo, F_n = before; for point bins F_n = after at the point itself; just below hi, F_n = after.
    const l = edges.exact ? u : Math.max(Math.abs(before - fLo), Math.abs(after - fHi));
    if (l > lower) lower = l;
  }
  return { ks: (upper + lower) / 2, bound: (upper - lower) / 2 };
}

/** Exact KS of |samples| against Exp(λ) by sorting a copy: the brute-force reference. */
export function ksExponentialExact(samples: ArrayLike<number>, lambda: number): number {
  const a = Float64Array.from(samples as ArrayLike<number>, Math.abs).sort();
  const n = a.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = -Math.expm1(-lambda * a[i]);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  return d;
}
