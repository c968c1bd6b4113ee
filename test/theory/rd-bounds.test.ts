import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  bitsForDL,
  bitsForDU,
  effectiveLambda,
  groupDL,
  groupDU,
  groupGap,
  minBitsForDU,
  minBitsForGap,
  modelDL,
  modelDU,
  rateDL,
  rateDU,
  rateForDL,
  rateForDU,
} from '../../src/theory/rd-bounds.ts';

const lambdaArb = fc.double({ min: 1e-4, max: 1e4, noNaN: true });
const groupsArb = fc.array(fc.record({ params: fc.integer({ min: 0, max: 1e7 }), lambda: lambdaArb }), { minLength: 1, maxLength: 40 });

describe('rate-distortion bounds (SPEC §4)', () => {
  it('D_U/D_L = 2 exactly, per group and at model level (one bit of rate)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 16 }), lambdaArb, (b, lam) => {
        expect(groupDU(b, lam) / groupDL(b, lam)).toBe(2);
        expect(rateDU(b - 1, lam) / rateDL(b - 1, lam)).toBe(2);
      }),
    );
    fc.assert(
      fc.property(groupsArb, fc.integer({ min: 2, max: 16 }), fc.double({ min: 0.01, max: 100, noNaN: true }), (groups, b, alpha) => {
        fc.pre(groups.some((g) => g.params > 0));
        const bits = groups.map((_, i) => 2 + ((b + i) % 15));
        expect(modelDU(bits, groups, alpha) / modelDL(bits, groups, alpha)).toBe(2);
      }),
    );
  });

  it('bit-width and rate forms agree: D(b) = D(R = b − 1), and the closed forms match hand values', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 16 }), lambdaArb, (b, lam) => {
        expect(rateDL(b - 1, lam)).toBeCloseTo(groupDL(b, lam), 12);
        expect(Math.abs(rateDU(b - 1, lam) / groupDU(b, lam) - 1)).toBeLessThan(1e-15);
      }),
    );
    // λ = 4 (mean |w| = 0.25), b = 4: D_L = 1/16 · 1/4, D_U = 1/8 · 1/4, gap = D_L.
    expect(groupDL(4, 4)).toBe(1 / 64);
    expect(groupDU(4, 4)).toBe(1 / 32);
    expect(groupGap(4, 4)).toBe(1 / 64);
  });

  it('model-level bounds equal the parameter-weighted mean of the group bounds (independent sum over mean|w|)', () => {
    fc.assert(
      fc.property(groupsArb, fc.double({ min: 0.01, max: 100, noNaN: true }), (groups, alpha) => {
        const N = groups.reduce((s, g) => s + g.params, 0);
        fc.pre(N > 0);
        const bits = groups.map((_, i) => 2 + ((i * 7) % 15));
        // Independent form: 2^(1−b)·mean|w| averaged over every parameter.
        let sum = 0;
        for (let i = 0; i < groups.length; i++) sum += groups[i].params * 2 ** (1 - bits[i]) * (1 / groups[i].lambda);
        const expected = (alpha * sum) / N;
        expect(Math.abs(modelDU(bits, groups, alpha) / expected - 1)).toBeLessThan(1e-12);
        // A shared bit-width equals the single-group bound at the effective λ.
        const lamEff = effectiveLambda(groups);
        expect(Math.abs(modelDL(6, groups) / groupDL(6, lamEff) - 1)).toBeLessThan(1e-12);
      }),
    );
  });

  it('degenerate groups: empty groups are ignored, all-zero groups (λ = ∞) have zero distortion', () => {
    const groups = [
      { params: 0, lambda: 1e-9 },
      { params: 10, lambda: Infinity },
      { params: 10, lambda: 2 },
    ];
    expect(modelDU(4, groups)).toBeCloseTo((10 * groupDU(4, 2)) / 20, 15);
    expect(modelDU(4, [])).toBe(0);
  });

  it('inverse forms invert the bounds; minBitsForDU/minBitsForGap match a brute-force scan over b = 2..16', () => {
    fc.assert(
      fc.property(lambdaArb, fc.double({ min: 1e-6, max: 1, noNaN: true }), (lam, rel) => {
        const target = rel / lam; // a distortion on the scale of mean |w|
        expect(Math.abs(groupDU(bitsForDU(target, lam), lam) / target - 1)).toBeLessThan(1e-9);
        expect(Math.abs(groupDL(bitsForDL(target, lam), lam) / target - 1)).toBeLessThan(1e-9);
        expect(Math.abs(rateDU(rateForDU(target, lam), lam) / target - 1)).toBeLessThan(1e-9);
        expect(Math.abs(rateDL(rateForDL(target, lam), lam) / target - 1)).toBeLessThan(1e-9);
        let brute: number | undefined;
        for (let b = 2; b <= 16 && brute === undefined; b++) if (groupDU(b, lam) <= target * (1 + 1e-12)) brute = b;
        expect(minBitsForDU(target, lam)).toBe(brute);
        let bruteGap: number | undefined;
        for (let b = 2; b <= 16 && bruteGap === undefined; b++) if (groupGap(b, lam) <= target * (1 + 1e-12)) bruteGap = b;
        expect(minBitsForGap(target, lam)).toBe(bruteGap);
      }),
    );
  });
});
