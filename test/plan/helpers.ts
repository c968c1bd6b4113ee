/**
 * Random planning instances for the property tests, and a brute-force reference that shares no
 * code with the solvers: it enumerates every bit assignment and checks feasibility at every
 * clock that can matter (each level, or the ends of the feasible clock interval).
 */
import fc from 'fast-check';
import type { ChoiceProblem } from '../../src/plan/choice-solver.ts';
import { toProblem, type PlanProblem } from '../../src/plan/problem.ts';
import { parseSystem, type SystemInput } from '../../src/plan/system.ts';

export interface Inst {
  input: SystemInput;
  problem: PlanProblem;
}

export function problemOf(input: SystemInput): PlanProblem {
  const r = parseSystem(input);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return toProblem(r.value);
}

/** 1..max weight groups with N in 1e5..1e8 and λ in 5..200. */
export const groupsArb = (max: number) => fc.array(fc.record({ params: fc.double({ min: 1e5, max: 1e8, noNaN: true }), lambda: fc.double({ min: 5, max: 200, noNaN: true }) }), { minLength: 1, maxLength: max });

/** Cycles per parameter-bit, the budgets and the server's parameters, as every random instance draws them. */
export const budgetArbs = {
  c: fc.double({ min: 0.05, max: 2, noNaN: true }),
  T0: fc.double({ min: 0.01, max: 5, noNaN: true }),
  E0: fc.double({ min: 0.01, max: 5, noNaN: true }),
  serverParams: fc.double({ min: 0, max: 1e9, noNaN: true }),
};

/** ≤ 4 groups, up to 15 allowed bit-widths in 2..16, continuous or discrete clocks, optional epsilon. */
export const smallInstance = fc
  .record({
    groups: groupsArb(4),
    bits: fc.subarray([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], { minLength: 1 }),
    levels: fc.option(fc.uniqueArray(fc.double({ min: 2e8, max: 3e9, noNaN: true }), { minLength: 1, maxLength: 5 }), { nil: undefined }),
    fMin: fc.double({ min: 0, max: 1e9, noNaN: true }),
    fSpan: fc.double({ min: 1e8, max: 3e9, noNaN: true }),
    kappa: fc.double({ min: 1e-29, max: 1e-27, noNaN: true }),
    ...budgetArbs,
    featureElems: fc.integer({ min: 0, max: 200000 }),
    epsilon: fc.option(fc.double({ min: 1e-6, max: 1e-2, noNaN: true }), { nil: undefined }),
    perGroup: fc.boolean(),
  })
  .map((r): Inst => {
    const input: SystemInput = {
      agent: r.levels ? { levels: r.levels, kappa: r.kappa, cyclesPerParamBit: r.c } : { fMin: r.fMin, fMax: r.fMin + r.fSpan, kappa: r.kappa, cyclesPerParamBit: r.c },
      server: { fMax: 5e9, kappa: 1e-28, cyclesPerParamBit: 0.05 },
      link: { rateBps: 5e7, txPowerW: 1, featureElems: r.featureElems, featureBits: 16 },
      constraints: { T0: r.T0, E0: r.E0, ...(r.epsilon !== undefined ? { epsilon: r.epsilon } : {}) },
      bits: r.bits,
      agentBits: r.perGroup ? 'per-group' : 'shared',
      model: { groups: r.groups.map((g, i) => ({ name: `g${i}`, ...g })), serverParams: r.serverParams },
    };
    return { input, problem: problemOf(input) };
  });

/** Independent brute force: min D_U over every assignment that some clock makes feasible; null if none. */
export function bruteForce(p: PlanProblem): { DU: number; bits: number[] } | null {
  let best: { DU: number; bits: number[] } | null = null;
  for (const cut of p.cuts) {
    const G = cut.groups.length;
    const S = cut.featureElems * p.link.featureBits;
    const linkT = S / p.link.rateBps;
    const linkE = p.link.txPowerW * linkT;
    const sC = p.server.cyclesPerParamBit! * p.serverBits * cut.serverParams;
    const sT = sC / p.server.fMax;
    const Tav = p.T0 - linkT - sT;
    const Eav = p.E0 - linkE;
    const a = p.agent;
    const okClock = (C: number, f: number) => f > 0 && C / f <= Tav && a.kappa * C * f * f <= Eav;
    const feasibleAt = (C: number): boolean => {
      if (Tav < 0 || Eav < 0) return false;
      if (a.levels) return a.levels.some((f) => okClock(C, f));
      // The feasible clocks form an interval; if non-empty, one of its ends is one of these.
      const cands = [a.fMin, a.fMax, C / Tav, Math.sqrt(Eav / (a.kappa * C))].filter((f) => f >= a.fMin && f <= a.fMax);
      return cands.some((f) => okClock(C, f));
    };
    const choices = cut.groups.map((g) =>
      p.bits.filter((b) => p.epsilon === null || (g.alpha * 2 ** -b) / g.lambda <= p.epsilon),
    );
    if (choices.some((c) => c.length === 0)) continue;
    const idx = new Array(G).fill(0);
    const bits = new Array<number>(G);
    for (;;) {
      for (let g = 0; g < G; g++) bits[g] = choices[g][idx[g]];
      const shared = bits.every((b) => b === bits[0]);
      if (p.mode === 'per-group' || shared) {
        let W = 0;
        let du = 0;
        for (let g = 0; g < G; g++) {
          const gr = cut.groups[g];
          W += gr.params * bits[g];
          du += (gr.alpha * (gr.params / p.totalParams) * 2 ** (1 - bits[g])) / gr.lambda;
        }
        const total = du + cut.serverDU;
        if (feasibleAt(a.cyclesPerParamBit! * W) && (!best || total < best.DU)) best = { DU: total, bits: bits.slice() };
      }
      let g = 0;
      while (g < G && ++idx[g] === choices[g].length) idx[g++] = 0;
      if (g === G) break;
    }
  }
  return best;
}

/**
 * The fixed-clock bit knapsack of a per-group problem's first cut as a choice problem for highs:
 * option k of group g is bit-width p.bits[k], worth 2·α·(N_g/N)·2^(−b)/λ_g (the closed form,
 * written here and not taken from the planner's tables), weighing N_g·b against the budget W.
 */
export function bitsKnapsack(p: PlanProblem, W: number): { problem: ChoiceProblem; du: (bits: readonly number[]) => number } {
  const groups = p.cuts[0].groups;
  const coef = groups.map((g) => (2 * g.alpha * (g.params / p.totalParams)) / g.lambda);
  return {
    problem: {
      values: coef.map((c) => p.bits.map((b) => c * 2 ** -b)),
      weights: groups.map((g) => p.bits.map((b) => g.params * b)),
      cap: W,
    },
    du: (bits) => bits.reduce((s, b, g) => s + coef[g] * 2 ** -b, 0),
  };
}
