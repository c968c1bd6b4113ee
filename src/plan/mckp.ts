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
 * 3. The groups left with more than one option (the "core") are solved by dynamic programming on
 *    the Pareto frontier of (weight, value) states, dropping dominated states and states whose
 *    Lagrangian bound exceeds the incumbent. Weights need not be integers, and no grid is used.
 * The result is exact when the DP finishes (`exact: true`); if the state limit is hit, the greedy
 * plan is returned with its certified lower bound (the LP value).
 */

export interface MckpInput {
  /** values[g][k]: objective of option k of group g; strictly decreasing in k. */
  values: ArrayLike<number>[];
  /** weights[g][k]: strictly increasing in k. */
  weights: ArrayLike<number>[];
  cap: number;
  /** Limit on the total number of DP states kept (default 2e6). */
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
  /** Groups left free after the reduction (DP core size). `nodes` counts the DP states kept. */
  coreGroups: number;
}

const REL_TOL = 1e-12;

export function solveMckp(inp: MckpInput): MckpResult {
  const { values, weights, cap } = inp;
  const G = values.length;
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
  const groupOff = new Int32Array(G);
  const ik = new Int32Array(n);
  const gain = new Float64Array(n);
  const dw = new Float64Array(n);
  const slope = new Float64Array(n);
  let j = 0;
  for (let g = 0; g < G; g++) {
    const v = values[g];
    const w = weights[g];
    groupOff[g] = j;
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
  // Greedy LP relaxation without a full sort: a weighted quickselect on slopes finds the set of
  // increments taken whole (the steepest ones that fit) and the break increment, in expected O(n).
  const rem0 = cap - W0;
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  let rem = rem0;
  let lpGain = 0;
  let breakItem = -1;
  {
    let lo = 0;
    let hi = n; // unresolved items are idx[lo..hi)
    let seed = 0x9e3779b9;
    while (lo < hi) {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      const pv = slope[idx[lo + (seed % (hi - lo))]];
      // Three-way partition: [lo, a) slope > pv, [a, b) slope == pv, [b, hi) slope < pv.
      let a = lo;
      let b = lo;
      let c = hi;
      while (b < c) {
        const it = idx[b];
        if (slope[it] > pv) {
          idx[b] = idx[a];
          idx[a] = it;
          a++;
          b++;
        } else if (slope[it] < pv) {
          c--;
          idx[b] = idx[c];
          idx[c] = it;
        } else b++;
      }
      let wA = 0;
      for (let t = lo; t < a; t++) wA += dw[idx[t]];
      if (wA > rem) {
        hi = a;
        continue;
      }
      for (let t = lo; t < a; t++) {
        rem -= dw[idx[t]];
        lpGain += gain[idx[t]];
        choice[igrp[idx[t]]]++;
      }
      // Equal slopes (different groups only): take them in index order until one does not fit.
      idx.subarray(a, b).sort();
      let t = a;
      for (; t < b; t++) {
        const it = idx[t];
        if (dw[it] > rem) break;
        rem -= dw[it];
        lpGain += gain[it];
        choice[igrp[it]]++;
      }
      if (t < b) {
        breakItem = idx[t];
        break;
      }
      lo = b;
    }
    if (breakItem < 0 && lo < n && lo === hi) {
      // The steepest remaining item (the first of the range below) did not fit: it is the break.
      let best = -1;
      for (let t = lo; t < n; t++) if (best < 0 || slope[idx[t]] > slope[best] || (slope[idx[t]] === slope[best] && idx[t] < best)) best = idx[t];
      breakItem = best;
    }
  }
  if (breakItem < 0) {
    // Everything fits: every group at its top option, trivially optimal.
    return { feasible: true, choice, value: V0 - lpGain, weight: cap - rem, lowerBound: V0 - lpGain, exact: true, nodes: 0, coreGroups: 0 };
  }
  const mu = slope[breakItem];
  const L = V0 - lpGain - (rem / dw[breakItem]) * gain[breakItem];
  const lpLevel = Int32Array.from(choice);

  // Heuristic incumbents (any feasible plan will do; a good one shrinks the search):
  // (a) the LP's whole increments plus a greedy fill with each group's next increment;
  // (b) the LP plus the break increment, made to fit by dropping the flattest taken increments,
  //     then filled again. The better of the two is kept.
  const fill = (lev: Int32Array, r: number, got: number): [number, number] => {
    for (let round = 0; round < 3; round++) {
      const cand: number[] = [];
      for (let g = 0; g < G; g++) {
        const it = groupOff[g] + lev[g];
        if (lev[g] < values[g].length - 1 && dw[it] <= r) cand.push(it);
      }
      if (cand.length === 0) break;
      cand.sort((x, y) => slope[y] - slope[x] || x - y);
      for (const it of cand) {
        const g = igrp[it];
        if (groupOff[g] + lev[g] === it && dw[it] <= r) {
          lev[g]++;
          r -= dw[it];
          got += gain[it];
        }
      }
    }
    return [r, got];
  };
  let inc = Int32Array.from(choice);
  let [incRem, incGain] = fill(inc, rem, lpGain);
  {
    const alt = Int32Array.from(choice);
    let r = rem - dw[breakItem];
    let got = lpGain + gain[breakItem];
    alt[igrp[breakItem]]++;
    const last: number[] = [];
    for (let g = 0; g < G; g++) if (alt[g] > 0 && g !== igrp[breakItem]) last.push(groupOff[g] + alt[g] - 1);
    last.sort((x, y) => slope[x] - slope[y] || x - y);
    for (const it of last) {
      if (r >= 0) break;
      alt[igrp[it]]--;
      r += dw[it];
      got -= gain[it];
    }
    if (r >= 0) {
      [r, got] = fill(alt, r, got);
      if (got > incGain) {
        inc = alt;
        incRem = r;
        incGain = got;
      }
    }
  }
  const U = V0 - incGain;
  const tol = REL_TOL * Math.max(Math.abs(V0), Math.abs(U), 1e-300);
  if (U - L <= tol) {
    return { feasible: true, choice: inc, value: U, weight: cap - incRem, lowerBound: L, exact: true, nodes: 0, coreGroups: 0 };
  }

  // Search with a target value T = L + gap: only plans with value ≤ T are looked for, which lets the
  // reduction fix more options and the DP prune more states. If the DP finds a plan within T, it
  // is optimal (every state of an optimal plan has a bound ≤ opt ≤ T, so none was pruned). If not,
  // the target grows geometrically; the last pass uses the incumbent U and always concludes.
  let states = 0;
  let coreGroups = 0;
  const fullGap = U - L;
  const stateLimit = inp.nodeLimit ?? 2_000_000;
  for (let gap = Math.min(fullGap, Math.max(fullGap / 64, tol)); ; gap = Math.min(fullGap, gap * 8)) {
    const last = gap >= fullGap;
    const pass = corePass(last ? U : L + gap, stateLimit - states);
    states += pass.states;
    coreGroups = pass.coreGroups;
    if (pass.aborted) {
      return { feasible: true, choice: inc, value: U, weight: cap - incRem, lowerBound: L, exact: false, nodes: states, coreGroups };
    }
    if (pass.choice || last) {
      const final = pass.choice ?? inc;
      let value = 0;
      let weight = 0;
      for (let g = 0; g < G; g++) {
        value += values[g][final[g]];
        weight += weights[g][final[g]];
      }
      return { feasible: true, choice: final, value, weight, lowerBound: value, exact: true, nodes: states, coreGroups };
    }
  }

  /** Reduction to windows under target T, then the frontier DP; `choice` is null if no plan ≤ T exists. */
  function corePass(T: number, limit: number): { choice: Int32Array | null; states: number; coreGroups: number; aborted: boolean } {
    // Lagrangian reduction: any plan has value ≥ L + (reduced costs it gives up), so an option
    // whose selection alone costs more than T − L is excluded; each group keeps a window [lo_g, hi_g].
    const lo = new Int32Array(G);
    const hi = new Int32Array(G);
    const gapT = T - L + tol;
    let off = 0;
    for (let g = 0; g < G; g++) {
      const m = values[g].length - 1; // increments of this group are off .. off+m-1 (in k order)
      const lv = lpLevel[g];
      // Excluding the taken increment k (and the taken ones after it) costs Σ_{t=k}^{lv-1} r_t.
      let suffix = 0;
      let l = 0;
      for (let k = lv - 1; k >= 0; k--) {
        suffix += gain[off + k] - mu * dw[off + k];
        if (suffix > gapT) {
          l = k + 1;
          break;
        }
      }
      // Including the untaken increment k (and those before it) costs Σ_{t=lv}^{k} (−r_t).
      let prefix = 0;
      let h = m;
      for (let k = lv; k < m; k++) {
        prefix += mu * dw[off + k] - gain[off + k];
        if (prefix > gapT) {
          h = k;
          break;
        }
      }
      lo[g] = l;
      hi[g] = h;
      off += m;
    }

    const coreIdx: number[] = [];
    let Vfix = 0;
    let Wfix = 0;
    for (let g = 0; g < G; g++) {
      if (hi[g] > lo[g]) coreIdx.push(g);
      else {
        Vfix += values[g][lo[g]];
        Wfix += weights[g][lo[g]];
      }
    }
    const capC = cap - Wfix;
    // Lagrangian terms m_g = min over the window of v + μ·w; their suffix sums bound the classes to come.
    const mOf = (g: number) => {
      let m = Infinity;
      for (let k = lo[g]; k <= hi[g]; k++) m = Math.min(m, values[g][k] + mu * weights[g][k]);
      return m;
    };
    // Widest weight spans first: they shape the frontier most; small classes then fill the gaps.
    coreIdx.sort((a, b) => weights[b][hi[b]] - weights[b][lo[b]] - (weights[a][hi[a]] - weights[a][lo[a]]) || a - b);
    const nCore = coreIdx.length;
    const mSuffix = new Float64Array(nCore + 1);
    const wLoSuffix = new Float64Array(nCore + 1);
    for (let i = nCore - 1; i >= 0; i--) {
      const g = coreIdx[i];
      mSuffix[i] = mSuffix[i + 1] + mOf(g);
      wLoSuffix[i] = wLoSuffix[i + 1] + weights[g][lo[g]];
    }
    // Exact LP bound of each suffix of classes as a function of its capacity: the suffix's window
    // increments in slope order with cumulative weight and gain (piecewise-linear, concave gain).
    const vLoSuffix = new Float64Array(nCore + 1);
    const sufW: Float64Array[] = new Array(nCore + 1);
    const sufG: Float64Array[] = new Array(nCore + 1);
    {
      let list: number[] = [];
      sufW[nCore] = new Float64Array([0]);
      sufG[nCore] = new Float64Array([0]);
      for (let i = nCore - 1; i >= 0; i--) {
        const g = coreIdx[i];
        vLoSuffix[i] = vLoSuffix[i + 1] + values[g][lo[g]];
        // A group's increments are stored in k order, which is also their slope order.
        const mine: number[] = [];
        for (let k = lo[g]; k < hi[g]; k++) mine.push(groupOff[g] + k);
        // merge by slope (both lists already in slope order)
        const merged: number[] = [];
        let a = 0;
        let b = 0;
        while (a < list.length || b < mine.length) {
          if (b >= mine.length || (a < list.length && slope[list[a]] >= slope[mine[b]])) merged.push(list[a++]);
          else merged.push(mine[b++]);
        }
        list = merged;
        const cw = new Float64Array(list.length + 1);
        const cg = new Float64Array(list.length + 1);
        for (let t = 0; t < list.length; t++) {
          cw[t + 1] = cw[t] + dw[list[t]];
          cg[t + 1] = cg[t] + gain[list[t]];
        }
        sufW[i] = cw;
        sufG[i] = cg;
      }
    }
    /** Lowest LP value of classes i.. with capacity c (c ≥ their lightest weight). */
    const lpSuffix = (i: number, c: number): number => {
      const cw = sufW[i];
      const cg = sufG[i];
      const r = c - wLoSuffix[i];
      const last = cw.length - 1;
      if (r >= cw[last]) return vLoSuffix[i] - cg[last];
      let a = 0;
      let b = last; // cw[a] ≤ r < cw[b]
      while (b - a > 1) {
        const mid = (a + b) >> 1;
        if (cw[mid] <= r) a = mid;
        else b = mid;
      }
      return vLoSuffix[i] - cg[a] - ((r - cw[a]) / (cw[b] - cw[a])) * (cg[b] - cg[a]);
    };

    // DP over the core classes on the Pareto frontier of (weight, value) states. A state is dropped
    // when another has no more weight and no more value (dominance), when even the lightest
    // completion overflows, or when its Lagrangian lower bound Vfix + V + M_R − μ·(capC − W) exceeds T.
    // Scratch buffers grow as needed; the frontier lives in W/V[0..len).
    let W = new Float64Array(64);
    let V = new Float64Array(64);
    let len = 1;
    let cw = new Float64Array(256);
    let cv = new Float64Array(256);
    let cp = new Int32Array(256);
    let ck = new Int32Array(256);
    const parents: Int32Array[] = [];
    const picks: Int32Array[] = [];
    let count = 0;
    for (let i = 0; i < nCore; i++) {
      const g = coreIdx[i];
      const K = hi[g] - lo[g] + 1;
      const n0 = len;
      if (n0 * K > cw.length) {
        const size = 2 * n0 * K;
        cw = new Float64Array(size);
        cv = new Float64Array(size);
        cp = new Int32Array(size);
        ck = new Int32Array(size);
      }
      let m = 0;
      const rest = mSuffix[i + 1];
      const restW = wLoSuffix[i + 1];
      const segStart = new Int32Array(K + 1);
      for (let k = lo[g]; k <= hi[g]; k++) {
        segStart[k - lo[g]] = m;
        const wk = weights[g][k];
        const vk = values[g][k];
        for (let s = 0; s < n0; s++) {
          const w = W[s] + wk;
          if (w + restW > capC) break; // W is sorted ascending
          const v = V[s] + vk;
          if (Vfix + v + rest - mu * (capC - w) > T + tol) continue;
          if (Vfix + v + lpSuffix(i + 1, capC - w) > T + tol) continue;
          cw[m] = w;
          cv[m] = v;
          cp[m] = s;
          ck[m] = k;
          m++;
        }
      }
      segStart[K] = m;
      // Each option's candidates are sorted by weight already: a K-way merge (lightest first, then
      // lowest value) followed by the dominance filter keeps the frontier sorted.
      const head = segStart.slice(0, K);
      if (m > W.length) {
        W = new Float64Array(2 * m);
        V = new Float64Array(2 * m);
      }
      const np = new Int32Array(m);
      const nk = new Int32Array(m);
      let nl = 0;
      let bestV = Infinity;
      for (;;) {
        let t = -1;
        let hk = -1;
        for (let q = 0; q < K; q++) {
          const h = head[q];
          if (h >= segStart[q + 1]) continue;
          if (t < 0 || cw[h] < cw[t] || (cw[h] === cw[t] && cv[h] < cv[t])) {
            t = h;
            hk = q;
          }
        }
        if (t < 0) break;
        head[hk]++;
        if (cv[t] >= bestV) continue; // dominated by a lighter state with no more value
        bestV = cv[t];
        // Safe in place: every candidate already read its parent from W/V before this pass.
        W[nl] = cw[t];
        V[nl] = cv[t];
        np[nl] = cp[t];
        nk[nl] = ck[t];
        nl++;
      }
      count += nl;
      if (count > limit) return { choice: null, states: count, coreGroups: nCore, aborted: true };
      if (nl === 0) return { choice: null, states: count, coreGroups: nCore, aborted: false };
      len = nl;
      parents.push(np.slice(0, nl));
      picks.push(nk.slice(0, nl));
    }
    // The last frontier state has the lowest value among those that fit.
    let s = len - 1;
    if (!(Vfix + V[s] <= T + tol)) return { choice: null, states: count, coreGroups: nCore, aborted: false };
    const choiceOut = Int32Array.from(lo);
    for (let i = nCore - 1; i >= 0; i--) {
      choiceOut[coreIdx[i]] = picks[i][s];
      s = parents[i][s];
    }
    return { choice: choiceOut, states: count, coreGroups: nCore, aborted: false };
  }
}
