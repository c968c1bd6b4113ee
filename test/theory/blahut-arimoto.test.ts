/**
 * The Blahut–Arimoto solver for Exp(λ) under |x − x̂| (src/theory/blahut-arimoto.ts), checked
 * against independent computations: a dense textbook BA (O(N²), written here) on a small grid,
 * plain BA from a different start, numerical quadrature of the discretisation error, exact scale
 * invariance in λ, and the closed-form D(R) of rd-bounds.ts.
 */
import { describe, expect, it } from 'vitest';
import { baAtRate, baReferenceCurve, BA_REFERENCE_RATES, blahutArimoto, discretiseExponential } from '../../src/theory/blahut-arimoto.ts';
import { rateDExact } from '../../src/theory/rd-bounds.ts';
import { CoquantError } from '../../src/errors.ts';

/** Textbook BA on an explicit matrix: returns (D, R in bits) after `iters` iterations from uniform q. */
function denseBA(p: Float64Array, x: Float64Array, s: number, iters: number): { D: number; R: number } {
  const n = p.length;
  const K: number[][] = [];
  for (let i = 0; i < n; i++) {
    K[i] = [];
    for (let j = 0; j < n; j++) K[i][j] = Math.exp(s * Math.abs(x[i] - x[j]));
  }
  let q = new Array<number>(n).fill(1 / n);
  const channel = () => {
    const Q: number[][] = [];
    for (let i = 0; i < n; i++) {
      let z = 0;
      for (let j = 0; j < n; j++) z += q[j] * K[i][j];
      Q[i] = q.map((qj, j) => (qj * K[i][j]) / z);
    }
    return Q;
  };
  for (let t = 0; t < iters; t++) {
    const Q = channel();
    q = q.map((_, j) => p.reduce((acc, pi, i) => acc + pi * Q[i][j], 0));
  }
  const Q = channel();
  let D = 0;
  let I = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const pij = p[i] * Q[i][j];
      if (pij <= 0) continue;
      D += pij * Math.abs(x[i] - x[j]);
      I += pij * Math.log2(Q[i][j] / q[j]);
    }
  }
  return { D, R: I };
}

