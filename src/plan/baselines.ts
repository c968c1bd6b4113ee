/**
 * The baselines the exact planner is compared with (issues 4 and 10). All of them report through
 * planResult → evaluatePlan, the same path as the exact solver, so their feasibility and objective
 * are judged by the same independent evaluator.
 */
import { mulberry32 } from '../util/rng.ts';
import { clocksFor, cutCap as capOf } from './clocks.ts';
import { agentBudgets, agentCycles, evaluatePlan, sharedWork } from './cost.ts';
import { diagnose } from './diagnose.ts';
import { groupOptions, groupValue, maxWorkload, solveExact, solveWith } from './exact.ts';
import { unitObjectiveSlope } from './objective.ts';
import { trainPpo } from './ppo.ts';
import type { PlanCut, PlanProblem } from './problem.ts';
import { noPlan, planResult, type Method, type PlanResult } from './result.ts';
import { solveRelaxedSca, waterFill, waterFillConvex, type GroupObjective, type RelaxedSolution } from './sca.ts';

/** Nearest allowed bit-width (ties go up, the usual round-half-up). */
export function nearestAllowed(x: number, allowed: readonly number[]): number {
  let best = allowed[0];
  for (const b of allowed) if (Math.abs(b - x) < Math.abs(best - x) || (Math.abs(b - x) === Math.abs(best - x) && b > best)) best = b;
  return best;
}

interface ScaPlan {
  cut: PlanCut;
  relaxed: RelaxedSolution;
  /** Continuous bits per group (expanded from the shared value in shared mode). */
  bits: number[];
  /** The relaxed plan's server clock (the total energy scope chooses it; otherwise the server's maximum). */
  serverHz: number;
}

/** The objective of a cut's groups for the relaxation: null when it is our D_U (the closed-form water-filling). */
function relaxedObjective(p: PlanProblem, cut: PlanCut, shared: boolean): GroupObjective | null {
  if (p.objective === 'du' && p.bound === 'ours') return null;
  const w = cut.groups.map((g) => (g.alpha * g.params) / p.totalParams);
  if (shared) {
    return {
      value: (_g, b) => cut.groups.reduce((s, _x, i) => s + groupValue(p, cut, i, b), 0),
      slope: (_g, b) => cut.groups.reduce((s, g, i) => s + w[i] * unitObjectiveSlope(p.objective, p.bound, b, g.lambda), 0),
    };
  }
  return { value: (g, b) => groupValue(p, cut, g, b), slope: (g, b) => w[g] * unitObjectiveSlope(p.objective, p.bound, b, cut.groups[g].lambda) };
}

/**
 * The paper's Algorithm 1 on the continuous relaxation, for every cut; keeps the cut with the
 * lowest relaxed objective. Agent energy scope: SCA in (b, ln f) (sca.ts). Total scope (the paper's
 * Eq. 9, both clocks free): the relaxation's optimum directly — the continuous bits that fill the
 * workload cap (water-filling at the cap found by clocks.ts), which is the point the SCA iterations
 * converge to (tested against the SCA in the agent scope) — at the clocks that workload needs.
 */
export function relaxedPaper(p: PlanProblem): ScaPlan | null {
  let best: ScaPlan | null = null;
  const hiBit = p.bits[p.bits.length - 1];
  const shared = p.mode === 'shared';
  for (const cut of p.cuts) {
    if (cut.groups.some((g) => !Number.isFinite(g.minBits))) continue;
    const coef = cut.groups.map((g) => (2 * g.alpha * (g.params / p.totalParams)) / g.lambda);
    const obj = relaxedObjective(p, cut, shared);
    const lo = shared ? [Math.max(...cut.groups.map((g) => g.minBits))] : cut.groups.map((g) => g.minBits);
    const hi = lo.map(() => hiBit);
    const work = shared ? [sharedWork(cut)] : cut.groups.map((g) => g.work);
    const c = shared ? [coef.reduce((s, x) => s + x, 0)] : coef;
    let relaxed: RelaxedSolution;
    let serverHz = p.server.fMax;
    if (p.energyScope === 'agent') {
      const b = agentBudgets(p, cut);
      relaxed = solveRelaxedSca({ coef: c, params: work, lo, hi, cyclesPerParamBit: 1, kappa: p.agent.kappa, fMin: p.agent.fMin, fMax: p.agent.fMax, Tav: b.Tav, Eav: b.Eav, ...(obj ? { objective: obj } : {}) });
    } else {
      const cap = capOf(p, cut, {}, maxWorkload(p, cut));
      const fill = cap.Cmax < 0 ? null : obj ? waterFillConvex(obj, work, lo, hi, cap.Cmax) : waterFill(c, work, lo, hi, cap.Cmax);
      if (!fill) continue;
      const C = fill.reduce((s, x, g) => s + work[g] * x, 0);
      const clk = clocksFor(p, cut, C);
      serverHz = clk.serverHz;
      const value = fill.reduce((s, x, g) => s + (obj ? obj.value(g, x) : c[g] * 2 ** -x), 0);
      relaxed = { feasible: clk.feasible, bits: fill, hz: clk.agentHz, DU: value, iterations: 0 };
    }
    const bits = shared ? cut.groups.map(() => relaxed.bits[0]) : relaxed.bits;
    if (!relaxed.feasible) continue;
    const v = relaxed.DU + cut.serverObj;
    if (!best || v < best.relaxed.DU + best.cut.serverObj) best = { cut, relaxed, bits, serverHz };
  }
  return best;
}

