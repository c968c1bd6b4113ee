import { describe, expect, it } from 'vitest';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { generateCheckpoint, checkpointLayout } from '../../src/io/synthetic-checkpoint.ts';
import { writeSafetensorsStream } from '../../src/io/safetensors-write.ts';
import { openWeights, selectWeights } from '../../src/io/open-weights.ts';
import { toFloat32 } from '../../src/io/decode.ts';
import { readChunks } from '../../src/io/read-chunks.ts';
import { Mulberry } from '../../src/io/synthetic-chunk.ts';
import { suiteTempDir } from './fixtures.ts';

describe('synthetic checkpoint', () => {
  const tmp = suiteTempDir();

  it('layout: transformer-shaped, parameter count within 10% of the target', () => {
    for (const p of [1e5, 3e6, 1e9]) {
      const l = checkpointLayout(p, 1);
      expect(Math.abs(l.params - p) / p).toBeLessThan(0.1);
      expect(l.tensors.filter((t) => t.name.endsWith('q_proj.weight'))).toHaveLength(l.layers);
      expect(l.tensors.filter((t) => t.kind === 'norm')).toHaveLength(2 * l.layers + 1);
    }
  });

  it('mulberry jump-ahead equals stepping the generator n times', () => {
    for (const n of [0, 1, 5, 1000, 123457]) {
      const step = new Mulberry(99);
      for (let i = 0; i < n; i++) step.next();
      const jumped = Mulberry.jump(99, n);
      expect(jumped.next()).toBe(step.next());
    }
    // Beyond 2^32 draws the counter wraps: jumping 2^32 steps is the identity.
    expect(Mulberry.jump(7, 2 ** 32).s).toBe(7);
  });

  it('is deterministic in the seed and independent of the chunk size', async () => {
    const a = join(tmp.dir, 'a.safetensors');
    const b = join(tmp.dir, 'b.safetensors');
    const c = join(tmp.dir, 'c.safetensors');
    await generateCheckpoint({ path: a, params: 2e5, dtype: 'float16', seed: 42 });
    // Different chunking, made on two worker threads, must give the same bytes.
    const viaWorkers = await generateCheckpoint({ path: b, params: 2e5, dtype: 'float16', seed: 42, chunkElems: 777, workers: 2 });
    expect(viaWorkers.workers).toBe(2);
    await generateCheckpoint({ path: c, params: 2e5, dtype: 'float16', seed: 43 });
    const [ba, bb, bc] = await Promise.all([a, b, c].map((p) => readFile(p)));
    expect(ba.equals(bb)).toBe(true);
    expect(ba.equals(bc)).toBe(false);
  });

  it('reads back with Laplace-like magnitudes (mean|w| ≈ scale, P(|w| > 3·scale) ≈ e^-3), planted outliers and norms near 1', async () => {
    const path = join(tmp.dir, 'stats.safetensors');
    const r = await generateCheckpoint({ path, params: 3e5, dtype: 'float32', seed: 5, layers: 2 });
    const src = await openWeights(path);
    expect(src.tensors.map((t) => t.name)).toEqual(r.tensors.map((t) => t.name));
    expect(src.tensors.reduce((a, t) => a + t.size, 0)).toBe(r.params);
    for (const spec of r.tensors) {
      const v = toFloat32(await src.read(spec.name));
      if (spec.kind === 'norm') {
        const mean = v.reduce((a, x) => a + x, 0) / v.length;
        expect(Math.abs(mean - 1)).toBeLessThan(0.05);
        continue;
      }
      // Outliers excluded by a 20·scale cut (Laplace mass beyond it is e^-20).
      const body = v.filter((x) => Math.abs(x) < 20 * spec.scale);
      const meanAbs = body.reduce((a, x) => a + Math.abs(x), 0) / body.length;
      expect(Math.abs(meanAbs / spec.scale - 1), spec.name).toBeLessThan(0.08);
      const tail = body.filter((x) => Math.abs(x) > 3 * spec.scale).length / body.length;
      expect(Math.abs(tail - Math.exp(-3))).toBeLessThan(0.02);
      const pos = body.filter((x) => x > 0).length / body.length;
      expect(Math.abs(pos - 0.5)).toBeLessThan(0.05);
      const outliers = v.length - body.length;
      expect(outliers).toBeGreaterThanOrEqual(1);
      expect(outliers).toBeLessThanOrEqual(spec.outliers);
    }
    expect(selectWeights(src.tensors)).toHaveLength(r.tensors.filter((t) => t.kind !== 'norm').length);
    await src.close();
  });

  it('fp16 and bf16 checkpoints are the fp32 one rounded, streamed in chunks', async () => {
    const paths = { float32: join(tmp.dir, 'f32.safetensors'), float16: join(tmp.dir, 'f16.safetensors'), bfloat16: join(tmp.dir, 'bf16.safetensors') };
    for (const [dtype, path] of Object.entries(paths)) await generateCheckpoint({ path, params: 5e4, dtype: dtype as 'float32', seed: 9 });
    const f32 = await openWeights(paths.float32);
    for (const dt of ['float16', 'bfloat16'] as const) {
      const low = await openWeights(paths[dt]);
      for (const t of low.tensors) {
        const ref = toFloat32(await f32.read(t.name));
        let i = 0;
        for await (const c of readChunks(low, t.name, 1000)) {
          const vals = toFloat32({ info: { ...c.info, shape: [c.count], size: c.count, byteLength: c.bytes.length }, bytes: c.bytes });
          for (const x of vals) {
            const rel = Math.abs(x - ref[i]) / Math.max(Math.abs(ref[i]), 1e-4);
            if (rel > (dt === 'float16' ? 1e-3 : 8e-3)) throw new Error(`${t.name}[${i}]: ${x} vs ${ref[i]}`);
            i++;
          }
        }
        expect(i).toBe(t.size);
      }
      await low.close();
    }
    await f32.close();
  });

  it('a failing producer leaves neither the target nor a temporary file behind', async () => {
    const sub = join(tmp.dir, 'atomic');
    const target = join(sub, 'x.safetensors');
    const err = await writeSafetensorsStream(target, [{ name: 'a', dtype: 'float32', shape: [4] }], () => [new Uint8Array(8)]).catch((e: unknown) => e);
    expect(String(err)).toContain('8 of 16 bytes');
    expect(await readdir(sub)).toEqual([]);
  });
});
