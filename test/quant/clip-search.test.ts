/**
 * The fast clip search (pruning, early exit, floor-based rounding, pot saturation) must return
 * the same bits as the plain definition: same clip, same L1 and squared sums.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clippedTermSum, errorSums, errorSumsBelow } from '../../src/quant/error-kernels.ts';
import { levelParams, quantizeOne, roundHalfUp } from '../../src/quant/levels.ts';
import {
  chooseLevels,
  chooseLevelsForBits,
  chooseLevelsPlain,
  potSaturated,
  prepareSlice,
  roundingDiscount,
  sliceBounds,
  sortedCopy,
} from '../../src/quant/range-search.ts';
import type { QuantFamily } from '../../src/quant/types.ts';

const FAMS: QuantFamily[] = ['uniform-symmetric', 'uniform-asymmetric', 'pot', 'fp8-e4m3', 'fp8-e5m2'];

/** Slices that stress ties and clipping: realistic weights, coarse integer grids (many exact ties), outliers, tiny values. */
const slice = fc.oneof(
  fc.array(fc.double({ min: -0.3, max: 0.3, noNaN: true }).map(Math.fround), { minLength: 1, maxLength: 400 }),
  fc.array(fc.integer({ min: -6, max: 6 }).map((k) => k * 0.25), { minLength: 1, maxLength: 300 }),
  fc.array(fc.integer({ min: 0, max: 9 }).map((k) => k / 8), { minLength: 1, maxLength: 300 }),
  fc
    .tuple(fc.array(fc.double({ min: -0.01, max: 0.01, noNaN: true }).map(Math.fround), { minLength: 1, maxLength: 300 }), fc.double({ min: -50, max: 50, noNaN: true }))
    .map(([a, o]) => [...a, Math.fround(o)]),
  fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 60 }),
  fc.array(fc.constantFrom(0, -0, 1e-40, -3e-42, 1.4e-45, 2e-38), { minLength: 1, maxLength: 40 }),
);

const same = (a: number, b: number) => Object.is(a, b) || (a === 0 && b === 0);

