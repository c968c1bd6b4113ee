/**
 * A deterministic, transformer-shaped checkpoint for benchmarks and tests: token embedding,
 * per-layer q/k/v/o attention and up/down MLP matrices, RMS-norm vectors, a final norm.
 * Matrix entries are Laplace-like (what real weight magnitudes look like, SPEC §4) with a
 * per-tensor scale, plus a few large outliers per tensor (what stretches abs-max ranges).
 * Values are generated and written chunk by chunk, so memory is bounded by one chunk.
 */
import { encodeFloat16Into, float32ToBFloat16Bits } from './encode.ts';
import { writeSafetensorsStream, type TensorSpec } from './safetensors-write.ts';

export type SyntheticDType = 'float16' | 'float32' | 'bfloat16';

export interface GenerateCheckpointOptions {
  path: string;
  /** Target parameter count; the result is within a few percent of it. */
  params: number;
  dtype: SyntheticDType;
  seed: number;
  /** Transformer blocks; default grows with `params` (2, 8 or 16). */
  layers?: number;
  /** Elements generated per chunk (default 1 Mi). Changing it never changes the output. */
  chunkElems?: number;
  onProgress?: (doneParams: number, totalParams: number) => void;
}

export interface SyntheticTensor extends TensorSpec {
  kind: 'embedding' | 'matrix' | 'norm';
  /** Laplace scale b (mean |w|) for matrices; the spread around 1 for norms. */
  scale: number;
  /** Number of outliers planted. */
  outliers: number;
}

export interface CheckpointLayout {
  hidden: number;
  layers: number;
  vocab: number;
  ffn: number;
  params: number;
  tensors: SyntheticTensor[];
}

/** 32-bit mix of two integers, to derive independent per-tensor streams from one seed. */
function hash32(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Inline-able mulberry32 state step, same generator as src/util/rng.ts but returning raw 32-bit ints. */
export class Mulberry {
  s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    const a = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
}

/** Shapes and scales for a target size. Deterministic in (params, layers, seed). */
export function checkpointLayout(params: number, seed: number, layers?: number): CheckpointLayout {
  if (!(params >= 1000) || !Number.isFinite(params)) throw new RangeError(`params must be ≥ 1000, got ${params}`);
  const L = layers ?? (params >= 5e8 ? 16 : params >= 5e7 ? 8 : 2);
  if (!Number.isInteger(L) || L < 1) throw new RangeError(`layers must be a positive integer, got ${layers}`);
  // ~94% in blocks (4 d² attention + 8 d² MLP each), ~6% in the embedding.
  const align = params >= 1e7 ? 64 : 4;
  const hidden = Math.max(align, Math.round(Math.sqrt((0.94 * params) / (12 * L)) / align) * align);
  const ffn = 4 * hidden;
  const vocab = Math.max(8, Math.round((0.06 * params) / hidden));
  const rand = new Mulberry(hash32(seed, 0x5ca1e));
  const u = () => rand.next() / 4294967296;
  const tensors: SyntheticTensor[] = [];
  const mat = (name: string, rows: number, cols: number, base: number, kind: 'embedding' | 'matrix' = 'matrix') =>
    tensors.push({ name, kind, dtype: 'float32', shape: [rows, cols], scale: base * (0.6 + 0.8 * u()), outliers: 2 + Math.floor(u() * 7) });
  const norm = (name: string) => tensors.push({ name, kind: 'norm', dtype: 'float32', shape: [hidden], scale: 0.02 + 0.08 * u(), outliers: 0 });
  // Scales like a trained model: ~1/sqrt(fan_in), smaller for the wide MLP input.
  const s = 0.8 / Math.sqrt(hidden);
  mat('model.embed_tokens.weight', vocab, hidden, 0.02, 'embedding');
  for (let l = 0; l < L; l++) {
    const p = `model.layers.${l}`;
    norm(`${p}.input_layernorm.weight`);
    for (const q of ['q', 'k', 'v', 'o']) mat(`${p}.self_attn.${q}_proj.weight`, hidden, hidden, s);
    norm(`${p}.post_attention_layernorm.weight`);
    mat(`${p}.mlp.up_proj.weight`, ffn, hidden, s);
    mat(`${p}.mlp.down_proj.weight`, hidden, ffn, s / 2);
  }
  norm('model.norm.weight');
  const total = tensors.reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);
  return { hidden, layers: L, vocab, ffn, params: total, tensors };
}

