/**
 * IEEE 754 half precision (float16) ↔ number. Host tensors hold float16 elements as their raw
 * 16-bit patterns (a Uint16Array), which is what onnxruntime-node takes and returns.
 */
import { encodeFloat16Into, float32ToFloat16Bits } from '../io/encode.ts';

/** IEEE half bit pattern → number (exact). */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
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