describe('roundHalfUp', () => {
  it('has the value of Math.round for every double (zero sign aside)', () => {
    // Invariant: roundHalfUp(y) == Math.round(y) numerically; includes the ±0.49999999999999994 and 2^52 edges.
    const edges = [0.49999999999999994, -0.49999999999999994, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 2 ** 51 - 0.5, 2 ** 52 - 0.5, -(2 ** 52 - 0.5), 2 ** 52 + 1, -(2 ** 52 + 1), 2 ** 53 + 2, 1e300, -1e300, 5e-324, -5e-324, 0, -0, Infinity, -Infinity];
    for (const y of edges) expect(same(roundHalfUp(y), Math.round(y)), String(y)).toBe(true);
    expect(Number.isNaN(roundHalfUp(NaN))).toBe(true);
    fc.assert(
      fc.property(fc.oneof(fc.double({ noNaN: true }), fc.integer({ min: -1e6, max: 1e6 }).map((k) => k + 0.5), fc.double({ min: -4, max: 4, noNaN: true })), (y) => {
        expect(same(roundHalfUp(y), Math.round(y))).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });
});

describe('error kernels', () => {
  it('errorSums adds |x − quantizeOne(x)| and its square in slice order, bit for bit', () => {
    // quantizeOne still uses Math.round: this pins the floor-based rounding of the kernels to it.
    fc.assert(
      fc.property(slice, fc.constantFrom(...FAMS), fc.integer({ min: 2, max: 16 }), fc.double({ min: 0.05, max: 1, noNaN: true }), (a, family, bits, t) => {
        const v = Float32Array.from(a);
        const [lo, hi] = sliceBounds(v, 0, v.length);
        const p = levelParams(family, bits, lo * t, hi * t);
        let l1 = 0;
        let sq = 0;
        for (const x of v) {
          const d = x - quantizeOne(p, x);
          l1 += Math.abs(d);
          sq += d * d;
        }
        const got = errorSums(p, v, null, 0, v.length, new Float64Array(2));
        expect(got[0]).toBe(l1);
        expect(got[1]).toBe(sq);
        // The early-exit kernel, given room, returns the same bits; given a limit at or below the objective, it gives up.
        const acc = new Float64Array(2);
        expect(errorSumsBelow(p, v, 0, v.length, 0, Infinity, acc)).toBe(true);
        expect([acc[0], acc[1]]).toEqual([l1, sq]);
        if (sq > 0) expect(errorSumsBelow(p, v, 0, v.length, 1, sq, acc)).toBe(false);
      }),
      { numRuns: 400 },
    );
  });

  it('clipped-tail sums, discounted by kappa, never exceed the full objective (the pruning bound)', () => {
    fc.assert(
      fc.property(slice, fc.constantFrom(...FAMS), fc.integer({ min: 2, max: 16 }), fc.double({ min: 0.05, max: 1, noNaN: true }), fc.constantFrom(0 as const, 1 as const), (a, family, bits, t, obj) => {
        const v = Float32Array.from(a);
        const [lo, hi] = sliceBounds(v, 0, v.length);
        const p = levelParams(family, bits, lo * t, hi * t);
        const P = clippedTermSum(p, sortedCopy(v, 0, v.length), obj, Infinity);
        const full = errorSums(p, v, null, 0, v.length, new Float64Array(2))[obj];
        expect(P * roundingDiscount(v.length)).toBeLessThanOrEqual(full);
      }),
      { numRuns: 400 },
    );
  });
});

describe('fast clip search = plain clip search, bit for bit', () => {
  it('chooseLevels (pruned, early exit) returns the clip and sums of chooseLevelsPlain', () => {
    fc.assert(
      fc.property(slice, fc.constantFrom(...FAMS), fc.integer({ min: 2, max: 16 }), fc.constantFrom('clip-l1' as const, 'clip-mse' as const), (a, family, bits, range) => {
        const v = Float32Array.from([0.5, ...a, -0.25]);
        const s = 1;
        const e = v.length - 1; // a slice inside a larger buffer
        const want = chooseLevelsPlain(family, bits, range, v, null, s, e);
        const got = chooseLevels(family, bits, range, v, null, s, e);
        expect(got.clip).toBe(want.clip);
        expect(got.sums[0]).toBe(want.sums[0]);
        expect(got.sums[1]).toBe(want.sums[1]);
        expect(got.params).toEqual(want.params);
      }),
      { numRuns: 600 },
    );
  });

  it('chooseLevelsForBits (pot saturation shortcut) equals one plain search per bit-width', () => {
    let shortcuts = 0;
    fc.assert(
      fc.property(slice, fc.constantFrom<QuantFamily>('pot', 'uniform-symmetric', 'uniform-asymmetric'), fc.constantFrom('clip-l1' as const, 'clip-mse' as const), (a, family, range) => {
        const v = Float32Array.from(a);
        const prep = prepareSlice(v, 0, v.length);
        const bits = [16, 2, 3, 4, 5, 6, 7, 8, 12];
        const got = chooseLevelsForBits(family, bits, range, v, 0, v.length, prep);
        bits.forEach((b, i) => {
          const want = chooseLevelsPlain(family, b, range, v, null, 0, v.length);
          expect(got[i].clip).toBe(want.clip);
          expect(got[i].sums[0]).toBe(want.sums[0]);
          expect(got[i].sums[1]).toBe(want.sums[1]);
          expect(got[i].params).toEqual(want.params);
        });
        if (family === 'pot' && potSaturated(3, prep.bounds[0], prep.bounds[1], prep.minAbs)) shortcuts++;
      }),
      { numRuns: 150 },
    );
    expect(shortcuts).toBeGreaterThan(0); // the shortcut was exercised, not only the fallback
  });

  it('pot saturation is exactly where the smallest level drops below min|x|/c', () => {
    // Values in [1/4, 1]: a 3-bit pot grid already has every level 2^-k, k = 0..2, needed; 2 bits does not.
    expect(potSaturated(2, 0, 1, 0.25)).toBe(false);
    expect(potSaturated(3, 0, 1, 0.25)).toBe(true);
    expect(potSaturated(3, 0, 1, 0.2499)).toBe(false);
    expect(potSaturated(16, -1, 0, 5e-324)).toBe(true);
    expect(potSaturated(2, 0, 0, Infinity)).toBe(true); // all-zero slice
  });
});
