/**
 * Online re-planning. The agent starts from a plan made for the nominal link rate and energy
 * budget. As requests complete it learns the real uplink rate and what the battery still
 * allows; before each request it checks the current plan against those numbers and, when the
 * plan would now miss T0 or E0 (or a markedly better plan has become possible), solves again
 * with the exact planner. The solve takes microseconds, so this runs at the control rate.
 */
import { agentCycles, evaluatePlan } from '../../plan/cost.ts';
import { solveExact } from '../../plan/exact.ts';
import type { PlanCut, PlanProblem } from '../../plan/problem.ts';
import type { PlanResult } from '../../plan/result.ts';
import { EnergyBudget } from './energy-budget.ts';
import { LinkEstimator } from './link-estimator.ts';

export interface ActivePlan {
  result: PlanResult;
  /** Per-group bits in the cut's group order. */
  bitsVector: number[];
  bits: number | Record<string, number>;
  /**
   * Bits per agent-side group by name: what to quantize. Always per group, even when the plan
   * shares one width, so the server-side weights of a whole-model fallback stay as they are.
   */
  bitsByGroup: Record<string, number>;
  agentHz: number;
  serverHz: number;
  /** Identifies the bit assignment, for caching quantized heads. */
  key: string;
  /** Executable plans: the format of each agent-side group (then `bits` is 0 and the formats are what runs). */
  formats?: Record<string, string>;
}

export interface ReplannerOptions {
  /** Mission battery: joules for `inferences` requests. Without it, each request may use E0. */
  battery?: { joules: number; inferences: number };
  /** Re-solve when the link estimate or the budget moved by more than this fraction. */
  drift?: number;
  /**
   * A voluntary switch (the current plan still meets T0 and E0) must lower D_U by at least this
   * fraction; switching costs a re-quantized head, so small gains are not worth the churn.
   */
  minGain?: number;
  /**
   * The exact plan sits on its constraints, so measurement noise alone would flag it. A plan
   * counts as broken only when the measured conditions put it more than this fraction over T0
   * or E0; then the agent re-plans at once.
   */
  tolerance?: number;
}

function active(result: PlanResult): ActivePlan {
  const groups = result.groups ?? [];
  const bitsVector = groups.map((g) => g.bits);
  return {
    result,
    bitsVector,
    bits: result.bits ?? 0,
    bitsByGroup: Object.fromEntries(groups.map((g) => [g.name, g.bits])),
    agentHz: result.agentHz ?? 0,
    serverHz: result.serverHz ?? 0,
    key: bitsVector.join(','),
  };
}

export class Replanner {
  readonly link: LinkEstimator;
  readonly budget: EnergyBudget;
  private plan: ActivePlan;
  private solvedAt: { rate: number; energy: number };
  private readonly cut: PlanCut;
  private readonly drift: number;
  private readonly minGain: number;
  private readonly tolerance: number;

  /** `problem` must describe the one cut the agent runs (the split is fixed at deployment). */
  constructor(
    private readonly problem: PlanProblem,
    initial: PlanResult,
    opts: ReplannerOptions = {},
  ) {
    if (problem.cuts.length !== 1) throw new RangeError('the re-planner works on one fixed cut');
    this.cut = problem.cuts[0];
    this.link = new LinkEstimator(problem.link.rateBps);
    this.budget = new EnergyBudget(problem.E0, opts.battery);
    this.plan = active(initial);
    this.solvedAt = { rate: problem.link.rateBps, energy: problem.E0 };
    this.drift = opts.drift ?? 0.1;
    this.minGain = opts.minGain ?? 0.05;
    this.tolerance = opts.tolerance ?? 0.05;
  }

  get current(): ActivePlan {
    return this.plan;
  }

  /** The problem as the agent now sees it: measured link rate, remaining energy. */
  now(): PlanProblem {
    return { ...this.problem, link: { ...this.problem.link, rateBps: this.link.rateBps }, E0: this.budget.availableJ };
  }

  /** Checks the plan against current conditions; returns why it changed, or undefined. */
  beforeRequest(): string | undefined {
    const p = this.now();
    const strict = evaluatePlan(p, this.cut, this.plan.bitsVector, this.plan.agentHz, this.plan.serverHz);
    const lenient = { ...p, T0: p.T0 * (1 + this.tolerance), E0: p.E0 * (1 + this.tolerance) };
    const ev = evaluatePlan(lenient, this.cut, this.plan.bitsVector, this.plan.agentHz, this.plan.serverHz);
    const moved =
      Math.abs(p.link.rateBps - this.solvedAt.rate) > this.drift * this.solvedAt.rate || Math.abs(p.E0 - this.solvedAt.energy) > this.drift * this.solvedAt.energy;
    if (ev.feasible && !moved) return undefined;
    this.solvedAt = { rate: p.link.rateBps, energy: p.E0 };
    const next = solveExact(p);
    const why = ev.feasible
      ? `conditions changed (link ${(p.link.rateBps / 1e6).toFixed(1)} Mbit/s, budget ${p.E0.toFixed(3)} J)`
      : `current plan would break ${strict.violations.join('; ')} (link ${(p.link.rateBps / 1e6).toFixed(1)} Mbit/s, budget ${p.E0.toFixed(3)} J)`;
    if (!next.feasible) {
      return ev.feasible ? undefined : `${why}; no plan meets both constraints now, keeping the current one`;
    }
    const cand = active(next);
    if (cand.key === this.plan.key && cand.agentHz === this.plan.agentHz) return undefined;
    if (ev.feasible && (next.DU ?? Infinity) > (1 - this.minGain) * (this.plan.result.DU ?? Infinity)) return undefined;
    this.plan = cand;
    return `${why}: now ${typeof cand.bits === 'number' ? `${cand.bits} bits` : 'per-group bits'} at ${(cand.agentHz / 1e9).toFixed(2)} GHz (D_U ${next.DU?.toExponential(3)})`;
  }

  observeLink(bits: number, seconds: number): void {
    this.link.observe(bits, seconds);
  }

  afterRequest(joules: number): void {
    this.budget.record(joules);
  }

  /** Agent-side energy of one request by the plan's device model: κ·C·f² for compute, P·t for the radio. */
  energyOf(plan: ActivePlan, linkSeconds: number): { agentJ: number; linkJ: number; totalJ: number } {
    const C = agentCycles(this.problem, this.cut, plan.bitsVector);
    const agentJ = this.problem.agent.kappa * C * plan.agentHz * plan.agentHz;
    const linkJ = this.problem.link.txPowerW * linkSeconds;
    return { agentJ, linkJ, totalJ: agentJ + linkJ };
  }
}
