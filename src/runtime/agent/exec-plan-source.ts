/**
 * A fixed executable plan as the agent's plan source: the formats and clock the options planner
 * chose, and the device model's energy with C taken from the measured run (C = f·t), since this
 * machine has no power meter.
 */
import type { OptionsPlan } from '../../plan/options-plan.ts';
import type { AgentPlan, PlanSource } from './agent.ts';

export class ExecPlanSource implements PlanSource {
  readonly current: AgentPlan;

  constructor(
    readonly plan: OptionsPlan,
    private readonly kappa: number,
    private readonly txPowerW: number,
  ) {
    if (!plan.feasible || plan.clockHz === null) throw new Error('ExecPlanSource needs a feasible plan');
    const key = Object.entries(plan.formats)
      .map(([g, f]) => `${g}=${f}`)
      .join(',');
    this.current = { bitsVector: [], bits: 0, bitsByGroup: {}, agentHz: plan.clockHz, serverHz: 0, key, formats: plan.formats };
  }

  beforeRequest(): string | undefined {
    return undefined;
  }

  observeLink(): void {}

  energyOf(plan: AgentPlan, linkSeconds: number, headSeconds: number): { agentJ: number; linkJ: number; totalJ: number } {
    const agentJ = this.kappa * plan.agentHz ** 3 * headSeconds;
    const linkJ = this.txPowerW * linkSeconds;
    return { agentJ, linkJ, totalJ: agentJ + linkJ };
  }

  afterRequest(): void {}
}
