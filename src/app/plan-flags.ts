/** Flag parsers shared by `plan` and `sweep`, kept free of the system loader so the CLI can build its help quickly. */
import { parseBits } from '../quant/spec.ts';
import { UsageError } from '../errors.ts';

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
