/**
 * Robust summaries of repeated latency measurements: median, p10/p90, MAD and a
 * distribution-free 95% confidence interval of the median from order statistics, which
 * the adaptive repetition loop uses as its stopping rule.
 */

/** Linear-interpolated quantile (type 7) of an ascending array. */
export function quantileSorted(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const h = (xs.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return xs[lo]! + (h - lo) * (xs[hi]! - xs[lo]!);
}

/** Linear-interpolated quantile (type 7) of an array in any order. */
export const quantile = (xs: readonly number[], q: number): number => quantileSorted([...xs].sort((a, b) => a - b), q);

export const median = (xs: readonly number[]): number => quantile(xs, 0.5);

/** Arithmetic mean (0 for an empty array). */
export const mean = (xs: readonly number[]): number => xs.reduce((s, v) => s + v, 0) / Math.max(1, xs.length);

/** Median absolute deviation (unscaled). */
export function mad(xs: readonly number[]): number {
  const m = median(xs);
  return median(xs.map((x) => Math.abs(x - m)));
}

/**
 * 95% CI of the median by the binomial order-statistic rule: ranks n/2 ∓ 1.96·√n/2 (1-based,
 * rounded outwards). Needs no distributional assumption; null below 6 samples (no such ranks).
 */
export function medianCI(xs: readonly number[]): { lo: number; hi: number } | null {
  const n = xs.length;
  if (n < 6) return null;
  const s = [...xs].sort((a, b) => a - b);
  const half = 0.98 * Math.sqrt(n);
  const j = Math.max(1, Math.floor(n / 2 - half));
  const k = Math.min(n, Math.ceil(n / 2 + 1 + half));
  return { lo: s[j - 1]!, hi: s[k - 1]! };
}

export interface LatencySummary {
  medianS: number;
  p10S: number;
  p90S: number;
  madS: number;
  /** CI half-width / median (Infinity when too few samples for a CI). */
  ciHalfRel: number;
  reps: number;
}

export function summarize(samples: readonly number[]): LatencySummary {
  const s = [...samples].sort((a, b) => a - b);
  const m = quantileSorted(s, 0.5);
  const ci = medianCI(s);
  return {
    medianS: m,
    p10S: quantileSorted(s, 0.1),
    p90S: quantileSorted(s, 0.9),
    madS: mad(s),
    ciHalfRel: ci ? (ci.hi - ci.lo) / 2 / m : Infinity,
    reps: s.length,
  };
}