describe('Blahut–Arimoto for Exp(λ) under |x − x̂|', () => {
  it('discretisation: probabilities sum to 1 and δ_x = E|X − X′| matches quadrature', () => {
    for (const step of [0.5, 0.1, 0.013]) {
      const { p, deltaX, truncation } = discretiseExponential(step);
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      expect(truncation).toBeCloseTo(p.length * step, 12);
      // Midpoint-rule quadrature of Σ_cells ∫ |x − mid| e^(−x) dx, plus the tail term e^(−T)(T + 1).
      let quad = 0;
      const sub = 2000;
      for (let i = 0; i < Math.min(p.length, 400); i++) {
        const a = i * step;
        for (let k = 0; k < sub; k++) {
          const xx = a + ((k + 0.5) * step) / sub;
          quad += Math.abs(xx - (a + step / 2)) * Math.exp(-xx) * (step / sub);
        }
      }
      const rest = p.length > 400 ? Math.exp(-400 * step) : 0; // cells beyond 400 carry e^(−400h) of mass, each at most h/2 away
      const tail = Math.exp(-truncation) * (truncation + 1);
      expect(deltaX).toBeGreaterThan(quad + tail - 1e-9);
      expect(deltaX).toBeLessThan(quad + tail + (rest * step) / 2 + 1e-9);
      expect(deltaX).toBeLessThan(step / 2); // sanity: at most half a cell on average
    }
  });

  it('agrees with a dense textbook BA on a small grid (independent O(N²) implementation)', () => {
    const step = 0.45;
    const { p } = discretiseExponential(step, 1e-3);
    const x = Float64Array.from(p, (_, i) => (i + 0.5) * step);
    for (const s of [-1.5, -3, -6]) {
      const ours = blahutArimoto(s, { step, tailTol: 1e-3 });
      expect(ours.grid.cells).toBe(p.length);
      const dense = denseBA(p, x, s, 3000);
      expect(ours.converged).toBe(true);
      expect(ours.D).toBeCloseTo(dense.D, 4);
      expect(ours.R).toBeCloseTo(dense.R, 4);
      // Both are points of the same discrete curve: the dense one may not sit below ours' dual line.
      expect(dense.R).toBeGreaterThanOrEqual(ours.Rlo + (s * (dense.D - ours.D)) / Math.LN2 - 1e-9);
    }
  });

  it('certified: Rlo ≤ Rhi, gap within tol; plain BA from the test channel lands on the same curve', () => {
    for (const s of [-3, -12, -60]) {
      const kkt = blahutArimoto(s);
      expect(kkt.converged).toBe(true);
      expect(kkt.Rlo).toBeLessThanOrEqual(kkt.Rhi);
      expect(kkt.gap).toBeLessThanOrEqual(1e-6);
      // A coarser grid keeps plain BA's thousand iterations cheap; the comparison is on that grid.
      const step = 1 / (8 * -s);
      const kktCoarse = blahutArimoto(s, { step });
      const plain = blahutArimoto(s, { step, init: 'test-channel', maxIter: 250 });
      const more = blahutArimoto(s, { step, init: 'test-channel', maxIter: 1000 });
      expect(plain.converged).toBe(false);
      expect(more.gap).toBeLessThan(plain.gap); // sublinear, but it does close
      // Each point must lie on or above the other's supporting line R ≥ Rlo + s·(D′ − D) (bits: s/ln2).
      expect(more.Rhi).toBeGreaterThanOrEqual(kktCoarse.Rlo + (s * (more.D - kktCoarse.D)) / Math.LN2 - 1e-12);
      expect(kktCoarse.Rhi).toBeGreaterThanOrEqual(more.Rlo + (s * (kktCoarse.D - more.D)) / Math.LN2 - 1e-12);
      expect(Math.abs(more.D / kktCoarse.D - 1)).toBeLessThan(2e-3);
    }
  });

  it('scale invariance: the solution for λ is the λ = 1 solution divided by λ', () => {
    const one = baAtRate(2.5);
    for (const lam of [1e-3, 0.37, 250]) {
      const r = baAtRate(2.5, { lambda: lam });
      expect(r.D * lam).toBeCloseTo(one.D, 12);
      expect(r.continuous[0] * lam).toBeCloseTo(one.continuous[0], 12);
      expect(r.continuous[1] * lam).toBeCloseTo(one.continuous[1], 12);
      expect(r.point.s / lam).toBeCloseTo(one.point.s, 9);
    }
  });

  it('baAtRate lands just below the rate, and its interval contains the closed-form D(R)', () => {
    for (const R of [0.25, 1, 2, 4, 6, 7]) {
      const r = baAtRate(R);
      expect(r.point.Rhi).toBeLessThanOrEqual(R);
      expect(R - r.point.Rhi).toBeLessThanOrEqual(1e-7);
      expect(r.discrete[0]).toBeLessThanOrEqual(r.D);
      const exact = rateDExact(R, 1);
      expect(r.continuous[0]).toBeLessThanOrEqual(exact);
      expect(r.continuous[1]).toBeGreaterThanOrEqual(exact);
      // The interval is rigorous and wide (≈ ±0.75 cells of D/32); the discrete value itself is much closer.
      expect(Math.abs(r.D / exact - 1)).toBeLessThan(2e-4);
    }
  });

  it('the reference curve covers its rates and is memoised', () => {
    const a = baReferenceCurve();
    expect(a.rows.map((r) => r.rate)).toEqual(BA_REFERENCE_RATES);
    expect(baReferenceCurve()).toBe(a);
    for (const r of a.rows) expect(r.continuous[0]).toBeLessThanOrEqual(rateDExact(r.rate, 1));
  });

  it('rejects what it cannot solve, with CoquantError', () => {
    expect(() => blahutArimoto(0.5)).toThrow(CoquantError);
    expect(() => blahutArimoto(-1, { lambda: -2 })).toThrow(CoquantError);
    expect(() => baAtRate(0)).toThrow(/rate R > 0/);
    expect(() => blahutArimoto(-2, { step: 1e-7 })).toThrow(/too large/);
    expect(() => blahutArimoto(-2, { init: new Float64Array(3) })).toThrow(/warm start/);
  });
});
