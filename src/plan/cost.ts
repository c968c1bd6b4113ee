/**
 * The independent evaluator (SPEC §5). Given a cut, agent bit-widths and both clocks it computes
 * the delay and energy of every stage, D_U and D_L, and the slack of every constraint, straight
 * from the definitions. Every solver reports its plan through `evaluatePlan`, and the tests
 * check the solvers with it, so a solver bug cannot hide behind its own bookkeeping.
 */
import { unitDL, unitDU, unitGap, unitObjective } from './objective.ts';
import type { PlanCut, Device, PlanProblem } from './problem.ts';

/** Relative tolerance on T0 / E0 / clock ranges when checking a plan (floating-point slack only). */
export const FEAS_TOL = 1e-9;

export interface Stages {
  agent: number;
  link: number;
  server: number;
  total: number;
}

export interface Evaluation {
  feasible: boolean;
  /** Human-readable, one per broken constraint, e.g. `deadline: 3.61 s > T0 = 3.5 s`. */
  violations: string[];
  delay: Stages;
  /** `total` is what E0 limits: agent compute + link, plus the server with the paper's total-energy scope. */
  energy: Stages;
  /** Model-level upper bound under the problem's bound, and the lower bound D_L (= the paper's D^L). */
  DU: number;
  DL: number;
  /** What the plan minimises: DU (objective du) or DU − DL (objective gap). */
  objective: number;
  slack: { delay: number; energy: number; tightness: number | null };
  agentCycles: number;
  serverCycles: number;
}

const POW2NEG = Float64Array.from({ length: 65 }, (_, b) => 2 ** -b);
/** 2^(−b), from a table for the integer bit-widths every plan uses. */
export const pow2neg = (b: number) => (Number.isInteger(b) && b >= 0 && b <= 64 ? POW2NEG[b] : 2 ** -b);

/**
 * Model-level bounds (SPEC §4, or the paper's Eq. 26 with `bound: paper`):
 * D_U = Σ α_g (N_g/N) D_U(b_g; λ_g) (+ server part), D_L = Σ α_g (N_g/N) 2^(−b_g)/λ_g, and the objective.
 */
export function distortion(p: PlanProblem, cut: PlanCut, bits: readonly number[]): { DU: number; DL: number; objective: number } {
  let du = 0;
  let dl = 0;
  let obj = 0;
  for (let i = 0; i < cut.groups.length; i++) {
    const g = cut.groups[i];
    const w = (g.alpha * g.params) / p.totalParams;
    du += w * unitDU(p.bound, bits[i], g.lambda);
    dl += w * unitDL(bits[i], g.lambda);
    obj += w * unitObjective(p.objective, p.bound, bits[i], g.lambda);
  }
  return { DU: du + cut.serverDU, DL: dl + cut.serverDL, objective: obj + cut.serverObj };
}

/** Agent cycles of a plan: Σ_g work_g·b_g (c·N_g·b_g, or b_g·N_FLOP,g/(b·c) with the FLOP model). */
export function agentCycles(p: PlanProblem, cut: PlanCut, bits: readonly number[]): number {
  let w = 0;
  for (let i = 0; i < cut.groups.length; i++) w += cut.groups[i].work * bits[i];
  return w;
}

/** Agent cycles per bit when every group has the same bit-width. */
export function sharedWork(cut: PlanCut): number {
  let w = 0;
  for (const g of cut.groups) w += g.work;
  return w;
}

/** Server cycles of a cut: serverWork·serverBits (c_s·b_s·N_s, or Ñ_FLOP/c̃ at the stored bit-width). */
export function serverCycles(p: PlanProblem, cut: PlanCut): number {
  return cut.serverWork * p.serverBits;
}

/** Delay and energy of the parts that do not depend on the agent's bits: link and server (server at the given clock). */
export function fixedStages(p: PlanProblem, cut: PlanCut, serverHz: number) {
  const S = cut.featureElems * p.link.featureBits;
  const linkT = S / p.link.rateBps;
  const linkE = p.link.txPowerW * linkT;
  const sC = serverCycles(p, cut);
  const serverT = sC === 0 ? 0 : sC / serverHz;
  const serverE = p.server.kappa * sC * serverHz * serverHz;
  return { linkT, linkE, serverCycles: sC, serverT, serverE };
}

