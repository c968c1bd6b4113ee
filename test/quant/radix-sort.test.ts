/**
 * The radix sort of slices (src/quant/radix-sort.ts) against its definition, widening then
 * Float64Array.prototype.sort: the same doubles in the same places (Object.is, so −0 before +0).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { radixSortedCopy } from '../../src/quant/radix-sort.ts';
import { sortedCopy, sortedCopyReference } from '../../src/quant/range-search.ts';

const edge = [0, -0, 1.4e-45, -1.4e-45, 1e-40, -1e-40, 1.1754943508222875e-38, -3.4028234663852886e38, 3.4028234663852886e38, 1, -1, 0.5];

const slices = fc.oneof(
  fc.array(fc.float({ noNaN: true }), { minLength: 0, maxLength: 3000 }),
  fc.array(fc.constantFrom(...edge), { minLength: 1, maxLength: 2000 }),
  fc.array(fc.integer({ min: -3, max: 3 }).map((k) => k / 4), { minLength: 1, maxLength: 2000 }), // many ties
  fc.tuple(fc.float({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: 1, max: 1500 })).map(([x, n]) => new Array<number>(n).fill(x)), // constant
);

describe('radix-sorted copy', () => {
  it('equals the typed-array sort of the widened slice element for element', () => {
    // Invariant: radixSortedCopy(v, s, e)[i] is Object.is-equal to sortedCopyReference(v, s, e)[i] for every i, on any sub-slice.
    fc.assert(
      fc.property(slices, fc.nat(), fc.nat(), (a, x, y) => {
        const v = Float32Array.from(a);
        const s = v.length === 0 ? 0 : x % v.length;
        const e = s + (v.length === 0 ? 0 : y % (v.length - s + 1));
        const want = sortedCopyReference(v, s, e);
        const got = radixSortedCopy(v, s, e);
        expect(got.length).toBe(want.length);
        for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) expect([i, got[i]]).toEqual([i, want[i]]);
        const viaDispatch = sortedCopy(v, s, e);
        for (let i = 0; i < want.length; i++) if (!Object.is(viaDispatch[i], want[i])) expect([i, viaDispatch[i]]).toEqual([i, want[i]]);
      }),
      { numRuns: 300 },
    );
  });
});
