import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fitExponential, ksExponentialBinned, ksExponentialExact, MAGNITUDE_BINS, magnitudeEdges } from '../../src/theory/exponential.ts';
import { float16Table } from '../../src/io/index.ts';
import { expCdf, ksStatistic } from '../../src/theory/ks.ts';
import { laplace, mulberry32 } from '../../src/util/rng.ts';

function f32Bins(v: Float32Array): Float64Array {
  const u = new Uint32Array(v.buffer, v.byteOffset, v.length);
  const c = new Float64Array(MAGNITUDE_BINS);
  for (let i = 0; i < v.length; i++) c[(u[i] >>> 16) & 0x7fff]++;
  return c;
}

describe('exponential fit and KS', () => {
  it('λ is the maximum-likelihood 1/mean|w|: the log-likelihood is maximal there', () => {
    const rand = mulberry32(3);
    const x = Array.from({ length: 2000 }, () => -Math.log(1 - rand()) / 5);
    const mean = x.reduce((a, b) => a + b, 0) / x.length;
    const ll = (l: number) => x.length * Math.log(l) - l * x.reduce((a, b) => a + b, 0);
    const lam = fitExponential(mean);
    for (const f of [0.9, 0.99, 1.01, 1.1]) expect(ll(lam * f)).toBeLessThan(ll(lam));
    expect(lam).toBeGreaterThan(4.5);
    expect(lam).toBeLessThan(5.5);
  });

  it('binned KS brackets the exact sorted KS for float32 data (|reported − exact| ≤ bound ≤ 0.0015)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 1, max: 3000 }), fc.double({ min: 1e-3, max: 10, noNaN: true }), (seed, n, b) => {
        const r = laplace(mulberry32(seed), b);
        const v = Float32Array.from({ length: n }, r);
        const lambda = 1 / (v.reduce((a, x) => a + Math.abs(x), 0) / n);
        const got = ksExponentialBinned(f32Bins(v), magnitudeEdges('float32'), lambda);
        const exact = ksStatistic(Float64Array.from(v, Math.abs), expCdf(lambda));
        expect(Math.abs(got.ks - exact)).toBeLessThanOrEqual(got.bound + 1e-12);
        expect(got.bound).toBeLessThanOrEqual(0.0015);
        expect(ksExponentialExact(v, lambda)).toBeCloseTo(exact, 12);
      }),
      { numRuns: 60 },
    );
  });

  it('fp16 magnitude bins give the exact KS (bound 0)', () => {
    const t = float16Table();
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0x7bff }), { minLength: 1, maxLength: 500 }), fc.double({ min: 0.01, max: 100, noNaN: true }), (codes, lambda) => {
        const c = new Float64Array(MAGNITUDE_BINS);
        for (const k of codes) c[k]++;
        const got = ksExponentialBinned(c, magnitudeEdges('float16'), lambda);
        expect(got.bound).toBe(0);
        expect(got.ks).toBeCloseTo(ksStatistic(codes.map((k) => t[k]), expCdf(lambda)), 12);
      }),
      { numRuns: 100 },
    );
  });
});
