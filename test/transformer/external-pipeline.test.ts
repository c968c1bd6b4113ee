/**
 * A synthetic ViT with its weights in ONNX external data, through split, quantize --format
 * (int4 MatMulNBits and qdq-int8), serve and the binary client, all with real onnxruntime and a
 * real HTTP server on loopback. The model is small (≈0.9 M parameters) so this runs in npm test;
 * TRANSFORMER_SCALE=vit-b16 runs the same checks on the 86 M-parameter ViT-B/16 shape (the CI step
 * in .ci/run), and `npm run bench transformer` covers the 1 B model.
 */
import { hostFeeds } from '../../src/ort/session.ts';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFakeExternal } from '../../src/formats/external-quantize.ts';
import { fakeQuantizeModel } from '../../src/formats/fake.ts';
import { quantizeToFormat } from '../../src/formats/index.ts';
import { tensorToFloat32 } from '../../src/formats/onnx-graph.ts';
import { absolutizeExternalData, externalRef, graphTensors, isExternal } from '../../src/io/external-data.ts';
import { onnx } from '../../src/io/onnx-model.ts';
import { isSyntheticModel } from '../../src/io/synthetic-marker.ts';
import { InferenceClient, outputByName } from '../../src/runtime/client/inference-client.ts';
import { startServer } from '../../src/runtime/server/server.ts';
import { analyzeSplit, splitAt } from '../../src/runtime/split/split-model.ts';
import { writeSplitHalf } from '../../src/runtime/split/write-half.ts';
import { TRANSFORMER_PRESETS, writeTransformer, type SynthResult, type TransformerSpec } from '../../src/synth/transformer.ts';

const SMALL: TransformerSpec = { kind: 'vit', depth: 4, width: 128, heads: 4, seq: 32, patchDim: 48, vocab: 10, seed: 5 };
const scale = process.env.TRANSFORMER_SCALE;
const spec: TransformerSpec = scale ? { ...TRANSFORMER_PRESETS[scale], seed: 5 } : SMALL;
const timeout = scale ? 900_000 : 60_000;

let dir: string;
let model: SynthResult;
let input: ort.Tensor;
let reference: Record<string, Float32Array>;
let exact: Record<string, Float32Array>;

/** max |a − b| / max |a|: the served (optimised) path against the whole model. */
function relMaxDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(a[i]));
  }
  return d / m;
}

/** Runs a model file. Bit-exact comparisons use `disabled`: with all optimisations on, onnxruntime fuses across the cut (Add + LayerNormalization → SkipLayerNormalization) in the whole model only, which rounds differently. */
async function run(path: string, feeds: Record<string, ort.Tensor>, level: 'disabled' | 'all' = 'all'): Promise<Record<string, ort.Tensor>> {
  const s = await ort.InferenceSession.create(path, { intraOpNumThreads: 1, graphOptimizationLevel: level });
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}

