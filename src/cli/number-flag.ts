/** A numeric flag value within [min, max], or a usage error that names the flag and the range. */
import { UsageError } from '../errors.ts';

export function numberFlag(v: string, flag: string, min: number, max: number): number {
  const x = Number(v);
  if (!Number.isFinite(x) || x < min || x > max) throw new UsageError(`${flag} must be a number from ${min} to ${max} (got '${v}')`);
  return x;
}
