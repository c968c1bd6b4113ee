/**
 * Blahut–Arimoto (BA) for the rate-distortion function of an exponential source X ~ Exp(λ) under
 * d(x, x̂) = |x − x̂|: the numerical ground truth the closed-form bounds of rd-bounds.ts are tested
 * against, as the paper does for its Fig. 4. Derivations: docs/theory.md.
 *
 * Discretisation (computed in units of the mean 1/λ; results are scaled back, so every number for
 * λ is the λ = 1 number divided by λ):
 *   - cells [i·h, (i+1)·h), i = 0..N−1, N·h = T. The source takes the cell midpoint x_i = (i + ½)h
 *     with probability P(X ∈ cell i | X < T): Exp(λ) truncated at T, a truncated geometric law;
 *   - the reproduction alphabet is the same N midpoints;
 *   - T is the smallest multiple of h whose tail adds at most `tailTol`·h to δ_x (below).
 * On this grid the kernel e^(s·|x_i − y_j|) is ρ^|i−j| with ρ = e^(s·h), so every product with it
 * is a forward and a backward first-order recursion: O(N) per BA iteration, exact, no banding.
 *
 * Error bounds, both rigorous, come with every point:
 *   - Solver (Blahut 1972). For the current output law q the channel Q(j|i) ∝ q_j ρ^|i−j| has
 *     distortion D and mutual information R_hi ≥ R_disc(D). With c_j = Σ_i p_i K_ij / (Kq)_i,
 *     R_lo = R_hi − (log max_j c_j − Σ_j q_j c_j log c_j) ≤ R_disc(D); more generally the line
 *     R_disc(D') ≥ R_lo + s·(D' − D) holds for every D'. The gap R_hi − R_lo is 0 at the optimum.
 *   - Discretisation. Couple X with a grid value X' of law p (the midpoint of X's cell when X < T,
 *     an independent draw from p when X ≥ T), let δ_x = E|X − X'| (computed, tail bounded) and
 *     δ_y = h/2 (the farthest a point of [x_0, x_(N−1)] is from the grid):
 *       D_cont(R) ≤ D_disc(R) + δ_x          (a grid code applied to X: data processing + triangle)
 *       D_cont(R) ≥ D_disc(R) − δ_x − δ_y    (any code for X, its output clamped and rounded to the grid)
 * `baAtRate` combines the two into an interval that contains the continuous D(R).
 *
 * Start point. Plain BA converges sublinearly here (the gap falls like 1/iterations: ~1e−4 bits
 * after 5 000 iterations). The default start is instead the exact solution of the discrete
 * optimality conditions for an output law supported on {m, …, m'}: the source mass below cell m is
 * lumped onto m and that above m' onto m', and then c ≡ 1 on the support is a tridiagonal solve (K^(−1) is
 * tridiagonal for K_ij = ρ^|i−j|). BA iterations continue from there until the certified gap is
 * below `tol`; the certificate, not the start, is what the numbers rest on. `init: 'test-channel'`
 * starts plain BA from the §4 test channel's output law instead (for the independent check).
 */
import { CoquantError } from '../errors.ts';

const LN2 = Math.LN2;

export interface BaOptions {
  /** Source rate λ (default 1). */
  lambda?: number;
  /** Cell width h in units of 1/λ (default 1/(32·|s|/λ), about D/32). */
  step?: number;
  /** Largest tail contribution to δ_x, as a fraction of h (default 1e−6). */
  tailTol?: number;
  /** Stop when the solver gap R_hi − R_lo is at most this many bits (default 1e−6). */
  tol?: number;
  /** Iteration cap (default 20 000). */
  maxIter?: number;
  /** Start point: `kkt` (default), `test-channel`, or an output law on the same grid. */
  init?: 'kkt' | 'test-channel' | Float64Array;
}

export interface BaGridInfo {
  /** Cell width h (absolute units of distortion). */
  step: number;
  cells: number;
  /** Truncation point T (absolute). */
  truncation: number;
  /** E|X − X'| of the discretised source (absolute). */
  deltaX: number;
  /** h/2: rounding of a reproduction to the grid (absolute). */
  deltaY: number;
}

