/**
 * OCP 8-bit floating point (OFP8) formats. E4M3: bias 7, no infinities, only S.1111.111 is NaN,
 * so the largest finite value is 1.75·2^8 = 448. E5M2: bias 15, IEEE-like, exponent field 31 is
 * Inf/NaN, largest finite 1.75·2^15 = 57344. Both have subnormals.
 */
export interface Fp8Format {
  name: 'fp8-e4m3' | 'fp8-e5m2';
  mantBits: number;
  bias: number;
  /** Exponent of the smallest normal number (1 - bias). */
  emin: number;
  maxFinite: number;
}

export const E4M3: Fp8Format = { name: 'fp8-e4m3', mantBits: 3, bias: 7, emin: -6, maxFinite: 448 };
export const E5M2: Fp8Format = { name: 'fp8-e5m2', mantBits: 2, bias: 15, emin: -14, maxFinite: 57344 };

/** Decodes an 8-bit pattern; NaN for NaN/Inf patterns (never produced by the quantizer, which saturates). */
export function decodeFp8(code: number, f: Fp8Format): number {
  const sign = code & 0x80 ? -1 : 1;
  const expField = (code & 0x7f) >> f.mantBits;
  const mant = code & ((1 << f.mantBits) - 1);
  const expMax = (1 << (7 - f.mantBits)) - 1;
  if (f.name === 'fp8-e5m2' && expField === expMax) return NaN;
  if (f.name === 'fp8-e4m3' && expField === expMax && mant === (1 << f.mantBits) - 1) return NaN;
  if (expField === 0) return sign * mant * 2 ** (f.emin - f.mantBits);
  return sign * (1 + mant / (1 << f.mantBits)) * 2 ** (expField - f.bias);
}

/** floor(log2(x)) for finite x > 0, exact (Math.log2 can be off by one near powers of two). */
export function floorLog2(x: number): number {
  let e = Math.floor(Math.log2(x));
  let p = 2 ** e;
  if (p > x) {
    e--;
    p /= 2;
  } else if (p * 2 <= x) {
    e++;
  }
  return e;
}

/**
 * Rounds y (already divided by the scale) to the nearest representable value, ties to even,
 * saturating at ±maxFinite. Returns the value; `encodeFp8` turns it into the bit pattern.
 */
export function roundToFp8(y: number, f: Fp8Format): number {
  const a = y < 0 ? -y : y;
  if (a >= f.maxFinite) return y < 0 ? -f.maxFinite : f.maxFinite;
  if (a === 0) return y;
  // quantum = 2^(max(e, emin) - mantBits), from the exponent field of a (no log2, no pow).
  F64[0] = a;
  let ef = ((U32[HI_WORD] >>> 20) & 0x7ff) - 1023;
  if (ef < f.emin) ef = f.emin;
  U32[HI_WORD] = (ef - f.mantBits + 1023) << 20;
  U32[1 - HI_WORD] = 0;
  const quantum = F64[0];
  // Adding and removing 2^52 rounds to an integer with the FPU's ties-to-even rule (a/quantum < 32).
  let r = (a / quantum + 4503599627370496 - 4503599627370496) * quantum;
  if (r > f.maxFinite) r = f.maxFinite;
  return y < 0 ? -r : r;
}

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const HI_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

/** Bit pattern of a value that is exactly representable in the format (as `roundToFp8` returns). */
export function encodeFp8(v: number, f: Fp8Format): number {
  const sign = v < 0 || Object.is(v, -0) ? 0x80 : 0;
  const a = Math.abs(v);
  if (a === 0) return sign;
  const minNormal = 2 ** f.emin;
  if (a < minNormal) return sign | Math.round(a / 2 ** (f.emin - f.mantBits));
  const e = floorLog2(a);
  const mant = Math.round((a / 2 ** e - 1) * (1 << f.mantBits));
  return sign | ((e + f.bias) << f.mantBits) | mant;
}
