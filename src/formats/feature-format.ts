/**
 * Formats for the features that cross the link: how the agent encodes each float32 crossing
 * tensor before sending it, and the exact float32 values the tail then computes on.
 *
 * - `fp32`: as computed (4 bytes per element).
 * - `fp16`: IEEE binary16, round to nearest even (io's converter; 2 bytes); the tail casts back to float32.
 * - `int8`: affine, one scale and zero point for the tensor (1 byte per element + 5 bytes).
 * - `int8-channel`: affine per channel (axis 1), one scale (float32) and zero point (int8) per channel.
 *
 * Affine int8: the range [min(x, 0), max(x, 0)] (0 stays exact) maps onto [-128, 127]:
 * scale = (hi - lo) / 255 rounded to float32, zero point z = clamp(round(-128 - lo / scale)),
 * q = clamp(round(x / scale) + z, -128, 127), and the tail computes x̂ = float32((q - z) · scale),
 * which is what ONNX DequantizeLinear and the Cast/Sub/Mul the tail carries both compute.
 * Non-finite values are not representable in int8: they become the range ends. Pure math.
 */

import { float16Table } from '../io/decode.ts';
import { encodeFloat16Into } from '../io/encode.ts';

export const FEATURE_FORMATS = ['fp32', 'fp16', 'int8', 'int8-channel'] as const;
export type FeatureFormat = (typeof FEATURE_FORMATS)[number];

export function isFeatureFormat(s: unknown): s is FeatureFormat {
  return typeof s === 'string' && (FEATURE_FORMATS as readonly string[]).includes(s);
}

/** One crossing tensor as sent: the payload, and for int8 its scale and zero point (broadcastable against the payload). */
export interface EncodedFeature {
  format: FeatureFormat;
  dims: number[];
  /** float32 values, float16 bit patterns, or int8 codes. */
  data: Float32Array | Uint16Array | Int8Array;
  scale?: Float32Array;
  zeroPoint?: Int8Array;
  /** Shape of scale and zero point: [] per tensor, [1, C, 1, …] per channel. */
  scaleDims?: number[];
}

/** Channels and the stride of one channel step for per-channel quantization along axis 1. */
function channelLayout(dims: readonly number[]): { channels: number; inner: number } {
  if (dims.length < 2) return { channels: 1, inner: dims.reduce((a, b) => a * b, 1) };
  return { channels: dims[1], inner: dims.slice(2).reduce((a, b) => a * b, 1) };
}

/** The affine parameters of a range (scale as float32, zero point in [-128, 127]). */
export function affineParams(lo: number, hi: number): { scale: number; zeroPoint: number } {
  const l = Math.min(lo, 0);
  const h = Math.max(hi, 0);
  const scale = Math.fround((h - l) / 255);
  if (!(scale > 0) || !Number.isFinite(scale)) return { scale: 1, zeroPoint: 0 };
  const z = Math.round(-128 - l / scale);
  return { scale, zeroPoint: Math.max(-128, Math.min(127, z)) };
}

const clampQ = (v: number) => (v < -128 ? -128 : v > 127 ? 127 : v);

/** Encodes a float32 tensor for the link. */
export function encodeFeature(x: Float32Array, dims: readonly number[], format: FeatureFormat): EncodedFeature {
  if (format === 'fp32') return { format, dims: [...dims], data: x };
  if (format === 'fp16') {
    const out = new Uint16Array(x.length);
    encodeFloat16Into(x, out);
    return { format, dims: [...dims], data: out };
  }
  const { channels, inner } = format === 'int8-channel' ? channelLayout(dims) : { channels: 1, inner: x.length };
  const lo = new Float64Array(channels).fill(Infinity);
  const hi = new Float64Array(channels).fill(-Infinity);
  const chOf = (i: number) => (channels === 1 ? 0 : Math.floor(i / inner) % channels);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (!Number.isFinite(v)) continue;
    const c = chOf(i);
    if (v < lo[c]) lo[c] = v;
    if (v > hi[c]) hi[c] = v;
  }
  const scale = new Float32Array(channels);
  const zeroPoint = new Int8Array(channels);
  for (let c = 0; c < channels; c++) {
    const p = affineParams(Number.isFinite(lo[c]) ? lo[c] : 0, Number.isFinite(hi[c]) ? hi[c] : 0);
    scale[c] = p.scale;
    zeroPoint[c] = p.zeroPoint;
  }
  const q = new Int8Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const c = chOf(i);
    const v = x[i];
    q[i] = Number.isNaN(v) ? zeroPoint[c] : clampQ(Math.round(v / scale[c]) + zeroPoint[c]);
  }
  const scaleDims = format === 'int8-channel' && dims.length >= 2 ? dims.map((d, i) => (i === 1 ? d : 1)) : [];
  return { format, dims: [...dims], data: q, scale, zeroPoint, scaleDims };
}

/** The float32 values the tail computes on after the link (the reference for what the inserted nodes do). */
export function decodeFeature(e: EncodedFeature): Float32Array {
  if (e.format === 'fp32') return e.data as Float32Array;
  const out = new Float32Array(e.data.length);
  if (e.format === 'fp16') {
    const h = e.data as Uint16Array;
    const table = float16Table();
    for (let i = 0; i < h.length; i++) out[i] = table[h[i]];
    return out;
  }
  const q = e.data as Int8Array;
  const channels = e.scale!.length;
  const inner = channels === 1 ? q.length : channelLayout(e.dims).inner;
  for (let i = 0; i < q.length; i++) {
    const c = channels === 1 ? 0 : Math.floor(i / inner) % channels;
    out[i] = Math.fround((q[i] - e.zeroPoint![c]) * e.scale![c]);
  }
  return out;
}

/** Bytes on the wire for a float32 tensor of `dims` in `format` (payload plus scale and zero point). */
export function featureWireBytes(format: FeatureFormat, dims: readonly number[]): number {
  const n = dims.reduce((a, b) => a * b, 1);
  if (format === 'fp32') return 4 * n;
  if (format === 'fp16') return 2 * n;
  const channels = format === 'int8-channel' ? channelLayout(dims).channels : 1;
  return n + 5 * channels;
}

/** Names of the wire tensors that carry crossing tensor `t` in `format` (the tail's inputs). */
export function wireNames(t: string, format: FeatureFormat): { data: string; scale?: string; zeroPoint?: string } {
  if (format === 'fp32') return { data: t };
  if (format === 'fp16') return { data: `${t}.fp16` };
  return { data: `${t}.int8`, scale: `${t}.scale`, zeroPoint: `${t}.zero_point` };
}