/** Clock the paper's method runs at: its continuous clock, rounded to the nearest level if the device has levels. */
function paperClock(levels: number[] | null, hz: number): number {
  if (!levels) return hz;
  return levels.reduce((a, l) => (Math.abs(l - hz) < Math.abs(a - hz) ? l : a), levels[0]);
}

/** (1) The paper's method: the relaxation, then bits rounded to the nearest allowed value, clocks kept. */
export function solvePaper(p: PlanProblem): PlanResult {
  const sca = relaxedPaper(p);
  if (!sca) return noPlan(p, 'paper', diagnose(p), ['the continuous relaxation has no feasible point']);
  const allowed = p.bound === 'paper' ? p.bits.filter((b) => b >= 2) : p.bits;
  const bits = sca.bits.map((x) => nearestAllowed(x, allowed.length ? allowed : p.bits));
  const hz = paperClock(p.agent.levels, sca.relaxed.hz);
  const serverHz = paperClock(p.server.levels, sca.serverHz);
  const how = p.energyScope === 'agent' ? `after ${sca.relaxed.iterations} SCA iterations` : 'at the workload cap (the SCA fixed point; agent and server clocks both chosen)';
  const r = planResult(p, 'paper', sca.cut, bits, hz, serverHz, {
    solver: { exact: false, lowerBound: sca.relaxed.DU + sca.cut.serverObj, nodes: sca.relaxed.iterations, coreGroups: 0 },
    notes: [`relaxed optimum ${p.bound === 'paper' ? (p.objective === 'du' ? 'D^U' : 'D^U − D^L') : p.objective === 'du' ? 'D_U' : 'D_U − D_L'} = ${(sca.relaxed.DU + sca.cut.serverObj).toPrecision(6)} ${how}, at ${sca.bits.length && sca.bits.every((x) => x === sca.bits[0]) ? `b = ${sca.bits[0].toFixed(3)}` : 'continuous bits'}`],
  });
  if (!r.feasible) r.notes.push(`rounding to the nearest bit broke the plan: ${r.violations.join('; ')}`);
  r.binding = r.violations.map((v) => v.split(':')[0]);
  return r;
}

