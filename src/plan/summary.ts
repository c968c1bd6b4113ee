/**
 * The human-readable `plan` summary: the plan, its per-stage delay and energy, and one paragraph
 * that says in words which constraint binds and what the next better plan would have cost.
 */
import { objectiveLabel } from './objective.ts';
import type { PlanProblem } from './problem.ts';
import type { PlanResult } from './result.ts';

const n = (x: number, d = 4) => Number(x.toPrecision(d)).toString();
const ghz = (hz: number) => `${n(hz / 1e9)} GHz`;
/** Rounding residue (|x| below 1e-12 of the budget) prints as 0. */
const sec = (t: number) => `${n(Math.abs(t) < 1e-12 ? 0 : t)} s`;
const joule = (e: number) => `${n(Math.abs(e) < 1e-12 ? 0 : e)} J`;

/** The paragraph that explains the binding constraint. */
export function explainBinding(p: PlanProblem, r: PlanResult): string {
  if (!r.bits) {
    const d = r.diagnosis;
    const parts = [`No plan meets the constraints: ${d?.reason ?? 'infeasible'}.`];
    if (d) {
      parts.push(d.minT0 !== null ? `With E0 = ${joule(p.E0)} held, a plan exists from T0 = ${sec(d.minT0)}.` : `With E0 = ${joule(p.E0)} held, no deadline is long enough.`);
      parts.push(d.minE0 !== null ? `With T0 = ${sec(p.T0)} held, a plan exists from E0 = ${joule(d.minE0)}.` : `With T0 = ${sec(p.T0)} held, no energy budget is enough.`);
    }
    return parts.join(' ');
  }
  if (!r.feasible) return `This ${r.method} plan breaks its constraints: ${r.violations.join('; ')}.`;
  const ns = r.nextStep;
  if (!ns || r.binding.includes('bits-max')) {
    return `No budget binds: every agent group is already at the largest allowed bit-width, with ${sec(r.slack!.delay)} and ${joule(r.slack!.energy)} to spare.`;
  }
  const step = `the next better plan (${ns.group} ${ns.fromBits} → ${ns.toBits} bits)`;
  if (p.energyScope === 'total' && !r.binding.includes('clock')) {
    const d = ns.totalDelay ?? ns.agentDelay;
    return (
      `E0 = ${joule(p.E0)} covers agent, link and server together (the paper's Eq. 9), so both clocks are chosen: ` +
      `at the fastest clocks that budget allows (agent ${ghz(ns.agentHz)}, server ${ghz(ns.serverHz ?? 0)}) ${step} would take ${sec(d)} against T0 = ${sec(p.T0)}.`
    );
  }
  const C = ns.agentDelay * ns.agentHz;
  const k = p.agent.kappa;
  if (r.binding.includes('clock')) {
    return `The clock is pinned at ${ghz(p.agent.fMax)}; at that clock ${step} would take ${sec(ns.agentDelay)} of agent time (${sec(ns.availDelay)} available) and ${joule(ns.agentEnergy)} (${joule(ns.availEnergy)} available).`;
  }
  if (r.limiter === 'deadline') {
    return `The ${sec(p.T0)} deadline binds: the agent already runs at its fastest clock (${ghz(ns.agentHz)}), and ${step} would take ${sec(ns.agentDelay)} of agent time where only ${sec(ns.availDelay)} remain after the link and the server.`;
  }
  if (r.limiter === 'energy') {
    return `The ${joule(p.E0)} energy budget binds: even at the slowest clock, ${step} would use ${joule(ns.agentEnergy)} where only ${joule(ns.availEnergy)} remain after the link.`;
  }
  const fReq = C / ns.availDelay;
  const eReq = k * C * fReq * fReq;
  return (
    `The ${joule(p.E0)} energy budget and the ${sec(p.T0)} deadline bind together: ${step} would need the agent clock at ` +
    `${ghz(fReq)} to finish in the ${sec(ns.availDelay)} left, and a faster clock would cost ${joule(eReq)} (energy grows with f²) where only ` +
    `${joule(ns.availEnergy)} remain; at the fastest clock that energy allows (${ghz(ns.agentHz)}) it would take ${sec(ns.agentDelay)}.`
  );
}

