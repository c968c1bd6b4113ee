import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fitAlpha } from '../../src/theory/alpha-fit.ts';

const sse = (dp: number[], dO: number[], a: number) => dp.reduce((s, x, i) => s + (dO[i] - a * x) ** 2, 0);

/** Measured (D_p, D_o) pairs, both positive (at least `min`), as the two arrays fitAlpha takes. */
const measured = (min: number, minLength: number, maxLength: number) =>
  fc.array(fc.tuple(fc.double({ min, max: 10, noNaN: true }), fc.double({ min, max: 10, noNaN: true })), { minLength, maxLength }).map((pts) => ({ dp: pts.map((p) => p[0]), dO: pts.map((p) => p[1]) }));

describe('fitAlpha (least squares through the origin)', () => {
  it('returns α exactly, R² = 1 and zero relative error on an exactly linear set', () => {
    const dp = [0.25, 0.125, 0.0625, 0.03125];
    const f = fitAlpha(dp, dp.map((x) => 3.5 * x));
    expect(f.alpha).toBe(3.5);
    expect(f.r2).toBe(1);
    expect(f.r2Uncentered).toBe(1);
    expect(f.maxRelErr).toBe(0);
    expect(f.n).toBe(4);
  });

  it('α minimises the squared error: no nearby slope does better (brute-force check)', () => {
    fc.assert(
      fc.property(measured(1e-4, 2, 12), ({ dp, dO }) => {
        const { alpha } = fitAlpha(dp, dO);
        const best = sse(dp, dO, alpha);
        for (const eps of [1e-3, 1e-2, 0.1]) {
          for (const a of [alpha * (1 + eps), alpha * (1 - eps)]) expect(sse(dp, dO, a)).toBeGreaterThanOrEqual(best * (1 - 1e-12));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('R² and maxRelErr match their definitions on a hand-computed example', () => {
    // dp = [1, 2], do = [1, 3]: α = (1 + 6) / (1 + 4) = 1.4; residuals -0.4, 0.2.
    const f = fitAlpha([1, 2], [1, 3]);
    expect(f.alpha).toBeCloseTo(1.4, 14);
    const ssRes = 0.16 + 0.04;
    expect(f.r2).toBeCloseTo(1 - ssRes / 2, 12); // Σ(y − ȳ)² = 1 + 1
    expect(f.r2Uncentered).toBeCloseTo(1 - ssRes / 10, 12);
    expect(f.maxRelErr).toBeCloseTo(0.4, 12); // |1.4 − 1| / 1
  });

  it('centred R² goes negative when the origin line is worse than the mean', () => {
    const f = fitAlpha([1, 2, 3], [3, 2, 1]);
    expect(f.r2).toBeLessThan(0);
    expect(f.r2Uncentered).toBeLessThan(1);
  });
});

/*
 * The paper's α (§VI-A): an empirical upper-bound constant, the largest measured D_o/D_p, reported
 * beside the least-squares α by fitAlpha. Checked against a brute-force maximum and its defining
 * property (D_o ≤ α_max·D_p at every point, with equality at one).
 */
describe("fitAlpha: the paper's α beside the least-squares α", () => {
  it('α_max is the largest ratio, bounds every point, and is attained at alphaMaxIndex', () => {
    fc.assert(
      fc.property(measured(1e-6, 1, 15), ({ dp, dO }) => {
        const f = fitAlpha(dp, dO);
        expect(f.alphaMax).toBe(Math.max(...dp.map((x, i) => dO[i] / x)));
        expect(f.alphaMax).toBe(dO[f.alphaMaxIndex] / dp[f.alphaMaxIndex]);
        for (let i = 0; i < dp.length; i++) expect(dO[i]).toBeLessThanOrEqual(f.alphaMax * dp[i] * (1 + 1e-12));
        // Least squares is the Dp²-weighted mean of the same ratios, so it never exceeds the maximum.
        expect(f.alpha).toBeLessThanOrEqual(f.alphaMax * (1 + 1e-12));
      }),
      { numRuns: 300 },
    );
  });

  it('hand example: ratios 2, 3.5, 3 → α_max = 3.5 at index 1; least squares = 43/14', () => {
    const f = fitAlpha([1, 2, 3], [2, 7, 9]);
    expect(f.alphaMax).toBe(3.5);
    expect(f.alphaMaxIndex).toBe(1);
    expect(f.alpha).toBeCloseTo((2 + 14 + 27) / 14, 14);
  });

  it('points with D_p = 0 do not enter α_max; no usable point gives 0 at index −1', () => {
    expect(fitAlpha([0, 2], [5, 1]).alphaMax).toBe(0.5);
    const none = fitAlpha([], []);
    expect(none.alphaMax).toBe(0);
    expect(none.alphaMaxIndex).toBe(-1);
  });
});
