/**
 * Independent references for the paper's formulation (issue 10), sharing no code with the solvers:
 * the paper's bounds as printed (Eqs. 24 and 26), and a feasibility check for the total energy
 * scope that minimises the energy over the split of the deadline between agent and server
 * (the solvers instead minimise the delay over the split of the energy, clocks.ts).
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { solveMethod, type MethodOptions } from '../../src/plan/baselines.ts';
import { solveExact } from '../../src/plan/exact.ts';
import { METHODS } from '../../src/plan/result.ts';
import type { BoundKind } from '../../src/theory/rd-bounds.ts';
import type { Objective } from '../../src/plan/objective.ts';
import { toProblem, type DesignOptions, type PlanProblem } from '../../src/plan/problem.ts';
import { parseSystem, type SystemInput } from '../../src/plan/system.ts';
import { budgetArbs, groupsArb } from './helpers.ts';

export function problemWith(input: SystemInput, design: DesignOptions = {}): PlanProblem {
  const r = parseSystem(input);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return toProblem(r.value, design);
}

/** Eq. 26 exactly as printed: D^U(R) = (1/(2λ))·(√(1 + 4/(2^R − 1)) − 1). */
export const eq26 = (R: number, lambda: number) => (1 / (2 * lambda)) * (Math.sqrt(1 + 4 / (2 ** R - 1)) - 1);
/** Eq. 24: D^L(R) = 1/(λ·2^(R+1)). */
export const eq24 = (R: number, lambda: number) => 1 / (lambda * 2 ** (R + 1));

/** Per-parameter objective at b bits, from the printed formulas (R = b − 1). */
export function refUnit(objective: Objective, bound: BoundKind, b: number, lambda: number): number {
  const du = bound === 'paper' ? eq26(b - 1, lambda) : 2 ** (1 - b) / lambda;
  return objective === 'du' ? du : du - eq24(b - 1, lambda);
}

interface Dev {
  fMin: number;
  fMax: number;
  levels: number[] | null;
  kappa: number;
}

/**
 * Can agent cycles Ca and server cycles Cs meet the deadline T with total energy ≤ E? Minimum
 * energy over the time split: a stage given time t runs at f = C/t (at least fMin), energy κC·f².
 * Continuous clocks: the energy is convex in the agent's share of T, minimised by golden section.
 * Levels: every level (pair) is tried, the continuous partner taking all the time left.
 */
export function feasibleTotal(a: Dev, Ca: number, s: Dev, Cs: number, T: number, E: number): boolean {
  if (T < 0 || E < 0) return false;
  const tol = 1e-9;
  const stageE = (d: Dev, C: number, t: number): number => {
    if (C === 0) return 0;
    if (!(t > 0)) return Infinity;
    const f = Math.max(C / t, d.fMin);
    if (f > d.fMax * (1 + 1e-12)) return Infinity;
    return d.kappa * C * f * f;
  };
  const ok = (e: number, t: number) => e <= E * (1 + tol) && t <= T * (1 + tol);
  if (a.levels || s.levels) {
    const la = a.levels ?? null;
    const ls = s.levels ?? null;
    if (la && ls) return la.some((fa) => ls.some((fs) => ok(a.kappa * Ca * fa * fa + s.kappa * Cs * fs * fs, (Ca ? Ca / fa : 0) + (Cs ? Cs / fs : 0))));
    const [disc, Cd, list, cont, Cc] = la ? [a, Ca, la, s, Cs] : [s, Cs, ls as number[], a, Ca];
    return list.some((fd) => {
      const td = Cd ? Cd / fd : 0;
      const left = T - td;
      const ec = Cc === 0 ? 0 : stageE(cont, Cc, left);
      return left >= -tol * T && ok(disc.kappa * Cd * fd * fd + ec, td + (Cc === 0 ? 0 : Math.max(Cc / cont.fMax, Math.min(left, cont.fMin > 0 ? Cc / cont.fMin : Infinity))));
    });
  }
  if (Ca === 0 && Cs === 0) return true;
  if (Ca === 0) return stageE(s, Cs, T) <= E * (1 + tol);
  if (Cs === 0) return stageE(a, Ca, T) <= E * (1 + tol);
  let lo = Ca / a.fMax;
  let hi = T - Cs / s.fMax;
  if (lo > hi * (1 + 1e-12)) return false;
  hi = Math.max(lo, hi);
  const f = (ta: number) => stageE(a, Ca, ta) + stageE(s, Cs, T - ta);
  const g = (Math.sqrt(5) - 1) / 2;
  for (let i = 0; i < 300 && hi - lo > 1e-15 * T; i++) {
    const x1 = hi - g * (hi - lo);
    const x2 = lo + g * (hi - lo);
    if (f(x1) <= f(x2)) hi = x2;
    else lo = x1;
  }
  return Math.min(f(lo), f(hi), f(0.5 * (lo + hi))) <= E * (1 + tol);
}

