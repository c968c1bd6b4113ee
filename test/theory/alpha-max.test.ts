/**
 * The paper's α (§VI-A): an empirical upper-bound constant, the largest measured D_o/D_p, reported
 * beside the least-squares α by fitAlpha. Checked against a brute-force maximum and its defining
 * property (D_o ≤ α_max·D_p at every point, with equality at one).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fitAlpha } from '../../src/theory/alpha-fit.ts';

describe("fitAlpha: the paper's α beside the least-squares α", () => {
  it('α_max is the largest ratio, bounds every point, and is attained at alphaMaxIndex', () => {
    const pos = fc.double({ min: 1e-6, max: 10, noNaN: true });
    fc.assert(
      fc.property(fc.array(fc.tuple(pos, pos), { minLength: 1, maxLength: 15 }), (pts) => {
        const dp = pts.map((p) => p[0]);
        const dO = pts.map((p) => p[1]);
        const f = fitAlpha(dp, dO);
        expect(f.alphaMax).toBe(Math.max(...pts.map(([x, y]) => y / x)));
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
