import { describe, expect, it } from 'vitest';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openWeights, selectWeights } from '../../src/io/open-weights.ts';
import { readChunks } from '../../src/io/read-chunks.ts';
import { toFloat32, decodeInto, float16Table } from '../../src/io/decode.ts';
import { writeSafetensors } from '../../src/io/safetensors-write.ts';
import { ModelFormatError } from '../../src/io/errors.ts';
import type { DType } from '../../src/io/types.ts';
import { suiteTempDir } from './fixtures.ts';

/** Test tensors whose expected float values are computed independently of the decoder. */
function sample(): { name: string; dtype: DType; shape: number[]; bytes: Uint8Array; expect: number[] }[] {
  const f32 = Float32Array.of(1.5, -2, 0, 3.25e-5, -7, 1e30);
  const f64 = Float64Array.of(0.1, -1e-300, 12345.678, 2);
  const f16 = Uint16Array.of(0x3c00, 0xbc00, 0x3800, 0x0001, 0x7bff, 0x8000);
  const bf16 = Uint16Array.of(0x3f80, 0x4049, 0xc2f7, 0x0080);
  const i8 = Int8Array.of(-128, -5, 0, 7, 127, 1);
  const u8 = Uint8Array.of(0, 1, 2, 200, 255, 9);
  const b = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const bf = (h: number) => new Float32Array(Uint32Array.of(h << 16).buffer)[0];
  return [
    { name: 'f32', dtype: 'float32', shape: [2, 3], bytes: b(f32), expect: Array.from(f32) },
    { name: 'f64', dtype: 'float64', shape: [2, 2], bytes: b(f64), expect: Array.from(f64, Math.fround) },
    { name: 'f16', dtype: 'float16', shape: [3, 2], bytes: b(f16), expect: [1, -1, 0.5, 2 ** -24, 65504, -0] },
    { name: 'bf16', dtype: 'bfloat16', shape: [4], bytes: b(bf16), expect: Array.from(bf16, bf) },
    { name: 'i8', dtype: 'int8', shape: [6, 1], bytes: b(i8), expect: Array.from(i8) },
    { name: 'u8', dtype: 'uint8', shape: [1, 6], bytes: b(u8), expect: Array.from(u8) },
  ];
}