function clockAllowed(d: ClockDevice, f: number): boolean {
  if (d.levels) return d.levels.some((l) => Math.abs(l - f) <= FEAS_TOL * l);
  return f >= d.fMin * (1 - FEAS_TOL) && f <= d.fMax * (1 + FEAS_TOL);
}

const fmt = (x: number, unit: string) => `${Number(x.toPrecision(4))} ${unit}`;

/** Evaluates a complete plan from the definitions. `bits[i]` belongs to `cut.groups[i]`. */
export function evaluatePlan(p: PlanProblem, cut: PlanCut, bits: readonly number[], agentHz: number, serverHz: number): Evaluation {
  const violations: string[] = [];
  const C = agentCycles(p, cut, bits);
  const fx = fixedStages(p, cut, serverHz);
  const agentT = C === 0 ? 0 : C / agentHz;
  const agentE = p.agent.kappa * C * agentHz * agentHz;
  const delay: Stages = { agent: agentT, link: fx.linkT, server: fx.serverT, total: agentT + fx.linkT + fx.serverT };
  const energy: Stages = { agent: agentE, link: fx.linkE, server: fx.serverE, total: agentE + fx.linkE + (p.energyScope === 'total' ? fx.serverE : 0) };
  const { DU, DL, objective } = distortion(p, cut, bits);
  if (!(delay.total <= p.T0 * (1 + FEAS_TOL))) violations.push(`deadline: ${fmt(delay.total, 's')} > T0 = ${fmt(p.T0, 's')}`);
  if (!(energy.total <= p.E0 * (1 + FEAS_TOL))) violations.push(`energy: ${fmt(energy.total, 'J')} > E0 = ${fmt(p.E0, 'J')}`);
  if (!clockAllowed(p.agent, agentHz)) violations.push(`agent clock ${fmt(agentHz / 1e9, 'GHz')} is not an allowed clock`);
  if (!clockAllowed(p.server, serverHz)) violations.push(`server clock ${fmt(serverHz / 1e9, 'GHz')} is not an allowed clock`);
  const allowed = new Set(p.bits);
  let worstGap = -Infinity;
  for (let i = 0; i < cut.groups.length; i++) {
    const g = cut.groups[i];
    if (!allowed.has(bits[i])) violations.push(`bits: ${g.name} uses ${bits[i]} bits, not in the allowed set`);
    if (p.bound === 'paper' && bits[i] < 2) violations.push(`bits: ${g.name} at ${bits[i]} bit has an infinite D^U under the paper's bound (rate 0)`);
    if (p.epsilon !== null) {
      const gap = unitGap(p.bound, g.alpha, bits[i], g.lambda);
      worstGap = Math.max(worstGap, gap);
      if (gap > p.epsilon * (1 + FEAS_TOL)) violations.push(`tightness: ${g.name} at ${bits[i]} bits has D_U − D_L = ${gap.toPrecision(4)} > epsilon = ${p.epsilon}`);
    }
  }
  return {
    feasible: violations.length === 0,
    violations,
    delay,
    energy,
    DU,
    DL,
    objective,
    slack: { delay: p.T0 - delay.total, energy: p.E0 - energy.total, tightness: p.epsilon === null ? null : p.epsilon - worstGap },
    agentCycles: C,
    serverCycles: fx.serverCycles,
  };
}

/**
 * Time and energy left for the agent's compute once link and server have taken theirs, with the
 * server at `serverHz`. By default the server runs flat out: with the agent energy scope its energy
 * is not constrained. With the total scope (the paper's Eq. 9) its energy at that clock is taken
 * out of E0 too; the exact planner then chooses the server clock as well (clocks.ts).
 */
