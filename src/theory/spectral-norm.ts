/**
 * Spectral norm ||W||₂ with a guaranteed upper bound, for the FC bound of SPEC §3 (the bound
 * must never be under-estimated, so a plain power-iteration estimate — always ≤ the truth —
 * cannot be used on its own).
 *
 * Method. Let A = WᵀW or WWᵀ (the smaller Gram matrix, n×n, PSD, λ_max(A) = ||W||₂²).
 *  - Lower bound: power iteration's Rayleigh quotient vᵀAv/vᵀv ≤ λ_max for every v.
 *  - Upper bound: for PSD A and p = 2^k, λ_max^p ≤ Σ_i λ_i^p = tr(A^p), so λ_max ≤ tr(A^p)^(1/p).
 *    We square A k times, renormalising by the trace each time (B₀ = A/c₀, B_{j+1} = B_j²/c_{j+1},
 *    c_j = tr of the unnormalised square) so nothing overflows; then
 *    log tr(A^(2^k)) = Σ_j 2^(k−j)·log c_j  ⇒  λ_max ≤ exp(Σ_j 2^(−j)·log c_j).
 *    This over-estimates by at most n^(1/p), and much less when the spectrum is spread; we square
 *    until the upper and lower bounds agree to `relTol` or `maxSquarings` is reached.
 *  - Rounding: everything is float64; a relative margin of 16·n²·ε_machine + 1e-12 on λ_max covers the
 *    rounding of the Gram matrix (≤ n·ε·tr(A) ≤ n²·ε·λ_max) and of the squarings (whose p-th root
 *    shrinks their errors).
 *  - When n exceeds `maxGramDim` (squaring would cost n³ per step), we fall back to the always-valid
 *    min(||W||_F, sqrt(||W||₁·||W||_∞)).
 */

/** Dense row-major matrix mapping R^cols → R^rows. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array | Float32Array;
}

export interface SpectralNormResult {
  /** Certified upper bound on ||W||₂ (what the FC bound uses). */
  upper: number;
  /** Power-iteration lower bound on ||W||₂ (≤ the true value). */
  lower: number;
  method: 'trace-power' | 'frobenius-fallback' | 'zero';
}

export interface SpectralNormOptions {
  /** Largest Gram dimension for the trace-power certificate (cost ~ k·n³). */
  maxGramDim?: number;
  /** Stop squaring once upper/lower − 1 ≤ relTol. */
  relTol?: number;
  maxSquarings?: number;
  powerIterations?: number;
}

/** Gram matrix of the smaller side, float64, n×n row-major. */
function gram(w: Matrix): { n: number; a: Float64Array } {
  const { rows, cols, data } = w;
  if (cols <= rows) {
    // A = WᵀW (cols×cols)
    const n = cols;
    const a = new Float64Array(n * n);
    for (let r = 0; r < rows; r++) {
      const off = r * cols;
      for (let i = 0; i < n; i++) {
        const wi = data[off + i];
        if (wi === 0) continue;
        const ai = i * n;
        for (let j = i; j < n; j++) a[ai + j] += wi * data[off + j];
      }
    }
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) a[i * n + j] = a[j * n + i];
    return { n, a };
  }
  // A = WWᵀ (rows×rows)
  const n = rows;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      const oi = i * cols;
      const oj = j * cols;
      for (let k = 0; k < cols; k++) s += data[oi + k] * data[oj + k];
      a[i * n + j] = s;
      a[j * n + i] = s;
    }
  }
  return { n, a };
}

function trace(a: Float64Array, n: number): number {
  let t = 0;
  for (let i = 0; i < n; i++) t += a[i * n + i];
  return t;
}

/** out = a·a for symmetric a (so rows of a double as its columns). */
function squareSym(a: Float64Array, n: number, out: Float64Array): void {
  for (let i = 0; i < n; i++) {
    const oi = i * n;
    for (let j = i; j < n; j++) {
      const oj = j * n;
      let s = 0;
      for (let k = 0; k < n; k++) s += a[oi + k] * a[oj + k];
      out[oi + j] = s;
      out[oj + i] = s;
    }
  }
}

