/**
 * Exact multiple-choice knapsack for convex classes:
 *   minimise Σ_g v_g[k_g]  subject to  Σ_g w_g[k_g] ≤ cap,  one option k_g per group,
 * where within a group weights increase and values decrease convexly in the weight (each extra
 * unit of weight buys less). Our bit-width problem has this shape: v = w_g·2^(1−b) is convex in the
 * workload N_g·b, for any set of allowed bit-widths.
 *
 * Method (certified exact):
 * 1. Convexity makes each group a chain of increments with decreasing gain/weight slopes, so the LP
 *    relaxation is the greedy over all increments by slope; it gives a lower bound L and a dual
 *    price μ, and the greedy integer fill gives an incumbent U.
 * 2. Lagrangian reduction: for any integer solution, V ≥ L + (reduced costs it gives up), so an
 *    increment whose forced flip already costs more than U − L is fixed to its LP value.
 * 3. The few free increments left (the "core") are solved by depth-first branch and bound over the
 *    slope order with the greedy LP bound (Dantzig bound with chain precedence).
 * The result is exact when the search finishes (`exact: true`); if the node limit is hit, the best
 * plan found is returned with its certified lower bound.
 */

export interface MckpInput {
  /** values[g][k]: objective of option k of group g; strictly decreasing in k. */
  values: ArrayLike<number>[];
  /** weights[g][k]: strictly increasing in k. */
  weights: ArrayLike<number>[];
  cap: number;
  /** Branch-and-bound node limit (default 2e5). */
  nodeLimit?: number;
}

export interface MckpResult {
  feasible: boolean;
  /** Chosen option index per group (lowest options when infeasible). */
  choice: Int32Array;
  value: number;
  weight: number;
  /** Certified lower bound on the optimum (equals `value` up to rounding when exact). */
  lowerBound: number;
  exact: boolean;
  nodes: number;
  /** Groups left free after the reduction (branch-and-bound core size). */
  coreGroups: number;
}

const REL_TOL = 1e-12;

