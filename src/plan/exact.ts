/**
 * The exact joint planner (SPEC §5). For a given cut the agent's feasible workloads form a
 * threshold C ≤ Cmax (closed form in cost.ts, also for discrete clock levels), and D_U depends on
 * the bits only, so the design is: find Cmax, then choose bits that minimise D_U within it —
 * a 1-D scan for a shared bit-width, an exact multiple-choice knapsack (mckp.ts) per group —
 * then pick the fastest clock that workload allows. Split candidates are searched one by one.
 */
import { agentBudgets, bestAgentClock, pow2neg, workloadCap, type Limiter } from './cost.ts';
import { diagnose } from './diagnose.ts';
import { solveMckp } from './mckp.ts';
import type { Cut, PlanProblem } from './problem.ts';
import { noPlan, planResult, type Method, type NextStep, type PlanResult } from './result.ts';

export interface SolveOptions {
  /** Leave the energy budget out of the design (delay-only baseline); the plan is still checked against it. */
  ignoreEnergy?: boolean;
  /** Run the agent at this clock instead of choosing it (max-clock baseline). */
  fixedAgentHz?: number;
}

export interface CutCap {
  Cmax: number;
  limiter: Limiter;
  Tav: number;
  Eav: number;
  serverHz: number;
}

/** The workload cap of one cut under the options (cycles). */
export function cutCap(p: PlanProblem, cut: Cut, opts: SolveOptions = {}): CutCap {
  const b = agentBudgets(p, cut);
  const Eav = opts.ignoreEnergy ? Infinity : b.Eav;
  if (opts.fixedAgentHz !== undefined) {
    const f = opts.fixedAgentHz;
    if (b.Tav < 0 || Eav < 0) return { Cmax: -1, limiter: 'infeasible', Tav: b.Tav, Eav, serverHz: b.serverHz };
    const cT = b.Tav * f;
    const cE = p.agent.kappa === 0 ? Infinity : Eav / (p.agent.kappa * f * f);
    return { Cmax: Math.min(cT, cE), limiter: cT <= cE ? 'deadline' : 'energy', Tav: b.Tav, Eav, serverHz: b.serverHz };
  }
  const w = workloadCap(p.agent, b.Tav, Eav);
  return { Cmax: w.Cmax, limiter: w.limiter, Tav: b.Tav, Eav, serverHz: b.serverHz };
}

/** Options (allowed bit-widths) of each group, ascending, after the tightness limit. */
export function groupOptions(p: PlanProblem, cut: Cut): number[][] {
  return cut.groups.map((g) => p.bits.filter((b) => b >= g.minBits));
}

export interface BitsSolution {
  bits: number[];
  exact: boolean;
  lowerBound: number;
  nodes: number;
  coreGroups: number;
}

/**
 * Minimises the agent part of D_U subject to Σ N_g b_g ≤ Wcap (parameter-bits). Returns null when
 * even the lowest bits do not fit. `lowerBound` is on the agent part of D_U.
 */
export function bestBits(p: PlanProblem, cut: Cut, Wcap: number): BitsSolution | null {
  if (p.mode === 'shared') {
    // D_U falls with b and the workload grows with it: the largest b that fits is optimal.
    let lo = -Infinity;
    let Nsum = 0;
    let coefSum = 0;
    for (const g of cut.groups) {
      lo = Math.max(lo, g.minBits);
      Nsum += g.params;
      coefSum += (2 * g.alpha * (g.params / p.totalParams)) / g.lambda;
    }
    for (let i = p.bits.length - 1; i >= 0; i--) {
      const b = p.bits[i];
      if (b < lo) break;
      if (Nsum * b <= Wcap) return { bits: new Array<number>(cut.groups.length).fill(b), exact: true, lowerBound: coefSum * 2 ** -b, nodes: 0, coreGroups: 0 };
    }
    return null;
  }
  const opts = groupOptions(p, cut);
  if (opts.some((o) => o.length === 0)) return null;
  const coef = cut.groups.map((g) => (2 * g.alpha * (g.params / p.totalParams)) / g.lambda);
  const values = opts.map((o, g) => o.map((b) => coef[g] * pow2neg(b)));
  const weights = opts.map((o, g) => o.map((b) => cut.groups[g].params * b));
  const r = solveMckp({ values, weights, cap: Wcap });
  if (!r.feasible) return null;
  return { bits: opts.map((o, g) => o[r.choice[g]]), exact: r.exact, lowerBound: r.lowerBound, nodes: r.nodes, coreGroups: r.coreGroups };
}

