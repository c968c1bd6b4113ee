/**
 * The baselines the exact planner is compared with (issue 4). All of them report through
 * planResult → evaluatePlan, the same path as the exact solver, so their feasibility and D_U are
 * judged by the same independent evaluator.
 */
import { agentBudgets, bestAgentClock } from './cost.ts';
import { diagnose } from './diagnose.ts';
import { groupOptions, solveExact, solveWith } from './exact.ts';
import type { Cut, PlanProblem } from './problem.ts';
import { noPlan, planResult, type Method, type PlanResult } from './result.ts';
import { solveRelaxedSca, type RelaxedSolution } from './sca.ts';

/** Nearest allowed bit-width (ties go up, the usual round-half-up). */
export function nearestAllowed(x: number, allowed: readonly number[]): number {
  let best = allowed[0];
  for (const b of allowed) if (Math.abs(b - x) < Math.abs(best - x) || (Math.abs(b - x) === Math.abs(best - x) && b > best)) best = b;
  return best;
}

interface ScaPlan {
  cut: Cut;
  relaxed: RelaxedSolution;
  /** Continuous bits per group (expanded from the shared value in shared mode). */
  bits: number[];
}

/** SCA on the continuous relaxation for every cut; keeps the cut with the lowest relaxed D_U. */
export function relaxedPaper(p: PlanProblem): ScaPlan | null {
  let best: ScaPlan | null = null;
  const hiBit = p.bits[p.bits.length - 1];
  for (const cut of p.cuts) {
    if (cut.groups.some((g) => !Number.isFinite(g.minBits))) continue;
    const coef = cut.groups.map((g) => (2 * g.alpha * (g.params / p.totalParams)) / g.lambda);
    const b = agentBudgets(p, cut);
    const dev = { cyclesPerParamBit: p.agent.cyclesPerParamBit, kappa: p.agent.kappa, fMin: p.agent.fMin, fMax: p.agent.fMax, Tav: b.Tav, Eav: b.Eav };
    let relaxed: RelaxedSolution;
    let bits: number[];
    if (p.mode === 'shared') {
      const lo = Math.max(...cut.groups.map((g) => g.minBits));
      relaxed = solveRelaxedSca({ ...dev, coef: [coef.reduce((s, c) => s + c, 0)], params: [cut.groups.reduce((s, g) => s + g.params, 0)], lo: [lo], hi: [hiBit] });
      bits = cut.groups.map(() => relaxed.bits[0]);
    } else {
      relaxed = solveRelaxedSca({ ...dev, coef, params: cut.groups.map((g) => g.params), lo: cut.groups.map((g) => g.minBits), hi: cut.groups.map(() => hiBit) });
      bits = relaxed.bits;
    }
    if (!relaxed.feasible) continue;
    const DU = relaxed.DU + cut.serverDU;
    if (!best || DU < best.relaxed.DU + best.cut.serverDU) best = { cut, relaxed, bits };
  }
  return best;
}

/** Clock the paper's method runs at: its continuous clock, rounded to the nearest level if the board has levels. */
function paperClock(p: PlanProblem, hz: number): number {
  if (!p.agent.levels) return hz;
  return p.agent.levels.reduce((a, l) => (Math.abs(l - hz) < Math.abs(a - hz) ? l : a), p.agent.levels[0]);
}

/** (1) The paper's method: SCA on the relaxation, then bits rounded to the nearest allowed value. */
export function solvePaper(p: PlanProblem): PlanResult {
  const sca = relaxedPaper(p);
  if (!sca) return noPlan(p, 'paper', diagnose(p), ['the continuous relaxation has no feasible point']);
  const bits = sca.bits.map((x) => nearestAllowed(x, p.bits));
  const hz = paperClock(p, sca.relaxed.hz);
  const serverHz = agentBudgets(p, sca.cut).serverHz;
  const r = planResult(p, 'paper', sca.cut, bits, hz, serverHz, {
    solver: { exact: false, lowerBound: sca.relaxed.DU + sca.cut.serverDU, nodes: sca.relaxed.iterations, coreGroups: 0 },
    notes: [`relaxed optimum D_U = ${(sca.relaxed.DU + sca.cut.serverDU).toPrecision(6)} after ${sca.relaxed.iterations} SCA iterations`],
  });
  if (!r.feasible) r.notes.push(`rounding to the nearest bit broke the plan: ${r.violations.join('; ')}`);
  r.binding = r.violations.map((v) => v.split(':')[0]);
  return r;
}

