import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fitAffine, fitKappa, fitPure, heldOutByBits, rSquared, type FitPoint } from '../../src/calibrate/fit.ts';
import { mad, median, medianCI, quantileSorted, summarize } from '../../src/calibrate/stats.ts';

const N = 1_000_000;
const grid = (bitsList: number[], hzList: number[]) => bitsList.flatMap((b) => hzList.map((hz) => ({ bits: b, hz })));

describe('delay-model fit (SPEC §5: T = c·b·N/f, affine T = t0 + c·b·N/f)', () => {
  it('recovers c exactly from noiseless data of the pure model (any c, bits, clocks)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.01, max: 100, noNaN: true }), fc.uniqueArray(fc.integer({ min: 2, max: 32 }), { minLength: 1, maxLength: 6 }), fc.uniqueArray(fc.integer({ min: 100, max: 3000 }), { minLength: 1, maxLength: 3 }), (c, bits, mhz) => {
        const pts: FitPoint[] = grid(bits, mhz.map((m) => m * 1e6)).map((p) => ({ ...p, seconds: (c * p.bits * N) / p.hz }));
        const f = fitPure(pts, N);
        expect(f.c).toBeCloseTo(c, 8);
        expect(f.maxRelErr).toBeLessThan(1e-9);
      }),
      { numRuns: 200 },
    );
  });

  it('recovers c and t0 of the affine model exactly, and the pure fit is biased when t0 > 0', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.1, max: 50, noNaN: true }), fc.double({ min: 1e-4, max: 0.05, noNaN: true }), (c, t0) => {
        const pts: FitPoint[] = grid([2, 4, 8, 16, 32], [1e9, 2e9]).map((p) => ({ ...p, seconds: t0 + (c * p.bits * N) / p.hz }));
        const a = fitAffine(pts, N)!;
        expect(a.c / c).toBeCloseTo(1, 8);
        expect(a.t0 / t0).toBeCloseTo(1, 6);
        expect(a.r2).toBeCloseTo(1, 10);
        expect(fitPure(pts, N).maxRelErr).toBeGreaterThan(0);
      }),
      { numRuns: 100 },
    );
  });

  it('pure c equals the closed form Σxt/Σx² (brute-force minimiser check on noisy data)', () => {
    const pts: FitPoint[] = [
      { bits: 8, hz: 2e9, seconds: 0.011 },
      { bits: 16, hz: 2e9, seconds: 0.019 },
      { bits: 32, hz: 2e9, seconds: 0.041 },
    ];
    const f = fitPure(pts, N);
    const sse = (c: number) => pts.reduce((s, p) => s + (p.seconds - (c * p.bits * N) / p.hz) ** 2, 0);
    // The least-squares c has no neighbour with a smaller squared error.
    for (const d of [1e-3, 1e-2, 0.1]) {
      expect(sse(f.c)).toBeLessThanOrEqual(sse(f.c * (1 + d)));
      expect(sse(f.c)).toBeLessThanOrEqual(sse(f.c * (1 - d)));
    }
  });

  it('affine fit is null when every point has the same workload (slope unidentifiable)', () => {
    expect(fitAffine([{ bits: 8, hz: 1e9, seconds: 1 }, { bits: 8, hz: 1e9, seconds: 1.1 }], N)).toBeNull();
  });

  it('R² is 1 for a perfect fit and 0 for predicting the mean', () => {
    expect(rSquared([1, 2, 3], [1, 2, 3])).toBe(1);
    expect(rSquared([1, 2, 3], [2, 2, 2])).toBeCloseTo(0, 12);
  });

  it('kappa is recovered from E = κ·c·b·N·f² and is null without energy', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-30, max: 1e-26, noNaN: true }), fc.double({ min: 0.5, max: 20, noNaN: true }), (kappa, c) => {
        const pts: FitPoint[] = grid([4, 8, 16], [0.5e9, 1e9, 2e9]).map((p) => ({ ...p, seconds: (c * p.bits * N) / p.hz, joules: kappa * c * p.bits * N * p.hz * p.hz }));
        const k = fitKappa(pts, N, fitPure(pts, N).c)!;
        expect(k.kappa / kappa).toBeCloseTo(1, 8);
      }),
      { numRuns: 100 },
    );
    expect(fitKappa([{ bits: 8, hz: 1e9, seconds: 1, joules: null }], N, 1)).toBeNull();
  });

  it('held-out prediction is exact on model data and equals a manual leave-one-out fit on real-looking data', () => {
    const exact: FitPoint[] = [2, 4, 8, 32].map((b) => ({ bits: b, hz: 2e9, seconds: 0.002 + (3 * b * N) / 2e9 }));
    const h = heldOutByBits(exact, N);
    expect(h.points).toHaveLength(4);
    expect(h.affineMaxRelErr!).toBeLessThan(1e-9);
    const noisy: FitPoint[] = [
      { bits: 4, hz: 2.6e9, seconds: 0.0137, format: 'int4' },
      { bits: 8, hz: 2.6e9, seconds: 0.0114, format: 'qdq-int8' },
      { bits: 32, hz: 2.6e9, seconds: 0.0142, format: 'fp32' },
    ];
    const hn = heldOutByBits(noisy, N);
    const p8 = hn.points.find((p) => p.bits === 8)!;
    const manual = fitPure(noisy.filter((p) => p.bits !== 8), N);
    expect(p8.pureS).toBeCloseTo((manual.c * 8 * N) / 2.6e9, 15);
    expect(p8.pureRelErr).toBeCloseTo(Math.abs(p8.pureS - 0.0114) / 0.0114, 12);
  });
});

describe('latency statistics', () => {
  it('median, quantiles and MAD match direct definitions', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(quantileSorted([0, 10], 0.1)).toBeCloseTo(1, 12);
    expect(mad([1, 2, 3, 4, 100])).toBe(1);
  });

  it('the order-statistic CI of the median covers the true median ≈95% of the time (Monte Carlo)', () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    let covered = 0;
    const trials = 2000;
    for (let t = 0; t < trials; t++) {
      const xs = Array.from({ length: 30 }, () => -Math.log(1 - rnd())); // Exp(1): median ln 2
      const ci = medianCI(xs)!;
      if (ci.lo <= Math.LN2 && Math.LN2 <= ci.hi) covered++;
    }
    expect(covered / trials).toBeGreaterThan(0.93);
    expect(covered / trials).toBeLessThan(0.995);
  });

  it('summarize: no CI below 6 samples; a constant sample has zero half-width', () => {
    expect(summarize([1, 2, 3]).ciHalfRel).toBe(Infinity);
    expect(summarize(Array(10).fill(0.01)).ciHalfRel).toBe(0);
  });
});