export function solveMckp(inp: MckpInput): MckpResult {
  const { values, weights, cap } = inp;
  const G = values.length;
  const nodeLimit = inp.nodeLimit ?? 200_000;
  let V0 = 0;
  let W0 = 0;
  let n = 0;
  for (let g = 0; g < G; g++) {
    V0 += values[g][0];
    W0 += weights[g][0];
    n += values[g].length - 1;
  }
  const choice = new Int32Array(G);
  if (!(W0 <= cap)) return { feasible: false, choice, value: V0, weight: W0, lowerBound: Infinity, exact: true, nodes: 0, coreGroups: 0 };

  // Increments (g, k→k+1) with their gain, extra weight and slope.
  const igrp = new Int32Array(n);
  const ik = new Int32Array(n);
  const gain = new Float64Array(n);
  const dw = new Float64Array(n);
  const slope = new Float64Array(n);
  let j = 0;
  for (let g = 0; g < G; g++) {
    const v = values[g];
    const w = weights[g];
    let prev = Infinity;
    for (let k = 0; k + 1 < v.length; k++, j++) {
      igrp[j] = g;
      ik[j] = k;
      gain[j] = v[k] - v[k + 1];
      dw[j] = w[k + 1] - w[k];
      slope[j] = gain[j] / dw[j];
      if (!(dw[j] > 0) || !(gain[j] > 0) || slope[j] >= prev) {
        throw new RangeError(`solveMckp: group ${g} is not convex-decreasing at option ${k}`);
      }
      prev = slope[j];
    }
  }
  const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => slope[b] - slope[a] || a - b);

  // Greedy LP relaxation: take increments by slope until the next one no longer fits.
  const rem0 = cap - W0;
  let rem = rem0;
  let lpGain = 0;
  let pos = 0;
  for (; pos < n; pos++) {
    const it = order[pos];
    if (dw[it] > rem) break;
    rem -= dw[it];
    lpGain += gain[it];
    choice[igrp[it]]++;
  }
  if (pos === n) {
    // Everything fits: every group at its top option, trivially optimal.
    return { feasible: true, choice, value: V0 - lpGain, weight: cap - rem, lowerBound: V0 - lpGain, exact: true, nodes: 0, coreGroups: 0 };
  }
  const breakItem = order[pos];
  const mu = slope[breakItem];
  const L = V0 - lpGain - (rem / dw[breakItem]) * gain[breakItem];
  const lpLevel = Int32Array.from(choice);

  // Greedy integer fill after the break, respecting the chain order within each group.
  const inc = Int32Array.from(choice);
  let incRem = rem;
  let incGain = lpGain;
  for (let q = pos; q < n; q++) {
    const it = order[q];
    const g = igrp[it];
    if (inc[g] === ik[it] && dw[it] <= incRem) {
      inc[g]++;
      incRem -= dw[it];
      incGain += gain[it];
    }
  }
  let U = V0 - incGain;
  const tol = REL_TOL * Math.max(Math.abs(V0), Math.abs(U), 1e-300);
  if (U - L <= tol) {
    return { feasible: true, choice: inc, value: U, weight: cap - incRem, lowerBound: L, exact: true, nodes: 0, coreGroups: 0 };
  }

  // Lagrangian reduction: fix each group's options to a window [lo_g, hi_g].
  const lo = new Int32Array(G);
  const hi = new Int32Array(G);
  const gap = U - L + tol;
  let off = 0;
  for (let g = 0; g < G; g++) {
    const K = values[g].length;
    const m = K - 1; // increments of this group are off .. off+m-1 (in k order)
    const lv = lpLevel[g];
    // Excluding the taken increment k (and the taken ones after it) costs Σ_{t=k}^{lv-1} r_t.
    let suffix = 0;
    let l = 0;
    for (let k = lv - 1; k >= 0; k--) {
      suffix += gain[off + k] - mu * dw[off + k];
      if (suffix > gap) {
        l = k + 1;
        break;
      }
    }
    // Including the untaken increment k (and those before it) costs Σ_{t=lv}^{k} (−r_t).
    let prefix = 0;
    let h = m;
    for (let k = lv; k < m; k++) {
      prefix += mu * dw[off + k] - gain[off + k];
      if (prefix > gap) {
        h = k;
        break;
      }
    }
    lo[g] = l;
    hi[g] = h;
    off += m;
  }

  // Core: the increments inside the windows, in slope order.
  let coreGroups = 0;
  let base = 0;
  let baseGain = 0;
  const inCore = new Uint8Array(G);
  for (let g = 0; g < G; g++) {
    if (hi[g] > lo[g]) {
      inCore[g] = 1;
      coreGroups++;
    }
  }
  for (let g = 0; g < G; g++) {
    base += weights[g][lo[g]];
    baseGain += values[g][0] - values[g][lo[g]];
  }
  const capCore = cap - base;
  const core: number[] = [];
  for (let q = 0; q < n; q++) {
    const it = order[q];
    const g = igrp[it];
    if (inCore[g] && ik[it] >= lo[g] && ik[it] < hi[g]) core.push(it);
  }
  const nc = core.length;
  const cg = new Int32Array(nc);
  const cgain = new Float64Array(nc);
  const cdw = new Float64Array(nc);
  for (let q = 0; q < nc; q++) {
    cg[q] = igrp[core[q]];
    cgain[q] = gain[core[q]];
    cdw[q] = dw[core[q]];
  }

  // Depth-first branch and bound maximising the core gain. An increment may be taken only if the
  // previous one of its group was (chain order = slope order); rejecting one blocks the group.
  const level = Int32Array.from(lo);
  const blocked = new Uint8Array(G);
  let bestGain = V0 - U - baseGain; // incumbent, expressed as core gain
  let bestLevel: Int32Array | null = null;
  let nodes = 0;
  let aborted = false;
  const pruneTol = tol;

  const lpBound = (from: number, r: number): number => {
    let s = 0;
    for (let q = from; q < nc; q++) {
      if (blocked[cg[q]]) continue;
      if (cdw[q] <= r) {
        r -= cdw[q];
        s += cgain[q];
      } else {
        return s + (r / cdw[q]) * cgain[q];
      }
    }
    return s;
  };

  const dfs = (from: number, r: number, got: number): void => {
    if (aborted) return;
    if (++nodes > nodeLimit) {
      aborted = true;
      return;
    }
    if (got > bestGain + pruneTol) {
      bestGain = got;
      bestLevel = Int32Array.from(level);
    }
    let q = from;
    while (q < nc && blocked[cg[q]]) q++;
    if (q >= nc) return;
    if (got + lpBound(q, r) <= bestGain + pruneTol) return;
    const g = cg[q];
    if (cdw[q] <= r) {
      level[g]++;
      dfs(q + 1, r - cdw[q], got + cgain[q]);
      level[g]--;
    }
    blocked[g] = 1;
    dfs(q + 1, r, got);
    blocked[g] = 0;
  };
  if (capCore >= 0) dfs(0, capCore, 0);

  let final: Int32Array = inc;
  if (bestLevel !== null) {
    final = bestLevel;
    U = V0 - baseGain - bestGain;
  }
  let value = 0;
  let weight = 0;
  for (let g = 0; g < G; g++) {
    value += values[g][final[g]];
    weight += weights[g][final[g]];
  }
  return { feasible: true, choice: final, value, weight, lowerBound: aborted ? L : value, exact: !aborted, nodes, coreGroups };
}
