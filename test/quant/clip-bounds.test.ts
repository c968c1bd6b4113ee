/**
 * The interval bounds of the clip-l1 search (src/quant/clip-bounds.ts) must contain the
 * slice-order L1 sum that `errorSums` computes (the plain definition), and the interval search
 * built on them must pick the same clip and sums as `chooseLevelsPlain`, bit for bit, also on
 * channel-sized slices where the nearest-level walk and the four-lane pass both run.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { approxL1, binnedL1, binnedLevelCount, seekBucket, sortedPrefix } from '../../src/quant/clip-bounds.ts';
import { errorSums } from '../../src/quant/error-kernels.ts';
import { levelParams } from '../../src/quant/levels.ts';
import { sliceBounds, sortedCopy } from '../../src/quant/range-search.ts';
import type { QuantFamily } from '../../src/quant/types.ts';
import { expectSameAsPlain } from './same-as-plain.ts';

const FAMS: QuantFamily[] = ['uniform-symmetric', 'uniform-asymmetric', 'pot'];

/** fp16-like weights (rounded to a coarse grid, so ties and duplicates occur), Laplace-ish, with optional outliers and zeros. */
const weights = (minLength: number, maxLength: number) =>
  fc
    .tuple(
      fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength, maxLength, size: 'max' }),
      fc.double({ min: 1e-4, max: 10, noNaN: true }),
      fc.constantFrom(0, 2 ** -10, 2 ** -14, 2 ** -24),
      fc.array(fc.double({ min: -30, max: 30, noNaN: true }), { maxLength: 3 }),
      fc.boolean(),
    )
    .map(([u, scale, grid, outliers, zeros]) => {
      const xs = u.map((r) => {
        const x = Math.sign(r) * Math.log1p(Math.abs(r) * 50) * scale * 0.1;
        const q = grid > 0 ? Math.round(x / (grid * scale)) * grid * scale : x;
        return zeros && Math.abs(r) < 0.05 ? 0 : q;
      });
      return Float32Array.from([...xs, ...outliers.map((o) => o * scale)]);
    });

describe('the level walk\'s bucket search', () => {
  it('finds the first index at or after `from` whose value is ≥ key, as a linear scan does', () => {
    // Invariant: seekBucket(sp, idx, from, key) === first i ≥ from with sorted[i] ≥ key (n if none), for keys
    // below, inside and above the range, on values, between ties, on tiny and wide ranges.
    fc.assert(
      fc.property(
        fc.oneof(weights(1, 800), fc.array(fc.integer({ min: -3, max: 3 }).map((k) => k / 4), { minLength: 2, maxLength: 300 }).map((a) => Float32Array.from(a)), fc.array(fc.constantFrom(1e-40, 2e-40, 3e-40, -1e-40), { minLength: 2, maxLength: 50 }).map((a) => Float32Array.from(a))),
        fc.array(fc.tuple(fc.double({ min: -2, max: 2, noNaN: true }), fc.nat()), { minLength: 1, maxLength: 20 }),
        (v, probes) => {
          const sp = sortedPrefix(sortedCopy(v, 0, v.length));
          if (!sp.idx) return;
          const x = sp.sorted;
          const keys = [...probes.map(([r]) => r * Math.max(Math.abs(x[0]), Math.abs(x[x.length - 1]))), ...Array.from(x), x[0] - 1, x[x.length - 1] + 1];
          keys.forEach((key, i) => {
            const from = probes[i % probes.length][1] % (x.length + 1);
            let want = from;
            while (want < x.length && x[want] < key) want++;
            expect(seekBucket(sp, sp.idx!, from, key)).toBe(want);
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('clip-l1 interval bounds', () => {
  it('binnedL1 and approxL1 bracket the slice-order L1 sum of errorSums', () => {
    // Invariant: lower ≤ S ≤ upper, S = errorSums(...)[0], for every family, bit-width and clip.
    let walked = 0;
    fc.assert(
      fc.property(weights(1, 3000), fc.constantFrom(...FAMS), fc.integer({ min: 2, max: 16 }), fc.double({ min: 0.01, max: 1, noNaN: true }), (v, family, bits, t) => {
        const [lo, hi] = sliceBounds(v, 0, v.length);
        const p = levelParams(family, bits, lo * t, hi * t);
        const S = errorSums(p, v, null, 0, v.length, new Float64Array(2))[0];
        const sp = sortedPrefix(sortedCopy(v, 0, v.length));
        const out = new Float64Array(2);
        if (binnedLevelCount(p, sp) >= 0 && binnedLevelCount(p, sp) < 70000) {
          binnedL1(p, sp, out);
          expect(out[0]).toBeLessThanOrEqual(S);
          expect(out[1]).toBeGreaterThanOrEqual(S);
          // Tight enough to be useful: the width is a tiny fraction of S (or of the scale when S is ~0).
          expect(out[1] - out[0]).toBeLessThanOrEqual(1e-6 * S + 1e-9 * (hi - lo) * v.length);
          walked++;
        }
        approxL1(p, v, 0, v.length, Infinity, out);
        expect(out[0]).toBeLessThanOrEqual(S);
        expect(out[1]).toBeGreaterThanOrEqual(S);
        // With a limit below S/2 it may stop early, but its lower bound stays below S.
        approxL1(p, v, 0, v.length, S / 2, out);
        expect(out[0]).toBeLessThanOrEqual(S);
      }),
      { numRuns: 300 },
    );
    expect(walked).toBeGreaterThan(100);
  });

  it('the interval search picks the plain search\'s clip and sums on channel-sized slices, every bit-width', () => {
    // Invariant: bit-identical ChosenLevels for bits 2..16 (the default profile) on slices of 500..3000 values.
    fc.assert(
      fc.property(weights(500, 3000), fc.constantFrom(...FAMS), (v, family) => expectSameAsPlain(family, v)),
      { numRuns: 25 },
    );
  });
});
