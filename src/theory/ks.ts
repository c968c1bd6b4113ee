/**
 * One-sample Kolmogorov–Smirnov test: the distance the profile reports for the exponential fit,
 * and the goodness-of-fit check the theory tests use.
 */

/** D_n = sup_x |F_n(x) − F(x)| for the samples against a continuous CDF. Sorts a copy. */
export function ksStatistic(samples: ArrayLike<number>, cdf: (x: number) => number): number {
  const n = samples.length;
  if (n === 0) return 0;
  const s = Float64Array.from(samples as ArrayLike<number>).sort();
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(s[i]);
    const above = (i + 1) / n - f;
    const below = f - i / n;
    if (above > d) d = above;
    if (below > d) d = below;
  }
  return d;
}

/**
 * Asymptotic p-value P(D_n ≥ d) from the Kolmogorov distribution
 * Q(t) = 2 Σ_{k≥1} (−1)^(k−1) e^(−2k²t²), with Stephens' small-sample correction
 * t = (√n + 0.12 + 0.11/√n)·d.
 */
export function ksPValue(d: number, n: number): number {
  if (n <= 0) return 1;
  const sq = Math.sqrt(n);
  const t = (sq + 0.12 + 0.11 / sq) * d;
  if (t < 0.2) return 1; // the series converges badly here and the answer is 1 to 1e-9
  let sum = 0;
  for (let k = 1; k <= 100; k++) {
    const term = Math.exp(-2 * k * k * t * t);
    sum += (k % 2 === 1 ? 1 : -1) * term;
    if (term < 1e-16) break;
  }
  return Math.min(1, Math.max(0, 2 * sum));
}

/** Exp(λ) CDF, the reference distribution of the magnitude model. */
export function expCdf(lambda: number): (x: number) => number {
  return (x) => (x <= 0 ? 0 : 1 - Math.exp(-lambda * x));
}

/** Statistic and p-value in one call. */
export function ksTest(samples: ArrayLike<number>, cdf: (x: number) => number): { d: number; p: number } {
  const d = ksStatistic(samples, cdf);
  return { d, p: ksPValue(d, samples.length) };
}
