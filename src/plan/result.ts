/**
 * The plan document every method returns (and `plan --json` prints). Consumed later by
 * `coquant quantize --plan` and `coquant agent --plan`, so it keeps group names; fields are only
 * ever added. Documented in docs/plan.md.
 */
import type { BoundKind } from '../theory/rd-bounds.ts';
import { evaluatePlan, type BindingConstraint, type Stages } from './cost.ts';
import type { EnergyScope, Objective } from './objective.ts';
import type { PlanCut, PlanProblem, WorkloadModel } from './problem.ts';

import type { Method } from './methods.ts';

export { METHODS, type Method } from './methods.ts';

export interface NextStep {
  /** The cheapest single upgrade the plan could not afford. */
  group: string;
  fromBits: number;
  toBits: number;
  /** Agent delay and energy that upgrade would need at its best clock, against what is available. */
  agentDelay: number;
  agentEnergy: number;
  agentHz: number;
  availDelay: number;
  availEnergy: number;
  /** Total energy scope: the server clock of that upgrade, and its total delay and energy (what T0 and E0 limit). */
  serverHz?: number;
  totalDelay?: number;
  totalEnergy?: number;
}

export interface Diagnosis {
  /** Smallest T0 (s) for which some plan exists with E0 held; null if no T0 is enough. */
  minT0: number | null;
  /** Smallest E0 (J) for which some plan exists with T0 held; null if no E0 is enough. */
  minE0: number | null;
  reason: string;
}

export interface PlanResult {
  schema: 'coquant.plan/1';
  method: Method;
  /** The evaluated plan meets every constraint (per the independent evaluator). */
  feasible: boolean;
  mode: 'shared' | 'per-group';
  cut: string | null;
  /** One value (shared mode) or one per group name; null when no plan exists. */
  bits: number | Record<string, number> | null;
  groups: Array<{ name: string; params: number; bits: number }> | null;
  serverBits: number;
  serverQuantized: boolean;
  agentHz: number | null;
  serverHz: number | null;
  delay: Stages | null;
  energy: Stages | null;
  DU: number | null;
  DL: number | null;
  /** What was minimised (du: D_U, gap: D_U − D_L), under which bound, and its value (null without a plan). */
  objective: number | null;
  design: { objective: Objective; bound: BoundKind; energyScope: EnergyScope; workload: { agent: WorkloadModel; server: WorkloadModel } };
  slack: { delay: number; energy: number; tightness: number | null } | null;
  /** Constraints that limit the plan: any of deadline, energy, clock (fixed clock), bits-max, tightness. */
  binding: string[];
  /** Which term of the closed-form workload cap is active (see cost.ts workloadCap). */
  limiter: BindingConstraint | null;
  nextStep: NextStep | null;
  violations: string[];
  constraints: { T0: number; E0: number; epsilon: number | null };
  solver: { exact: boolean; lowerBound: number | null; nodes: number; coreGroups: number };
  notes: string[];
  diagnosis?: Diagnosis;
}

export function designOf(p: PlanProblem): PlanResult['design'] {
  return { objective: p.objective, bound: p.bound, energyScope: p.energyScope, workload: { agent: p.agent.workload, server: p.server.workload } };
}

/** Builds the result of a concrete plan through the independent evaluator. */
export function planResult(
  p: PlanProblem,
  method: Method,
  cut: PlanCut,
  bits: readonly number[],
  agentHz: number,
  serverHz: number,
  extra: Partial<Pick<PlanResult, 'binding' | 'limiter' | 'nextStep' | 'solver' | 'notes'>> = {},
): PlanResult {
  const ev = evaluatePlan(p, cut, bits, agentHz, serverHz);
  const shared = p.mode === 'shared' && bits.every((b) => b === bits[0]);
  let perGroup: Record<string, number> | null = null;
  if (!shared) {
    perGroup = {};
    for (let i = 0; i < cut.groups.length; i++) perGroup[cut.groups[i].name] = bits[i];
  }
  return {
    schema: 'coquant.plan/1',
    method,
    feasible: ev.feasible,
    mode: p.mode,
    cut: p.splitSearch ? cut.name : null,
    bits: shared ? bits[0] : (perGroup as Record<string, number>),
    groups: cut.groups.map((g, i) => ({ name: g.name, params: g.params, bits: bits[i] })),
    serverBits: p.serverBits,
    serverQuantized: p.serverQuantized,
    agentHz,
    serverHz,
    delay: ev.delay,
    energy: ev.energy,
    DU: ev.DU,
    DL: ev.DL,
    objective: ev.objective,
    design: designOf(p),
    slack: ev.slack,
    binding: extra.binding ?? [],
    limiter: extra.limiter ?? null,
    nextStep: extra.nextStep ?? null,
    violations: ev.violations,
    constraints: { T0: p.T0, E0: p.E0, epsilon: p.epsilon },
    solver: extra.solver ?? { exact: false, lowerBound: null, nodes: 0, coreGroups: 0 },
    notes: extra.notes ?? [],
  };
}

/** No plan at all (every choice breaks a constraint). */
export function noPlan(p: PlanProblem, method: Method, diagnosis: Diagnosis, notes: string[] = []): PlanResult {
  return {
    schema: 'coquant.plan/1',
    method,
    feasible: false,
    mode: p.mode,
    cut: null,
    bits: null,
    groups: null,
    serverBits: p.serverBits,
    serverQuantized: p.serverQuantized,
    agentHz: null,
    serverHz: null,
    delay: null,
    energy: null,
    DU: null,
    DL: null,
    objective: null,
    design: designOf(p),
    slack: null,
    binding: [],
    limiter: 'infeasible',
    nextStep: null,
    violations: [diagnosis.reason],
    constraints: { T0: p.T0, E0: p.E0, epsilon: p.epsilon },
    solver: { exact: true, lowerBound: null, nodes: 0, coreGroups: 0 },
    notes,
    diagnosis,
  };
}