export interface BaPoint {
  /** Slope parameter s < 0, nats per unit distortion: the kernel is e^(s·|x − x̂|). */
  s: number;
  lambda: number;
  /** Distortion of the channel the final q defines (discrete problem, absolute units). */
  D: number;
  /** Its rate in bits (= Rhi): (D, R) is achievable on the grid. */
  R: number;
  /** Bounds on the discrete R(D) at this D, bits. */
  Rhi: number;
  Rlo: number;
  /** Rhi − Rlo, bits: the solver's own error bound. */
  gap: number;
  iterations: number;
  converged: boolean;
  grid: BaGridInfo;
  /** Output law on the grid (a warm start for a nearby s on the same grid). */
  q: Float64Array;
}

/**
 * The discretised source, in units of 1/λ: the law p of X' and δ_x = E|X − X'| under the coupling
 * X' = midpoint of X's cell when X < T, and X' drawn independently from p when X ≥ T. Then X' has
 * law p exactly: the cell masses renormalised by 1/(1 − e^(−T)), a truncated geometric law.
 */
export function discretiseExponential(step: number, tailTol = 1e-6): { p: Float64Array; deltaX: number; truncation: number } {
  if (!(step > 0) || !Number.isFinite(step)) throw new CoquantError('E_RANGE', `Blahut–Arimoto grid step must be positive, got ${step}`);
  // For X ≥ T, |X − X'| ≤ X, so the tail adds at most E[X; X ≥ T] = e^(−T)(T + 1); ask for ≤ tailTol·h.
  // T = ln((T + 1)/(tailTol·h)) by fixed-point iteration (a contraction for T > 0), then rounded up to cells.
  let T0 = Math.log(1 / (tailTol * step));
  for (let k = 0; k < 8; k++) T0 = Math.log((T0 + 1) / (tailTol * step));
  let n = Math.max(2, Math.ceil(T0 / step));
  while (Math.exp(-n * step) * (n * step + 1) > tailTol * step) n++;
  if (n > 8_000_000) {
    throw new CoquantError('E_RANGE', `a Blahut–Arimoto grid of ${n} cells is too large (step ${step} of the mean)`, { hint: 'use a coarser step (or a lower rate)' });
  }
  const T = n * step;
  const p = new Float64Array(n);
  const k = step / 2;
  // ∫ over [a, a+h] of |x − (a+k)|·e^(−x) dx = e^(−a)·g, g = (k − 1 + e^(−k)) + e^(−k)·(1 − e^(−k)(1 + k)).
  const g = k + Math.expm1(-k) + Math.exp(-k) * (1 - Math.exp(-k) * (1 + k));
  const cellMass = -Math.expm1(-step) / -Math.expm1(-T);
  let deltaX = 0;
  for (let i = 0; i < n; i++) {
    const ea = Math.exp(-i * step);
    p[i] = ea * cellMass;
    deltaX += ea * g;
  }
  deltaX += Math.exp(-T) * (T + 1);
  return { p, deltaX, truncation: T };
}

/** out_i = Σ_j ρ^|i−j| w_j, by a forward and a backward first-order recursion. */
function convolve(w: Float64Array, rho: number, out: Float64Array): void {
  const n = w.length;
  let f = 0;
  for (let i = 0; i < n; i++) {
    f = w[i] + rho * f;
    out[i] = f;
  }
  let b = 0; // Σ_{j>i} ρ^(j−i) w_j
  for (let i = n - 1; i >= 0; i--) {
    out[i] += b;
    b = rho * (w[i] + b);
  }
}

/** out_i = Σ_j |i − j|·ρ^|i−j| w_j (the distortion-weighted kernel, in cells). */
function convolveDist(w: Float64Array, rho: number, out: Float64Array): void {
  const n = w.length;
  // F_i = Σ_{j≤i} ρ^(i−j) w_j and G_i = Σ_{j<i} (i−j) ρ^(i−j) w_j satisfy G_i = ρ·(G_(i−1) + F_(i−1)).
  let f = 0;
  let g = 0;
  for (let i = 0; i < n; i++) {
    g = rho * (g + f);
    f = w[i] + rho * f;
    out[i] = g;
  }
  f = 0;
  g = 0;
  for (let i = n - 1; i >= 0; i--) {
    g = rho * (g + f);
    f = w[i] + rho * f;
    out[i] += g;
  }
}