/** Brute force over every bit assignment (shared or per group), total energy scope, param-bit workload model. */
export function bruteTotal(p: PlanProblem): { objective: number; bits: number[] } | null {
  let best: { objective: number; bits: number[] } | null = null;
  const cut = p.cuts[0];
  const S = cut.featureElems * p.link.featureBits;
  const linkT = S / p.link.rateBps;
  const T = p.T0 - linkT;
  const E = p.E0 - p.link.txPowerW * linkT;
  const Cs = p.server.cyclesPerParamBit! * p.serverBits * cut.serverParams;
  const allowed = p.bits.filter((b) => p.bound === 'ours' || b >= 2);
  const G = cut.groups.length;
  const idx = new Array<number>(G).fill(0);
  const visit = (bits: number[]) => {
    let W = 0;
    let obj = 0;
    for (let g = 0; g < G; g++) {
      const gr = cut.groups[g];
      W += gr.params * bits[g];
      obj += ((gr.alpha * gr.params) / p.totalParams) * refUnit(p.objective, p.bound, bits[g], gr.lambda);
    }
    if ((!best || obj < best.objective) && feasibleTotal(p.agent, p.agent.cyclesPerParamBit! * W, p.server, Cs, T, E)) best = { objective: obj, bits: bits.slice() };
  };
  if (!allowed.length) return null;
  if (p.mode === 'shared') {
    for (const b of allowed) visit(new Array<number>(G).fill(b));
    return best;
  }
  for (;;) {
    visit(idx.map((i) => allowed[i]));
    let g = 0;
    while (g < G && ++idx[g] === allowed.length) idx[g++] = 0;
    if (g === G) break;
  }
  return best;
}

/** ≤ 3 groups, total energy scope, either device continuous or on levels, any objective and bound. */
export const totalInstance = fc
  .record({
    groups: groupsArb(3),
    bits: fc.subarray([1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 16], { minLength: 1 }),
    agentLevels: fc.option(fc.uniqueArray(fc.double({ min: 2e8, max: 3e9, noNaN: true }), { minLength: 1, maxLength: 4 }), { nil: undefined }),
    serverLevels: fc.option(fc.uniqueArray(fc.double({ min: 1e9, max: 1e10, noNaN: true }), { minLength: 1, maxLength: 4 }), { nil: undefined }),
    fMinA: fc.double({ min: 0, max: 5e8, noNaN: true }),
    fMinS: fc.double({ min: 0, max: 2e9, noNaN: true }),
    kappaA: fc.double({ min: 1e-29, max: 1e-27, noNaN: true }),
    kappaS: fc.double({ min: 1e-29, max: 1e-27, noNaN: true }),
    ...budgetArbs,
    featureElems: fc.integer({ min: 0, max: 100000 }),
    perGroup: fc.boolean(),
    objective: fc.constantFrom<Objective>('du', 'gap'),
    bound: fc.constantFrom<BoundKind>('ours', 'paper'),
  })
  .map((r) => {
    const input: SystemInput = {
      agent: r.agentLevels ? { levels: r.agentLevels, kappa: r.kappaA, cyclesPerParamBit: r.c } : { fMin: r.fMinA, fMax: 2e9, kappa: r.kappaA, cyclesPerParamBit: r.c },
      server: r.serverLevels ? { levels: r.serverLevels, kappa: r.kappaS, cyclesPerParamBit: 0.05 } : { fMin: r.fMinS, fMax: 1e10, kappa: r.kappaS, cyclesPerParamBit: 0.05 },
      link: { rateBps: 5e7, txPowerW: 1, featureElems: r.featureElems, featureBits: 16 },
      constraints: { T0: r.T0, E0: r.E0 },
      bits: r.bits,
      agentBits: r.perGroup ? 'per-group' : 'shared',
      model: { groups: r.groups.map((g, i) => ({ name: `g${i}`, ...g })), serverParams: r.serverParams },
    };
    return { input, problem: problemWith(input, { objective: r.objective, bound: r.bound, energy: 'total' }) };
  });

/**
 * Checks that no method reports a feasible plan better than the exact optimum: a feasible plan
 * from any method implies the exact planner found one, with `key` (D_U or the objective) no
 * lower, to the relative tolerance `rel`.
 */
export function expectNoMethodBeatsExact(problem: PlanProblem, key: 'DU' | 'objective', rel: number, opts: MethodOptions = {}): void {
  const ex = solveExact(problem);
  for (const m of METHODS) {
    const r = solveMethod(problem, m, opts);
    expect(r.method).toBe(m);
    if (r.feasible) {
      expect(ex.feasible).toBe(true);
      expect(r[key]!).toBeGreaterThanOrEqual(ex[key]! * (1 - rel));
    }
  }
}
