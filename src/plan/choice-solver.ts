/**
 * Exact multiple-choice knapsack for arbitrary option tables:
 *   minimise Σ_g v_g[k_g]  subject to  Σ_g w_g[k_g] ≤ cap  (and optionally Σ_g w2_g[k_g] ≤ cap2),
 * one option k_g per group. Unlike `mckp.ts`, options need not be sorted, convex or undominated:
 * a group may hold formats such as fp32 / fp16 / int8 / int4 whose latency is not monotone in bits.
 *
 * Method (certified exact):
 * 1. Per group, dominated options are dropped (no less weight on both resources and no lower value
 *    than another option; exact ties keep the lowest index).
 * 2. The LP relaxation over each group's lower convex hull in the (w, v) plane is the greedy over
 *    hull increments by slope; it gives a lower bound L and a dual price μ. With the second
 *    resource, its price μ2 is found by a safeguarded cutting-plane search on the concave dual
 *    function, and the hull is taken of (w, v + μ2·w2).
 * 3. An incumbent U from the rounded LP plus a greedy fill (and, from the LP with the break
 *    increment taken, a repair by cheapest weight release, then the fill again), improved by two
 *    heuristic DP passes that keep only the 8, then 64, states of lowest bound per class.
 * 4. Reduced-cost fixing: for any feasible plan, V ≥ L + Σ_g r_g(k_g) with the Lagrangian reduced
 *    costs r ≥ 0, so an option with r > T − L can never be in a plan of value ≤ T.
 * 5. The groups left with several options (the "core") are solved by a dynamic program on the
 *    Pareto frontier of (weight, [weight2,] value) states: dominated states are dropped, and so are
 *    states whose lightest completion breaks a cap or whose bound exceeds the target. The bounds
 *    are the Lagrangian one and the exact LP of the classes to come as a function of the remaining
 *    capacity (with two resources: over the w-hulls with w2 priced at μ2, and over the w2-hulls with
 *    w priced at μ1). Weights are reals; no grid is used.
 * The target T starts just above L and grows geometrically up to U: a pass that finds a plan of
 * value ≤ T is optimal (no state of an optimal plan was pruned), and a pass that finds none proves
 * OPT > T, which is the certified lower bound reported if the state limit stops the search. With
 * two resources, feasibility itself is decided by the search: `feasible: false, exact: true` is a
 * proof that no plan meets both caps, `feasible: false, exact: false` means the state limit was hit
 * before any plan was found. Caps are compared in floating point, as the sums are formed.
 */

export interface ChoiceProblem {
  /** values[g][k]: objective of option k of group g (finite real; lower is better). Options need not be sorted, convex or undominated. */
  values: ArrayLike<number>[];
  /** weights[g][k] >= 0: the first resource (e.g. seconds of latency). */
  weights: ArrayLike<number>[];
  cap: number;
  /** Optional second resource (e.g. weight bytes for a memory budget) with its cap. */
  weights2?: ArrayLike<number>[];
  cap2?: number;
  /** Limit on DP states / B&B nodes (default ~2e6); when hit the result is returned with exact:false and a certified lowerBound. */
  nodeLimit?: number;
}

export interface ChoiceResult {
  feasible: boolean;
  choice: Int32Array; // option index per group (into the caller's original option order)
  value: number;
  weight: number;
  weight2: number;
  lowerBound: number; // certified lower bound on the optimum (== value up to rounding when exact)
  exact: boolean; // certified optimal
  nodes: number;
  coreGroups: number; // groups left undecided after reductions
}

const DEFAULT_NODE_LIMIT = 2_000_000;
/** Relative slack on every pruning test: pruning less than allowed never costs exactness. */
const PRUNE_TOL = 1e-11;
/** Relative gap under which the incumbent is accepted as optimal without a search. */
const CLOSE_TOL = 1e-12;
/** States kept per class by the heuristic DP pass. */
const BEAMS = [8, 64];

/** Result of the LP relaxation (single resource, values v' = v + μ2·w2) at one price μ2. */
interface Lp {
  mu1: number;
  mu2: number;
  /** LP value minus μ2·cap2: a lower bound on the optimum. */
  L: number;
  /** v' per flat option. */
  vp: Float64Array;
  /** min_k v' + μ1·w over each group's options. */
  mg: Float64Array;
  /** Flat option of the LP's integer part per group (hull point below the break). */
  base: Int32Array;
  /** Break increment: group, and its far hull point; -1 if everything fits. */
  breakGroup: number;
  breakTo: number;
  /** Second-resource use of the fractional LP solution. */
  w2use: number;
}

