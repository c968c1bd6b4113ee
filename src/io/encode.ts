/**
 * Float32 values → raw little-endian bytes of a float dtype, used when a patched weight is
 * written back in its original precision (fp16 stays fp16). Rounding is to nearest, ties to
 * even, as IEEE conversion does; out-of-range fp16 values become ±Inf.
 */
import { type DType } from './types.ts';
import { ModelFormatError } from './errors.ts';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** fp32 → fp16 bit pattern, round to nearest even (IEEE 754 conversion). */
export function float32ToFloat16Bits(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const man = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (man !== 0 ? 0x200 | (man >>> 13) : 0); // Inf / NaN (quiet)
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow → Inf
  if (e <= 0) {
    // Subnormal or zero in fp16: shift the implicit-1 mantissa right, rounding to even.
    if (e < -10) return sign;
    const m = man | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = m & ((1 << shift) - 1);
    let r = m >>> shift;
    if (rest > half || (rest === half && (r & 1) === 1)) r++;
    return sign | r; // r may carry into the smallest normal, which is the right answer
  }
  let r = (e << 10) | (man >>> 13);
  const rest = man & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (r & 1) === 1)) r++; // carry may reach Inf: correct
  return sign | r;
}

/**
 * Bulk fp32 → fp16 bits. Values whose result is a normal fp16 take a branch-light bit trick
 * (rebias the exponent, add the round-to-even increment, shift); the rest (subnormal, overflow,
 * Inf, NaN) go through the exact scalar routine.
 */
export function encodeFloat16Into(src: Float32Array, dst: Uint16Array, n = src.length): void {
  const u = new Uint32Array(src.buffer, src.byteOffset, n);
  for (let i = 0; i < n; i++) {
    const x = u[i];
    const a = x & 0x7fffffff;
    // |v| in [2^-14, 65504 + half ulp): exponent 113..142 after rounding stays normal.
    if (a >= 0x38800000 && a < 0x477fe000) {
      dst[i] = ((x >>> 16) & 0x8000) | ((a - 0x38000000 + 0xfff + ((a >>> 13) & 1)) >>> 13);
    } else {
      dst[i] = float32ToFloat16Bits(src[i]);
    }
  }
}

/** fp32 → bf16 bit pattern, round to nearest even; NaN stays a quiet NaN. */
export function float32ToBFloat16Bits(v: number): number {
  f32[0] = v;
  const x = u32[0];
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) return ((x >>> 16) | 0x40) & 0xffff;
  const lsb = (x >>> 16) & 1;
  return ((x + 0x7fff + lsb) >>> 16) & 0xffff;
}

/** Encodes values into `dtype` bytes. Only float dtypes: weights are patched as floats. */
export function fromFloat32(values: Float32Array, dtype: DType): Uint8Array {
  const n = values.length;
  switch (dtype) {
    case 'float32':
      return new Uint8Array(values.slice().buffer);
    case 'float64':
      return new Uint8Array(Float64Array.from(values).buffer);
    case 'float16': {
      const out = new Uint16Array(n);
      encodeFloat16Into(values, out, n);
      return new Uint8Array(out.buffer);
    }
    case 'bfloat16': {
      const out = new Uint16Array(n);
      for (let i = 0; i < n; i++) out[i] = float32ToBFloat16Bits(values[i]);
      return new Uint8Array(out.buffer);
    }
    default:
      throw new ModelFormatError('E_UNSUPPORTED', `cannot write float values into a ${dtype} tensor`);
  }
}
