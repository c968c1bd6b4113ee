import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { codeEntropy, codeEntropyMM, magnitudeEntropy, magnitudeEntropyMM } from '../../src/theory/entropy.ts';

/** Independent plug-in entropy through a Map of counts (the textbook −Σ p log2 p). */
function mapEntropy(xs: number[]): number {
  const m = new Map<number, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  let h = 0;
  for (const c of m.values()) {
    const p = c / xs.length;
    h -= p * Math.log2(p);
  }
  return h;
}

describe('empirical entropy of quantizer codes', () => {
  it('matches −Σ p log2 p computed independently, for signed and magnitude codes', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -40000, max: 40000 }), { minLength: 1, maxLength: 300 }), (xs) => {
        const codes = Int32Array.from(xs);
        expect(codeEntropy(codes)).toBeCloseTo(mapEntropy(xs), 9);
        expect(magnitudeEntropy(codes)).toBeCloseTo(mapEntropy(xs.map(Math.abs)), 9);
        // |code| is a function of code, so it cannot carry more information.
        expect(magnitudeEntropy(codes)).toBeLessThanOrEqual(codeEntropy(codes) + 1e-12);
      }),
    );
  });

  it('sparse, huge code ranges take the Map path and agree too', () => {
    const xs = [-2_000_000_000, 5, 5, 2_000_000_000, 7];
    expect(codeEntropy(Int32Array.from(xs))).toBeCloseTo(mapEntropy(xs), 12);
  });

  it('equal counts over 2^k levels give exactly k bits; a constant gives 0', () => {
    for (const k of [0, 1, 3, 8]) {
      const codes = new Int32Array(5 * 2 ** k).map((_, i) => i % 2 ** k);
      expect(codeEntropy(codes)).toBeCloseTo(k, 12);
    }
    expect(magnitudeEntropy(new Int32Array(100).fill(-3))).toBe(0);
  });

  it('Miller–Madow adds (K−1)/(2n ln 2)', () => {
    const codes = Int32Array.from([0, 1, 1, 2, -2, -2, 3, 3, 3, 3]);
    expect(codeEntropyMM(codes) - codeEntropy(codes)).toBeCloseTo(4 / (20 * Math.LN2), 12);
    expect(magnitudeEntropyMM(codes) - magnitudeEntropy(codes)).toBeCloseTo(3 / (20 * Math.LN2), 12);
  });
});
