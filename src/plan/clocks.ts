/**
 * Clocks for a fixed agent workload, under either energy scope, and the workload cap that follows.
 *
 * Agent scope (ours, SPEC §5): E0 limits the agent and the link; the server runs flat out and the
 * closed forms of cost.ts apply (bestAgentClock, workloadCap).
 *
 * Total scope (the paper's Eq. 9): E0 limits agent + link + server, so both clocks are chosen. For
 * agent cycles C and server cycles C̃ the best clocks minimise the delay C/f + C̃/f̃ subject to
 * κ C f² + κ̃ C̃ f̃² ≤ Eav, then the deadline is checked. With both clocks continuous this convex
 * problem has the KKT solution f = clamp(s·κ^(−1/3)), f̃ = clamp(s·κ̃^(−1/3)) (the clock ratio is
 * fixed by the energy coefficients), with s found by bisection so the budget is spent exactly. With
 * discrete levels on one device each level is tried and the other clock is the closed form
 * √(E_left/(κC)); with levels on both every pair is tried. Feasibility is monotone in C (less work
 * never needs more time or energy), so the workload cap is found by bisection on C.
 */
import { agentBudgets, bestAgentClock, FEAS_TOL, fixedStages, serverCycles, workloadCap, type ClockDevice, type BindingConstraint } from './cost.ts';
import type { PlanCut, PlanProblem } from './problem.ts';

export interface ClockOptions {
  /** Leave the energy budget out of the design (delay-only baseline); the plan is still checked against it. */
  ignoreEnergy?: boolean;
  /** Run the agent at this clock instead of choosing it. */
  fixedAgentHz?: number;
  /** Run the server at this clock instead of choosing it (default with the agent scope: its maximum). */
  fixedServerHz?: number;
}

export interface ClockChoice {
  agentHz: number;
  serverHz: number;
  /** The workload meets T0 and E0 at these clocks. */
  feasible: boolean;
  /** Total delay and the energy E0 limits, at these clocks. */
  delay: number;
  energy: number;
}

/** T0 and E0 less the link's share: what agent and server (total scope) have between them. */
export function sharedBudgets(p: PlanProblem, cut: PlanCut): { Tav: number; Eav: number } {
  const fx = fixedStages(p, cut, p.server.fMax);
  return { Tav: p.T0 - fx.linkT, Eav: p.E0 - fx.linkE };
}

interface Stage {
  d: ClockDevice;
  C: number;
  fixed: number | undefined;
}

const within = (x: number, cap: number) => x <= cap * (1 + FEAS_TOL) || (cap === Infinity && x < Infinity);

/** Fastest clock of one device whose stage energy κCf² fits `E` (closed form; levels: the fastest level that fits). */
function fastestWithin(s: Stage, E: number): number | null {
  if (s.fixed !== undefined) return s.d.kappa * s.C * s.fixed * s.fixed <= E * (1 + FEAS_TOL) ? s.fixed : null;
  if (s.C === 0 || s.d.kappa === 0 || E === Infinity) return s.d.fMax;
  if (E < 0) return null;
  const cap = Math.sqrt(E / (s.d.kappa * s.C));
  if (s.d.levels) {
    let hz: number | null = null;
    for (const l of s.d.levels) if (l <= cap * (1 + FEAS_TOL)) hz = l;
    return hz;
  }
  const hz = Math.min(s.d.fMax, cap);
  return hz >= s.d.fMin * (1 - FEAS_TOL) && hz > 0 ? hz : null;
}

/** The clocks a device may take when its partner's clock is enumerated: fixed, or its levels. */
function discreteClocks(s: Stage): number[] | null {
  if (s.fixed !== undefined) return [s.fixed];
  return s.d.levels;
}

const t = (C: number, f: number) => (C === 0 ? 0 : C / f);
const e = (s: Stage, f: number) => s.d.kappa * s.C * f * f;

