/** Flag parsers shared by `plan` and `sweep`, kept free of the system loader so the CLI can build its help quickly. */
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

/** `2-16`, `2:16`, or `2,4,8,16` → sorted unique list. */
export function parseBitsArg(s: string): number[] {
  const m = /^\s*(\d+)\s*[-:]\s*(\d+)\s*$/.exec(s);
  let out: number[];
  if (m) {
    const a = Number(m[1]);
    const b = Number(m[2]);
    if (a > b) throw new UsageError(`--bits ${s}: the range is empty (${a} > ${b})`);
    out = Array.from({ length: b - a + 1 }, (_, i) => a + i);
  } else {
    out = s.split(',').map((x) => Number(x.trim()));
  }
  if (out.length === 0 || out.some((b) => !Number.isInteger(b) || b < 1 || b > 32)) {
    throw new UsageError(`--bits ${s}: expected a range like 2-16 or a list like 2,4,8 (integers 1..32)`);
  }
  return [...new Set(out)].sort((a, b) => a - b);
}

/** A finite number from a flag (its sign is checked by the schema, which names the field). */
export function parseNumberArg(flag: string) {
  return (s: string): number => {
    const v = Number(s);
    if (s.trim() === '' || !Number.isFinite(v)) throw new UsageError(`${flag} ${s}: expected a number`);
    return v;
  };
}
