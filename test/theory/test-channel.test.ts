import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/util/rng.ts';
import { expCdf, ksPValue, ksStatistic, ksTest } from '../../src/theory/ks.ts';
import { expSample, sampleTestChannel, testChannelRate } from '../../src/theory/test-channel.ts';
import { rateDU } from '../../src/theory/rd-bounds.ts';

describe('KS helper', () => {
  it('statistic equals a brute-force sup over both sides of every jump', () => {
    const xs = [0.3, 0.1, 2.5, 0.7, 1.1];
    const F = expCdf(1);
    const s = [...xs].sort((a, b) => a - b);
    let d = 0;
    s.forEach((x, i) => (d = Math.max(d, Math.abs((i + 1) / 5 - F(x)), Math.abs(i / 5 - F(x)))));
    expect(ksStatistic(xs, F)).toBeCloseTo(d, 15);
  });

  it('p-values are ~uniform under the null and tiny under a wrong λ (the test has power)', () => {
    const rand = mulberry32(11);
    let rejects = 0;
    const reps = 300;
    for (let r = 0; r < reps; r++) {
      const xs = Array.from({ length: 200 }, () => expSample(rand, 3));
      if (ksTest(xs, expCdf(3)).p < 0.05) rejects++;
    }
    // Binomial(300, 0.05): mean 15, sd 3.8 — a 4-sd band.
    expect(rejects).toBeGreaterThanOrEqual(1);
    expect(rejects).toBeLessThanOrEqual(30);
    const wrong = Array.from({ length: 5000 }, () => expSample(rand, 3.6));
    expect(ksTest(wrong, expCdf(3)).p).toBeLessThan(1e-6);
    // Known value of the Kolmogorov distribution: Q(1.3581) ≈ 0.05 (large n).
    expect(ksPValue(1.3581 / Math.sqrt(1e8), 1e8)).toBeCloseTo(0.05, 3);
  });
});

describe('test channel of SPEC §4 (Monte Carlo)', () => {
  const n = 200_000;
  for (const [lambda, D] of [
    [2, 0.05],
    [2, 0.4],
    [0.5, 1.5],
  ] as const) {
    it(`λ=${lambda}, D=${D}: X̂+Z ~ Exp(λ) by KS, E|X−X̂| ≈ D, P(X̂=0) ≈ λD`, () => {
      const rand = mulberry32(1000 + Math.round(lambda * 100 + D * 10));
      const { x, xhat } = sampleTestChannel(rand, lambda, D, n);
      // KS at level 1e-3 with a fixed seed: a false alarm has probability 0.001 per seed.
      expect(ksTest(x, expCdf(lambda)).p).toBeGreaterThan(1e-3);
      let err = 0;
      let zeros = 0;
      for (let i = 0; i < n; i++) {
        err += Math.abs(x[i] - xhat[i]);
        if (xhat[i] === 0) zeros++;
      }
      // |X − X̂| = Z ~ Exp(mean D): sd D, so by the CLT the mean is within 5·D/√n except w.p. < 1e-6.
      expect(Math.abs(err / n - D)).toBeLessThan((5 * D) / Math.sqrt(n));
      const p0 = lambda * D;
      expect(Math.abs(zeros / n - p0)).toBeLessThan(5 * Math.sqrt((p0 * (1 - p0)) / n));
      // The channel's rate log2(1/(λD)) puts it exactly on the upper bound: D = D_U(R).
      expect(rateDU(testChannelRate(lambda, D), lambda)).toBeCloseTo(D, 12);
    });
  }

  it('a mis-specified channel (wrong atom at 0) fails the same KS test, so the check has teeth', () => {
    const rand = mulberry32(5);
    const lambda = 2;
    const D = 0.3;
    const x = new Float64Array(n);
    for (let i = 0; i < n; i++) x[i] = (rand() < 0.5 * lambda * D ? 0 : expSample(rand, lambda)) + expSample(rand, 1 / D);
    expect(ksTest(x, expCdf(lambda)).p).toBeLessThan(1e-6);
  });

  it('rejects D > 1/λ (λD would not be a probability)', () => {
    expect(() => sampleTestChannel(mulberry32(1), 2, 0.6, 10)).toThrow(/0 < D ≤ 1\/λ/);
  });
});

describe('λ fit 1/mean|w| on n samples from Exp(λ)', () => {
  it('relative RMSE shrinks like 1/√n and matches the closed form of the inverse-gamma moments', () => {
    const rand = mulberry32(77);
    const lambda = 3.7;
    const reps = 400;
    for (const n of [50, 500, 5000]) {
      let se = 0;
      for (let r = 0; r < reps; r++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += expSample(rand, lambda);
        const lhat = n / s;
        se += ((lhat - lambda) / lambda) ** 2;
      }
      const rmse = Math.sqrt(se / reps);
      // Closed form: mean ~ Gamma(n, nλ) ⇒ E[λ̂]=λn/(n−1), Var=λ²n²/((n−1)²(n−2)).
      const exact = Math.sqrt((n * n) / ((n - 1) ** 2 * (n - 2)) + 1 / (n - 1) ** 2);
      // RMSE·√n → 1; with 400 reps the estimate's relative sd is ≈ 4–5 %, so a ±20 % band is > 4 sd.
      expect(rmse * Math.sqrt(n)).toBeGreaterThan(0.8);
      expect(rmse * Math.sqrt(n)).toBeLessThan(1.25);
      expect(Math.abs(rmse / exact - 1)).toBeLessThan(0.2);
    }
  });
});