/** The §4 test channel's X̂ as a start: an atom at the first cell of mass min(0.99, λ/|s|), else the source. */
function testChannelInit(p: Float64Array, sUnit: number): Float64Array {
  const atom = Math.min(0.99, 1 / Math.max(1, -sUnit));
  const q = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) q[i] = (1 - atom) * p[i];
  q[0] += atom;
  return q;
}

/**
 * Exact solution of c_j = 1 on a support {m, …, m'}: cells below m are reproduced only through
 * cell m and cells above m' only through m' (the output law has no mass near 0 or near T). That
 * makes the restricted problem the one for the source p' = (P(≤ m), p_(m+1), …, p_(m'−1), P(≥ m'))
 * with full support, solved by q = K^(−1)(p' / K^(−1)1). m is the smallest index, and m' the
 * largest, that keep q non-negative at the ends. Undefined when there is none (|s| ≤ λ: rate 0).
 */
function kktInit(p: Float64Array, rho: number): Float64Array | undefined {
  const n = p.length;
  let low = 0;
  let m = -1;
  for (let i = 0; i < n - 1; i++) {
    low += p[i];
    if (low * (1 - rho) >= rho * p[i + 1]) {
      m = i;
      break;
    }
  }
  let high = 0;
  let mTop = -1;
  for (let i = n - 1; i > m + 1; i--) {
    high += p[i];
    if (high * (1 - rho) >= rho * p[i - 1]) {
      mTop = i;
      break;
    }
  }
  if (m < 0 || mTop < 0) return undefined;
  const len = mTop - m + 1;
  const inv = 1 / (1 - rho * rho);
  // w = p' / u, with u = K_S^(−1)1 = 1/(1+ρ) at both ends and (1−ρ)/(1+ρ) inside.
  const w = new Float64Array(len);
  for (let t = 0; t < len; t++) {
    const pt = t === 0 ? low : t === len - 1 ? high : p[m + t];
    w[t] = t === 0 || t === len - 1 ? pt * (1 + rho) : (pt * (1 + rho)) / (1 - rho);
  }
  const q = new Float64Array(n);
  let sum = 0;
  for (let t = 0; t < len; t++) {
    const d = t === 0 || t === len - 1 ? 1 : 1 + rho * rho;
    const v = inv * (d * w[t] - rho * ((t > 0 ? w[t - 1] : 0) + (t < len - 1 ? w[t + 1] : 0)));
    const qv = v > 0 ? v : 0;
    q[m + t] = qv;
    sum += qv;
  }
  if (!(sum > 0)) return undefined;
  for (let j = m; j <= mTop; j++) q[j] /= sum;
  return q;
}

/**
 * One rate-distortion point at slope s < 0 (nats per unit distortion) for Exp(λ) under |x − x̂|.
 * Runs BA iterations until the certified gap R_hi − R_lo is at most `tol` bits (or `maxIter`).
 */
