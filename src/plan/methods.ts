/** The planner's methods, objectives, energy scopes and bounds by name: what `plan` and `sweep` accept. */
import type { BoundKind } from '../theory/rd-bounds.ts';
import type { EnergyScope, Objective } from './objective.ts';

/** Every planning method (`plan --method`, the sweep); result.ts re-exports it. */
export const METHODS = ['exact', 'paper', 'paper-repaired', 'fixed8', 'fixed16', 'maxclock', 'delay-only', 'feasible-random', 'ppo'] as const;
export type Method = (typeof METHODS)[number];
/** `--objective` of the bits planner, `--energy` and `--bound` values (objective.ts and rd-bounds.ts hold the formulas). */
export const OBJECTIVE_NAMES: readonly Objective[] = ['du', 'gap'];
export const ENERGY_SCOPE_NAMES: readonly EnergyScope[] = ['agent', 'total'];
export const BOUND_NAMES: readonly BoundKind[] = ['ours', 'paper'];