export function formatSummary(p: PlanProblem, r: PlanResult, origin: string, label?: string): string {
  const L: string[] = [];
  L.push(`coquant plan (${r.method}${r.method === 'exact' ? ': certified optimum over the allowed bits and clocks' : ' baseline'}; minimises ${objectiveLabel(p.objective, p.bound)})`);
  L.push(`system: ${origin}${label ? ` — ${label}` : ''}`);
  const bitsSet = `${p.bits.length === p.bits[p.bits.length - 1] - p.bits[0] + 1 ? `${p.bits[0]}..${p.bits[p.bits.length - 1]}` : p.bits.join(',')}`;
  L.push(`constraints: T0 = ${sec(p.T0)}, E0 = ${joule(p.E0)}${p.epsilon !== null ? `, epsilon = ${p.epsilon}` : ''}; bits ${bitsSet}, ${p.mode === 'shared' ? 'one shared bit-width' : 'one bit-width per group'}; E0 limits ${p.energyScope === 'total' ? "agent + link + server (the paper's Eq. 9)" : 'the agent and the link'}; delay model ${p.agent.workload === 'flops' ? "FLOPs (the paper's Eqs. 4-7)" : 'cycles per parameter-bit'}`);
  L.push(`result: ${r.feasible ? 'feasible' : 'NOT feasible'}${r.cut ? ` at cut ${r.cut}` : ''}`);
  if (r.groups) {
    if (typeof r.bits === 'number') L.push(`  agent bits: ${r.bits} for all ${r.groups.length} group(s)`);
    else if (r.groups.length <= 24) {
      const w = Math.min(40, Math.max(...r.groups.map((g) => g.name.length)));
      for (const g of r.groups) L.push(`  ${g.name.padEnd(w)}  ${String(g.bits).padStart(2)} bits  (${n(g.params, 3)} params)`);
    } else {
      const hist = new Map<number, number>();
      for (const g of r.groups) hist.set(g.bits, (hist.get(g.bits) ?? 0) + 1);
      L.push(`  agent bits over ${r.groups.length} groups: ${[...hist.entries()].sort((a, b) => a[0] - b[0]).map(([b, c]) => `${c}×${b}`).join(', ')}`);
    }
    L.push(`  server: ${r.serverQuantized ? `${r.serverBits}-bit quantized` : `full precision (${r.serverBits} bits)`}`);
    L.push(`  clocks: agent ${ghz(r.agentHz!)} (range ${p.agent.levels ? `levels ${p.agent.levels.map((l) => n(l / 1e9)).join('/')} GHz` : `${n(p.agent.fMin / 1e9)}..${n(p.agent.fMax / 1e9)} GHz`}), server ${ghz(r.serverHz!)}`);
    const d = r.delay!;
    const e = r.energy!;
    L.push(`  delay:  agent ${sec(d.agent)} + link ${sec(d.link)} + server ${sec(d.server)} = ${sec(d.total)}  (slack ${sec(r.slack!.delay)})`);
    if (p.energyScope === 'total') L.push(`  energy: agent ${joule(e.agent)} + link ${joule(e.link)} + server ${joule(e.server)} = ${joule(e.total)}  (slack ${joule(r.slack!.energy)})`);
    else L.push(`  energy: agent ${joule(e.agent)} + link ${joule(e.link)} = ${joule(e.total)}  (slack ${joule(r.slack!.energy)}); server ${joule(e.server)}, not constrained`);
    const U = p.bound === 'paper' ? "D^U (paper's Eq. 26)" : 'D_U';
    L.push(`  ${U} = ${r.DU!.toExponential(4)}, ${p.bound === 'paper' ? "D^L (Eq. 24)" : 'D_L'} = ${r.DL!.toExponential(4)}${p.objective === 'gap' ? `, gap = ${r.objective!.toExponential(4)} (the objective)` : ''}`);
  }
  L.push('');
  L.push(explainBinding(p, r));
  for (const note of r.notes) L.push(`note: ${note}`);
  return L.join('\n');
}
