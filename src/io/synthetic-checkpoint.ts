/**
 * A deterministic, transformer-shaped checkpoint for benchmarks and tests: token embedding,
 * per-layer q/k/v/o attention and up/down MLP matrices, RMS-norm vectors, a final norm.
 * Matrix entries are Laplace-like (what real weight magnitudes look like, SPEC §4) with a
 * per-tensor scale, plus a few large outliers per tensor (what stretches abs-max ranges).
 * Values are generated and written chunk by chunk, so memory is bounded by one chunk.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { writeSafetensorsStream, type SafetensorsEntrySpec } from './safetensors-write.ts';
import { hash32, makeChunk, Mulberry, type ChunkJob, type SyntheticDType } from './synthetic-chunk.ts';

export type { SyntheticDType } from './synthetic-chunk.ts';

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
  /** Worker threads making chunks (default: 2 for ≥ 5e7 params, else 0 = inline). Never changes the output. */
  workers?: number;
}

export interface SyntheticTensor extends SafetensorsEntrySpec {
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

export interface GeneratedCheckpoint extends CheckpointLayout {
  path: string;
  bytes: number;
  dtype: SyntheticDType;
  seed: number;
  workers: number;
}

/** Runs chunk jobs on worker threads; any worker failure falls back to computing inline (same bytes). */
class ChunkPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, { resolve: (b: Uint8Array) => void; reject: (e: unknown) => void }>();
  private nextId = 0;
  broken = false;

  constructor(n: number) {
    for (let i = 0; i < n; i++) {
      const w = new Worker(new URL('./synthetic-worker-boot.mjs', import.meta.url));
      w.on('message', (m: { id: number; bytes: Uint8Array }) => {
        this.pending.get(m.id)?.resolve(m.bytes);
        this.pending.delete(m.id);
      });
      w.on('error', (e) => {
        if (process.env.COQUANT_DEBUG) process.stderr.write(`synthetic-checkpoint worker failed: ${String(e)}\n`);
        this.fail(e);
      });
      this.workers.push(w);
    }
  }

  private fail(e: unknown): void {
    this.broken = true;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  run(job: ChunkJob): Promise<Uint8Array> {
    if (this.broken || this.workers.length === 0) return Promise.resolve(makeChunk(job));
    const id = this.nextId++;
    const w = this.workers[id % this.workers.length];
    return new Promise<Uint8Array>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.postMessage({ id, job });
    }).catch(() => makeChunk(job));
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** Every chunk job of the checkpoint, in file order. */
function* chunkJobs(layout: CheckpointLayout, seed: number, dtype: SyntheticDType, chunkElems: number): Generator<{ tensor: number; job: ChunkJob }> {
  for (const [index, t] of layout.tensors.entries()) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    const stream = hash32(seed, index + 1);
    // Outliers: positions and magnitudes from their own stream.
    const orand = new Mulberry(hash32(seed ^ 0x07e1e5, index + 1));
    const outliers: { at: number; v: number }[] = [];
    for (let k = 0; k < t.outliers; k++) {
      const at = Math.floor((orand.next() / 4294967296) * size);
      const mag = t.scale * (25 + 75 * (orand.next() / 4294967296));
      outliers.push({ at, v: orand.next() & 1 ? mag : -mag });
    }
    for (let start = 0; start < size; start += chunkElems) {
      const count = Math.min(chunkElems, size - start);
      const inChunk = outliers.filter((o) => o.at >= start && o.at < start + count).map((o) => ({ at: o.at - start, v: o.v }));
      yield { tensor: index, job: { dtype, stream, scale: t.scale, center: t.kind === 'norm' ? 1 : 0, start, count, outliers: inChunk } };
    }
  }
}

export async function generateCheckpoint(opts: GenerateCheckpointOptions): Promise<GeneratedCheckpoint> {
  const { path, dtype, seed } = opts;
  const layout = checkpointLayout(opts.params, seed, opts.layers);
  const chunkElems = opts.chunkElems ?? 1 << 20;
  const nWorkers = opts.workers ?? (layout.params >= 5e7 ? Math.min(2, availableParallelism()) : 0);
  const pool = new ChunkPool(nWorkers);
  // A bounded window of chunks in flight, consumed in file order: memory stays a few chunks.
  const window = Math.max(2, 3 * nWorkers);
  const jobs = chunkJobs(layout, seed, dtype, chunkElems);
  const inflight: { tensor: number; count: number; bytes: Promise<Uint8Array> }[] = [];
  const refill = () => {
    while (inflight.length < window) {
      const n = jobs.next();
      if (n.done) return;
      inflight.push({ tensor: n.value.tensor, count: n.value.job.count, bytes: pool.run(n.value.job) });
    }
  };
  let done = 0;
  async function* produce(_spec: SafetensorsEntrySpec, index: number): AsyncIterable<Uint8Array> {
    for (;;) {
      refill();
      const head = inflight[0];
      if (!head || head.tensor !== index) return;
      inflight.shift();
      const bytes = await head.bytes;
      done += head.count;
      opts.onProgress?.(done, layout.params);
      yield bytes;
    }
  }
  const specs = layout.tensors.map((t) => ({ name: t.name, shape: t.shape, dtype }));
  try {
    const bytes = await writeSafetensorsStream(path, specs, produce, {
      metadata: { generator: 'coquant synthetic-checkpoint', seed: String(seed), dtype, params: String(layout.params) },
    });
    // Report the workers that really made the chunks (0 if they failed and the fallback ran).
    return { ...layout, path, bytes, dtype, seed, workers: pool.broken ? 0 : nWorkers };
  } finally {
    await pool.close();
  }
}