export function blahutArimoto(s: number, opts: BaOptions = {}): BaPoint {
  const lambda = opts.lambda ?? 1;
  if (!(lambda > 0) || !Number.isFinite(lambda)) throw new CoquantError('E_RANGE', `Blahut–Arimoto needs λ > 0, got ${lambda}`);
  if (!(s < 0) || !Number.isFinite(s)) throw new CoquantError('E_RANGE', `Blahut–Arimoto needs a finite slope s < 0, got ${s}`);
  const sUnit = s / lambda; // slope in units of the mean
  const step = opts.step ?? 1 / (32 * -sUnit);
  const { p, deltaX, truncation } = discretiseExponential(step, opts.tailTol);
  const n = p.length;
  const tolNats = (opts.tol ?? 1e-6) * LN2;
  const maxIter = opts.maxIter ?? 20_000;
  const rho = Math.exp(sUnit * step);

  let q: Float64Array;
  const init = opts.init ?? 'kkt';
  if (init instanceof Float64Array) {
    if (init.length !== n) throw new CoquantError('E_RANGE', `the warm start has ${init.length} cells, the grid ${n}`, { hint: 'warm-start only on the same step' });
    q = Float64Array.from(init);
  } else {
    q = (init === 'kkt' ? kktInit(p, rho) : undefined) ?? testChannelInit(p, sUnit);
  }
  const kq = new Float64Array(n); // (Kq)_i = 1/λ_i
  const w = new Float64Array(n); // p_i / (Kq)_i
  const c = new Float64Array(n); // c_j = (K w)_j
  const dq = new Float64Array(n); // Σ_j q_j |i−j| ρ^|i−j|

  let it = 0;
  for (;;) {
    convolve(q, rho, kq);
    let sumPLogLam = 0;
    for (let i = 0; i < n; i++) {
      w[i] = p[i] / kq[i];
      if (p[i] > 0) sumPLogLam -= p[i] * Math.log(kq[i]);
    }
    convolve(w, rho, c);
    let maxLogC = -Infinity;
    let qcLogC = 0;
    for (let j = 0; j < n; j++) {
      const lc = Math.log(c[j]);
      if (lc > maxLogC) maxLogC = lc;
      if (q[j] > 0) qcLogC += q[j] * c[j] * lc;
    }
    const gapNats = Math.max(0, maxLogC - qcLogC);
    it++;
    if (gapNats <= tolNats || it >= maxIter) {
      // Distortion of Q(j|i) = q_j K_ij / (Kq)_i: D = Σ_i w_i Σ_j q_j |x_i − y_j| K_ij.
      convolveDist(q, rho, dq);
      let acc = 0;
      for (let i = 0; i < n; i++) acc += w[i] * dq[i];
      const Dunit = acc * step;
      // I = Σ p_i log λ_i + s·D − Σ_j q_j c_j log c_j (nats); the lower bound replaces the last term by log max c.
      const RhiNats = Math.max(0, sUnit * Dunit + sumPLogLam - qcLogC);
      const Rhi = RhiNats / LN2;
      const Rlo = (RhiNats - gapNats) / LN2;
      return {
        s,
        lambda,
        D: Dunit / lambda,
        R: Rhi,
        Rhi,
        Rlo,
        gap: Rhi - Rlo,
        iterations: it,
        converged: gapNats <= tolNats,
        grid: { step: step / lambda, cells: n, truncation: truncation / lambda, deltaX: deltaX / lambda, deltaY: step / 2 / lambda },
        q,
      };
    }
    // BA update q ← q·c (Σ q c = 1 already; the renormalisation only removes rounding drift).
    let sum = 0;
    for (let j = 0; j < n; j++) {
      q[j] *= c[j];
      sum += q[j];
    }
    for (let j = 0; j < n; j++) q[j] /= sum;
  }
}

export interface BaRatePoint {
  /** The requested magnitude rate, bits. */
  rate: number;
  lambda: number;
  /** The BA point used: its Rhi is at most `rate` and within `rateTol` of it. */
  point: BaPoint;
  /** D_BA(rate): the distortion of that point (discrete problem, an upper end of the bracket below). */
  D: number;
  /** Interval containing the discrete D_disc(rate): [D − (rate − Rlo)·ln2/|s|, D]. */
  discrete: [number, number];
  /** Interval containing the continuous D(rate): discrete interval widened by −δ_x − δ_y / +δ_x. */
  continuous: [number, number];
  /** Number of BA solves the rate search used. */
  solves: number;
}

export interface BaRateOptions {
  lambda?: number;
  /** Cells per D_L(rate): h = D_L(rate)/resolution in units of 1/λ (default 32). */
  resolution?: number;
  /** Solver gap per point, bits (default 1e−6). */
  tol?: number;
  /** How far below the requested rate the point's Rhi may land, bits (default 1e−7). */
  rateTol?: number;
  tailTol?: number;
}

/**
 * D_BA at a given magnitude rate R > 0: finds the slope whose point has R − rateTol ≤ Rhi ≤ R
 * (safeguarded secant on log|s|, started from the Shannon-lower-bound slope |s| = 2^(R+1)·λ, all
 * on one grid), and brackets D(R) for the discrete and the continuous source.
 */
