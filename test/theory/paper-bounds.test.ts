/**
 * The paper's bounds (Lyu et al. §IV, Eqs. 23–26) beside ours (SPEC §4) and the exact D(R), each
 * checked against an independent computation: the paper's table in
 * ../shared/notes/paper-formulation.md, the equations exactly as printed (the module computes
 * algebraically equal forms without cancellation), inverse pairs, and hand calculations.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { groupDL, groupDU, groupDUOf, modelDU, modelDUOf, modelDUPaper, paperGroupDU, paperRateDU, paperRateForDU, rateDExact, rateDL, rateDU, rateDUOf, rateForDExact, rateForDL, rateForDU, rateForDUOf } from '../../src/theory/rd-bounds.ts';

/** Eq. 26 exactly as printed. */
const eq26 = (R: number, lam: number) => (1 / (2 * lam)) * (Math.sqrt(1 + 4 / (2 ** R - 1)) - 1);
/** Eq. 25 exactly as printed. */
const eq25 = (D: number, lam: number) => Math.log2(1 / (lam * D) + (lam * D) / (lam * D + 1));
/** Eq. 24 and Eq. 23 exactly as printed. */
const eq24 = (R: number, lam: number) => 1 / (lam * 2 ** (R + 1));
const eq23 = (D: number, lam: number) => -Math.log2(2 * lam * D);

const lambdaArb = fc.double({ min: -9, max: 9, noNaN: true }).map((e) => Math.exp(e));
const rateArb = fc.double({ min: 0.01, max: 40, noNaN: true });

