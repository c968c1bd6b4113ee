/**
 * The pure kernel behind the synthetic checkpoint: one chunk of one tensor from (stream,
 * start, count). mulberry32's state is a plain counter (+0x6d2b79f5 per draw) hashed on output,
 * so any chunk's starting state is a jump-ahead by multiplication: chunks can be made in any
 * order, on any thread, and the file is still the same bytes.
 */
import { encodeFloat16Into, float32ToBFloat16Bits } from './encode.ts';

export type SyntheticDType = 'float16' | 'float32' | 'bfloat16';

const STEP = 0x6d2b79f5;

/** 32-bit mix of two integers, to derive independent per-tensor streams from one seed. */
export function hash32(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** mulberry32 (the generator of src/util/rng.ts) returning raw 32-bit draws, with jump-ahead. */
export class Mulberry {
  s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    const a = (this.s = (this.s + STEP) >>> 0);
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** State after `n` more draws (n any non-negative integer below 2^53). */
  static jump(seed: number, n: number): Mulberry {
    // n·STEP mod 2^32: Math.imul reduces both operands mod 2^32 first, which is exact here.
    const lo = n % 4294967296;
    return new Mulberry((seed + Math.imul(lo, STEP)) >>> 0);
  }
}

// Inverse CDF of Exp(1) on a 4096-bin grid, linearly interpolated; the last bin is computed exactly.
const BINS = 4096;
const EXP_Q = new Float64Array(BINS + 1);
for (let i = 0; i <= BINS; i++) EXP_Q[i] = i === BINS ? 0 : -Math.log(1 - i / BINS);

/**
 * Fills `out[0..n)` with the next `n` values of stream `rand`: center ± scale·Exp(1). Each
 * element consumes exactly one 32-bit draw (low bit sign, upper 31 bits the uniform).
 */
export function fillLaplace(out: Float32Array, n: number, rand: Mulberry, scale: number, center: number): void {
  let s = rand.s;
  for (let i = 0; i < n; i++) {
    s = (s + STEP) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const r = (t ^ (t >>> 14)) >>> 0;
    const x = (r >>> 1) * (BINS / 2147483648);
    const k = x | 0;
    const mag = k === BINS - 1 ? -Math.log(1 - x / BINS) : EXP_Q[k] + (x - k) * (EXP_Q[k + 1] - EXP_Q[k]);
    out[i] = center + ((r & 1) === 0 ? scale * mag : -scale * mag);
  }
  rand.s = s;
}

export function encodeChunk(vals: Float32Array, n: number, dtype: SyntheticDType): Uint8Array {
  if (dtype === 'float32') return new Uint8Array(vals.buffer.slice(vals.byteOffset, vals.byteOffset + n * 4));
  const out = new Uint16Array(n);
  if (dtype === 'float16') encodeFloat16Into(vals, out, n);
  else for (let i = 0; i < n; i++) out[i] = float32ToBFloat16Bits(vals[i]);
  return new Uint8Array(out.buffer);
}

export interface ChunkJob {
  dtype: SyntheticDType;
  /** Initial state of the tensor's stream. */
  stream: number;
  scale: number;
  center: number;
  /** First element of the chunk within its tensor, and the element count. */
  start: number;
  count: number;
  /** Outliers inside this chunk: position relative to `start`, and value. */
  outliers: { at: number; v: number }[];
}

export function makeChunk(job: ChunkJob, scratch?: Float32Array): Uint8Array {
  const buf = scratch && scratch.length >= job.count ? scratch : new Float32Array(job.count);
  fillLaplace(buf, job.count, Mulberry.jump(job.stream, job.start), job.scale, job.center);
  for (const o of job.outliers) buf[o.at] = o.v;
  return encodeChunk(buf, job.count, job.dtype);
}