export function baAtRate(rate: number, opts: BaRateOptions = {}): BaRatePoint {
  const lambda = opts.lambda ?? 1;
  if (!(rate > 0) || !Number.isFinite(rate)) throw new CoquantError('E_RANGE', `D_BA needs a rate R > 0 bits, got ${rate}`);
  const resolution = opts.resolution ?? 32;
  const rateTol = opts.rateTol ?? 1e-7;
  const step = Math.pow(2, -rate) / 2 / resolution; // D_L(R)/resolution, units of 1/λ
  const base: BaOptions = { lambda, step, tol: opts.tol, tailTol: opts.tailTol };
  let solves = 0;
  const solve = (logSigma: number): BaPoint => {
    solves++;
    return blahutArimoto(-Math.exp(logSigma) * lambda, base);
  };
  // Rhi increases with |s|. Keep a bracket lo/hi in x = log(|s|/λ) with Rhi(lo) ≤ rate < Rhi(hi),
  // step by secant through the last two points, and bisect whenever the secant leaves the bracket.
  let lo: { x: number; p: BaPoint } | undefined;
  let hi: { x: number; p: BaPoint } | undefined;
  let prev: { x: number; p: BaPoint } | undefined;
  let cur = { x: (rate + 1) * LN2, p: solve((rate + 1) * LN2) };
  for (;;) {
    if (cur.p.Rhi <= rate) {
      if (!lo || cur.x > lo.x) lo = cur;
    } else if (!hi || cur.x < hi.x) hi = cur;
    if (lo && rate - lo.p.Rhi <= rateTol) break;
    if (solves >= 60) throw new CoquantError('E_NO_CONVERGENCE', `D_BA: no slope found for rate ${rate} bits after ${solves} solves`);
    // Near the Shannon lower bound dRhi/dx ≈ 1/ln2 bits; the secant replaces that guess once there are two points.
    let slope = 1 / LN2;
    if (prev && cur.x !== prev.x && cur.p.Rhi !== prev.p.Rhi) slope = (cur.p.Rhi - prev.p.Rhi) / (cur.x - prev.x);
    // Aim a hair below the rate, so the step lands on the lo side.
    let x = cur.x + (rate - rateTol / 2 - cur.p.Rhi) / slope;
    if (lo && hi && !(x > lo.x && x < hi.x)) x = (lo.x + hi.x) / 2;
    if (!Number.isFinite(x)) x = (lo ?? hi ?? cur).x + (lo ? 0.5 : -0.5);
    prev = cur;
    cur = { x, p: solve(x) };
  }
  const pt = lo.p;
  const discreteLo = Math.max(0, pt.D - ((rate - pt.Rlo) * LN2) / -pt.s);
  return {
    rate,
    lambda,
    point: pt,
    D: pt.D,
    discrete: [discreteLo, pt.D],
    continuous: [Math.max(0, discreteLo - pt.grid.deltaX - pt.grid.deltaY), pt.D + pt.grid.deltaX],
    solves,
  };
}

/** D_BA(R) on a list of rates (each independent; for plots and tables). */
export function baCurve(rates: readonly number[], opts: BaRateOptions = {}): BaRatePoint[] {
  return rates.map((r) => baAtRate(r, opts));
}

/** Rates of the reference curve (Fig. 4's D_BA): fine at low rate, where the curves bend. */
export const BA_REFERENCE_RATES: readonly number[] = [0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7, 7.5, 8];

let reference: { resolution: number; rows: BaRatePoint[] } | undefined;

/**
 * D_BA at BA_REFERENCE_RATES for λ = 1 (divide every distortion by λ for another source), at
 * resolution 16; solved on first use (about 0.1 s) and kept for the process.
 */
export function baReferenceCurve(): { resolution: number; rows: readonly BaRatePoint[] } {
  if (!reference) {
    const resolution = 16;
    reference = { resolution, rows: baCurve(BA_REFERENCE_RATES, { resolution }).map((p) => ({ ...p, point: { ...p.point, q: new Float64Array(0) } })) };
  }
  return reference;
}
