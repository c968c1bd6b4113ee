/**
 * Config checks done once, before any work, so a bad flag fails fast with a message that
 * names the field instead of producing NaNs deep inside a kernel.
 */
import { NonFiniteValueError, QuantConfigError } from './errors.ts';
import type { QuantConfig, QuantFamily } from './types.ts';

export const FAMILIES: readonly QuantFamily[] = ['uniform-symmetric', 'uniform-asymmetric', 'pot', 'fp8-e4m3', 'fp8-e5m2'];
export const MIN_BITS = 2;
export const MAX_BITS = 16;
/** Groups larger than this are per-tensor in all but name; the cap keeps sizes sane. */
export const MAX_GROUP_SIZE = 1 << 30;

export function isFp8(f: QuantFamily): boolean {
  return f === 'fp8-e4m3' || f === 'fp8-e5m2';
}

/** fp8 families always use 8 bits, whatever the config says. */
export function effectiveBits(cfg: Pick<QuantConfig, 'family' | 'bits'>): number {
  return isFp8(cfg.family) ? 8 : cfg.bits;
}

export function validateConfig(cfg: QuantConfig): void {
  if (!FAMILIES.includes(cfg.family)) {
    throw new QuantConfigError(`unknown quantizer family '${String(cfg.family)}'`, `choose one of ${FAMILIES.join(', ')}`);
  }
  if (!isFp8(cfg.family) && (!Number.isInteger(cfg.bits) || cfg.bits < MIN_BITS || cfg.bits > MAX_BITS)) {
    throw new QuantConfigError(`bits must be an integer in ${MIN_BITS}..${MAX_BITS}, got ${cfg.bits}`);
  }
  const g = cfg.granularity;
  if (g.kind === 'group' && (!Number.isInteger(g.size) || g.size < 1 || g.size > MAX_GROUP_SIZE)) {
    throw new QuantConfigError(`group size must be an integer in 1..${MAX_GROUP_SIZE}, got ${g.size}`);
  }
  if (g.kind !== 'tensor' && g.kind !== 'channel' && g.kind !== 'group') {
    throw new QuantConfigError(`unknown granularity '${String((g as { kind: unknown }).kind)}'`, 'use tensor, channel or groupN');
  }
  if (cfg.range !== 'absmax' && cfg.range !== 'clip-l1' && cfg.range !== 'clip-mse') {
    throw new QuantConfigError(`unknown range rule '${String(cfg.range)}'`, 'use absmax, clip-l1 or clip-mse');
  }
}

export function validateShape(values: ArrayLike<number>, shape: readonly number[]): void {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new QuantConfigError(`shape [${shape.join(', ')}] has an invalid dimension ${d}`);
    n *= d;
  }
  if (n !== values.length) {
    throw new QuantConfigError(`shape [${shape.join(', ')}] holds ${n} elements but ${values.length} values were given`);
  }
}

/** Rejects NaN/Inf up front, naming the first bad index (and the tensor, when known). */
export function assertAllFinite(values: ArrayLike<number>, what = 'input'): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v - v !== 0) throw new NonFiniteValueError(`${what} holds ${v} at element ${i}`);
  }
}