export function agentBudgets(p: PlanProblem, cut: PlanCut, serverHz = p.server.fMax): { Tav: number; Eav: number; serverHz: number } {
  const fx = fixedStages(p, cut, serverHz);
  return { Tav: p.T0 - fx.linkT - fx.serverT, Eav: p.E0 - fx.linkE - (p.energyScope === 'total' ? fx.serverE : 0), serverHz };
}

/** The clock-related fields of a device (what the clock formulas need). */
export type ClockDevice = Pick<Device, 'fMin' | 'fMax' | 'levels' | 'kappa'>;

/**
 * Best agent clock for a fixed workload C (closed form): the fastest clock the range and the
 * energy cap sqrt(Eav/(κC)) allow, which minimises delay. `feasible` says whether it also meets
 * the deadline. Discrete levels: the fastest level within the energy cap.
 */
export function bestAgentClock(d: ClockDevice, C: number, Tav: number, Eav: number): { hz: number; feasible: boolean } {
  if (C === 0) return { hz: d.fMax, feasible: Tav >= 0 && Eav >= 0 };
  const eCap = d.kappa === 0 ? Infinity : Eav < 0 ? -1 : Math.sqrt(Eav / (d.kappa * C));
  if (d.levels) {
    let hz = -1;
    for (const l of d.levels) if (l <= eCap * (1 + FEAS_TOL)) hz = l;
    if (hz < 0) return { hz: d.levels[0], feasible: false };
    return { hz, feasible: C / hz <= Tav * (1 + FEAS_TOL) };
  }
  const hz = Math.min(d.fMax, eCap);
  if (!(hz >= d.fMin * (1 - FEAS_TOL)) || hz <= 0) return { hz: Math.max(d.fMin, 0) || d.fMax, feasible: false };
  return { hz, feasible: C / hz <= Tav * (1 + FEAS_TOL) };
}

export type BindingConstraint = 'deadline' | 'energy' | 'deadline+energy' | 'none' | 'infeasible';

/**
 * The feasible agent workloads form a threshold C ≤ Cmax (closed form). Continuous clocks:
 * f ≥ C/Tav, f ≤ fMax, κCf² ≤ Eav, f ≥ fMin give Cmax = min(Tav·fMax, Eav/(κ fMin²), (Eav Tav²/κ)^(1/3)).
 * Discrete levels: a level f allows C ≤ min(Tav f, Eav/(κ f²)), so Cmax is the max over levels.
 * `limiter` names which term sets Cmax.
 */
export function workloadCap(d: ClockDevice, Tav: number, Eav: number): { Cmax: number; limiter: BindingConstraint; hz: number } {
  if (Tav < 0 || Eav < 0) return { Cmax: -1, limiter: 'infeasible', hz: d.fMax };
  const k = d.kappa;
  if (d.levels) {
    let best = { Cmax: -1, limiter: 'infeasible' as BindingConstraint, hz: d.levels[0] };
    for (const f of d.levels) {
      const cT = Tav * f;
      const cE = k === 0 ? Infinity : Eav / (k * f * f);
      const c = Math.min(cT, cE);
      if (c > best.Cmax) best = { Cmax: c, limiter: cT <= cE ? 'deadline' : 'energy', hz: f };
    }
    // A deadline limit below the top level, or an energy limit above the bottom one, means both bind.
    if (best.limiter === 'deadline' && best.hz < d.fMax) best.limiter = 'deadline+energy';
    if (best.limiter === 'energy' && best.hz > d.fMin) best.limiter = 'deadline+energy';
    return best;
  }
  const cT = Tav * d.fMax;
  const cE = k === 0 || d.fMin === 0 ? Infinity : Eav / (k * d.fMin * d.fMin);
  const cTE = k === 0 ? Infinity : Math.cbrt((Eav * Tav * Tav) / k);
  if (cT <= cE && cT <= cTE) return { Cmax: cT, limiter: 'deadline', hz: d.fMax };
  if (cE <= cTE) return { Cmax: cE, limiter: 'energy', hz: d.fMin };
  return { Cmax: cTE, limiter: 'deadline+energy', hz: Tav > 0 ? cTE / Tav : d.fMax };
}
