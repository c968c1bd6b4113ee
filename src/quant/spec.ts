/**
 * Parsing of quantizer specs as users type them on the command line:
 * `family/granularity/range`, e.g. `uniform-symmetric/channel/clip-l1` or `pot/group128/absmax`,
 * and bit lists like `2-16`, `4,8` or `2-8,16`.
 */
import { QuantConfigError } from './errors.ts';
import type { Granularity, QuantConfig, QuantFamily, RangeRule } from './types.ts';
import { FAMILIES, MAX_BITS, MIN_BITS, validateConfig } from './validate.ts';

export const RANGE_RULES: readonly RangeRule[] = ['absmax', 'clip-l1', 'clip-mse'];

export function parseFamily(s: string): QuantFamily {
  const f = s.trim().toLowerCase();
  const alias: Record<string, QuantFamily> = { sym: 'uniform-symmetric', asym: 'uniform-asymmetric', 'power-of-two': 'pot', e4m3: 'fp8-e4m3', e5m2: 'fp8-e5m2' };
  const fam = (alias[f] ?? f) as QuantFamily;
  if (!FAMILIES.includes(fam)) throw new QuantConfigError(`unknown quantizer family '${s}'`, `choose from ${FAMILIES.join(', ')}`);
  return fam;
}

/** `tensor`, `channel`, `groupN` or `group:N`. */
export function parseGranularity(s: string): Granularity {
  const g = s.trim().toLowerCase();
  if (g === 'tensor' || g === 'per-tensor') return { kind: 'tensor' };
  if (g === 'channel' || g === 'per-channel') return { kind: 'channel' };
  const m = /^group[:=]?(\d+)$/.exec(g);
  if (m) {
    const size = Number(m[1]);
    if (!Number.isSafeInteger(size) || size < 1) throw new QuantConfigError(`group size in '${s}' must be a positive integer`);
    return { kind: 'group', size };
  }
  throw new QuantConfigError(`unknown granularity '${s}'`, 'use tensor, channel or groupN (e.g. group128)');
}

export function parseRangeRule(s: string): RangeRule {
  const r = s.trim().toLowerCase() as RangeRule;
  if (!RANGE_RULES.includes(r)) throw new QuantConfigError(`unknown range rule '${s}'`, `use ${RANGE_RULES.join(', ')}`);
  return r;
}

/**
 * The one `--bits` grammar of every command: `2-16`, `4,8`, `2-8,16` (or `2:16`) → sorted unique
 * bit-widths, each in `limits` (default 2..16, the quantizers' range; the planner allows 1..32).
 */
export function parseBits(s: string, limits: { min?: number; max?: number } = {}): number[] {
  const lo = limits.min ?? MIN_BITS;
  const hi = limits.max ?? MAX_BITS;
  const out = new Set<number>();
  for (const part of s.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:\s*[-:]\s*(\d+))?$/.exec(part);
    if (!m) throw new QuantConfigError(`cannot read bit-widths '${s}': expected a range, a list or both, e.g. 2-16, 4,8 or 2-8,16`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (a > b) throw new QuantConfigError(`bit-widths '${part}': the range is empty (${a} > ${b})`, 'write the smaller bit-width first, e.g. 2-8');
    if (a < lo || b > hi) throw new QuantConfigError(`bit-widths '${part}' are outside ${lo}..${hi}`);
    for (let x = a; x <= b; x++) out.add(x);
  }
  if (out.size === 0) throw new QuantConfigError('no bit-widths given', 'write e.g. --bits 2-16');
  return [...out].sort((x, y) => x - y);
}

/** A quantizer without its bit-width: what `--quant` names. */
export type QuantSpec = Omit<QuantConfig, 'bits'>;

/**
 * `family/granularity/range`; granularity and range may be omitted (tensor, absmax).
 * `parseQuantSpec("uniform-symmetric/channel/clip-l1")`.
 */
export function parseQuantSpec(s: string): QuantSpec {
  const parts = s.split('/').map((p) => p.trim());
  if (parts.length < 1 || parts.length > 3 || parts.some((p) => p === '')) {
    throw new QuantConfigError(`cannot read quantizer spec '${s}'`, 'write family/granularity/range, e.g. uniform-symmetric/channel/clip-l1');
  }
  const spec: QuantSpec = {
    family: parseFamily(parts[0]),
    granularity: parseGranularity(parts[1] ?? 'tensor'),
    range: parseRangeRule(parts[2] ?? 'absmax'),
  };
  validateConfig({ ...spec, bits: 8 });
  return spec;
}

/** Full config from a spec and a bit-width, e.g. `parseQuantConfig("pot/tensor/absmax", 4)`. */
export function parseQuantConfig(s: string, bits: number): QuantConfig {
  const cfg = { ...parseQuantSpec(s), bits };
  validateConfig(cfg);
  return cfg;
}