/** Largest eigenvalue estimate of PSD a by power iteration from a fixed dense start (lower bound). */
function powerLower(a: Float64Array, n: number, iters: number): number {
  let v = new Float64Array(n);
  // Deterministic, non-degenerate start: not orthogonal to the top eigenvector except by measure-zero luck.
  for (let i = 0; i < n; i++) v[i] = 1 + ((i * 0.6180339887) % 1);
  let u = new Float64Array(n);
  let rq = 0;
  for (let it = 0; it < iters; it++) {
    let vv = 0;
    for (let i = 0; i < n; i++) vv += v[i] * v[i];
    let vu = 0;
    let uu = 0;
    for (let i = 0; i < n; i++) {
      let s = 0;
      const oi = i * n;
      for (let k = 0; k < n; k++) s += a[oi + k] * v[k];
      u[i] = s;
      vu += v[i] * s;
      uu += s * s;
    }
    if (vv === 0 || uu === 0) return 0;
    rq = Math.max(rq, vu / vv);
    const inv = 1 / Math.sqrt(uu);
    for (let i = 0; i < n; i++) u[i] *= inv;
    [v, u] = [u, v];
  }
  return rq;
}

/** min(Frobenius, sqrt(max col sum · max row sum)): both are classical upper bounds on ||W||₂. */
export function cheapSpectralUpper(w: Matrix): number {
  const { rows, cols, data } = w;
  let fro = 0;
  const colSum = new Float64Array(cols);
  let maxRow = 0;
  for (let r = 0; r < rows; r++) {
    let rs = 0;
    for (let c = 0; c < cols; c++) {
      const x = data[r * cols + c];
      fro += x * x;
      const ax = Math.abs(x);
      rs += ax;
      colSum[c] += ax;
    }
    if (rs > maxRow) maxRow = rs;
  }
  let maxCol = 0;
  for (let c = 0; c < cols; c++) if (colSum[c] > maxCol) maxCol = colSum[c];
  return Math.min(Math.sqrt(fro), Math.sqrt(maxCol * maxRow));
}

export function spectralNorm(w: Matrix, opts: SpectralNormOptions = {}): SpectralNormResult {
  const maxGramDim = opts.maxGramDim ?? 1024;
  const relTol = opts.relTol ?? 1e-6;
  const maxSquarings = opts.maxSquarings ?? 12;
  const iters = opts.powerIterations ?? 200;
  const n = Math.min(w.rows, w.cols);
  if (n === 0) return { upper: 0, lower: 0, method: 'zero' };
  if (n > maxGramDim) {
    // Lower bound by power iteration on W directly would need its own loop; the Frobenius
    // fallback is reported with the same value as its lower estimate being unknown (0).
    return { upper: cheapSpectralUpper(w), lower: 0, method: 'frobenius-fallback' };
  }
  const { a } = gram(w);
  const t0 = trace(a, n);
  if (t0 === 0) return { upper: 0, lower: 0, method: 'zero' };
  const lowerEig = powerLower(a, n, iters);
  const margin = 1 + 16 * n * n * Number.EPSILON + 1e-12;
  let b = a.map((x) => x / t0);
  let tmp = new Float64Array(n * n);
  let logUpper = Math.log(t0); // k = 0: λ_max ≤ tr(A)
  let weight = 1;
  for (let k = 1; k <= maxSquarings; k++) {
    if (Math.exp(logUpper) <= lowerEig * (1 + relTol) ** 2) break;
    squareSym(b, n, tmp);
    const c = trace(tmp, n);
    if (!(c > 0)) break;
    weight /= 2;
    logUpper += weight * Math.log(c);
    for (let i = 0; i < tmp.length; i++) tmp[i] /= c;
    [b, tmp] = [tmp, b];
  }
  const upperEig = Math.max(Math.exp(logUpper), lowerEig) * margin;
  return { upper: Math.sqrt(upperEig), lower: Math.sqrt(lowerEig), method: 'trace-power' };
}
