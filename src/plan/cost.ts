/**
 * The independent evaluator (SPEC §5). Given a cut, agent bit-widths and both clocks it computes
 * the delay and energy of every stage, D_U and D_L, and the slack of every constraint, straight
 * from the definitions. Every solver reports its plan through `evaluatePlan`, and the tests
 * check the solvers with it, so a solver bug cannot hide behind its own bookkeeping.
 */
import type { Cut, Device, PlanProblem } from './problem.ts';

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
  /** `total` is what E0 limits: agent compute + link. The server's energy is reported, not constrained. */
  energy: Stages;
  DU: number;
  DL: number;
  slack: { delay: number; energy: number; tightness: number | null };
  agentCycles: number;
  serverCycles: number;
}

const POW2NEG = Float64Array.from({ length: 65 }, (_, b) => 2 ** -b);
/** 2^(−b), from a table for the integer bit-widths every plan uses. */
export const pow2neg = (b: number) => (Number.isInteger(b) && b >= 0 && b <= 64 ? POW2NEG[b] : 2 ** -b);

/** Model-level distortion bounds (SPEC §4): D_U = Σ α_g (N_g/N) 2^(1−b_g)/λ_g (+ server part), D_L = D_U/2. */
export function distortion(p: PlanProblem, cut: Cut, bits: readonly number[]): { DU: number; DL: number } {
  let dl = 0;
  for (let i = 0; i < cut.groups.length; i++) {
    const g = cut.groups[i];
    dl += (g.alpha * (g.params / p.totalParams) * pow2neg(bits[i])) / g.lambda;
  }
  return { DU: 2 * dl + cut.serverDU, DL: dl + cut.serverDL };
}

export function agentCycles(p: PlanProblem, cut: Cut, bits: readonly number[]): number {
  let w = 0;
  for (let i = 0; i < cut.groups.length; i++) w += cut.groups[i].params * bits[i];
  return p.agent.cyclesPerParamBit * w;
}

/** Delay and energy of the fixed parts: link and server (server at the given clock). */
export function fixedStages(p: PlanProblem, cut: Cut, serverHz: number) {
  const S = cut.featureElems * p.link.featureBits;
  const linkT = S / p.link.rateBps;
  const linkE = p.link.txPowerW * linkT;
  const serverCycles = p.server.cyclesPerParamBit * p.serverBits * cut.serverParams;
  const serverT = serverCycles === 0 ? 0 : serverCycles / serverHz;
  const serverE = p.server.kappa * serverCycles * serverHz * serverHz;
  return { linkT, linkE, serverCycles, serverT, serverE };
}

function clockAllowed(d: Device, f: number): boolean {
  if (d.levels) return d.levels.some((l) => Math.abs(l - f) <= FEAS_TOL * l);
  return f >= d.fMin * (1 - FEAS_TOL) && f <= d.fMax * (1 + FEAS_TOL);
}

const fmt = (x: number, unit: string) => `${Number(x.toPrecision(4))} ${unit}`;

/** Evaluates a complete plan from the definitions. `bits[i]` belongs to `cut.groups[i]`. */
export function evaluatePlan(p: PlanProblem, cut: Cut, bits: readonly number[], agentHz: number, serverHz: number): Evaluation {
  const violations: string[] = [];
  const C = agentCycles(p, cut, bits);
  const fx = fixedStages(p, cut, serverHz);
  const agentT = C === 0 ? 0 : C / agentHz;
  const agentE = p.agent.kappa * C * agentHz * agentHz;
  const delay: Stages = { agent: agentT, link: fx.linkT, server: fx.serverT, total: agentT + fx.linkT + fx.serverT };
  const energy: Stages = { agent: agentE, link: fx.linkE, server: fx.serverE, total: agentE + fx.linkE };
  const { DU, DL } = distortion(p, cut, bits);
  if (!(delay.total <= p.T0 * (1 + FEAS_TOL))) violations.push(`deadline: ${fmt(delay.total, 's')} > T0 = ${fmt(p.T0, 's')}`);
  if (!(energy.total <= p.E0 * (1 + FEAS_TOL))) violations.push(`energy: ${fmt(energy.total, 'J')} > E0 = ${fmt(p.E0, 'J')}`);
  if (!clockAllowed(p.agent, agentHz)) violations.push(`agent clock ${fmt(agentHz / 1e9, 'GHz')} is not an allowed clock`);
  if (!clockAllowed(p.server, serverHz)) violations.push(`server clock ${fmt(serverHz / 1e9, 'GHz')} is not an allowed clock`);
  const allowed = new Set(p.bits);
  let worstGap = -Infinity;
  for (let i = 0; i < cut.groups.length; i++) {
    const g = cut.groups[i];
    if (!allowed.has(bits[i])) violations.push(`bits: ${g.name} uses ${bits[i]} bits, not in the allowed set`);
    if (p.epsilon !== null) {
      const gap = (g.alpha * 2 ** -bits[i]) / g.lambda;
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
    slack: { delay: p.T0 - delay.total, energy: p.E0 - energy.total, tightness: p.epsilon === null ? null : p.epsilon - worstGap },
    agentCycles: C,
    serverCycles: fx.serverCycles,
  };
}

/** Time and energy left for the agent's compute once link and server have taken theirs. */
export function agentBudgets(p: PlanProblem, cut: Cut): { Tav: number; Eav: number; serverHz: number } {
  const serverHz = p.server.fMax; // the server's energy is not constrained, so it runs flat out
  const fx = fixedStages(p, cut, serverHz);
  return { Tav: p.T0 - fx.linkT - fx.serverT, Eav: p.E0 - fx.linkE, serverHz };
}

/**
 * Best agent clock for a fixed workload C (closed form): the fastest clock the range and the
 * energy cap sqrt(Eav/(κC)) allow, which minimises delay. `feasible` says whether it also meets
 * the deadline. Discrete levels: the fastest level within the energy cap.
 */
export function bestAgentClock(d: Device, C: number, Tav: number, Eav: number): { hz: number; feasible: boolean } {
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

export type Limiter = 'deadline' | 'energy' | 'deadline+energy' | 'none' | 'infeasible';

/**
 * The feasible agent workloads form a threshold C ≤ Cmax (closed form). Continuous clocks:
 * f ≥ C/Tav, f ≤ fMax, κCf² ≤ Eav, f ≥ fMin give Cmax = min(Tav·fMax, Eav/(κ fMin²), (Eav Tav²/κ)^(1/3)).
 * Discrete levels: a level f allows C ≤ min(Tav f, Eav/(κ f²)), so Cmax is the max over levels.
 * `limiter` names which term sets Cmax.
 */
export function workloadCap(d: Device, Tav: number, Eav: number): { Cmax: number; limiter: Limiter; hz: number } {
  if (Tav < 0 || Eav < 0) return { Cmax: -1, limiter: 'infeasible', hz: d.fMax };
  const k = d.kappa;
  if (d.levels) {
    let best = { Cmax: -1, limiter: 'infeasible' as Limiter, hz: d.levels[0] };
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