/** Minimum-delay clocks within the shared energy budget (total scope). */
function bestPair(a: Stage, s: Stage, Eav: number): { fa: number; fs: number } | null {
  if (Eav === Infinity) return { fa: a.fixed ?? a.d.fMax, fs: s.fixed ?? s.d.fMax };
  const la = discreteClocks(a);
  const ls = discreteClocks(s);
  let best: { fa: number; fs: number; T: number } | null = null;
  const consider = (fa: number, fs: number) => {
    const T = t(a.C, fa) + t(s.C, fs);
    if (!best || T < best.T) best = { fa, fs, T };
  };
  if (la && ls) {
    for (const fa of la) for (const fs of ls) if (e(a, fa) + e(s, fs) <= Eav * (1 + FEAS_TOL)) consider(fa, fs);
    return best;
  }
  if (la || ls) {
    const [disc, cont, list] = la ? [a, s, la] : [s, a, ls as number[]];
    for (const fd of list) {
      const left = Eav - e(disc, fd);
      if (left < -FEAS_TOL * Eav) continue;
      const fc = fastestWithin(cont, Math.max(0, left));
      if (fc === null) continue;
      if (la) consider(fd, fc);
      else consider(fc, fd);
    }
    return best;
  }
  // Both continuous: f_i = clamp(x·κ_i^(−1/3), fMin_i, fMax_i), the energy grows with x; spend Eav exactly.
  const clockAt = (st: Stage, x: number) => {
    if (st.C === 0 || st.d.kappa === 0) return st.d.fMax;
    return Math.min(st.d.fMax, Math.max(st.d.fMin, x / Math.cbrt(st.d.kappa)));
  };
  const energyAt = (x: number) => e(a, clockAt(a, x)) + e(s, clockAt(s, x));
  let hi = Math.max(a.d.fMax * Math.cbrt(a.d.kappa), s.d.fMax * Math.cbrt(s.d.kappa));
  if (energyAt(hi) <= Eav) return { fa: clockAt(a, hi), fs: clockAt(s, hi) };
  let lo = 0;
  if (energyAt(lo) > Eav * (1 + FEAS_TOL)) return null;
  for (let i = 0; i < 200 && hi - lo > 1e-15 * hi; i++) {
    const m = 0.5 * (lo + hi);
    if (energyAt(m) <= Eav) lo = m;
    else hi = m;
  }
  const fa = clockAt(a, lo);
  const fs = clockAt(s, lo);
  if (!(fa > 0) && a.C > 0) return null;
  if (!(fs > 0) && s.C > 0) return null;
  return { fa, fs };
}

/** Best clocks for agent workload C (cycles) on a cut, under the problem's energy scope and the options. */
export function clocksFor(p: PlanProblem, cut: PlanCut, C: number, opts: ClockOptions = {}): ClockChoice {
  const Cs = serverCycles(p, cut);
  if (p.energyScope === 'agent') {
    const serverHz = opts.fixedServerHz ?? p.server.fMax;
    const b = agentBudgets(p, cut, serverHz);
    const Eav = opts.ignoreEnergy ? Infinity : b.Eav;
    let agentHz: number;
    let ok: boolean;
    if (opts.fixedAgentHz !== undefined) {
      agentHz = opts.fixedAgentHz;
      ok = t(C, agentHz) <= b.Tav * (1 + FEAS_TOL) && p.agent.kappa * C * agentHz * agentHz <= Eav * (1 + FEAS_TOL) && b.Tav >= 0 && Eav >= 0;
    } else {
      const clk = bestAgentClock(p.agent, C, b.Tav, Eav);
      agentHz = clk.hz;
      ok = clk.feasible;
    }
    const fx = fixedStages(p, cut, serverHz);
    return { agentHz, serverHz, feasible: ok, delay: t(C, agentHz) + fx.linkT + fx.serverT, energy: p.agent.kappa * C * agentHz * agentHz + fx.linkE };
  }
  const { Tav, Eav: E } = sharedBudgets(p, cut);
  const Eav = opts.ignoreEnergy ? Infinity : E;
  const fx = fixedStages(p, cut, p.server.fMax);
  const a: Stage = { d: p.agent, C, fixed: opts.fixedAgentHz };
  const s: Stage = { d: p.server, C: Cs, fixed: opts.fixedServerHz };
  const pair = Eav < 0 ? null : bestPair(a, s, Eav);
  if (!pair) {
    const fa = opts.fixedAgentHz ?? p.agent.fMax;
    const fs = opts.fixedServerHz ?? p.server.fMax;
    return { agentHz: fa, serverHz: fs, feasible: false, delay: t(C, fa) + t(Cs, fs) + fx.linkT, energy: e(a, fa) + e(s, fs) + fx.linkE };
  }
  const delay = t(C, pair.fa) + t(Cs, pair.fs);
  const energy = e(a, pair.fa) + e(s, pair.fs);
  return { agentHz: pair.fa, serverHz: pair.fs, feasible: Tav >= 0 && within(delay, Tav) && within(energy, Eav), delay: delay + fx.linkT, energy: energy + fx.linkE };
}

