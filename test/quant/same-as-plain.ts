/** Shared check of the clip-search tests: the fast per-bit-width search equals the plain definition bit for bit. */
import { expect } from 'vitest';
import { chooseLevelsForBits, chooseLevelsPlain, prepareSlice } from '../../src/quant/range-search.ts';
import type { QuantFamily } from '../../src/quant/types.ts';

/** The default profile's bit-widths. */
export const ALL_BITS = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];

/** chooseLevelsForBits over the whole slice gives chooseLevelsPlain's clip and [L1, squared] sums for every bit-width. */
export function expectSameAsPlain(family: QuantFamily, v: Float32Array, bits: readonly number[] = ALL_BITS): void {
  const got = chooseLevelsForBits(family, bits, 'clip-l1', v, 0, v.length, prepareSlice(v, 0, v.length));
  bits.forEach((b, i) => {
    const want = chooseLevelsPlain(family, b, 'clip-l1', v, null, 0, v.length);
    expect(got[i].clip).toBe(want.clip);
    expect(got[i].sums[0]).toBe(want.sums[0]);
    expect(got[i].sums[1]).toBe(want.sums[1]);
  });
}
