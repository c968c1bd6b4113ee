/**
 * The WebAssembly SIMD kernels (src/quant/simd-kernels.ts) against their references: `exactSums`
 * against `errorSums` (the scalar slice-order definition) and `lanesL1` against
 * `lanesL1Reference` (the same lane order in JavaScript), bit for bit, on random slices and on
 * the edge cases of real weights: all-zero and constant channels, single values, subnormals, ties.
 * Then the clip search that uses them against the plain search, with the kernels on and off.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { errorSums, errorSumsMany } from '../../src/quant/error-kernels.ts';
import { levelParams, type LevelParams } from '../../src/quant/levels.ts';
import { sliceBounds } from '../../src/quant/range-search.ts';
import { l1Term, lanesL1Reference, lanesTerm } from '../../src/quant/reference/simd-kernels.ts';
import { exactSums, lanesL1, lanesMargin, loadSlice, potFits, setSimd, simdEnabled, unloadSlice } from '../../src/quant/simd-kernels.ts';
import type { QuantFamily } from '../../src/quant/types.ts';
import { expectSameAsPlain } from './same-as-plain.ts';

const FAMS: QuantFamily[] = ['uniform-symmetric', 'uniform-asymmetric', 'pot'];

/** Slices of every shape the kernels meet: weights, coarse grids (ties), outliers, zeros, constants, subnormals. */
const values = fc.oneof(
  fc.array(fc.double({ min: -0.3, max: 0.3, noNaN: true }).map(Math.fround), { minLength: 1, maxLength: 700 }),
  fc.array(fc.integer({ min: -6, max: 6 }).map((k) => k * 0.25), { minLength: 1, maxLength: 300 }),
  fc.array(fc.integer({ min: 0, max: 9 }).map((k) => k / 8), { minLength: 1, maxLength: 300 }),
  fc.tuple(fc.array(fc.double({ min: -0.01, max: 0.01, noNaN: true }).map(Math.fround), { minLength: 1, maxLength: 300 }), fc.double({ min: -50, max: 50, noNaN: true })).map(([a, o]) => [...a, Math.fround(o)]),
  fc.array(fc.float({ noNaN: true, noDefaultInfinity: true, min: Math.fround(-1e30), max: Math.fround(1e30) }), { minLength: 1, maxLength: 60 }),
  fc.array(fc.constantFrom(0, -0, 1e-40, -3e-42, 1.4e-45, 2e-38), { minLength: 1, maxLength: 40 }),
  fc.tuple(fc.double({ min: -2, max: 2, noNaN: true }).map(Math.fround), fc.integer({ min: 1, max: 300 })).map(([x, n]) => new Array<number>(n).fill(x)), // constant channel
  fc.integer({ min: 1, max: 300 }).map((n) => new Array<number>(n).fill(0)), // all-zero channel
  fc.double({ min: -3, max: 3, noNaN: true }).map((x) => [Math.fround(x)]), // single value
);

/** Candidates the clip search makes for a slice: family, bits, clip factor. */
function candidate(v: Float32Array | Float64Array, family: QuantFamily, bits: number, t: number): LevelParams {
  const [lo, hi] = sliceBounds(v, 0, v.length);
  return levelParams(family, bits, lo * t, hi * t);
}

const minAbsOf = (v: ArrayLike<number>) => {
  let m = Infinity;
  for (let i = 0; i < v.length; i++) if (v[i] !== 0 && Math.abs(v[i]) < m) m = Math.abs(v[i]);
  return m;
};

