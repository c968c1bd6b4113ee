/**
 * The paper's method, as a baseline: relax the bit-widths to real numbers and solve the joint
 * bit-width/clock problem by successive convex approximation (SCA), in variables (b, u = ln f).
 * The two non-convex constraints are replaced at the current point (b_k, u_k) by convex
 * restrictions (inner approximations), so every iterate stays feasible and D_U never increases:
 *   deadline  C(b) ≤ Tav·e^u        →  C(b) ≤ Tav·e^(u_k)·(1 + u − u_k)      (e^u ≥ its tangent)
 *   energy    ln C(b) + 2u ≤ ln(Eav/κ) →  ln C_k + (C(b) − C_k)/C_k + 2u ≤ ln(Eav/κ)  (ln is concave)
 * Each subproblem has a closed-form u (the crossing of an increasing and a decreasing line in u)
 * and a water-filling solution in b. The iterates converge to the relaxed optimum.
 */

export interface RelaxedInput {
  /** D_U coefficient per group: D_U = Σ coef_g 2^(−b_g). */
  coef: number[];
  params: number[];
  lo: number[];
  hi: number[];
  cyclesPerParamBit: number;
  kappa: number;
  fMin: number;
  fMax: number;
  Tav: number;
  Eav: number;
  maxIter?: number;
  /**
   * Another convex decreasing objective Σ_g value(g, b_g) instead of Σ coef_g 2^(−b_g) (the paper's
   * bound or the gap objective), with its derivative in b.
   */
  objective?: GroupObjective;
}

export interface GroupObjective {
  value(g: number, b: number): number;
  slope(g: number, b: number): number;
}

export interface RelaxedSolution {
  feasible: boolean;
  bits: number[];
  hz: number;
  DU: number;
  iterations: number;
}

/**
 * The shared frame of the water-fillings: with the budget Σ N b ≤ W binding, bisect on ln ν of
 * the KKT multiplier until Σ N_g b_g(ν) meets W (it decreases in ν). `bAt(g, lnNu)` is group g's
 * stationary, clamped bit-width. Null when even the lowest widths overflow W.
 */
function fillByMultiplier(N: number[], lo: number[], hi: number[], W: number, bAt: (g: number, lnNu: number) => number, lnRange: number, tol: number): number[] | null {
  const G = N.length;
  let wLo = 0;
  let wHi = 0;
  for (let g = 0; g < G; g++) {
    wLo += N[g] * lo[g];
    wHi += N[g] * hi[g];
  }
  if (wLo > W * (1 + 1e-12)) return null;
  if (wHi <= W) return hi.slice();
  const at = (lnNu: number, out: number[]): number => {
    let s = 0;
    for (let g = 0; g < G; g++) {
      out[g] = bAt(g, lnNu);
      s += N[g] * out[g];
    }
    return s;
  };
  const tmp = new Array<number>(G);
  let a = -lnRange;
  let c = lnRange;
  for (let it = 0; it < 200 && c - a > tol; it++) {
    const m = 0.5 * (a + c);
    if (at(m, tmp) > W) a = m;
    else c = m;
  }
  const out = new Array<number>(G);
  at(c, out);
  return out;
}

/** min Σ coef 2^(−b) s.t. Σ N b ≤ W, lo ≤ b ≤ hi, by bisection on the KKT multiplier. */
export function waterFill(coef: number[], N: number[], lo: number[], hi: number[], W: number): number[] | null {
  // Stationarity: coef·ln2·2^(−b) = ν·N  →  b = log2(coef·ln2 / (ν N)).
  const bAt = (g: number, lnNu: number) => Math.min(hi[g], Math.max(lo[g], (Math.log(coef[g] * Math.LN2 / N[g]) - lnNu) / Math.LN2));
  return fillByMultiplier(N, lo, hi, W, bAt, 800, 1e-13);
}

/**
 * min Σ_g v_g(b_g) s.t. Σ N b ≤ W, lo ≤ b ≤ hi for convex decreasing v_g: bisection on the KKT
 * multiplier ν (v_g'(b_g) = −ν N_g), each b_g(ν) by bisection on the increasing v_g'. With
 * v_g = coef_g 2^(−b) it is `waterFill`.
 */
export function waterFillConvex(obj: GroupObjective, N: number[], lo: number[], hi: number[], W: number): number[] | null {
  const bOf = (g: number, nu: number): number => {
    const target = -nu * N[g];
    if (obj.slope(g, lo[g]) >= target) return lo[g];
    if (obj.slope(g, hi[g]) <= target) return hi[g];
    let a = lo[g];
    let c = hi[g];
    for (let it = 0; it < 80 && c - a > 1e-13; it++) {
      const m = 0.5 * (a + c);
      if (obj.slope(g, m) < target) a = m;
      else c = m;
    }
    return 0.5 * (a + c);
  };
  return fillByMultiplier(N, lo, hi, W, (g, lnNu) => bOf(g, Math.exp(lnNu)), 700, 1e-12);
}

export function solveRelaxedSca(inp: RelaxedInput): RelaxedSolution {
  const { coef, params: N, lo, hi, cyclesPerParamBit: c, kappa, Tav, Eav } = inp;
  const maxIter = inp.maxIter ?? 100;
  const G = coef.length;
  const obj = inp.objective;
  const du = (b: number[]) => b.reduce((s, x, g) => s + (obj ? obj.value(g, x) : coef[g] * 2 ** -x), 0);
  let b = lo.slice();
  let C = c * b.reduce((s, x, g) => s + N[g] * x, 0);
  // Feasible start: lowest bits at the fastest clock the energy allows.
  const eCap = (Cc: number) => (kappa === 0 ? Infinity : Math.sqrt(Eav / (kappa * Cc)));
  let f = Math.min(inp.fMax, C > 0 ? eCap(C) : inp.fMax);
  if (G === 0 || Tav <= 0 || Eav < 0 || !(f >= inp.fMin) || !(f > 0) || C / f > Tav) {
    return { feasible: false, bits: b, hz: f, DU: du(b), iterations: 0 };
  }
  const uLo = inp.fMin > 0 ? Math.log(inp.fMin) : -Infinity;
  const uHi = Math.log(inp.fMax);
  const lnEk = kappa === 0 ? Infinity : Math.log(Eav / kappa);
  let it = 0;
  for (; it < maxIter; it++) {
    const uk = Math.log(f);
    const a = Tav * f;
    const D = (u: number) => a * (1 + u - uk);
    const A = 1 + lnEk - Math.log(C);
    const E = (u: number) => C * (A - 2 * u);
    let u = Number.isFinite(lnEk) ? (C * A - a * (1 - uk)) / (a + 2 * C) : uHi;
    u = Math.min(uHi, Math.max(uLo, u));
    const B = Math.min(D(u), Number.isFinite(lnEk) ? E(u) : Infinity);
    const nb = obj ? waterFillConvex(obj, N, lo, hi, B / c) : waterFill(coef, N, lo, hi, B / c);
    if (!nb) break; // cannot happen: the current point is feasible for the restriction
    const nC = c * nb.reduce((s, x, g) => s + N[g] * x, 0);
    const done = Math.abs(nC - C) <= 1e-13 * C && Math.abs(Math.exp(u) - f) <= 1e-13 * f;
    b = nb;
    C = nC;
    f = Math.exp(u);
    if (done) break;
  }
  return { feasible: true, bits: b, hz: f, DU: du(b), iterations: it + 1 };
}
