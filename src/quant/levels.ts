/**
 * The level sets of every quantizer family, and the scalar "value → nearest level" maps.
 * One small unit per family, table-driven through `LevelParams`; the reference versions in
 * ./reference/ enumerate the same level sets by brute force and the property tests compare.
 *
 * Rounding rules (documented in docs/quantizers.md):
 * - uniform families: q = round(x / step) with JavaScript Math.round (ties toward +∞), clamped;
 * - pot: nearest power-of-two level in linear distance, ties to the larger magnitude;
 * - fp8: round to nearest, ties to even, saturate to the largest finite value.
 */
import { E4M3, E5M2, type Fp8Format, encodeFp8, floorLog2, roundToFp8 } from './fp8-format.ts';
import type { QuantFamily } from './types.ts';

export interface LevelParams {
  family: QuantFamily;
  bits: number;
  /** uniform: step between levels; pot: clip value c (largest level); fp8: multiplier on the fp8 grid. */
  scale: number;
  /** 1 / scale, or 0 when scale is 0 (everything maps to zero). */
  inv: number;
  /** uniform-asymmetric zero point (an integer level index); 0 elsewhere. */
  zero: number;
  /** Largest level index: 2^(b-1)-1 (symmetric), 2^b-1 (asymmetric), M = 2^(b-1)-1 (pot), unused for fp8. */
  qmax: number;
  /** pot: exponent of the smallest non-zero level relative to c, i.e. 1 - M. */
  minExp: number;
  fp8?: Fp8Format;
}

/**
 * Level parameters for a clip range [lo, hi] (lo ≤ 0 ≤ hi). Symmetric families use c = max(-lo, hi);
 * the asymmetric family uses the interval itself, widened to contain 0 so zero stays exact.
 */
export function levelParams(family: QuantFamily, bits: number, lo: number, hi: number): LevelParams {
  return fillLevelParams({ family, bits, scale: 0, inv: 0, zero: 0, qmax: 0, minExp: 0 }, family, bits, lo, hi);
}

/** Same as `levelParams`, into an existing object (the clip search reuses one per slice). */
export function fillLevelParams(p: LevelParams, family: QuantFamily, bits: number, lo: number, hi: number): LevelParams {
  const c = Math.max(-lo, hi);
  p.family = family;
  p.bits = bits;
  p.zero = 0;
  p.minExp = 0;
  p.qmax = 0;
  p.fp8 = undefined;
  switch (family) {
    case 'uniform-symmetric': {
      p.qmax = 2 ** (bits - 1) - 1;
      p.scale = c / p.qmax;
      break;
    }
    case 'uniform-asymmetric': {
      p.qmax = 2 ** bits - 1;
      const l = Math.min(lo, 0);
      const h = Math.max(hi, 0);
      p.scale = (h - l) / p.qmax;
      p.zero = p.scale > 0 ? Math.min(p.qmax, Math.max(0, Math.round(-l / p.scale))) : 0;
      break;
    }
    case 'pot': {
      p.qmax = 2 ** (bits - 1) - 1;
      p.minExp = 1 - p.qmax;
      p.scale = c;
      break;
    }
    case 'fp8-e4m3':
    case 'fp8-e5m2': {
      p.fp8 = family === 'fp8-e4m3' ? E4M3 : E5M2;
      p.bits = 8;
      p.scale = c / p.fp8.maxFinite;
      break;
    }
  }
  p.inv = p.scale > 0 && Number.isFinite(1 / p.scale) ? 1 / p.scale : 0;
  if (p.inv === 0) p.scale = 0;
  return p;
}

/**
 * Math.round(y) (ties toward +∞) through Math.floor, which V8 compiles to one instruction while
 * Math.round measured about 4× slower in the error loops. floor(fl(y + 0.5)) can only overshoot
 * Math.round(y) by one, when the addition rounds up onto an integer; q − 0.5 is exact for
 * |q| < 2^52, so the test undoes exactly that case (and is never true for larger |y|, which are
 * integers already). The one difference: +0 where Math.round gives −0 (y ∈ [−0.5, −0]); the error
 * kernels only use the level in x − q·step, whose magnitude does not depend on the sign of a zero q.
 */
export function roundHalfUp(y: number): number {
  const q = Math.floor(y + 0.5);
  return q - 0.5 > y ? q - 1 : q;
}

// Exponent extraction without Math.log2: write the double, read its biased exponent field.
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

/** floor(log2(r)) for finite r > 0; the bit trick for normal doubles, the slow exact path for subnormals. */
export function fastFloorLog2(r: number): number {
  f64[0] = r;
  const ef = (u32[HI] >>> 20) & 0x7ff;
  return ef === 0 ? floorLog2(r) : ef - 1023;
}

