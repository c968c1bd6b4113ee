/**
 * Why no plan exists, and by how much the budgets would have to grow: the smallest T0 with E0
 * held, and the smallest E0 with T0 held, in closed form (by bisection with the paper's total
 * energy scope, where both clocks are chosen) from the cheapest workload
 * (every group at its lowest allowed bit-width), minimised over the candidate cuts.
 */
import { clocksFor, sharedBudgets } from './clocks.ts';
import { agentCycles, fixedStages } from './cost.ts';
import type { PlanCut, PlanProblem } from './problem.ts';
import type { Diagnosis } from './result.ts';

/** Lowest allowed bits per group of a cut, honouring tightness and shared mode. */
export function lowestBits(p: PlanProblem, cut: PlanCut): number[] | null {
  const lows = cut.groups.map((g) => g.minBits);
  if (lows.some((b) => !Number.isFinite(b))) return null;
  if (p.mode === 'shared') {
    const m = Math.max(...lows);
    return lows.map(() => m);
  }
  return lows;
}

const s = (x: number) => Number(x.toPrecision(4));

/**
 * Total energy scope: the smallest T0 is the delay of the fastest clocks E0 allows (agent and server
 * together); the smallest E0 is found by bisection, since feasibility only improves with E0.
 */
function diagnoseTotal(p: PlanProblem, cut: PlanCut, C: number, lows: number[], where: string): { minT0: number; minE0: number; reason: string } {
  const fast = clocksFor({ ...p, T0: Infinity }, cut, C);
  const minT0 = fast.feasible ? fast.delay : Infinity;
  const ok = (E0: number) => clocksFor({ ...p, E0 }, cut, C).feasible;
  let minE0 = Infinity;
  const top = clocksFor({ ...p, E0: Infinity }, cut, C);
  if (top.feasible) {
    let hi = Math.max(top.energy, 1e-300);
    let lo = 0;
    for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
      const m = 0.5 * (lo + hi);
      if (ok(m)) hi = m;
      else lo = m;
    }
    minE0 = hi;
  }
  const { Tav, Eav } = sharedBudgets(p, cut);
  const lowest = p.mode === 'shared' ? `${lows[0]} bits` : 'the lowest allowed bits';
  let reason: string;
  if (Tav < 0) reason = `deadline${where}: the link alone takes ${s(p.T0 - Tav)} s > T0 = ${p.T0} s`;
  else if (Eav < 0) reason = `energy${where}: the link alone uses ${s(p.E0 - Eav)} J > E0 = ${p.E0} J`;
  else if (!top.feasible) reason = `deadline${where}: even at ${lowest} and both maximum clocks agent and server need ${s(top.delay)} s > T0 = ${p.T0} s`;
  else reason = `deadline and energy${where}: at ${lowest}, meeting T0 = ${p.T0} s needs ${s(minE0)} J for agent, link and server together (the paper's total energy), E0 = ${p.E0} J`;
  return { minT0, minE0, reason };
}

export function diagnose(p: PlanProblem): Diagnosis {
  let minT0 = Infinity;
  let minE0 = Infinity;
  const reasons: string[] = [];
  for (const cut of p.cuts) {
    const lows = lowestBits(p, cut);
    const where = p.cuts.length > 1 ? ` (cut ${cut.name})` : '';
    if (!lows) {
      const bad = cut.groups.find((g) => !Number.isFinite(g.minBits));
      if (p.epsilon === null) reasons.push(`bits${where}: the paper's D^U is infinite at 1 bit, and no other bit-width is allowed`);
      else reasons.push(`tightness${where}: epsilon = ${p.epsilon} is below D_U − D_L of group ${bad?.name} even at ${p.bits[p.bits.length - 1]} bits`);
      continue;
    }
    const C = agentCycles(p, cut, lows);
    if (p.energyScope === 'total') {
      const r = diagnoseTotal(p, cut, C, lows, where);
      minT0 = Math.min(minT0, r.minT0);
      minE0 = Math.min(minE0, r.minE0);
      reasons.push(r.reason);
      continue;
    }
    const fx = fixedStages(p, cut, p.server.fMax);
    const Eav = p.E0 - fx.linkE;
    const Tav = p.T0 - fx.linkT - fx.serverT;
    const { kappa: k, levels, fMin, fMax } = p.agent;
    // Smallest agent time within the energy budget E0 (fastest clock the energy allows).
    let tA = Infinity;
    if (C === 0) tA = 0;
    else if (Eav >= 0) {
      const eCap = k === 0 ? Infinity : Math.sqrt(Eav / (k * C));
      if (levels) {
        for (const f of levels) if (f <= eCap) tA = Math.min(tA, C / f);
      } else if (eCap >= fMin && eCap > 0) tA = C / Math.min(fMax, eCap);
    }
    minT0 = Math.min(minT0, fx.linkT + fx.serverT + tA);
    // Smallest agent energy that meets T0 (slowest clock the deadline allows).
    let eA = Infinity;
    if (C === 0) eA = Tav >= 0 ? 0 : Infinity;
    else if (Tav > 0) {
      const fReq = C / Tav;
      if (levels) {
        for (const f of levels) if (f >= fReq) eA = Math.min(eA, k * C * f * f);
      } else if (fReq <= fMax) eA = k * C * Math.max(fMin, fReq) ** 2;
    }
    minE0 = Math.min(minE0, fx.linkE + eA);
    const lowest = p.mode === 'shared' ? `${lows[0]} bits` : 'the lowest allowed bits';
    if (Tav < 0) reasons.push(`deadline${where}: link and server alone take ${s(fx.linkT + fx.serverT)} s > T0 = ${p.T0} s`);
    else if (Eav < 0) reasons.push(`energy${where}: the link alone uses ${s(fx.linkE)} J > E0 = ${p.E0} J`);
    else if (C / fMax > Tav) reasons.push(`deadline${where}: even at ${lowest} and the maximum clock the agent needs ${s(C / fMax)} s, only ${s(Tav)} s remain`);
    else reasons.push(`deadline and energy${where}: at ${lowest}, meeting T0 = ${p.T0} s needs ${s(eA === Infinity ? NaN : eA)} J of compute energy, only ${s(Eav)} J remain`);
  }
  return {
    minT0: Number.isFinite(minT0) ? minT0 : null,
    minE0: Number.isFinite(minE0) ? minE0 : null,
    reason: reasons.join('; '),
  };
}
