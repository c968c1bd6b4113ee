import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { externalRef } from '../../src/io/external-data.ts';
import { onnx } from '../../src/io/onnx-model.ts';
import { isSyntheticModel } from '../../src/io/synthetic-marker.ts';
import { buildTransformer, drawWeight, TRANSFORMER_PRESETS, writeTransformer, type TransformerSpec } from '../../src/synth/transformer.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'coquant-synth-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const vit: TransformerSpec = { kind: 'vit', depth: 2, width: 64, heads: 4, seq: 16, patchDim: 48, vocab: 10 };
const dec: TransformerSpec = { kind: 'decoder', depth: 2, width: 64, heads: 4, seq: 6, vocab: 50, past: 3, maxPositions: 32 };

/** Parameters of a pre-LN block stack counted by hand: 4 D×D + 2 D·M matrices, their biases, two LayerNorms. */
function closedFormParams(s: TransformerSpec): number {
  const d = s.width;
  const m = s.mlp ?? 4 * d;
  const block = 4 * d * d + 4 * d + 2 * d * m + m + d + 4 * d;
  const body = s.depth * block + 2 * d; // + final LayerNorm
  if (s.kind === 'vit') return body + (s.patchDim ?? d) * d + d + d + (s.seq + 1) * d + (s.vocab > 0 ? d * s.vocab + s.vocab : 0);
  return body + s.vocab * d + (s.maxPositions ?? 1024) * d + d * s.vocab;
}

function feed(session: ort.InferenceSession, ids?: BigInt64Array): Record<string, ort.Tensor> {
  const out: Record<string, ort.Tensor> = {};
  for (const m of session.inputMetadata) {
    const dims = (m as unknown as { shape: number[] }).shape;
    const n = dims.reduce((a, b) => a * b, 1);
    const t = (m as unknown as { type: string }).type;
    out[m.name] = t === 'int64' ? new ort.Tensor('int64', ids ?? BigInt64Array.from({ length: n }, (_, i) => BigInt((i * 7) % 50)), dims) : new ort.Tensor('float32', Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37)), dims);
  }
  return out;
}