export function solveChoice(p: ChoiceProblem): ChoiceResult {
  const { values, weights } = p;
  const G = values.length;
  const two = p.weights2 !== undefined;
  if (!Array.isArray(values) || !Array.isArray(weights) || weights.length !== G) {
    throw new Error(`solveChoice: values and weights must be arrays of the same length (got ${values.length} and ${weights.length})`);
  }
  if (two !== (p.cap2 !== undefined)) throw new Error('solveChoice: weights2 and cap2 must be given together');
  if (two && p.weights2!.length !== G) throw new Error(`solveChoice: weights2 has ${p.weights2!.length} groups, values has ${G}`);
  const cap1 = p.cap;
  const cap2 = two ? (p.cap2 as number) : Infinity;
  if (typeof cap1 !== 'number' || Number.isNaN(cap1)) throw new Error(`solveChoice: cap must be a number (got ${cap1})`);
  if (two && (typeof cap2 !== 'number' || Number.isNaN(cap2))) throw new Error(`solveChoice: cap2 must be a number (got ${cap2})`);
  const limit = p.nodeLimit ?? DEFAULT_NODE_LIMIT;

  // ---- 1. Validation and per-group dominance filter into flat arrays sorted by (w, v, w2, index).
  let N = 0;
  let Kmax = 0;
  for (let g = 0; g < G; g++) {
    const K = values[g].length;
    if (K === 0) throw new Error(`solveChoice: group ${g} has no options`);
    if (weights[g].length !== K) throw new Error(`solveChoice: group ${g} has ${K} values but ${weights[g].length} weights`);
    if (two && p.weights2![g].length !== K) throw new Error(`solveChoice: group ${g} has ${K} values but ${p.weights2![g].length} weights2`);
    for (let k = 0; k < K; k++) {
      const v = values[g][k];
      const w = weights[g][k];
      if (!Number.isFinite(v)) throw new Error(`solveChoice: values[${g}][${k}] = ${v} is not finite`);
      if (!(Number.isFinite(w) && w >= 0)) throw new Error(`solveChoice: weights[${g}][${k}] = ${w} must be finite and >= 0`);
      if (two) {
        const w2 = p.weights2![g][k];
        if (!(Number.isFinite(w2) && w2 >= 0)) throw new Error(`solveChoice: weights2[${g}][${k}] = ${w2} must be finite and >= 0`);
      }
    }
    N += K;
    if (K > Kmax) Kmax = K;
  }
  const off = new Int32Array(G + 1);
  const fv = new Float64Array(N);
  const fw = new Float64Array(N);
  const fw2 = new Float64Array(N);
  const forig = new Int32Array(N);
  {
    const ord = new Int32Array(Kmax);
    let n = 0;
    for (let g = 0; g < G; g++) {
      const v = values[g];
      const w = weights[g];
      const w2 = two ? p.weights2![g] : null;
      const K = v.length;
      // Insertion sort of the option indices by (w, v, w2, index): classes are small.
      for (let k = 0; k < K; k++) {
        let t = k;
        while (t > 0) {
          const a = ord[t - 1];
          const c = w[a] - w[k] || v[a] - v[k] || (w2 ? w2[a] - w2[k] : 0);
          if (c <= 0) break;
          ord[t] = a;
          t--;
        }
        ord[t] = k;
      }
      off[g] = n;
      let bestV = Infinity;
      for (let t = 0; t < K; t++) {
        const k = ord[t];
        if (!w2) {
          // Every earlier option is no heavier; one with no more value dominates (ties: lower index first).
          if (v[k] >= bestV) continue;
          bestV = v[k];
        } else {
          // Any dominator sorts earlier, and by transitivity a surviving one exists.
          let dom = false;
          for (let s = off[g]; s < n; s++) {
            if (fw2[s] <= w2[k] && fv[s] <= v[k]) {
              dom = true;
              break;
            }
          }
          if (dom) continue;
        }
        fv[n] = v[k];
        fw[n] = w[k];
        fw2[n] = w2 ? w2[k] : 0;
        forig[n] = k;
        n++;
      }
    }
    off[G] = n;
    N = n;
  }

  const result = (sel: Int32Array | null, feasible: boolean, lowerBound: number, exact: boolean, nodes: number, coreGroups: number): ChoiceResult => {
    const choice = new Int32Array(G);
    let value = 0;
    let weight = 0;
    let weight2 = 0;
    for (let g = 0; g < G; g++) {
      // Without a plan, report the lightest option (first in the flat order) of each group.
      const k = sel ? forig[sel[g]] : forig[off[g]];
      choice[g] = k;
      value += values[g][k];
      weight += weights[g][k];
      if (two) weight2 += p.weights2![g][k];
    }
    return { feasible, choice, value, weight, weight2, lowerBound: exact && feasible ? value : lowerBound, exact, nodes, coreGroups };
  };

  // ---- Trivial infeasibility: the lightest option of every group breaks a cap.
  let W1min = 0;
  let W2min = 0;
  let Vmax = 0; // any feasible plan has a value ≤ Σ max v
  let spanV = 0;
  let spanW1 = 0;
  let spanW2 = 0;
  for (let g = 0; g < G; g++) {
    W1min += fw[off[g]];
    spanW1 += fw[off[g + 1] - 1] - fw[off[g]];
    let m2 = Infinity;
    let x2 = -Infinity;
    let mv = Infinity;
    let xv = -Infinity;
    for (let k = off[g]; k < off[g + 1]; k++) {
      m2 = Math.min(m2, fw2[k]);
      x2 = Math.max(x2, fw2[k]);
      mv = Math.min(mv, fv[k]);
      xv = Math.max(xv, fv[k]);
    }
    W2min += m2;
    spanW2 += x2 - m2;
    Vmax += xv;
    spanV += xv - mv;
  }
  if (!(W1min <= cap1) || !(W2min <= cap2)) return result(null, false, Infinity, true, 0, 0);

  // ---- 2. LP relaxation over the hulls, greedy by slope.
  const hullBuf = new Int32Array(Kmax);
  /**
   * Lower convex hull of the listed options (sorted by wt) in the (wt, vals) plane, from the lightest
   * up to the lowest value. Returns the count in hullBuf.
   */
  const hullOf = (list: Int32Array, from: number, to: number, vals: Float64Array, wt: Float64Array = fw): number => {
    let last = from;
    for (let t = from + 1; t < to; t++) if (vals[list[t]] < vals[list[last]]) last = t;
    let h = 0;
    for (let t = from; t <= last; t++) {
      const c = list[t];
      if (h > 0 && wt[hullBuf[h - 1]] === wt[c]) {
        if (vals[c] >= vals[hullBuf[h - 1]]) continue;
        h--;
      }
      while (h >= 2) {
        const a = hullBuf[h - 2];
        const b = hullBuf[h - 1];
        const cross = (wt[b] - wt[a]) * (vals[c] - vals[a]) - (vals[b] - vals[a]) * (wt[c] - wt[a]);
        if (cross > 0) break;
        h--;
      }
      hullBuf[h++] = c;
    }
    return h;
  };
  const allList = new Int32Array(N);
  for (let k = 0; k < N; k++) allList[k] = k;
  const incFrom = new Int32Array(N);
  const incTo = new Int32Array(N);
  const incGroup = new Int32Array(N);
  const incSlope = new Float64Array(N);
  const incOrder: number[] = [];

  const solveLp = (mu2: number): Lp => {
    const vp = new Float64Array(N);
    for (let k = 0; k < N; k++) vp[k] = mu2 === 0 ? fv[k] : fv[k] + mu2 * fw2[k];
    const base = new Int32Array(G);
    let nInc = 0;
    let rem = cap1;
    let Vlp = 0;
    for (let g = 0; g < G; g++) {
      const h = hullOf(allList, off[g], off[g + 1], vp);
      base[g] = hullBuf[0];
      rem -= fw[hullBuf[0]];
      Vlp += vp[hullBuf[0]];
      for (let t = 0; t + 1 < h; t++, nInc++) {
        incFrom[nInc] = hullBuf[t];
        incTo[nInc] = hullBuf[t + 1];
        incGroup[nInc] = g;
        incSlope[nInc] = (vp[hullBuf[t]] - vp[hullBuf[t + 1]]) / (fw[hullBuf[t + 1]] - fw[hullBuf[t]]);
      }
    }
    incOrder.length = nInc;
    for (let i = 0; i < nInc; i++) incOrder[i] = i;
    // Within a group the hull slopes decrease, and index order breaks ties, so the greedy takes
    // each group's increments in hull order.
    incOrder.sort((a, b) => incSlope[b] - incSlope[a] || a - b);
    let breakGroup = -1;
    let breakTo = -1;
    let mu1 = 0;
    let frac = 0;
    for (let t = 0; t < nInc; t++) {
      const it = incOrder[t];
      const dw = fw[incTo[it]] - fw[incFrom[it]];
      if (dw > rem) {
        breakGroup = incGroup[it];
        breakTo = incTo[it];
        mu1 = incSlope[it];
        frac = rem / dw;
        Vlp -= frac * (vp[incFrom[it]] - vp[incTo[it]]);
        break;
      }
      rem -= dw;
      Vlp -= vp[incFrom[it]] - vp[incTo[it]];
      base[incGroup[it]] = incTo[it];
    }
    const mg = new Float64Array(G);
    let w2use = 0;
    for (let g = 0; g < G; g++) {
      let m = Infinity;
      for (let k = off[g]; k < off[g + 1]; k++) {
        const r = vp[k] + mu1 * fw[k];
        if (r < m) m = r;
      }
      mg[g] = m;
      w2use += fw2[base[g]];
    }
    if (breakGroup >= 0) w2use += frac * (fw2[breakTo] - fw2[base[breakGroup]]);
    const L = mu2 === 0 ? Vlp : Vlp - mu2 * cap2;
    return { mu1, mu2, L, vp, mg, base, breakGroup, breakTo, w2use };
  };

  let lp = solveLp(0);
  let lpFeasibleSide: Lp | null = null; // an LP whose fractional solution also meets cap2
  if (two && lp.w2use > cap2) {
    // Maximise the concave dual φ(μ2) = LP(μ2) − μ2·cap2, whose slope at μ2 is w2use − cap2.
    let lo = lp;
    let hi: Lp | null = null;
    let mu = spanW2 > 0 ? Math.max(spanV, 1e-300) / spanW2 : 1;
    for (let it = 0; it < 60; it++, mu *= 4) {
      const e = solveLp(mu);
      if (e.L > lp.L) lp = e;
      if (e.w2use <= cap2) {
        hi = e;
        break;
      }
      lo = e;
    }
    if (hi === null) {
      // The LP minimising w2 alone under cap: if even it exceeds cap2, no plan meets both caps.
      const vpSave = fv.slice();
      fv.set(fw2);
      const e = solveLp(0);
      fv.set(vpSave);
      if (e.L > cap2 + 1e-12 * Math.max(spanW2, W2min, Math.abs(cap2))) return result(null, false, Infinity, true, 0, 0);
    } else {
      lpFeasibleSide = hi;
      for (let it = 0; it < 60 && hi.mu2 - lo.mu2 > 1e-13 * hi.mu2; it++) {
        // The maximum of φ lies in [lo, hi] and below the meeting point of the tangents there; cut
        // at that point, or bisect when it is too close to an end.
        const gl = lo.w2use - cap2;
        const gh = hi.w2use - cap2;
        const meet = (hi.L - lo.L + gl * lo.mu2 - gh * hi.mu2) / (gl - gh);
        const peak = lo.L + gl * (meet - lo.mu2);
        if (lp.L >= peak - 1e-12 * Math.max(Math.abs(peak), 1e-300)) break; // the best price found is optimal
        const width = hi.mu2 - lo.mu2;
        const m = meet > lo.mu2 + 1e-3 * width && meet < hi.mu2 - 1e-3 * width ? meet : 0.5 * (lo.mu2 + hi.mu2);
        const e = solveLp(m);
        if (e.L > lp.L) lp = e;
        if (e.w2use > cap2) lo = e;
        else {
          hi = e;
          lpFeasibleSide = e;
        }
      }
    }
  }
  const { mu1, mu2, vp, mg } = lp;
  const L = lp.L;
  const priced = (k: number) => vp[k] + mu1 * fw[k];
  let M = Math.abs(mu1 * (Number.isFinite(cap1) ? cap1 : 0)) + Math.abs(mu2 * (Number.isFinite(cap2) ? cap2 : 0));
  for (let g = 0; g < G; g++) {
    let a = 0;
    for (let k = off[g]; k < off[g + 1]; k++) a = Math.max(a, Math.abs(fv[k]), Math.abs(priced(k)));
    M += a;
  }
  const tol = PRUNE_TOL * Math.max(M, 1e-300);

  // ---- 3. Incumbent: rounded LP, repaired if it breaks cap2, filled greedily.
  // (The incumbent lives in an object: closures below update it.)
  const best: { sel: Int32Array | null; U: number } = { sel: null, U: Infinity };
  // Weights are normalised by their spans, so excesses on the two resources are comparable.
  const nW1 = Math.max(spanW1, 1e-300);
  const nW2 = Math.max(spanW2, 1e-300);
  const excess = (a: number, b: number) => Math.max(0, a - cap1) / nW1 + Math.max(0, b - cap2) / nW2;
  const sums = (sel: Int32Array) => {
    let v = 0;
    let a = 0;
    let b = 0;
    for (let g = 0; g < G; g++) {
      v += fv[sel[g]];
      a += fw[sel[g]];
      b += fw2[sel[g]];
    }
    return { v, a, b };
  };
  /** Cheapest release of the excess weight, one option switch at a time. */
  const repair = (sel: Int32Array): boolean => {
    let { a, b } = sums(sel);
    for (let step = 0; step <= N; step++) {
      if (a <= cap1 && b <= cap2) return true;
      const e = excess(a, b);
      let pick = -1;
      let bestKey = Infinity;
      for (let g = 0; g < G; g++) {
        const s = sel[g];
        for (let k = off[g]; k < off[g + 1]; k++) {
          if (k === s) continue;
          const de = e - excess(a - fw[s] + fw[k], b - fw2[s] + fw2[k]);
          if (!(de > 0)) continue;
          const key = (fv[k] - fv[s]) / de;
          if (key < bestKey) {
            bestKey = key;
            pick = k;
          }
        }
      }
      if (pick < 0) return false;
      let g = 0;
      while (off[g + 1] <= pick) g++;
      a += fw[pick] - fw[sel[g]];
      b += fw2[pick] - fw2[sel[g]];
      sel[g] = pick;
    }
    return false;
  };
  /** Greedy fill: in each round every group's best improving switch that fits, by value gained per priced weight. */
  const candG: number[] = [];
  const candK = new Int32Array(G);
  const candKey = new Float64Array(G);
  const candGain = new Float64Array(G);
  const fill = (sel: Int32Array) => {
    let { a, b } = sums(sel);
    for (let round = 0; round < 4; round++) {
      candG.length = 0;
      for (let g = 0; g < G; g++) {
        const s = sel[g];
        let bk = -1;
        let bKey = -Infinity;
        let bGain = 0;
        for (let k = off[g]; k < off[g + 1]; k++) {
          const gain = fv[s] - fv[k];
          if (!(gain > 0)) continue;
          if (a - fw[s] + fw[k] > cap1 || b - fw2[s] + fw2[k] > cap2) continue;
          const price = mu1 * (fw[k] - fw[s]) + mu2 * (fw2[k] - fw2[s]);
          const key = price > 0 ? gain / price : Infinity;
          if (key > bKey || (key === bKey && gain > bGain)) {
            bKey = key;
            bGain = gain;
            bk = k;
          }
        }
        if (bk >= 0) {
          candG.push(g);
          candK[g] = bk;
          candKey[g] = bKey;
          candGain[g] = bGain;
        }
      }
      if (candG.length === 0) return;
      candG.sort((x, y) => candKey[y] - candKey[x] || candGain[y] - candGain[x] || x - y);
      let moved = false;
      for (const g of candG) {
        const s = sel[g];
        const k = candK[g];
        const na = a - fw[s] + fw[k];
        const nb = b - fw2[s] + fw2[k];
        if (na > cap1 || nb > cap2) continue;
        sel[g] = k;
        a = na;
        b = nb;
        moved = true;
      }
      if (!moved) return;
    }
  };
  const offer = (sel: Int32Array) => {
    const s = sums(sel);
    if (s.a <= cap1 && s.b <= cap2 && s.v < best.U) {
      best.U = s.v;
      best.sel = Int32Array.from(sel);
    }
  };
  const tryStart = (src: Lp, withBreak: boolean) => {
    const sel = Int32Array.from(src.base);
    if (withBreak) {
      if (src.breakGroup < 0) return;
      sel[src.breakGroup] = src.breakTo;
    }
    if (!repair(sel)) return;
    fill(sel);
    offer(sel);
  };
  tryStart(lp, false);
  tryStart(lp, true);
  if (lpFeasibleSide && lpFeasibleSide !== lp) {
    tryStart(lpFeasibleSide, false);
    tryStart(lpFeasibleSide, true);
  }
  let inc = best.sel;
  let U = best.U;
  if (inc !== null && U - L <= CLOSE_TOL * Math.max(Math.abs(U), Math.abs(L))) return result(inc, true, L, true, 0, 0);

  // ---- 4/5. Reduced-cost fixing and the frontier DP, with a growing target. A first DP pass that
  // keeps only a few states per class is a cheap heuristic for a better incumbent.
  let states = 0;
  for (const beam of BEAMS) {
    const h = corePass(Math.min(U, Vmax), limit, beam);
    states += h.states;
    if (h.sel) {
      const s = sums(h.sel);
      if (s.v < U && s.a <= cap1 && s.b <= cap2) {
        U = s.v;
        inc = h.sel;
      }
    }
    if (inc !== null && U - L <= CLOSE_TOL * Math.max(Math.abs(U), Math.abs(L))) return result(inc, true, L, true, states, 0);
  }
  const Ttop = Math.min(U, Vmax);
  const fullGap = Math.max(Ttop - L, 0);
  let coreGroups = 0;
  let lowerBound = L;
  for (let gap = Math.min(fullGap, Math.max(fullGap / 64, tol)); ; gap = Math.min(fullGap, gap * 8)) {
    const last = gap >= fullGap;
    const T = last ? Ttop : L + gap;
    const pass = corePass(T, limit - states);
    states += pass.states;
    coreGroups = pass.coreGroups;
    if (pass.aborted) return result(inc, inc !== null, lowerBound, false, states, coreGroups);
    if (pass.sel) {
      const s = sums(pass.sel);
      if (s.v <= T || last) {
        // Optimal: every state of an optimal plan had a bound ≤ OPT ≤ T and was kept.
        if (inc === null || s.v <= U) return result(pass.sel, true, s.v, true, states, coreGroups);
        return result(inc, true, U, true, states, coreGroups);
      }
      if (s.v < U && s.a <= cap1 && s.b <= cap2) {
        U = s.v;
        inc = pass.sel;
      }
    }
    // A last pass that keeps no state proves that no feasible plan exists (when there is no incumbent).
    if (last) return inc ? result(inc, true, U, true, states, coreGroups) : result(null, false, Infinity, true, states, coreGroups);
    lowerBound = Math.max(lowerBound, T); // no plan of value ≤ T exists
  }

  /** Fixing under target T, then the frontier DP; `sel` is the best plan kept (flat options), or null. */
  function corePass(T: number, budget: number, beam = 0): { sel: Int32Array | null; states: number; coreGroups: number; aborted: boolean } {
    const gapT = T - L + tol;
    const aList = new Int32Array(N);
    const aOff = new Int32Array(G + 1);
    const fixed = new Int32Array(G).fill(-1);
    const core: number[] = [];
    let n = 0;
    let Vfix = 0;
    let Wfix1 = 0;
    let Wfix2 = 0;
    for (let g = 0; g < G; g++) {
      aOff[g] = n;
      for (let k = off[g]; k < off[g + 1]; k++) if (priced(k) - mg[g] <= gapT) aList[n++] = k;
      if (n === aOff[g]) {
        // Rounding only: keep the Lagrangian minimiser.
        let arg = off[g];
        for (let k = off[g]; k < off[g + 1]; k++) if (priced(k) < priced(arg)) arg = k;
        aList[n++] = arg;
      }
      if (n - aOff[g] === 1) {
        const k = aList[aOff[g]];
        fixed[g] = k;
        Vfix += fv[k];
        Wfix1 += fw[k];
        Wfix2 += fw2[k];
      } else core.push(g);
    }
    aOff[G] = n;
    const nCore = core.length;
    const capC1 = cap1 - Wfix1;
    const capC2 = cap2 - Wfix2;
    const minW2 = (g: number) => {
      let m = Infinity;
      for (let t = aOff[g]; t < aOff[g + 1]; t++) m = Math.min(m, fw2[aList[t]]);
      return m;
    };
    const spanOf = (g: number) => {
      let a = -Infinity;
      let b = -Infinity;
      for (let t = aOff[g]; t < aOff[g + 1]; t++) {
        a = Math.max(a, fw[aList[t]]);
        b = Math.max(b, fw2[aList[t]]);
      }
      return (a - fw[aList[aOff[g]]]) / nW1 + (two ? (b - minW2(g)) / nW2 : 0);
    };
    // Widest weight spans first: they shape the frontier most; small classes then fill the gaps.
    const span = new Float64Array(G);
    for (const g of core) span[g] = spanOf(g);
    core.sort((a, b) => span[b] - span[a] || a - b);

    // Suffix data for the bounds of the classes still to come.
    const mSuf = new Float64Array(nCore + 1);
    const w1Suf = new Float64Array(nCore + 1);
    const w2Suf = new Float64Array(nCore + 1);
    for (let i = nCore - 1; i >= 0; i--) {
      const g = core[i];
      mSuf[i] = mSuf[i + 1] + mg[g];
      w1Suf[i] = w1Suf[i + 1] + fw[aList[aOff[g]]];
      w2Suf[i] = w2Suf[i + 1] + minW2(g);
    }
    /**
     * Exact LP bound of a suffix of classes as a function of its capacity c on resource `wt`, with
     * the other resource priced at λ (vals = v + λ·w_other): rest ≥ LP(vals; c) − λ·c_other. The
     * hull increments of all core classes are sorted by slope once; `prepare(i)` keeps those of
     * classes i.. with their cumulative weight and gain (a piecewise-linear function of c).
     */
    const suffixTable = (wt: Float64Array, list: Int32Array, vals: Float64Array) => {
      const lo = new Float64Array(nCore + 1);
      const vLo = new Float64Array(nCore + 1);
      const dW: number[] = [];
      const dG: number[] = [];
      const slope: number[] = [];
      const pos: number[] = [];
      for (let i = nCore - 1; i >= 0; i--) {
        const g = core[i];
        const h = hullOf(list, aOff[g], aOff[g + 1], vals, wt);
        lo[i] = lo[i + 1] + wt[hullBuf[0]];
        vLo[i] = vLo[i + 1] + vals[hullBuf[0]];
        for (let t = 0; t + 1 < h; t++) {
          const dw = wt[hullBuf[t + 1]] - wt[hullBuf[t]];
          const gain = vals[hullBuf[t]] - vals[hullBuf[t + 1]];
          dW.push(dw);
          dG.push(gain);
          slope.push(gain / dw);
          pos.push(i);
        }
      }
      const n = dW.length;
      // Slope order, ties by insertion order (a class's increments are inserted in hull order).
      const order = Array.from({ length: n }, (_, t) => t).sort((x, y) => slope[y] - slope[x] || x - y);
      const oW = new Float64Array(n);
      const oG = new Float64Array(n);
      const oP = new Int32Array(n);
      for (let t = 0; t < n; t++) {
        oW[t] = dW[order[t]];
        oG[t] = dG[order[t]];
        oP[t] = pos[order[t]];
      }
      const cw = new Float64Array(n + 1);
      const cg = new Float64Array(n + 1);
      let top = 0;
      let cur = -1;
      return {
        prepare(i: number) {
          if (i === cur) return;
          cur = i;
          top = 0;
          for (let t = 0; t < n; t++) {
            if (oP[t] < i) continue;
            cw[top + 1] = cw[top] + oW[t];
            cg[top + 1] = cg[top] + oG[t];
            top++;
          }
        },
        /** LP minimum over the prepared classes with capacity c (c ≥ their lightest weight). */
        at(c: number): number {
          const r = c - lo[cur];
          if (r >= cw[top]) return vLo[cur] - cg[top];
          let a = 0;
          let b = top; // cw[a] ≤ r < cw[b]
          while (b - a > 1) {
            const mid = (a + b) >> 1;
            if (cw[mid] <= r) a = mid;
            else b = mid;
          }
          return vLo[cur] - cg[a] - ((r - cw[a]) / (cw[b] - cw[a])) * (cg[b] - cg[a]);
        },
      };
    };
    const lpSuffix = suffixTable(fw, aList, vp);
    // With two resources, the same bound with the roles swapped (hulls over w2, the first resource
    // priced at μ1): states short of one resource or the other are cut by one of the two.
    let lpSuffix2: ReturnType<typeof suffixTable> | null = null;
    if (two) {
      const list2 = aList.slice();
      for (let g = 0; g < G; g++) {
        for (let t = aOff[g] + 1; t < aOff[g + 1]; t++) {
          const x = list2[t];
          let u = t;
          while (u > aOff[g] && (fw2[list2[u - 1]] > fw2[x] || (fw2[list2[u - 1]] === fw2[x] && fw[list2[u - 1]] > fw[x]))) {
            list2[u] = list2[u - 1];
            u--;
          }
          list2[u] = x;
        }
      }
      const vals2 = new Float64Array(N);
      for (let k = 0; k < N; k++) vals2[k] = mu1 === 0 ? fv[k] : fv[k] + mu1 * fw[k];
      lpSuffix2 = suffixTable(fw2, list2, vals2);
    }

    // Frontier DP. A state (W1, W2, V) over the core classes done so far is dropped when another has
    // no more of either weight and no more value, when the lightest completion breaks a cap, or when
    // V + (bound of the rest) exceeds the target: the Lagrangian bound M − μ1·c1 − μ2·c2, then the
    // LP bound over the hulls with the second resource priced at μ2.
    const Tr = T - Vfix + tol;
    let SW = new Float64Array(64);
    let SW2 = new Float64Array(64);
    let SV = new Float64Array(64);
    let len = 1;
    let cw = new Float64Array(256);
    let cw2 = new Float64Array(256);
    let cv = new Float64Array(256);
    let cp = new Int32Array(256);
    let ck = new Int32Array(256);
    let fen = new Float64Array(256);
    let cb = new Float64Array(256);
    let SB = new Float64Array(64);
    const parents: Int32Array[] = [];
    const picks: Int32Array[] = [];
    let count = 0;
    const segStart = new Int32Array(Kmax + 1);
    const head = new Int32Array(Kmax);
    for (let i = 0; i < nCore; i++) {
      const g = core[i];
      const a0 = aOff[g];
      const K = aOff[g + 1] - a0;
      const n0 = len;
      if (n0 * K > cw.length) {
        const size = 2 * n0 * K;
        cw = new Float64Array(size);
        cw2 = new Float64Array(size);
        cv = new Float64Array(size);
        cp = new Int32Array(size);
        ck = new Int32Array(size);
        cb = new Float64Array(size);
      }
      const rest = mSuf[i + 1];
      lpSuffix.prepare(i + 1);
      if (lpSuffix2 !== null) lpSuffix2.prepare(i + 1);
      const restW1 = w1Suf[i + 1];
      const restW2 = w2Suf[i + 1];
      let m = 0;
      for (let q = 0; q < K; q++) {
        segStart[q] = m;
        const k = aList[a0 + q];
        const wk = fw[k];
        const w2k = fw2[k];
        const vk = fv[k];
        for (let s = 0; s < n0; s++) {
          const w = SW[s] + wk;
          if (w + restW1 > capC1) break; // the frontier is sorted by W1
          const w2 = SW2[s] + w2k;
          if (w2 + restW2 > capC2) continue;
          const v = SV[s] + vk;
          const c1 = capC1 - w;
          const slack = (mu1 === 0 ? 0 : mu1 * c1) + (mu2 === 0 ? 0 : mu2 * (capC2 - w2));
          let bound = v + rest - slack;
          if (bound > Tr) continue;
          const b1 = v + lpSuffix.at(c1) - (mu2 === 0 ? 0 : mu2 * (capC2 - w2));
          if (b1 > Tr) continue;
          if (b1 > bound) bound = b1;
          if (lpSuffix2 !== null) {
            const b2 = v + lpSuffix2.at(capC2 - w2) - (mu1 === 0 ? 0 : mu1 * c1);
            if (b2 > Tr) continue;
            if (b2 > bound) bound = b2;
          }
          cb[m] = bound;
          cw[m] = w;
          cw2[m] = w2;
          cv[m] = v;
          cp[m] = s;
          ck[m] = k;
          m++;
        }
      }
      segStart[K] = m;
      if (m > SW.length) {
        SW = new Float64Array(2 * m);
        SW2 = new Float64Array(2 * m);
        SV = new Float64Array(2 * m);
        SB = new Float64Array(2 * m);
      }
      // Second-resource ranks for the dominance test (prefix minima of V over W2 in a Fenwick tree).
      let uniq: Float64Array | null = null;
      if (two) {
        uniq = cw2.slice(0, m).sort();
        let u = 0;
        for (let t = 0; t < m; t++) if (t === 0 || uniq[t] !== uniq[u - 1]) uniq[u++] = uniq[t];
        uniq = uniq.subarray(0, u);
        if (fen.length < u + 1) fen = new Float64Array(2 * u + 2);
        fen.fill(Infinity, 0, u + 1);
      }
      // Each option's candidates are sorted by W1 already: a K-way merge (then W2, then V) followed
      // by the dominance filter keeps the frontier sorted by W1.
      for (let q = 0; q < K; q++) head[q] = segStart[q];
      const np = new Int32Array(m);
      const nk = new Int32Array(m);
      let nl = 0;
      let bestV = Infinity;
      for (;;) {
        let t = -1;
        let hq = -1;
        for (let q = 0; q < K; q++) {
          const h = head[q];
          if (h >= segStart[q + 1]) continue;
          if (t < 0 || cw[h] < cw[t] || (cw[h] === cw[t] && (cw2[h] < cw2[t] || (cw2[h] === cw2[t] && cv[h] < cv[t])))) {
            t = h;
            hq = q;
          }
        }
        if (t < 0) break;
        head[hq]++;
        const v = cv[t];
        if (uniq === null) {
          if (v >= bestV) continue; // a state no heavier has no more value
          bestV = v;
        } else {
          // A state processed earlier is no heavier on W1; look for one no heavier on W2 with no more value.
          let lo = 0;
          let hi = uniq.length - 1;
          const x = cw2[t];
          while (lo < hi) {
            const mid = (lo + hi) >> 1;
            if (uniq[mid] < x) lo = mid + 1;
            else hi = mid;
          }
          let pm = Infinity;
          for (let r = lo + 1; r > 0; r -= r & -r) if (fen[r] < pm) pm = fen[r];
          if (pm <= v) continue;
          for (let r = lo + 1; r <= uniq.length; r += r & -r) if (v < fen[r]) fen[r] = v;
        }
        // Safe in place: every candidate already read its parent before this merge.
        SW[nl] = cw[t];
        SW2[nl] = cw2[t];
        SV[nl] = v;
        SB[nl] = cb[t];
        np[nl] = cp[t];
        nk[nl] = ck[t];
        nl++;
      }
      if (beam > 0 && nl > beam) {
        // Heuristic pass: keep the `beam` states of lowest bound, in frontier order.
        const cut = SB.slice(0, nl).sort()[beam - 1];
        let j = 0;
        for (let t = 0; t < nl && j < beam; t++) {
          if (SB[t] > cut) continue;
          SW[j] = SW[t];
          SW2[j] = SW2[t];
          SV[j] = SV[t];
          np[j] = np[t];
          nk[j] = nk[t];
          j++;
        }
        nl = j;
      }
      count += nl;
      if (count > budget) return { sel: null, states: count, coreGroups: nCore, aborted: true };
      if (nl === 0) return { sel: null, states: count, coreGroups: nCore, aborted: false };
      len = nl;
      parents.push(np.slice(0, nl));
      picks.push(nk.slice(0, nl));
    }
    if (!(Wfix1 <= cap1 && Wfix2 <= cap2) && nCore === 0) return { sel: null, states: count, coreGroups: 0, aborted: false };
    let s = 0;
    for (let t = 1; t < len; t++) if (SV[t] < SV[s]) s = t;
    if (nCore === 0 && !(Vfix <= Tr)) return { sel: null, states: count, coreGroups: 0, aborted: false };
    const sel = Int32Array.from(fixed);
    for (let i = nCore - 1; i >= 0; i--) {
      sel[core[i]] = picks[i][s];
      s = parents[i][s];
    }
    return { sel, states: count, coreGroups: nCore, aborted: false };
  }
}