const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'coquant-transformer-'));
  model = await writeTransformer(spec, join(dir, 'vit.onnx'));
  const pd = spec.patchDim!;
  input = new ort.Tensor('float32', Float32Array.from({ length: spec.seq * pd }, (_, i) => Math.sin(0.1 * i) + 0.3 * Math.cos(0.7 * i)), [1, spec.seq, pd]);
  const out = await run(model.modelPath, { patches: input });
  reference = Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
  const ex = await run(model.modelPath, { patches: input }, 'disabled');
  exact = Object.fromEntries(Object.entries(ex).map(([k, v]) => [k, v.data as Float32Array]));
}, timeout);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe(`transformer with external data (${scale ?? 'small ViT'}, ${spec.depth} blocks × ${spec.width})`, () => {
  it('split: head and tail get their own data files, and head then tail equals the original bit for bit', async () => {
    const cutName = model.blockOutputs[Math.floor(spec.depth / 2) - 1];
    const analysis = await analyzeSplit(model.modelPath, new Map());
    const halves = splitAt(analysis, cutName);
    const head = await writeSplitHalf(halves.head, join(dir, 'split', 'vit.head.onnx'), analysis.model.dir);
    const tail = await writeSplitHalf(halves.tail, join(dir, 'split', 'vit.tail.onnx'), analysis.model.dir);
    expect(head.dataPath).toBe(join(dir, 'split', 'vit.head.onnx.data'));
    expect(tail.dataPath).toBe(join(dir, 'split', 'vit.tail.onnx.data'));
    // Each half's weights are its own: the two data files add up to the original's weights.
    const [hd, td, od] = await Promise.all([head.dataPath!, tail.dataPath!, model.dataPath].map(async (p) => (await stat(p)).size));
    expect(hd + td).toBeGreaterThanOrEqual(model.params * 4);
    expect(hd + td).toBeLessThan(od + 2 * 65536 * spec.depth * 4);
    for (const p of [head.path, tail.path]) {
      const m = onnx.ModelProto.decode(await readFile(p));
      expect(isSyntheticModel(m)).toBe(true);
      expect((await stat(p)).size).toBeLessThan(256 * 1024); // the graph stays small
      for (const t of graphTensors(m).filter(isExternal)) {
        const r = externalRef(t);
        expect(r.location).toBe(`${p.split('/').pop()}.data`);
        if (r.length > 1 << 20) expect(r.offset % 65536).toBe(0);
      }
    }
    const feature = (await run(head.path, { patches: input }, 'disabled'))[cutName];
    expect(feature.dims).toEqual([1, spec.seq + 1, spec.width]);
    const out = await run(tail.path, { [cutName]: feature }, 'disabled');
    for (const [k, v] of Object.entries(exact)) expect(bits(out[k].data as Float32Array).equals(bits(v)), k).toBe(true);
  }, timeout);

  it('serve loads the tail; the binary client sends the sequence features and gets the full model output', async () => {
    const cutName = model.blockOutputs[Math.floor(spec.depth / 2) - 1];
    const feature = (await run(join(dir, 'split', 'vit.head.onnx'), { patches: input }))[cutName];
    const srv = await startServer({ models: [{ name: 'tail', path: join(dir, 'split', 'vit.tail.onnx') }], port: 0, logLevel: 'silent', concurrency: 1, intraOpThreads: 1 });
    try {
      const client = new InferenceClient({ url: srv.url });
      const r = await client.infer('tail', [{ name: cutName, datatype: 'FP32', shape: [...feature.dims], data: feature.data as Float32Array }]);
      const local = await run(join(dir, 'split', 'vit.tail.onnx'), { [cutName]: feature });
      for (const [k, v] of Object.entries(reference)) {
        const got = Float32Array.from(outputByName(r, k).data as Float32Array);
        expect(got.length).toBe(v.length);
        // The server runs the same tail with the same settings as this process: the same bits.
        expect(bits(got).equals(bits(local[k].data as Float32Array)), k).toBe(true);
        // Against the whole optimised model only the fusions across the cut differ (float rounding).
        expect(relMaxDiff(v, got)).toBeLessThan(1e-4);
      }
    } finally {
      await srv.close();
    }
  }, timeout);

  for (const format of ['int4', 'qdq-int8'] as const) {
    it(`quantize --format ${format}: external data in and out, runs in onnxruntime, distortion against fp32 reported`, async () => {
      const feeds = [0, 1].map((s) => ({ patches: new ort.Tensor('float32', Float32Array.from({ length: input.data.length }, (_, i) => Math.sin(0.13 * i + s)), [...input.dims]) }));
      const out = join(dir, 'q', `vit.${format}.onnx`);
      const { report, written } = await quantizeToFormat({ modelPath: model.modelPath, outPath: out, format, calibration: hostFeeds(feeds), evaluation: hostFeeds(feeds), skipCensus: format === 'int4' });
      expect(written?.dataPath).toBe(`${out}.data`);
      expect(report.weights).toBe('synthetic');
      expect((await stat(out)).size).toBeLessThan(512 * 1024);
      // Every block's six MatMuls plus the patch embedding and the classifier.
      expect(report.covered.tensors).toBe(6 * spec.depth + 2);
      expect(report.sizes.ratio).toBeGreaterThan(format === 'int4' ? 4 : 2.5);
      if (format === 'qdq-int8') expect(report.census!.fallbacks).toEqual([]);
      const d = report.distortion!;
      // Independent check of the reported relL2: recompute it from the two models' outputs.
      let num = 0;
      let den = 0;
      for (const feed of feeds) {
        const q = await run(out, feed);
        const f = await run(model.modelPath, feed);
        for (const k of Object.keys(f)) {
          const a = f[k].data as Float32Array;
          const b = q[k].data as Float32Array;
          for (let i = 0; i < a.length; i++) {
            num += (a[i] - b[i]) ** 2;
            den += a[i] * a[i];
          }
        }
      }
      // Thread counts differ from the report's runs, so the sums round differently: 1 % agreement.
      expect(Math.abs(Math.sqrt(num / den) / d.vsFp32.relL2! - 1)).toBeLessThan(0.01);
      expect(d.vsFp32.relL2!).toBeGreaterThan(0);
      expect(d.vsFp32.relL2!).toBeLessThan(format === 'int4' ? 0.5 : 0.1);
      // The fake-quantized simulation at the same bits predicts the weight part of the error.
      expect(d.fakeVsFp32.relL2!).toBeGreaterThan(0);
      expect(d.fakeVsFp32.relL2!).toBeLessThanOrEqual(d.vsFp32.relL2! * 1.5 + 1e-6);
    }, timeout);
  }

  it('the fake-quantized model written one weight at a time equals the one made in memory all at once, tensor for tensor', async () => {
    const m = onnx.ModelProto.decode(await readFile(model.modelPath));
    await absolutizeExternalData(m, dir);
    const scheme = { kind: 'block' as const, bits: 4, blockSize: 64 };
    const streamed = await writeFakeExternal(m, scheme, join(dir, 'fake', 'fake.onnx'));
    const whole = fakeQuantizeModel(m, scheme);
    const written = onnx.ModelProto.decode(await readFile(streamed.modelPath));
    await absolutizeExternalData(written, join(dir, 'fake'));
    const byName = new Map(written.graph!.initializer!.map((t) => [t.name, t]));
    let changed = 0;
    for (const t of whole.model.graph!.initializer!) {
      const w = byName.get(t.name)!;
      const a = tensorToFloat32(t);
      const b = tensorToFloat32(w);
      expect(bits(b).equals(bits(a)), t.name ?? '').toBe(true);
      if (whole.tensors.includes(t.name ?? '')) changed++;
    }
    expect(changed).toBe(6 * spec.depth + 2);
  }, timeout);

  it('rejects external data that escapes the model folder or lies past the end of its file, with typed errors', async () => {
    const m = onnx.ModelProto.decode(await readFile(model.modelPath));
    const t = graphTensors(m).find(isExternal)!;
    const r = externalRef(t);
    t.externalData = [{ key: 'location', value: '../../etc/passwd' }, { key: 'offset', value: '0' }, { key: 'length', value: String(r.length) }];
    await expect(absolutizeExternalData(m, dir)).rejects.toMatchObject({ code: 'E_PATH_ESCAPE' });
    t.externalData = [{ key: 'location', value: 'vit.onnx.data' }, { key: 'offset', value: String(model.dataBytes) }, { key: 'length', value: String(r.length) }];
    await expect(absolutizeExternalData(m, dir)).rejects.toMatchObject({ code: 'E_OUT_OF_RANGE' });
    await writeFile(join(dir, 'broken.onnx'), onnx.ModelProto.encode(m).finish());
    await expect(quantizeToFormat({ modelPath: join(dir, 'broken.onnx'), outPath: join(dir, 'q', 'broken.onnx'), format: 'int4' })).rejects.toMatchObject({ code: expect.stringMatching(/^E_/) });
  });
});
