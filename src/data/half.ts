/**
 * IEEE 754 half precision (float16) ↔ number. Host tensors hold float16 elements as their raw
 * 16-bit patterns (a Uint16Array), which is what onnxruntime-node takes and returns.
 */
import { float16Table } from '../io/decode.ts';
import { encodeFloat16Into, float32ToFloat16Bits } from '../io/encode.ts';

/** IEEE half bit pattern → number (exact): the weight decoder's table (io/decode.ts), so inputs and weights decode alike. */
export function halfToFloat(h: number): number {
  return float16Table()[h & 0xffff];
}

/**
 * number → IEEE half bit pattern, rounded to nearest, ties to even (via float32, as numpy's
 * `astype(np.float16)` of a float32 array). Beyond ±65504 it is ±Infinity; NaN stays NaN.
 * It is the weight encoder's conversion (io/encode.ts), so inputs and weights round alike.
 */
export const floatToHalf: (x: number) => number = float32ToFloat16Bits;

/** numbers → a Uint16Array of half bit patterns. */
export function toHalfBits(values: ArrayLike<number>): Uint16Array {
  const f = values instanceof Float32Array ? values : Float32Array.from(values);
  const out = new Uint16Array(f.length);
  encodeFloat16Into(f, out);
  return out;
}
