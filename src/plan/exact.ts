/**
 * The exact joint planner (SPEC §5). For a given cut the agent's feasible workloads form a
 * threshold C ≤ Cmax (closed form in cost.ts for the agent energy scope, bisection in clocks.ts for
 * the paper's total scope), and the objective depends on the bits only, so the design is: find
 * Cmax, then choose bits that minimise the objective within it — a 1-D scan for a shared
 * bit-width, an exact multiple-choice knapsack (mckp.ts) per group — then pick the clocks that
 * workload allows (fastest within the energy budget). Split candidates are searched one by one.
 */
import { clocksFor, cutCap as capOf, type ClockOptions, type CutCap } from './clocks.ts';
import { agentCycles, sharedWork, type BindingConstraint } from './cost.ts';
import { diagnose } from './diagnose.ts';
import { solveMckp } from './mckp.ts';
import { unitObjective } from './objective.ts';
import type { PlanCut, PlanProblem } from './problem.ts';
import { noPlan, planResult, type Method, type NextStep, type PlanResult } from './result.ts';

export type SolveOptions = ClockOptions;
export type { CutCap };

/** Largest agent workload any plan on this cut can have (every group at its largest allowed bit-width). */
export function maxWorkload(p: PlanProblem, cut: PlanCut): number {
  return sharedWork(cut) * p.bits[p.bits.length - 1];
}

/** The workload cap of one cut under the options (cycles). */
export function cutCap(p: PlanProblem, cut: PlanCut, opts: SolveOptions = {}): CutCap {
  return capOf(p, cut, opts, maxWorkload(p, cut));
}

/** Options (allowed bit-widths) of each group, ascending, after the tightness limit. */
export function groupOptions(p: PlanProblem, cut: PlanCut): number[][] {
  return cut.groups.map((g) => p.bits.filter((b) => b >= g.minBits));
}

/** Objective of group g at b bits, weighted by α_g·N_g/N (what the solvers add up). */
export function groupValue(p: PlanProblem, cut: PlanCut, gi: number, b: number): number {
  const g = cut.groups[gi];
  return ((g.alpha * g.params) / p.totalParams) * unitObjective(p.objective, p.bound, b, g.lambda);
}

export interface BitsSolution {
  bits: number[];
  exact: boolean;
  lowerBound: number;
  nodes: number;
  coreGroups: number;
}

/**
 * Minimises the agent part of the objective subject to Σ work_g·b_g ≤ Ccap (agent cycles; with the
 * parameter-bit model and c = 1 that is Σ N_g b_g ≤ Ccap). Returns null when even the lowest bits
 * do not fit. `lowerBound` is on the agent part of the objective.
 */
export function bestBits(p: PlanProblem, cut: PlanCut, Ccap: number): BitsSolution | null {
  if (p.mode === 'shared') {
    // Every objective falls with b and the workload grows with it: the largest b that fits is optimal.
    let lo = -Infinity;
    for (const g of cut.groups) lo = Math.max(lo, g.minBits);
    const W = sharedWork(cut);
    for (let i = p.bits.length - 1; i >= 0; i--) {
      const b = p.bits[i];
      if (b < lo) break;
      if (W * b <= Ccap) {
        let v = 0;
        for (let g = 0; g < cut.groups.length; g++) v += groupValue(p, cut, g, b);
        return { bits: new Array<number>(cut.groups.length).fill(b), exact: true, lowerBound: v, nodes: 0, coreGroups: 0 };
      }
    }
    return null;
  }
  const opts = groupOptions(p, cut);
  if (opts.some((o) => o.length === 0)) return null;
  const values = opts.map((o, g) => o.map((b) => groupValue(p, cut, g, b)));
  const weights = opts.map((o, g) => o.map((b) => cut.groups[g].work * b));
  const r = solveMckp({ values, weights, cap: Ccap });
  if (!r.feasible) return null;
  return { bits: opts.map((o, g) => o[r.choice[g]]), exact: r.exact, lowerBound: r.lowerBound, nodes: r.nodes, coreGroups: r.coreGroups };
}

/** The cheapest single upgrade left, and what it would cost at its best clocks. */
export function nextStep(p: PlanProblem, cut: PlanCut, bits: readonly number[], cap: CutCap, opts: SolveOptions = {}): NextStep | null {
  let best: { dW: number; gi: number; to: number } | null = null;
  if (p.mode === 'shared') {
    const to = p.bits.find((b) => b > bits[0]);
    if (to !== undefined) best = { dW: sharedWork(cut) * (to - bits[0]), gi: -1, to };
  } else {
    const gopts = groupOptions(p, cut);
    cut.groups.forEach((g, i) => {
      const to = gopts[i].find((b) => b > bits[i]);
      if (to === undefined) return;
      const dW = g.work * (to - bits[i]);
      if (!best || dW < best.dW) best = { dW, gi: i, to };
    });
  }
  if (!best) return null;
  const { dW, gi, to } = best as { dW: number; gi: number; to: number };
  const C = agentCycles(p, cut, bits) + dW;
  const clk = clocksFor(p, cut, C, opts);
  const hz = clk.agentHz;
  return {
    group: gi < 0 ? '(all groups)' : cut.groups[gi].name,
    fromBits: gi < 0 ? bits[0] : bits[gi],
    toBits: to,
    agentDelay: C / hz,
    agentEnergy: p.agent.kappa * C * hz * hz,
    agentHz: hz,
    availDelay: cap.Tav,
    availEnergy: cap.Eav,
    ...(p.energyScope === 'total' ? { serverHz: clk.serverHz, totalDelay: clk.delay, totalEnergy: clk.energy } : {}),
  };
}

function bindingFor(limiter: BindingConstraint, next: NextStep | null, fixedClock: boolean): string[] {
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
    const sol = bestBits(p, cut, cap.Cmax);
    if (!sol) continue;
    const C = agentCycles(p, cut, sol.bits);
    const clk = clocksFor(p, cut, C, opts);
    const next = nextStep(p, cut, sol.bits, cap, opts);
    const r = planResult(p, method, cut, sol.bits, clk.agentHz, clk.serverHz, {
      limiter: cap.limiter,
      binding: bindingFor(cap.limiter, next, opts.fixedAgentHz !== undefined),
      nextStep: next,
      solver: { exact: sol.exact, lowerBound: sol.lowerBound + cut.serverObj, nodes: sol.nodes, coreGroups: sol.coreGroups },
    });
    const better = (x: PlanResult, y: PlanResult) => (x.feasible && !y.feasible) || (x.feasible === y.feasible && ((x.objective as number) < (y.objective as number) || (x.objective === y.objective && (x.delay?.total ?? 0) < (y.delay?.total ?? 0))));
    if (!best || better(r, best)) best = r;
  }
  return best ?? noPlan(p, method, diagnose(p));
}

/** The proposed method: exact over bits, clocks and cuts. */
export function solveExact(p: PlanProblem): PlanResult {
  return solveWith(p, 'exact');
}