describe('safetensors', () => {
  const tmp = suiteTempDir();

  it('round-trips every dtype: writer → reader gives the same names, shapes, bytes and values', async () => {
    const path = join(tmp.dir, 'all.safetensors');
    const ts = sample();
    await writeSafetensors(path, ts, { metadata: { format: 'pt' } });
    const raw = await readFile(path);
    // Header padded so the data section starts 8-byte aligned.
    expect((8 + Number(raw.readBigUInt64LE(0))) % 8).toBe(0);
    const src = await openWeights(path);
    expect(src.format).toBe('safetensors');
    expect(src.tensors.map((t) => [t.name, t.dtype, t.shape])).toEqual(ts.map((t) => [t.name, t.dtype, t.shape]));
    for (const t of ts) {
      const r = await src.read(t.name);
      expect(Buffer.from(r.bytes).equals(Buffer.from(t.bytes))).toBe(true);
      expect(Array.from(toFloat32(r))).toEqual(t.expect);
    }
    // Default selection: float and rank >= 2 (bf16 is rank 1; ints never).
    expect(selectWeights(src.tensors).map((t) => t.name)).toEqual(['f32', 'f64', 'f16']);
    expect(selectWeights(src.tensors, { allFloat: true }).map((t) => t.name)).toEqual(['f32', 'f64', 'f16', 'bf16']);
    await src.close();
  });

  it('readChunks streams a tensor in bounded slices that concatenate to the full read', async () => {
    const n = 10_007;
    const vals = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 3);
    const f16 = Uint16Array.from({ length: n }, (_, i) => (i * 7919) & 0x7bff);
    const path = join(tmp.dir, 'chunks.safetensors');
    await writeSafetensors(path, [
      { name: 'a', dtype: 'float32', shape: [n], bytes: new Uint8Array(vals.buffer) },
      { name: 'b', dtype: 'float16', shape: [n], bytes: new Uint8Array(f16.buffer) },
    ]);
    const src = await openWeights(path);
    for (const name of ['a', 'b']) {
      const full = toFloat32(await src.read(name));
      const got = new Float32Array(n);
      let next = 0;
      for await (const c of readChunks(src, name, 1000)) {
        expect(c.start).toBe(next); // in order, no gaps
        expect(c.count).toBeLessThanOrEqual(1000);
        next += decodeInto(c.info.dtype, c.bytes, got, c.start);
      }
      expect(next).toBe(n);
      expect(Array.from(got)).toEqual(Array.from(full));
    }
    const table = float16Table();
    expect(Array.from(toFloat32(await src.read('b')))).toEqual(Array.from(f16, (h) => table[h]));
    await src.close();
  });

  it('sharded checkpoints: an index.json, the folder holding it, and a folder of bare shards', async () => {
    const sh = join(tmp.dir, 'sharded');
    await mkdir(sh, { recursive: true });
    const mk = (v: number, k: number) => ({ name: `layer${k}.weight`, dtype: 'float32' as const, shape: [2, 2], bytes: new Uint8Array(Float32Array.of(v, v + 1, v + 2, v + 3).buffer) });
    await writeSafetensors(join(sh, 'model-00001-of-00002.safetensors'), [mk(0, 0), mk(10, 1)]);
    await writeSafetensors(join(sh, 'model-00002-of-00002.safetensors'), [mk(20, 2)]);
    const index = { metadata: { total_size: 48 }, weight_map: { 'layer0.weight': 'model-00001-of-00002.safetensors', 'layer1.weight': 'model-00001-of-00002.safetensors', 'layer2.weight': 'model-00002-of-00002.safetensors' } };
    await writeFile(join(sh, 'model.safetensors.index.json'), JSON.stringify(index));
    for (const p of [join(sh, 'model.safetensors.index.json'), sh]) {
      const src = await openWeights(p);
      expect(src.tensors.map((t) => t.name).sort()).toEqual(['layer0.weight', 'layer1.weight', 'layer2.weight']);
      expect(Array.from(toFloat32(await src.read('layer2.weight')))).toEqual([20, 21, 22, 23]);
      expect(Array.from(toFloat32(await src.read('layer1.weight')))).toEqual([10, 11, 12, 13]);
      await src.close();
    }
    const bare = join(tmp.dir, 'bare');
    await mkdir(bare);
    await writeSafetensors(join(bare, 'a.safetensors'), [mk(1, 0)]);
    await writeSafetensors(join(bare, 'b.safetensors'), [mk(2, 1)]);
    const src = await openWeights(bare);
    expect(src.tensors.map((t) => t.name)).toEqual(['layer0.weight', 'layer1.weight']);
    await src.close();
  });

  it('an index that maps a tensor to the wrong shard, or a shard outside the folder, is rejected', async () => {
    const sh = join(tmp.dir, 'badindex');
    await mkdir(sh, { recursive: true });
    await writeSafetensors(join(sh, 's1.safetensors'), [{ name: 'x', dtype: 'float32', shape: [1], bytes: new Uint8Array(4) }]);
    await writeSafetensors(join(sh, 's2.safetensors'), [{ name: 'y', dtype: 'float32', shape: [1], bytes: new Uint8Array(4) }]);
    await writeFile(join(sh, 'wrong.safetensors.index.json'), JSON.stringify({ weight_map: { x: 's2.safetensors', y: 's2.safetensors' } }));
    const e1 = (await openWeights(join(sh, 'wrong.safetensors.index.json')).catch((e: unknown) => e)) as ModelFormatError;
    expect(e1.code).toBe('E_NO_SUCH_TENSOR');
    expect(e1.message).toContain("'x'");
    await writeFile(join(sh, 'escape.safetensors.index.json'), JSON.stringify({ weight_map: { x: '../s1.safetensors' } }));
    const e2 = (await openWeights(join(sh, 'escape.safetensors.index.json')).catch((e: unknown) => e)) as ModelFormatError;
    expect(e2.code).toBe('E_PATH_ESCAPE');
  });
});