// Inverse CDF of Exp(1) on a 4096-bin grid, linearly interpolated; the last bin is computed exactly.
const BINS = 4096;
const EXP_Q = new Float64Array(BINS + 1);
for (let i = 0; i <= BINS; i++) EXP_Q[i] = i === BINS ? 0 : -Math.log(1 - i / BINS);

/**
 * Fills `out[0..n)` with the next `n` values of tensor stream `rand`. Each element consumes
 * exactly one 32-bit draw, so chunking never changes the sequence.
 */
export function fillLaplace(out: Float32Array, n: number, rand: Mulberry, scale: number, center: number): void {
  let s = rand.s;
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const r = (t ^ (t >>> 14)) >>> 0;
    // Low bit: sign. Upper 31 bits: uniform u in [0, 1).
    const x = (r >>> 1) * (BINS / 2147483648);
    const k = x | 0;
    const mag = k === BINS - 1 ? -Math.log(1 - x / BINS) : EXP_Q[k] + (x - k) * (EXP_Q[k + 1] - EXP_Q[k]);
    out[i] = center + ((r & 1) === 0 ? scale * mag : -scale * mag);
  }
  rand.s = s;
}

export function encodeChunk(vals: Float32Array, n: number, dtype: SyntheticDType): Uint8Array {
  if (dtype === 'float32') return new Uint8Array(vals.buffer.slice(0, n * 4));
  const out = new Uint16Array(n);
  if (dtype === 'float16') encodeFloat16Into(vals, out, n);
  else for (let i = 0; i < n; i++) out[i] = float32ToBFloat16Bits(vals[i]);
  return new Uint8Array(out.buffer);
}

export interface GeneratedCheckpoint extends CheckpointLayout {
  path: string;
  bytes: number;
  dtype: SyntheticDType;
  seed: number;
}

export async function generateCheckpoint(opts: GenerateCheckpointOptions): Promise<GeneratedCheckpoint> {
  const { path, dtype, seed } = opts;
  const layout = checkpointLayout(opts.params, seed, opts.layers);
  const chunkElems = opts.chunkElems ?? 1 << 20;
  const specs = layout.tensors.map((t) => ({ ...t, dtype }));
  const buf = new Float32Array(chunkElems);
  let done = 0;
  async function* produce(spec: TensorSpec, index: number): AsyncIterable<Uint8Array> {
    const t = layout.tensors[index];
    const size = t.shape.reduce((a, b) => a * b, 1);
    const rand = new Mulberry(hash32(seed, index + 1));
    // Outliers: positions and magnitudes from their own stream, planted where their chunk passes.
    const orand = new Mulberry(hash32(seed ^ 0x07e1e5, index + 1));
    const outliers: { at: number; v: number }[] = [];
    for (let k = 0; k < t.outliers; k++) {
      const at = Math.floor((orand.next() / 4294967296) * size);
      const mag = t.scale * (25 + 75 * (orand.next() / 4294967296));
      outliers.push({ at, v: orand.next() & 1 ? mag : -mag });
    }
    outliers.sort((a, b) => a.at - b.at);
    let oi = 0;
    for (let start = 0; start < size; start += chunkElems) {
      const n = Math.min(chunkElems, size - start);
      fillLaplace(buf, n, rand, t.scale, t.kind === 'norm' ? 1 : 0);
      while (oi < outliers.length && outliers[oi].at < start + n) {
        buf[outliers[oi].at - start] = outliers[oi].v;
        oi++;
      }
      done += n;
      opts.onProgress?.(done, layout.params);
      yield encodeChunk(buf, n, dtype);
    }
    void spec;
  }
  const bytes = await writeSafetensorsStream(path, specs, produce, {
    metadata: { generator: 'coquant synthetic-checkpoint', seed: String(seed), dtype, params: String(layout.params) },
  });
  return { ...layout, path, bytes, dtype, seed };
}
