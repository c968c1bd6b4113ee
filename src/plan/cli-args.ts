/** Flag parsers shared by `plan` and `sweep`, kept free of the system loader so the CLI can build its help quickly. */
import { parseBits } from '../quant/spec.ts';
import type { BoundKind } from '../theory/rd-bounds.ts';
import { UsageError } from '../errors.ts';
import type { EnergyScope, Objective } from './objective.ts';

/** Every planning method (`plan --method`, the sweep); result.ts re-exports it. */
export const METHODS = ['exact', 'paper', 'paper-repaired', 'fixed8', 'fixed16', 'maxclock', 'delay-only', 'feasible-random', 'ppo'] as const;
export type Method = (typeof METHODS)[number];
/** `--objective` of the bits planner, `--energy` and `--bound` values (objective.ts and rd-bounds.ts hold the formulas). */
export const OBJECTIVE_NAMES: readonly Objective[] = ['du', 'gap'];
export const ENERGY_SCOPE_NAMES: readonly EnergyScope[] = ['agent', 'total'];
export const BOUND_NAMES: readonly BoundKind[] = ['ours', 'paper'];

/** `--bits` of the planner: the one grammar (quant/spec.ts parseBits), with the planner's range 1..32. */
export function parseBitsArg(s: string): number[] {
  return parseBits(s, { min: 1, max: 32 });
}

/** A finite number from a flag (its sign is checked by the schema, which names the field). */
export function parseNumberArg(flag: string) {
  return (s: string): number => {
    const v = Number(s);
    if (s.trim() === '' || !Number.isFinite(v)) throw new UsageError(`${flag} ${s}: expected a number`);
    return v;
  };
}
