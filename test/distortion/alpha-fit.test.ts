import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fitAlpha } from '../../src/theory/alpha-fit.ts';

const sse = (dp: number[], dO: number[], a: number) => dp.reduce((s, x, i) => s + (dO[i] - a * x) ** 2, 0);

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
    const pos = fc.double({ min: 1e-4, max: 10, noNaN: true });
    fc.assert(
      fc.property(fc.array(fc.tuple(pos, pos), { minLength: 2, maxLength: 12 }), (pts) => {
        const dp = pts.map((p) => p[0]);
        const dO = pts.map((p) => p[1]);
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