describe('synth transformer', () => {
  it('counts parameters as the closed form does, for every preset and the test shapes', () => {
    for (const s of [vit, dec, ...Object.values(TRANSFORMER_PRESETS)]) expect(buildTransformer(s).params).toBe(closedFormParams(s));
    // Named shapes land where the real models are: ViT-B/16 86.6 M, ViT-g/14 ≈ 1.0 B.
    expect(buildTransformer(TRANSFORMER_PRESETS['vit-b16']).params).toBeGreaterThan(86e6);
    expect(buildTransformer(TRANSFORMER_PRESETS['vit-g14']).params).toBeGreaterThan(1.0e9);
  });

  it('draws Laplace weights whose mean |w| is the law scale b (the exponential MLE of 1/λ)', () => {
    const spec = { ...TRANSFORMER_PRESETS['vit-b16'], depth: 1 };
    const built = buildTransformer(spec);
    const i = built.weights.findIndex((w) => w.name === 'blocks.0.mlp.fc1.weight');
    const w = drawWeight(built, i, 7);
    let sum = 0;
    for (const v of w) sum += Math.abs(v);
    const b = built.laws.find((l) => l.type === 'mlp_fc1')!.b;
    // n = 2.4 M draws: the relative standard error of the mean is 1/√n ≈ 0.0006.
    expect(Math.abs(sum / w.length / b - 1)).toBeLessThan(0.005);
    // λ differs by layer type: the residual projections are scaled down by 1/√(2·depth) and the fan-in.
    expect(built.laws.find((l) => l.type === 'mlp_fc2')!.b).toBeLessThan(b);
  });

  it('writes a small graph, an aligned external-data file, the synthetic marker, and is deterministic in the seed', async () => {
    const spec = { ...vit, width: 256, mlp: 1280 }; // fc1 is 256×1280×4 B = 1.25 MiB: over the alignment threshold
    const a = await writeTransformer({ ...spec, seed: 3 }, join(dir, 'a.onnx'));
    const b = await writeTransformer({ ...spec, seed: 3 }, join(dir, 'b.onnx'));
    const c = await writeTransformer({ ...spec, seed: 4 }, join(dir, 'c.onnx'));
    const [da, db, dc] = await Promise.all([a.dataPath, b.dataPath, c.dataPath].map((p) => readFile(p)));
    expect(Buffer.compare(da, db)).toBe(0);
    expect(Buffer.compare(da, dc)).not.toBe(0);
    expect(a.dataBytes).toBeGreaterThanOrEqual(a.params * 4);
    const m = onnx.ModelProto.decode(await readFile(a.modelPath));
    expect(isSyntheticModel(m)).toBe(true);
    expect((await stat(a.modelPath)).size).toBeLessThan(64 * 1024);
    let aligned = 0;
    for (const t of m.graph!.initializer!) {
      if (t.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) continue;
      const r = externalRef(t);
      expect(r.location).toBe('a.onnx.data');
      if (r.length > 1 << 20) {
        expect(r.offset % 65536).toBe(0);
        aligned++;
      }
      // The bytes at the reference are the tensor's own draw.
      const idx = buildTransformer(spec).weights.findIndex((w) => w.name === t.name);
      if (idx === 0) expect(new Float32Array(da.buffer.slice(da.byteOffset + r.offset, da.byteOffset + r.offset + r.length))).toEqual(drawWeight(buildTransformer(spec), 0, 3));
    }
    expect(aligned).toBe(2 * spec.depth); // fc1 and fc2 of each block
  });

  it('runs in onnxruntime: the ViT gives finite features, the decoder is causal and extends its KV cache', async () => {
    const v = await writeTransformer(vit, join(dir, 'vit.onnx'));
    const sv = await ort.InferenceSession.create(v.modelPath);
    const rv = await sv.run(feed(sv));
    expect(rv['ln_f.out'].dims).toEqual([1, 17, 64]);
    expect(rv.logits.dims).toEqual([1, 1, 10]);
    expect(Array.from(rv['ln_f.out'].data as Float32Array).every(Number.isFinite)).toBe(true);
    await sv.release();

    const d = await writeTransformer(dec, join(dir, 'dec.onnx'));
    const sd = await ort.InferenceSession.create(d.modelPath);
    const ids = BigInt64Array.from([5n, 9n, 1n, 33n, 2n, 17n]);
    const f = feed(sd, ids);
    const r1 = await sd.run(f);
    // Causality: changing the last token leaves every earlier position's logits unchanged.
    const ids2 = ids.slice();
    ids2[5] = 44n;
    const r2 = await sd.run({ ...f, input_ids: new ort.Tensor('int64', ids2, [1, 6]) });
    const V = dec.vocab;
    const l1 = r1.logits.data as Float32Array;
    const l2 = r2.logits.data as Float32Array;
    expect(Array.from(l1.slice(0, 5 * V))).toEqual(Array.from(l2.slice(0, 5 * V)));
    expect(Array.from(l1.slice(5 * V))).not.toEqual(Array.from(l2.slice(5 * V)));
    // present = concat(past, new) along the sequence axis.
    const pk = r1['blocks.0.attn.present_key'];
    expect(pk.dims).toEqual([1, 4, 9, 16]);
    const past = f['past_key.0'].data as Float32Array;
    const pres = pk.data as Float32Array;
    for (let h = 0; h < 4; h++) expect(Array.from(pres.slice(h * 9 * 16, h * 9 * 16 + 3 * 16))).toEqual(Array.from(past.slice(h * 3 * 16, (h + 1) * 3 * 16)));
    await sd.release();
  });

  it('refuses shapes it cannot build with a typed error', () => {
    expect(() => buildTransformer({ ...vit, heads: 5 })).toThrow(/not divisible/);
    expect(() => buildTransformer({ ...vit, depth: 0 })).toThrow(/positive integer/);
    expect(() => buildTransformer({ ...dec, past: 30, seq: 6, maxPositions: 32 })).toThrow(/exceeds/);
  });
});
