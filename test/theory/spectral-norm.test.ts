import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mulberry32, gaussian } from '../../src/util/rng.ts';
import { cheapSpectralUpper, spectralNorm, type Matrix } from '../../src/theory/spectral-norm.ts';

/** Independent reference: largest eigenvalue of WᵀW by cyclic Jacobi rotations (no power iteration). */
function jacobiTopSingular(w: Matrix): number {
  const n = w.cols;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let r = 0; r < w.rows; r++) s += w.data[r * n + i] * w.data[r * n + j];
      a[i * n + j] = s;
    }
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
      }
  }
  let m = 0;
  for (let i = 0; i < n; i++) m = Math.max(m, a[i * n + i]);
  return Math.sqrt(m);
}

function randomMatrix(seed: number, rows: number, cols: number): Matrix {
  const g = gaussian(mulberry32(seed));
  return { rows, cols, data: Float64Array.from({ length: rows * cols }, g) };
}

describe('certified spectral norm', () => {
  it('upper ≥ true ||W||₂ ≥ lower, and upper is tight (within 1e-4) on random matrices', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 24 }), fc.integer({ min: 1, max: 24 }), fc.integer(), (rows, cols, seed) => {
        const w = randomMatrix(seed, rows, cols);
        const truth = jacobiTopSingular(w);
        const r = spectralNorm(w);
        expect(r.upper).toBeGreaterThanOrEqual(truth * (1 - 1e-12));
        expect(r.lower).toBeLessThanOrEqual(truth * (1 + 1e-9));
        expect(r.upper / truth - 1).toBeLessThan(1e-4);
        expect(r.upper).toBeLessThanOrEqual(cheapSpectralUpper(w) * (1 + 1e-9));
      }),
      { numRuns: 120 },
    );
  });

  it('adversarial spectra stay certified: repeated top singular values, rank one, identity, zero', () => {
    // Orthogonal-like: a scaled identity has every singular value equal (power iteration's worst case).
    const n = 20;
    const eye = new Float64Array(n * n);
    for (let i = 0; i < n; i++) eye[i * n + i] = 3;
    const r = spectralNorm({ rows: n, cols: n, data: eye });
    expect(r.upper).toBeGreaterThanOrEqual(3);
    // With all 20 eigenvalues equal the certificate is exactly n^(1/2p) too high (p = 2^12 squarings).
    expect(r.upper).toBeLessThan(3 * 20 ** (1 / 8192) * (1 + 1e-9));
    // Two nearly equal top values: 5 and 5(1 − 1e-7) plus noise below.
    const d = new Float64Array(n * n);
    for (let i = 0; i < n; i++) d[i * n + i] = i === 0 ? 5 : i === 1 ? 5 * (1 - 1e-7) : 1;
    expect(spectralNorm({ rows: n, cols: n, data: d }).upper).toBeGreaterThanOrEqual(5);
    // Rank one: u vᵀ has norm |u|·|v|.
    const u = [1, -2, 3];
    const v = [0.5, 0.5, -1, 2];
    const data = new Float64Array(12);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) data[i * 4 + j] = u[i] * v[j];
    const exact = Math.hypot(...u) * Math.hypot(...v);
    const r1 = spectralNorm({ rows: 3, cols: 4, data });
    expect(r1.upper).toBeGreaterThanOrEqual(exact);
    expect(r1.upper / exact - 1).toBeLessThan(1e-9);
    expect(spectralNorm({ rows: 2, cols: 2, data: new Float64Array(4) }).upper).toBe(0);
  });

  it('above the Gram-size limit it falls back to a bound that is still ≥ ||W||₂', () => {
    const w = randomMatrix(3, 30, 40);
    const r = spectralNorm(w, { maxGramDim: 10 });
    expect(r.method).toBe('frobenius-fallback');
    expect(r.upper).toBeGreaterThanOrEqual(jacobiTopSingular(w));
  });
});