describe("the paper's bounds (Eqs. 23–26) beside ours", () => {
  it("reproduces the table of paper-formulation.md (units of 1/λ, b̂ = 2..5, R = b̂ − 1)", () => {
    // b̂ | D^U (paper) | D_U (ours) | D^L, as printed there.
    const table: [number, number, number, number, number][] = [
      [2, 0.618, 0.5, 0.25, 3],
      [3, 0.2638, 0.25, 0.125, 4],
      [4, 0.1268, 0.125, 0.0625, 4],
      [5, 0.06273, 0.0625, 0.03125, 4],
    ];
    for (const [b, paper, ours, lower, digits] of table) {
      for (const lam of [1, 0.25, 40]) {
        expect(Number((paperGroupDU(b, lam) * lam).toPrecision(digits))).toBe(paper);
        expect(groupDU(b, lam) * lam).toBeCloseTo(ours, 14);
        expect(groupDL(b, lam) * lam).toBeCloseTo(lower, 14);
      }
    }
    // The percentages: (D^U − D_U)/D^U = 19 % at b = 2, 5 % at b = 3, 1.4 % at b = 4.
    const rel = (b: number) => (paperGroupDU(b, 1) - groupDU(b, 1)) / paperGroupDU(b, 1);
    expect(rel(2)).toBeCloseTo(0.19, 2);
    expect(rel(3)).toBeCloseTo(0.052, 3);
    expect(rel(4)).toBeCloseTo(0.014, 3);
  });

  it('equals Eqs. 23–26 as printed (the module evaluates equal forms without cancellation)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.01, max: 20, noNaN: true }), lambdaArb, (R, lam) => {
        // Eq. 26's √(1 + ε) − 1 loses digits as R grows; at R ≤ 20 it still has ~9.
        expect(paperRateDU(R, lam)).toBeCloseTo(eq26(R, lam), 0);
        expect(Math.abs(paperRateDU(R, lam) / eq26(R, lam) - 1)).toBeLessThan(1e-8);
        expect(rateDL(R, lam) / eq24(R, lam)).toBeCloseTo(1, 14);
        const D = paperRateDU(R, lam);
        expect(paperRateForDU(D, lam) - eq25(D, lam)).toBeCloseTo(0, 8);
        expect(rateForDL(D, lam) - eq23(D, lam)).toBeCloseTo(0, 10);
      }),
      { numRuns: 300 },
    );
  });

  it('R^U and D^U are inverses, as are R^L and D^L, and ours R_U and D_U', () => {
    fc.assert(
      fc.property(rateArb, lambdaArb, (R, lam) => {
        expect(paperRateForDU(paperRateDU(R, lam), lam)).toBeCloseTo(R, 9);
        expect(rateForDL(rateDL(R, lam), lam)).toBeCloseTo(R, 9);
        expect(rateForDU(rateDU(R, lam), lam)).toBeCloseTo(R, 9);
        expect(rateForDExact(rateDExact(R, lam), lam)).toBeCloseTo(R, 7);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.double({ min: -12, max: 6, noNaN: true }), lambdaArb, (logU, lam) => {
        const D = Math.exp(logU) / lam; // any D > 0: the paper's R^U is positive for every D
        const R = paperRateForDU(D, lam);
        expect(R).toBeGreaterThan(0);
        expect(paperRateDU(R, lam) / D).toBeCloseTo(1, 8);
      }),
      { numRuns: 300 },
    );
  });

  it('2^(R^U) = 2^(R_U ours) + λD/(λD + 1): the paper needs more rate for every D (hand algebra)', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-6, max: 0.999, noNaN: true }), lambdaArb, (u, lam) => {
        const D = u / lam;
        expect(2 ** paperRateForDU(D, lam)).toBeCloseTo(2 ** rateForDU(D, lam) + u / (u + 1), 6);
        expect(paperRateForDU(D, lam)).toBeGreaterThan(rateForDU(D, lam));
      }),
    );
  });

  it('ordering for every R > 0: D_L < D(R) < D_U (ours) < D^U (paper), and the pair of upper bounds meet at high rate', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-3, max: 40, noNaN: true }), lambdaArb, (R, lam) => {
        const dl = rateDL(R, lam);
        const dx = rateDExact(R, lam);
        const ours = rateDU(R, lam);
        const paper = paperRateDU(R, lam);
        expect(dl).toBeLessThan(dx);
        expect(dx).toBeLessThan(ours);
        // D^U/D_U − 1 ≈ 4^(−R) falls below double precision past R ≈ 24; there the two are equal.
        if (R <= 20) expect(ours).toBeLessThan(paper);
        // (a few ulps: paper's D^U is computed through a square root and a subtraction)
        else expect(ours).toBeLessThanOrEqual(paper * (1 + 1e-14));
      }),
      { numRuns: 500, seed: 42 },
    );
    // λD^U = u solves u(u + 1) = t = 1/(2^R − 1), so u = t − t² + 2t³ − … = 2^(−R) + 2^(−3R) + O(2^(−4R)):
    // D^U/D_U − 1 = 4^(−R) + O(8^(−R)). Checked as an inequality for R in [1, 12] (rounding swamps it beyond).
    fc.assert(
      fc.property(fc.double({ min: 1, max: 12, noNaN: true }), lambdaArb, (R, lam) => {
        expect(paperRateDU(R, lam) / rateDU(R, lam) - 1).toBeLessThanOrEqual(4 ** -R);
        expect(paperRateDU(R, lam) / rateDU(R, lam) - 1).toBeGreaterThan(0.85 * 4 ** -R);
      }),
    );
  });

  it("the paper's D^U is loose at very low rate: unbounded as R → 0, where D(0) = ln2/λ and ours is 1/λ", () => {
    expect(paperRateDU(0, 1)).toBe(Infinity);
    expect(paperRateDU(0.01, 1)).toBeGreaterThan(5);
    expect(paperRateDU(0.25, 1) / rateDExact(0.25, 1)).toBeGreaterThan(3);
    expect(rateDU(0, 1)).toBe(1);
    // D(0): the best constant reproduction of Exp(1) is the median ln 2, at E|X − ln 2| = ln 2 − 1 + 2e^(−ln 2) = ln 2.
    expect(rateDExact(0, 1)).toBeCloseTo(Math.LN2, 15);
    expect(rateForDExact(Math.LN2, 1)).toBeCloseTo(0, 12);
    expect(rateForDExact(2, 1)).toBe(0);
  });

  it('model level: the paper bound mixes per group like ours, and the dispatchers pick the named bound', () => {
    const groups = [
      { params: 300, lambda: 10 },
      { params: 100, lambda: 40 },
      { params: 0, lambda: 1 },
      { params: 50, lambda: Infinity },
    ];
    const bits = [3, 5, 8, 2];
    const hand = (300 * eq26(2, 10) + 100 * eq26(4, 40)) / 450;
    expect(modelDUPaper(bits, groups)).toBeCloseTo(hand, 14);
    expect(modelDUPaper(bits, groups, 3)).toBeCloseTo(3 * hand, 14);
    expect(modelDUOf('paper', bits, groups)).toBe(modelDUPaper(bits, groups));
    expect(modelDUOf('ours', bits, groups)).toBe(modelDU(bits, groups));
    expect(rateDUOf('paper', 2, 5)).toBe(paperRateDU(2, 5));
    expect(rateDUOf('ours', 2, 5)).toBe(rateDU(2, 5));
    expect(groupDUOf('paper', 4, 5)).toBe(paperGroupDU(4, 5));
    expect(rateForDUOf('paper', 0.01, 5)).toBe(paperRateForDU(0.01, 5));
    expect(rateForDUOf('ours', 0.01, 5)).toBe(rateForDU(0.01, 5));
  });
});
