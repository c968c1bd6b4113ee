/**
 * Quantize-then-dequantize a whole tensor under one config (the simulation the paper runs).
 */
import { chooseLevels } from './range-search.ts';
import { codeOne, quantizeOne } from './levels.ts';
import { forEachSlice } from './slices.ts';
import type { QuantConfig, QuantResult } from './types.ts';
import { assertAllFinite, effectiveBits, validateConfig, validateShape } from './validate.ts';

/** Largest finite float32: an asymmetric grid's top level can overshoot it by a rounding step near FLT_MAX. */
const F32_MAX = 3.4028234663852886e38;

export interface FakeQuantizeOptions {
  /** Also return the integer code of each value (for entropy-coded rates). */
  wantCodes?: boolean;
  /** Used in error messages (e.g. the tensor name). */
  name?: string;
}

export function fakeQuantize(values: Float32Array, shape: number[], cfg: QuantConfig, opts: FakeQuantizeOptions = {}): QuantResult {
  validateConfig(cfg);
  validateShape(values, shape);
  assertAllFinite(values, opts.name ?? 'input');
  const out = new Float32Array(values.length);
  const codes = opts.wantCodes ? new Int32Array(values.length) : undefined;
  const bits = effectiveBits(cfg);
  forEachSlice(values.length, shape, cfg.granularity, (start, end) => {
    const { params } = chooseLevels(cfg.family, bits, cfg.range, values, null, start, end);
    for (let i = start; i < end; i++) {
      const q = quantizeOne(params, values[i]);
      out[i] = q > F32_MAX ? F32_MAX : q < -F32_MAX ? -F32_MAX : q;
      if (codes) codes[i] = codeOne(params, values[i]);
    }
  });
  return codes ? { values: out, codes } : { values: out };
}