/**
 * pot: magnitude ratio r = |x|/c in [0, ∞) → chosen level ratio in {0} ∪ {2^k : minExp ≤ k ≤ 0}.
 * For r = (1 + m)·2^e the nearer of 2^e and 2^(e+1) is 2^(e+1) exactly when m ≥ 1/2, i.e. when
 * the top mantissa bit is set, so the choice is integer work on the bits of r.
 */
export function potRatio(r: number, minExp: number): number {
  if (r >= 1) return 1;
  if (r === 0) return 0;
  f64[0] = r;
  const hi = u32[HI];
  const ef = (hi >>> 20) & 0x7ff;
  if (ef === 0) return potRatioSlow(r, minExp);
  const k = ef - 1023 + ((hi >>> 19) & 1);
  if (k < minExp) {
    // Only 0 and the smallest level m = 2^minExp are near; r < m here, so pick by m/2.
    // (k ≥ -1022 here, so minExp > -1022 and the table holds 2^minExp.)
    const m = POW2[minExp + 1074];
    return r >= m / 2 ? m : 0;
  }
  return POW2[k + 1074];
}

// 2^k for k = -1074..1 by table: building the double from two 32-bit stores stalled store-to-load
// forwarding and cost ~3× more in the pot error loops.
const POW2 = Float64Array.from({ length: 1076 }, (_, i) => 2 ** (i - 1074));

/** Subnormal r: the plain definition. */
function potRatioSlow(r: number, minExp: number): number {
  const e = floorLog2(r);
  if (e < minExp) {
    const m = 2 ** minExp;
    return r >= m / 2 ? m : 0;
  }
  const lowLevel = 2 ** e;
  return r >= 1.5 * lowLevel ? 2 * lowLevel : lowLevel;
}

/** Dequantized value of one input under the given levels (the scalar definition of every family). */
export function quantizeOne(p: LevelParams, x: number): number {
  if (p.inv === 0) return 0;
  switch (p.family) {
    case 'uniform-symmetric': {
      let q = Math.round(x * p.inv);
      if (q > p.qmax) q = p.qmax;
      else if (q < -p.qmax) q = -p.qmax;
      return q * p.scale;
    }
    case 'uniform-asymmetric': {
      let q = Math.round(x * p.inv) + p.zero;
      if (q > p.qmax) q = p.qmax;
      else if (q < 0) q = 0;
      return (q - p.zero) * p.scale;
    }
    case 'pot': {
      const r = potRatio(Math.abs(x) * p.inv, p.minExp);
      return x < 0 ? -r * p.scale : r * p.scale;
    }
    default:
      return roundToFp8(x * p.inv, p.fp8!) * p.scale;
  }
}

/** Integer code of one input: signed level (symmetric, pot), unsigned level (asymmetric), bit pattern (fp8). */
export function codeOne(p: LevelParams, x: number): number {
  switch (p.family) {
    case 'uniform-symmetric':
    case 'uniform-asymmetric':
      return p.scale === 0 ? p.zero : Math.round(quantizeOne(p, x) / p.scale) + p.zero;
    case 'pot': {
      if (p.inv === 0) return 0;
      const r = potRatio(Math.abs(x) * p.inv, p.minExp);
      if (r === 0) return 0;
      const j = fastFloorLog2(r) + p.qmax; // 2^(j - M) = r, j in 1..M
      return x < 0 ? -j : j;
    }
    default:
      return p.inv === 0 ? 0 : encodeFp8(roundToFp8(x * p.inv, p.fp8!), p.fp8!);
  }
}

/** The float64 level a code stands for (inverse of `codeOne`), used by tests and rate estimates. */
export function levelOfCode(p: LevelParams, code: number): number {
  switch (p.family) {
    case 'uniform-symmetric':
    case 'uniform-asymmetric':
      return (code - p.zero) * p.scale;
    case 'pot':
      return code === 0 ? 0 : Math.sign(code) * p.scale * 2 ** (Math.abs(code) - p.qmax);
    default: {
      const f = p.fp8!;
      const sign = code & 0x80 ? -1 : 1;
      const expField = (code & 0x7f) >> f.mantBits;
      const mant = code & ((1 << f.mantBits) - 1);
      const v = expField === 0 ? mant * 2 ** (f.emin - f.mantBits) : (1 + mant / (1 << f.mantBits)) * 2 ** (expField - f.bias);
      return sign * v * p.scale;
    }
  }
}