/** (2) The paper's rounded plan, repaired: step bits down (cheapest objective increase per workload saved) until feasible. */
export function solvePaperRepaired(p: PlanProblem): PlanResult {
  const sca = relaxedPaper(p);
  if (!sca) return noPlan(p, 'paper-repaired', diagnose(p), ['the continuous relaxation has no feasible point']);
  const cut = sca.cut;
  const opts = groupOptions(p, cut);
  const bits = sca.bits.map((x, i) => nearestAllowed(x, opts[i].length ? opts[i] : p.bits));
  let steps = 0;
  for (;;) {
    const clk = clocksFor(p, cut, agentCycles(p, cut, bits));
    if (clk.feasible) {
      const r = planResult(p, 'paper-repaired', cut, bits, clk.agentHz, clk.serverHz, {
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
        const ratio = (groupValue(p, cut, i, lower) - groupValue(p, cut, i, b)) / (cut.groups[i].work * (b - lower));
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

/** (3) Every agent group at a fixed bit-width, with the best clocks; the best cut among feasible ones. */
export function solveFixed(p: PlanProblem, b: 8 | 16): PlanResult {
  const method: Method = b === 8 ? 'fixed8' : 'fixed16';
  let best: PlanResult | null = null;
  for (const cut of p.cuts) {
    const bits = cut.groups.map(() => b);
    const clk = clocksFor(p, cut, agentCycles(p, cut, bits));
    const r = planResult(p, method, cut, bits, clk.agentHz, clk.serverHz, { solver: { exact: false, lowerBound: null, nodes: 0, coreGroups: 0 } });
    r.binding = r.violations.map((v) => v.split(':')[0]);
    if (!best || (r.feasible && !best.feasible) || (r.feasible === best.feasible && (r.objective as number) < (best.objective as number))) best = r;
  }
  return best as PlanResult;
}

export interface MethodOptions {
  /** Seed of the random baselines (feasible-random, ppo); default 1. */
  seed?: number;
  /** Random bit-width draws of feasible-random (default 400, the paper's number). */
  draws?: number;
  /** PPO training budget: sampled designs (default 4096). */
  ppoSteps?: number;
}

export const DEFAULT_DRAWS = 400;
export const DEFAULT_PPO_STEPS = 4096;

/**
 * (6) The paper's "feasible random" baseline: `draws` random bit-width choices (a cut, then one
 * shared value or one per group, uniform over the allowed set), each run at its best clocks; the
 * feasible draw with the lowest objective wins.
 */
export function solveFeasibleRandom(p: PlanProblem, o: MethodOptions = {}): PlanResult {
  const draws = o.draws ?? DEFAULT_DRAWS;
  const seed = o.seed ?? 1;
  const rand = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.min(xs.length - 1, Math.floor(rand() * xs.length))];
  let best: { cut: PlanCut; bits: number[]; agentHz: number; serverHz: number; obj: number } | null = null;
  let feasibleDraws = 0;
  const optsByCut = new Map(p.cuts.map((c) => [c, groupOptions(p, c)]));
  for (let i = 0; i < draws; i++) {
    const cut = pick(p.cuts);
    const opts = optsByCut.get(cut) as number[][];
    let bits: number[];
    if (p.mode === 'shared') {
      const common = p.bits.filter((b) => cut.groups.every((g) => b >= g.minBits));
      if (!common.length) continue;
      const b = pick(common);
      bits = cut.groups.map(() => b);
    } else {
      if (opts.some((x) => x.length === 0)) continue;
      bits = opts.map((x) => pick(x));
    }
    const clk = clocksFor(p, cut, agentCycles(p, cut, bits));
    if (!clk.feasible) continue;
    const ev = evaluatePlan(p, cut, bits, clk.agentHz, clk.serverHz);
    if (!ev.feasible) continue;
    feasibleDraws++;
    if (!best || ev.objective < best.obj) best = { cut, bits, agentHz: clk.agentHz, serverHz: clk.serverHz, obj: ev.objective };
  }
  const note = `${draws} random bit-width draws (seed ${seed}), ${feasibleDraws} feasible at their best clocks`;
  if (!best) {
    const r = noPlan(p, 'feasible-random', diagnose(p), [note]);
    r.violations = [`none of the ${draws} random draws is feasible`];
    return r;
  }
  const r = planResult(p, 'feasible-random', best.cut, best.bits, best.agentHz, best.serverHz, { solver: { exact: false, lowerBound: null, nodes: draws, coreGroups: 0 }, notes: [note] });
  r.binding = r.violations.map((v) => v.split(':')[0]);
  return r;
}

/** Clock levels a learner chooses from: the device's levels, or 16 evenly spaced clocks up to fMax. */
export function clockGrid(d: PlanProblem['agent'], n = 16): number[] {
  if (d.levels) return d.levels.slice();
  return Array.from({ length: n }, (_, k) => d.fMin + ((d.fMax - d.fMin) * (k + 1)) / n);
}

/**
 * (7) The paper's deep-RL baseline: PPO (ppo.ts) over the discrete design — the bit-width(s), the
 * agent clock level and, with the total energy scope, the server clock level (16 evenly spaced
 * clocks for a continuous range) — trained for `ppoSteps` sampled designs per cut. Reward: for a
 * feasible design log2(objective at the lowest bits / objective) (one unit per bit of D_U), for an
 * infeasible one −1 − 5·min(1, relative excess over T0 and E0). The trained policy's mode is the plan;
 * if the mode breaks a constraint, the best feasible design sampled during training is used.
 */
export function solvePpo(p: PlanProblem, o: MethodOptions = {}): PlanResult {
  const steps = o.ppoSteps ?? DEFAULT_PPO_STEPS;
  const seed = o.seed ?? 1;
  let best: PlanResult | null = null;
  p.cuts.forEach((cut, ci) => {
    const opts = groupOptions(p, cut);
    const shared = p.mode === 'shared';
    const common = p.bits.filter((b) => cut.groups.every((g) => b >= g.minBits));
    const bitDims = shared ? [common] : opts;
    if (bitDims.some((x) => x.length === 0)) return;
    const aGrid = clockGrid(p.agent);
    const sGrid = p.energyScope === 'total' ? clockGrid(p.server) : [p.server.fMax];
    // Clocks first, then the bits, each bit dimension conditioned on the two clock choices.
    const dims = [aGrid.length, sGrid.length, ...bitDims.map((x) => x.length)];
    const parents = dims.map((_, d) => (d < 2 ? [] : [0, 1]));
    const decode = (a: readonly number[]) => {
      const bits = shared ? cut.groups.map(() => common[a[2]]) : opts.map((x, g) => x[a[2 + g]]);
      return { bits, fa: aGrid[a[0]], fs: sGrid[a[1]] };
    };
    const lowest = shared ? cut.groups.map(() => common[0]) : opts.map((x) => x[0]);
    const ref = evaluatePlan(p, cut, lowest, p.agent.fMax, p.server.fMax).objective;
    const cache = new Map<string, number>();
    const reward = (a: readonly number[]) => {
      const key = a.join(',');
      const hit = cache.get(key);
      if (hit !== undefined) return hit;
      const d = decode(a);
      const ev = evaluatePlan(p, cut, d.bits, d.fa, d.fs);
      // Relative excess over the budgets, capped at 1 so a few wild designs cannot dominate the advantage scale.
      const excess = Math.min(1, Math.max(0, ev.delay.total / p.T0 - 1) + Math.max(0, ev.energy.total / p.E0 - 1) + ev.violations.filter((v) => !v.startsWith('deadline') && !v.startsWith('energy')).length);
      const r = ev.feasible ? Math.log2(ref / ev.objective) : -1 - 5 * excess;
      cache.set(key, r);
      return r;
    };
    const out = trainPpo(dims, reward, { steps, seed: seed + 7919 * ci, parents });
    const mode = decode(out.greedy);
    const modeOk = evaluatePlan(p, cut, mode.bits, mode.fa, mode.fs).feasible;
    // The policy's mode is the design; if it breaks a constraint, the best feasible design it sampled is deployed instead.
    const fallback = !modeOk && out.bestSample && out.bestSample.reward >= 0 ? decode(out.bestSample.action) : null;
    const d = fallback ?? mode;
    const r = planResult(p, 'ppo', cut, d.bits, d.fa, d.fs, {
      solver: { exact: false, lowerBound: null, nodes: out.samples, coreGroups: 0 },
      notes: [
        `PPO: ${out.samples} sampled designs in ${out.iterations} updates (seed ${seed}); mean reward ${out.firstMeanReward.toFixed(3)} → ${out.lastMeanReward.toFixed(3)}; ${fallback ? "the policy's mode breaks a constraint, so the best feasible sampled design is used" : "the plan is the trained policy's mode"}`,
      ],
    });
    r.binding = r.violations.map((v) => v.split(':')[0]);
    if (!best || (r.feasible && !best.feasible) || (r.feasible === best.feasible && (r.objective as number) < (best.objective as number))) best = r;
  });
  return best ?? noPlan(p, 'ppo', diagnose(p), ['no cut has an allowed bit-width']);
}

/**
 * A fixed-clock design without any plan: say what the lowest bits cost at those clocks (the
 * problem-level diagnosis would describe the free-clock problem instead).
 */
export function explainFixedClocks(p: PlanProblem, r: PlanResult, agentHz: number, serverHz: number): PlanResult {
  if (r.bits !== null) return r;
  const parts: string[] = [];
  for (const cut of p.cuts) {
    const lows = cut.groups.map((g) => g.minBits);
    if (lows.some((b) => !Number.isFinite(b))) continue;
    const bits = p.mode === 'shared' ? lows.map(() => Math.max(...lows)) : lows;
    const ev = evaluatePlan(p, cut, bits, agentHz, serverHz);
    const where = p.cuts.length > 1 ? ` (cut ${cut.name})` : '';
    const server = p.energyScope === 'total' ? `, of which the server ${Number(ev.energy.server.toPrecision(4))} J` : '';
    parts.push(`at the fixed clocks (agent ${Number((agentHz / 1e9).toPrecision(4))} GHz, server ${Number((serverHz / 1e9).toPrecision(4))} GHz)${where} even the lowest bits take ${Number(ev.delay.total.toPrecision(4))} s and ${Number(ev.energy.total.toPrecision(4))} J${server}: ${ev.violations.join('; ') || 'no constraint broken'}`);
  }
  if (parts.length) r.violations = parts;
  return r;
}

export function solveMethod(p: PlanProblem, method: Method, o: MethodOptions = {}): PlanResult {
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
      // (4) The paper's "fixed maximum frequency": agent and server clocks at their maxima, the best bits for them.
      return explainFixedClocks(p, solveWith(p, 'maxclock', { fixedAgentHz: p.agent.fMax, fixedServerHz: p.server.fMax }), p.agent.fMax, p.server.fMax);
    case 'delay-only':
      // (5) design against the deadline only, then judged against E0 as well.
      return solveWith(p, 'delay-only', { ignoreEnergy: true });
    case 'feasible-random':
      return solveFeasibleRandom(p, o);
    case 'ppo':
      return solvePpo(p, o);
  }
}