export interface CutCap {
  /** Largest feasible agent workload (cycles); −1 when none is. */
  Cmax: number;
  limiter: BindingConstraint;
  /** Agent time and energy available (agent scope; with the total scope: what agent and server share). */
  Tav: number;
  Eav: number;
  serverHz: number;
}

/**
 * The workload cap of one cut: agent workloads C ≤ Cmax are feasible, larger ones are not. Agent
 * scope: closed form (cost.ts workloadCap, or the fixed-clock lines). Total scope: bisection on C
 * over `clocksFor` up to `Cup` (the largest workload any plan can have), to 1e-13 relative.
 */
export function cutCap(p: PlanProblem, cut: PlanCut, opts: ClockOptions = {}, Cup = Infinity): CutCap {
  if (p.energyScope === 'agent') {
    const b = agentBudgets(p, cut, opts.fixedServerHz ?? p.server.fMax);
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
  const { Tav, Eav: E } = sharedBudgets(p, cut);
  const Eav = opts.ignoreEnergy ? Infinity : E;
  const base = { Tav, Eav, serverHz: opts.fixedServerHz ?? p.server.fMax };
  if (!clocksFor(p, cut, 0, opts).feasible) return { Cmax: -1, limiter: 'infeasible', ...base };
  let hi = Math.min(Cup, Tav * (opts.fixedAgentHz ?? p.agent.fMax));
  if (!Number.isFinite(hi)) return { Cmax: Infinity, limiter: 'none', ...base };
  if (clocksFor(p, cut, hi, opts).feasible) {
    // Every plan fits (no constraint limits the bits): no cap, so rounding in Σ work·b cannot exclude the top plan.
    return hi < Cup ? { Cmax: hi, limiter: 'deadline', ...base } : { Cmax: Infinity, limiter: 'none', ...base };
  }
  let lo = 0;
  for (let i = 0; i < 300 && hi - lo > 1e-13 * hi; i++) {
    const m = 0.5 * (lo + hi);
    if (clocksFor(p, cut, m, opts).feasible) lo = m;
    else hi = m;
  }
  // Which constraint stops a larger workload: the clocks at the cap say.
  const at = clocksFor(p, cut, lo, opts);
  const fx = fixedStages(p, cut, p.server.fMax);
  const delayTight = at.delay - fx.linkT >= Tav * (1 - 1e-6);
  const energyTight = at.energy - fx.linkE >= Eav * (1 - 1e-6);
  const limiter: BindingConstraint = delayTight && energyTight ? 'deadline+energy' : energyTight ? 'energy' : 'deadline';
  return { Cmax: lo, limiter, ...base };
}
