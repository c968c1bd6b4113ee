/**
 * The quantizer contract. A quantizer maps float weights to a small set of levels and back
 * (fake quantization, as the paper simulates it). Everything that measures distortion,
 * writes quantized models or computes entropy-coded rates goes through this shape.
 */

export type QuantFamily = 'uniform-symmetric' | 'uniform-asymmetric' | 'pot' | 'fp8-e4m3' | 'fp8-e5m2';

/** Per tensor, per output channel (axis 0), or per group of `size` consecutive values (row-major). */
export type Granularity = { kind: 'tensor' } | { kind: 'channel' } | { kind: 'group'; size: number };

/** absmax: the scale covers the largest magnitude. clip-l1 / clip-mse: a clipping value searched to minimise that error. */
export type RangeRule = 'absmax' | 'clip-l1' | 'clip-mse';

export interface QuantConfig {
  family: QuantFamily;
  /** 2..16 for the integer families; fp8 families are always 8 (the field is ignored there). */
  bits: number;
  granularity: Granularity;
  range: RangeRule;
}

export interface QuantResult {
  /** Dequantized values, same length and layout as the input. */
  values: Float32Array;
  /**
   * Integer level index of each value when `wantCodes` was set: the signed level for the
   * symmetric and pot families, the unsigned level for asymmetric, the 8-bit pattern for fp8.
   * Used for empirical (entropy-coded) rates.
   */
  codes?: Int32Array;
}

/** Short label used in tables, JSON and plots, e.g. `uniform-symmetric/channel/clip-l1`. */
export function configLabel(c: Omit<QuantConfig, 'bits'>): string {
  const g = c.granularity.kind === 'group' ? `group${c.granularity.size}` : c.granularity.kind;
  return `${c.family}/${g}/${c.range}`;
}
