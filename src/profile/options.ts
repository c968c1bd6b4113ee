/** What a profile measures: which quantizer specs at which bit-widths, over which tensors. */
import { isFp8, parseBits, parseFamily, parseGranularity, parseQuantSpec, parseRangeRule, type QuantFamily, type QuantSpec } from '../quant/index.ts';
import type { Granularity, RangeRule } from '../quant/types.ts';

export interface ProfileOptions {
  specs: QuantSpec[];
  /** Bit-widths for the integer families (fp8 families always report bits = 8). */
  bits: number[];
  allFloat: boolean;
  /** Worker threads for tensors that need full-precision passes; 1 = in-process. */
  threads: number;
  /** Elements per streamed chunk. */
  chunkElems: number;
}

export const DEFAULT_FAMILIES: readonly QuantFamily[] = ['uniform-symmetric', 'uniform-asymmetric', 'pot'];

/** The defaults of issue 2: three integer families × (per-tensor absmax, per-channel clip-l1). */
export function defaultSpecs(families: readonly QuantFamily[] = DEFAULT_FAMILIES): QuantSpec[] {
  const out: QuantSpec[] = [];
  for (const family of families) {
    out.push({ family, granularity: { kind: 'tensor' }, range: 'absmax' });
    out.push({ family, granularity: { kind: 'channel' }, range: 'clip-l1' });
  }
  return out;
}

/**
 * Builds the spec list from CLI-style lists. Explicit `quant` specs win; otherwise families ×
 * granularities × ranges when either of the latter is given, else the defaults.
 */
export function specsFromFlags(f: { families?: string[]; granularity?: string[]; range?: string[]; quant?: string[] }): QuantSpec[] {
  if (f.quant && f.quant.length > 0) return dedupe(f.quant.map(parseQuantSpec));
  const families = (f.families && f.families.length > 0 ? f.families.map(parseFamily) : [...DEFAULT_FAMILIES]) as QuantFamily[];
  if (!f.granularity?.length && !f.range?.length) return defaultSpecs(families);
  const grans: Granularity[] = (f.granularity?.length ? f.granularity : ['tensor']).map(parseGranularity);
  const ranges: RangeRule[] = (f.range?.length ? f.range : ['absmax']).map(parseRangeRule);
  const out: QuantSpec[] = [];
  for (const family of families) for (const granularity of grans) for (const range of ranges) out.push({ family, granularity, range });
  return dedupe(out);
}

function dedupe(specs: QuantSpec[]): QuantSpec[] {
  const seen = new Set<string>();
  return specs.filter((s) => {
    const k = JSON.stringify(s);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export function resolveOptions(o: Partial<ProfileOptions> & { bitsSpec?: string } = {}): ProfileOptions {
  return {
    specs: o.specs ?? defaultSpecs(),
    bits: o.bits ?? parseBits(o.bitsSpec ?? '2-16'),
    allFloat: o.allFloat ?? false,
    threads: o.threads ?? 1,
    chunkElems: o.chunkElems ?? 1 << 20,
  };
}

/** Bit-widths a spec is measured at. */
export function bitsFor(spec: QuantSpec, bits: readonly number[]): number[] {
  return isFp8(spec.family) ? [8] : [...bits];
}
