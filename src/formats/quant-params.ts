/**
 * Integer quantization parameters as ONNX QuantizeLinear/DequantizeLinear define them:
 * q = saturate(round_half_even(x / scale) + zero_point), x̂ = (q − zero_point) · scale.
 * Pure arithmetic, shared by the QDQ writer and its tests.
 */

/** Round half to even, the rounding QuantizeLinear specifies. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export interface AffineParams {
  scale: number;
  zeroPoint: number;
}

/**
 * uint8 asymmetric parameters covering [lo, hi]. The range is widened to include 0 so that 0
 * (padding, ReLU output) is represented exactly, as QLinearConv's zero padding assumes.
 */
export function uint8Params(lo: number, hi: number): AffineParams {
  const a = Math.min(0, lo);
  const b = Math.max(0, hi);
  if (!(b > a)) return { scale: 1, zeroPoint: 0 };
  const scale = (b - a) / 255;
  // A range below float32 resolution carries no information; any scale represents it.
  if (!(scale > 1e-30)) return { scale: 1, zeroPoint: 0 };
  const zeroPoint = Math.min(255, Math.max(0, roundHalfEven(-a / scale)));
  return { scale, zeroPoint };
}

/** Symmetric signed scale for one channel: max|w| maps to qmax (127, or 63 with reduce-range). */
export function symmetricScale(absMax: number, qmax: number): number {
  return absMax > 0 ? absMax / qmax : 1;
}

export function quantizeValue(x: number, p: AffineParams, qmin: number, qmax: number): number {
  return Math.min(qmax, Math.max(qmin, roundHalfEven(x / p.scale) + p.zeroPoint));
}

export interface PerChannelInt8 {
  q: Int8Array;
  scales: Float32Array;
}

/**
 * Per-channel symmetric int8 quantization of a weight laid out row-major with `channels`
 * slices along `axis` of `shape`. Zero points are all 0.
 */
export function quantizePerChannelInt8(w: Float32Array, shape: readonly number[], axis: number, qmax = 127): PerChannelInt8 {
  const channels = shape[axis];
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const absMax = new Float32Array(channels);
  for (let o = 0; o < outer; o++)
    for (let c = 0; c < channels; c++) {
      const base = (o * channels + c) * inner;
      let m = absMax[c];
      for (let i = 0; i < inner; i++) m = Math.max(m, Math.abs(w[base + i]));
      absMax[c] = m;
    }
  const scales = new Float32Array(channels);
  for (let c = 0; c < channels; c++) scales[c] = symmetricScale(absMax[c], qmax);
  const q = new Int8Array(w.length);
  for (let o = 0; o < outer; o++)
    for (let c = 0; c < channels; c++) {
      const base = (o * channels + c) * inner;
      const s = scales[c];
      for (let i = 0; i < inner; i++) q[base + i] = Math.min(qmax, Math.max(-qmax, roundHalfEven(w[base + i] / s)));
    }
  return { q, scales };
}