/** The cheapest single upgrade left, and what it would cost at its best clock. */
export function nextStep(p: PlanProblem, cut: Cut, bits: readonly number[], cap: CutCap, fixedHz?: number): NextStep | null {
  let W = 0;
  cut.groups.forEach((g, i) => (W += g.params * bits[i]));
  let best: { dW: number; gi: number; to: number } | null = null;
  if (p.mode === 'shared') {
    const to = p.bits.find((b) => b > bits[0]);
    if (to !== undefined) best = { dW: cut.groups.reduce((s, g) => s + g.params, 0) * (to - bits[0]), gi: -1, to };
  } else {
    const opts = groupOptions(p, cut);
    cut.groups.forEach((g, i) => {
      const to = opts[i].find((b) => b > bits[i]);
      if (to === undefined) return;
      const dW = g.params * (to - bits[i]);
      if (!best || dW < best.dW) best = { dW, gi: i, to };
    });
  }
  if (!best) return null;
  const { dW, gi, to } = best as { dW: number; gi: number; to: number };
  const C = p.agent.cyclesPerParamBit * (W + dW);
  const hz = fixedHz ?? bestAgentClock(p.agent, C, cap.Tav, cap.Eav).hz;
  return {
    group: gi < 0 ? '(all groups)' : cut.groups[gi].name,
    fromBits: gi < 0 ? bits[0] : bits[gi],
    toBits: to,
    agentDelay: C / hz,
    agentEnergy: p.agent.kappa * C * hz * hz,
    agentHz: hz,
    availDelay: cap.Tav,
    availEnergy: cap.Eav,
  };
}

function bindingFor(limiter: Limiter, next: NextStep | null, fixedClock: boolean): string[] {
  if (!next) return ['bits-max'];
  const out: string[] = [];
  if (limiter === 'deadline' || limiter === 'deadline+energy') out.push('deadline');
  if (limiter === 'energy' || limiter === 'deadline+energy') out.push('energy');
  if (fixedClock) out.push('clock');
  return out;
}

/** Best plan over all cuts for the given design options, reported under `method`. */
export function solveWith(p: PlanProblem, method: Method, opts: SolveOptions = {}): PlanResult {
  let best: PlanResult | null = null;
  for (const cut of p.cuts) {
    const cap = cutCap(p, cut, opts);
    if (cap.Cmax < 0) continue;
    const sol = bestBits(p, cut, cap.Cmax / p.agent.cyclesPerParamBit);
    if (!sol) continue;
    let W = 0;
    cut.groups.forEach((g, i) => (W += g.params * sol.bits[i]));
    const C = p.agent.cyclesPerParamBit * W;
    const agentHz = opts.fixedAgentHz ?? bestAgentClock(p.agent, C, cap.Tav, cap.Eav).hz;
    const next = nextStep(p, cut, sol.bits, cap, opts.fixedAgentHz);
    const r = planResult(p, method, cut, sol.bits, agentHz, cap.serverHz, {
      limiter: cap.limiter,
      binding: bindingFor(cap.limiter, next, opts.fixedAgentHz !== undefined),
      nextStep: next,
      solver: { exact: sol.exact, lowerBound: sol.lowerBound * 1 + cut.serverDU, nodes: sol.nodes, coreGroups: sol.coreGroups },
    });
    if (!best || (r.DU as number) < (best.DU as number) || (r.DU === best.DU && (r.delay?.total ?? 0) < (best.delay?.total ?? 0))) best = r;
  }
  return best ?? noPlan(p, method, diagnose(p));
}

/** The proposed method: exact over bits, clocks and cuts. */
export function solveExact(p: PlanProblem): PlanResult {
  return solveWith(p, 'exact');
}