describe.runIf(simdEnabled())('WebAssembly SIMD kernels', () => {
  afterAll(() => unloadSlice());

  it('exactSums gives errorSums\' slice-order L1 and squared sums bit for bit, 1 to 4 candidates at once', () => {
    // Invariant: for each candidate (lane), [L1, squared] === errorSums(p, v) exactly, including sums of 0.
    fc.assert(
      fc.property(values, fc.boolean(), fc.constantFrom(...FAMS), fc.array(fc.tuple(fc.integer({ min: 2, max: 16 }), fc.double({ min: 0.01, max: 1, noNaN: true })), { minLength: 1, maxLength: 4 }), (a, wide, family, cands) => {
        const v = wide ? Float64Array.from(a) : Float32Array.from(a);
        const ps = cands.map(([b, t]) => candidate(v, family, b, t)).filter((p) => p.inv !== 0 && (family !== 'pot' || potFits(p, minAbsOf(v))));
        if (ps.length === 0) return;
        const n8 = loadSlice({}, v, 0, v.length);
        const got = exactSums(ps, n8, new Float64Array(8));
        ps.forEach((p, j) => {
          const want = errorSums(p, v, null, 0, v.length, new Float64Array(2));
          expect(got[2 * j]).toBe(want[0]);
          expect(got[2 * j + 1]).toBe(want[1]);
        });
      }),
      { numRuns: 600 },
    );
  });

  it('lanesL1 returns the 8-lane sum of the reference order bit for bit, also when it stops early', () => {
    // Invariant: lanesL1(p, stop) === lanesL1Reference(p, v, stop) for stop = ∞, a fraction of the sum, and 0.
    fc.assert(
      fc.property(values, fc.constantFrom(...FAMS), fc.integer({ min: 2, max: 16 }), fc.double({ min: 0.01, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (a, family, bits, t, frac) => {
        const v = Float32Array.from(a);
        const p = candidate(v, family, bits, t);
        if (p.inv === 0 || (family === 'pot' && !potFits(p, minAbsOf(v)))) return;
        const n8 = loadSlice({}, v, 0, v.length);
        const full = lanesL1Reference(p, v, 0, v.length, Infinity);
        expect(lanesL1(p, n8, Infinity)).toBe(full);
        for (const stop of [full * frac, 0]) expect(lanesL1(p, n8, stop)).toBe(lanesL1Reference(p, v, 0, v.length, stop));
      }),
      { numRuns: 600 },
    );
  });

  it('a long slice (many stop checks) matches the reference and brackets the slice-order sum', () => {
    // Invariant: on 5000-value slices, lanesL1 = reference, and S = errorSums' L1 lies in [lanes(1 − 2γ) − M, lanes(1 + 2γ) + M] (the search's interval).
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1, max: 1, noNaN: true }).map((x) => Math.fround(x * x * x)), { minLength: 5000, maxLength: 5000 }), fc.constantFrom(...FAMS), fc.integer({ min: 2, max: 16 }), fc.double({ min: 0.05, max: 1, noNaN: true }), (a, family, bits, t) => {
        const v = Float32Array.from(a);
        const p = candidate(v, family, bits, t);
        if (family === 'pot' && !potFits(p, minAbsOf(v))) return;
        const n8 = loadSlice({}, v, 0, v.length);
        const lanes = lanesL1(p, n8, Infinity);
        expect(lanes).toBe(lanesL1Reference(p, v, 0, v.length, Infinity));
        const S = errorSums(p, v, null, 0, v.length, new Float64Array(2))[0];
        const f = (n8 + 4) * 4 * 2 ** -53;
        const M = lanesMargin(p, n8, v.reduce((a, x) => a + Math.abs(x), 0) * (1 + 2 ** -40));
        expect(lanes * (1 - f) - M).toBeLessThanOrEqual(S);
        expect(lanes * (1 + f) + M).toBeGreaterThanOrEqual(S);
      }),
      { numRuns: 60 },
    );
  });

  it('the lane term (rounding without the tie correction) is within 16u·(|x| + step) of the kernel term, also next to midpoints', () => {
    // Invariant: |lanesTerm(p, x) − l1Term(p, x)| ≤ 16·2^-53·(|x| + step) for x on, just below and just above (k + ½)·step.
    fc.assert(
      fc.property(fc.constantFrom<QuantFamily>('uniform-symmetric', 'uniform-asymmetric'), fc.integer({ min: 2, max: 16 }), fc.double({ min: 1e-6, max: 1e3, noNaN: true }), fc.double({ min: 0.01, max: 1, noNaN: true }), fc.integer({ min: -40000, max: 40000 }), fc.integer({ min: -3, max: 3 }), (family, bits, c, frac, k, nudge) => {
        const p = levelParams(family, bits, -c * frac, c);
        let x = (k + 0.5) * p.scale;
        for (let j = 0; j < Math.abs(nudge); j++) x = nudge > 0 ? x + Math.abs(x) * 2 ** -52 : x - Math.abs(x) * 2 ** -52;
        expect(Math.abs(lanesTerm(p, x) - l1Term(p, x))).toBeLessThanOrEqual(16 * 2 ** -53 * (Math.abs(x) + p.scale));
      }),
      { numRuns: 3000 },
    );
  });

  it('loadSlice reloads when the key changes and pads with zeros that change no sum', () => {
    // Invariant: a slice loaded after a longer one gives the sums of its own values only.
    const long = Float32Array.from({ length: 37 }, (_, i) => (i - 18) / 7);
    const short = Float32Array.from([0.5, -0.25, 0.125]);
    const p = candidate(short, 'uniform-asymmetric', 3, 0.9);
    loadSlice({}, long, 0, long.length);
    const n8 = loadSlice({}, short, 0, short.length);
    expect(n8).toBe(8);
    expect(Array.from(exactSums([p], n8, new Float64Array(2)))).toEqual(Array.from(errorSums(p, short, null, 0, 3, new Float64Array(2))));
  });
});

describe('errorSumsMany', () => {
  afterAll(() => setSimd(true));

  it('adds errorSums\' sums of every level into its accumulator, weighted or not, kernels on and off', () => {
    // Invariant: accs[k] after errorSumsMany === accs[k] after errorSums(ps[k]) on the same start value, for mixed families (fp8 included).
    const fams: QuantFamily[] = [...FAMS, 'fp8-e4m3'];
    fc.assert(
      fc.property(values, fc.array(fc.tuple(fc.constantFrom(...fams), fc.integer({ min: 2, max: 16 }), fc.double({ min: 0.01, max: 1, noNaN: true })), { minLength: 1, maxLength: 9 }), fc.boolean(), fc.boolean(), (a, cands, weighted, on) => {
        setSimd(on);
        const v = Float32Array.from(a);
        const w = weighted ? Float64Array.from(a, (_, i) => 1 + (i % 3)) : null;
        const ps = cands.map(([f, b, t]) => candidate(v, f, b, t));
        const got = ps.map(() => Float64Array.of(0.25, 0.5));
        errorSumsMany(ps, v, w, 0, v.length, got);
        ps.forEach((p, k) => {
          const want = errorSums(p, v, w, 0, v.length, Float64Array.of(0.25, 0.5));
          expect(got[k][0]).toBe(want[0]);
          expect(got[k][1]).toBe(want[1]);
        });
      }),
      { numRuns: 300 },
    );
  });
});

describe('the clip search with and without the SIMD kernels', () => {
  afterAll(() => setSimd(true));

  it('picks the plain search\'s clip and sums, bit for bit, on every edge-case slice, kernels on and off', () => {
    // Invariant: chooseLevelsForBits (interval search; SIMD lane passes and exact sums when on) === chooseLevelsPlain for bits 2..16.
    fc.assert(
      fc.property(values, fc.constantFrom(...FAMS), fc.boolean(), (a, family, on) => {
        setSimd(on);
        expectSameAsPlain(family, Float32Array.from(a));
      }),
      { numRuns: 150 },
    );
  });
});