/** (2) The paper's rounded plan, repaired: step bits down (cheapest D_U increase per workload saved) until feasible. */
export function solvePaperRepaired(p: PlanProblem): PlanResult {
  const sca = relaxedPaper(p);
  if (!sca) return noPlan(p, 'paper-repaired', diagnose(p), ['the continuous relaxation has no feasible point']);
  const cut = sca.cut;
  const bits = sca.bits.map((x) => nearestAllowed(x, p.bits));
  const opts = groupOptions(p, cut);
  const coef = cut.groups.map((g) => (2 * g.alpha * (g.params / p.totalParams)) / g.lambda);
  const budgets = agentBudgets(p, cut);
  const cyc = () => p.agent.cyclesPerParamBit * cut.groups.reduce((s, g, i) => s + g.params * bits[i], 0);
  let steps = 0;
  for (;;) {
    const clk = bestAgentClock(p.agent, cyc(), budgets.Tav, budgets.Eav);
    if (clk.feasible) {
      const r = planResult(p, 'paper-repaired', cut, bits, clk.hz, budgets.serverHz, {
        solver: { exact: false, lowerBound: null, nodes: steps, coreGroups: 0 },
        notes: [steps ? `rounded plan repaired by ${steps} step(s) down` : 'rounded plan was already feasible'],
      });
      r.binding = ['deadline', 'energy'].filter((k) => (k === 'deadline' ? r.slack!.delay : r.slack!.energy) <= 1e-3 * (k === 'deadline' ? p.T0 : p.E0));
      return r;
    }
    let pick = -1;
    let pickRatio = Infinity;
    if (p.mode === 'shared') {
      const lower = opts[0].filter((b) => b < bits[0]).pop();
      if (lower !== undefined) pick = 0;
    } else {
      bits.forEach((b, i) => {
        const lower = opts[i].filter((x) => x < b).pop();
        if (lower === undefined) return;
        const ratio = (coef[i] * (2 ** -lower - 2 ** -b)) / (cut.groups[i].params * (b - lower));
        if (ratio < pickRatio) {
          pickRatio = ratio;
          pick = i;
        }
      });
    }
    if (pick < 0) return noPlan(p, 'paper-repaired', diagnose(p), ['no step down makes the rounded plan feasible']);
    if (p.mode === 'shared') {
      const lower = opts[0].filter((b) => b < bits[0]).pop() as number;
      bits.fill(lower);
    } else {
      bits[pick] = opts[pick].filter((x) => x < bits[pick]).pop() as number;
    }
    steps++;
  }
}

/** (3) Every agent group at a fixed bit-width, with the best clock; the best cut by D_U among feasible ones. */
export function solveFixed(p: PlanProblem, b: 8 | 16): PlanResult {
  const method: Method = b === 8 ? 'fixed8' : 'fixed16';
  let best: PlanResult | null = null;
  for (const cut of p.cuts) {
    const bud = agentBudgets(p, cut);
    const bits = cut.groups.map(() => b);
    const C = p.agent.cyclesPerParamBit * cut.groups.reduce((s, g) => s + g.params * b, 0);
    const clk = bestAgentClock(p.agent, C, bud.Tav, bud.Eav);
    const r = planResult(p, method, cut, bits, clk.hz, bud.serverHz, { solver: { exact: false, lowerBound: null, nodes: 0, coreGroups: 0 } });
    r.binding = r.violations.map((v) => v.split(':')[0]);
    if (!best || (r.feasible && !best.feasible) || (r.feasible === best.feasible && (r.DU as number) < (best.DU as number))) best = r;
  }
  return best as PlanResult;
}

export function solveMethod(p: PlanProblem, method: Method): PlanResult {
  switch (method) {
    case 'exact':
      return solveExact(p);
    case 'paper':
      return solvePaper(p);
    case 'paper-repaired':
      return solvePaperRepaired(p);
    case 'fixed8':
      return solveFixed(p, 8);
    case 'fixed16':
      return solveFixed(p, 16);
    case 'maxclock':
      // (4) agent clock pinned at its maximum; the best bit-width for that clock.
      return solveWith(p, 'maxclock', { fixedAgentHz: p.agent.fMax });
    case 'delay-only':
      // (5) design against the deadline only, then judged against E0 as well.
      return solveWith(p, 'delay-only', { ignoreEnergy: true });
  }
}
