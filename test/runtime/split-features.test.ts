import fc from 'fast-check';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { createSession, releaseSession, runFeed } from '../../src/ort/session.ts';
import { serializeModel } from '../../src/io/onnx-edit.ts';
import type { ModelProto } from '../../src/io/onnx-model.ts';
import type { Feed } from '../../src/data/tensor.ts';
import { decodeFeature, encodeFeature, featureWireBytes, type FeatureFormat } from '../../src/formats/feature-format.ts';
import { tailWithFeatureFormats } from '../../src/formats/feature-tail.ts';
import { featureFeed } from '../../src/runtime/split/feature-wire.ts';

const { onnx } = onnxProto;
const DT = onnx.TensorProto.DataType;

function model(nodes: onnxProto.onnx.INodeProto[], inputs: [string, number, number[]][], outputs: [string, number][], opset = 13): Uint8Array {
  const vi = (name: string, elemType: number, dims?: number[]) => ({ name, type: { tensorType: { elemType, ...(dims ? { shape: { dim: dims.map((d) => ({ dimValue: d })) } } : {}) } } });
  const m = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    graph: { name: 'g', node: nodes, input: inputs.map(([n, t, d]) => vi(n, t, d)), output: outputs.map(([n, t]) => vi(n, t)) },
  });
  return serializeModel(m as ModelProto);
}

const so = { optimization: 'disabled', intraOpThreads: 1 } as const;

describe('fp16 features', () => {
  // Independent reference: onnxruntime's Cast float32 → float16 (round to nearest even), and the
  // float16 → float32 widening the rewritten tail's Cast does.
  it('encode matches onnxruntime Cast bit for bit, including subnormals, ties, overflow and NaN', async () => {
    const toHalf = await createSession(model([{ opType: 'Cast', input: ['x'], output: ['h'], attribute: [{ name: 'to', type: 2, i: DT.FLOAT16 }] }], [['x', DT.FLOAT, [4096]]], [['h', DT.FLOAT16]]), so);
    const values = fc.sample(fc.oneof(fc.float(), fc.float({ min: Math.fround(-1e-4), max: Math.fround(1e-4) }), fc.float({ min: -70000, max: 70000 }), fc.float({ min: -Math.fround(2 ** -24), max: Math.fround(2 ** -24) })), 4096 - 8);
    // Exact ties between two halves (1 + k/1024 + 1/2048) and the largest finite / first overflowing value.
    values.push(1 + 1 / 2048, 1 + 3 / 2048, 65504, 65520, -65519.996, 2 ** -25, 3 * 2 ** -26, Number.NaN);
    const x = Float32Array.from(values);
    const ref = (await runFeed(toHalf, { x: { type: 'float32', dims: [4096], data: x } })).h.data as unknown as Uint16Array;
    const enc = encodeFeature(x, [4096], 'fp16');
    const mine = enc.data as Uint16Array;
    const bad: string[] = [];
    for (let i = 0; i < x.length; i++) {
      const same = Number.isNaN(x[i]) ? (mine[i] & 0x7c00) === 0x7c00 && (mine[i] & 0x3ff) !== 0 : mine[i] === ref[i];
      if (!same) bad.push(`${x[i]}: ${mine[i].toString(16)} vs ${ref[i].toString(16)}`);
    }
    expect(bad.slice(0, 5)).toEqual([]);
    // Decoding is exact: every finite value comes back as the half it was rounded to (relative error ≤ 2^-11 in range).
    const back = decodeFeature(enc);
    for (let i = 0; i < x.length; i++) if (Math.abs(x[i]) >= 2 ** -14 && Math.abs(x[i]) <= 65504) expect(Math.abs(back[i] - x[i])).toBeLessThanOrEqual(Math.abs(x[i]) * 2 ** -11);
    await releaseSession(toHalf);
  });
});

describe('int8 affine features', () => {
  // Invariant: every finite value inside the range comes back within half a step (scale / 2).
  it('reconstruct within half a quantization step, per tensor and per channel', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(fc.float({ min: -100, max: 100, noNaN: true }), { minLength: 24, maxLength: 24 }), (c, vals) => {
        const dims = [1, c, Math.floor(24 / c)];
        const n = dims[1] * dims[2];
        const x = Float32Array.from(vals.slice(0, n));
        for (const f of ['int8', 'int8-channel'] as const) {
          const e = encodeFeature(x, dims, f);
          const y = decodeFeature(e);
          const inner = dims[2];
          for (let i = 0; i < n; i++) {
            const ch = f === 'int8' ? 0 : Math.floor(i / inner) % c;
            expect(Math.abs(y[i] - x[i])).toBeLessThanOrEqual(e.scale![ch] / 2 + 1e-6 * Math.abs(x[i]));
          }
          expect(featureWireBytes(f, dims)).toBe(n + 5 * (f === 'int8' ? 1 : c));
        }
      }),
      { numRuns: 200 },
    );
  });

  // Independent reference: ONNX DequantizeLinear (opset 13, per axis) on the same codes computes the
  // same float32 values as the decoder, and as the Cast/Sub/Mul the rewritten tail carries.
  it('decode equals DequantizeLinear and the rewritten tail, bit for bit', async () => {
    const dims = [1, 3, 4, 5];
    const x = Float32Array.from({ length: 60 }, (_, i) => Math.sin(i * 1.7) * (1 + (i % 3) * 10) + 0.5);
    const dql = await createSession(
      model([{ opType: 'DequantizeLinear', input: ['q', 's', 'z'], output: ['y'], attribute: [{ name: 'axis', type: 2, i: 1 }] }], [['q', DT.INT8, dims], ['s', DT.FLOAT, [3]], ['z', DT.INT8, [3]]], [['y', DT.FLOAT]]),
      so,
    );
    const e = encodeFeature(x, dims, 'int8-channel');
    const ref = (await runFeed(dql, { q: { type: 'int8', dims, data: e.data as Int8Array }, s: { type: 'float32', dims: [3], data: e.scale! }, z: { type: 'int8', dims: [3], data: e.zeroPoint! } })).y.data as Float32Array;
    expect([...decodeFeature(e)]).toEqual([...ref]);
    await releaseSession(dql);
    // A "tail" that is one Identity: after the rewrite it returns what the tail's nodes would see.
    const idBytes = model([{ opType: 'Relu', input: ['t'], output: ['y'] }], [['t', DT.FLOAT, dims]], [['y', DT.FLOAT]], 9);
    const tailModel = onnx.ModelProto.decode(idBytes);
    for (const f of ['fp16', 'int8', 'int8-channel'] as FeatureFormat[]) {
      const tail = await createSession(serializeModel(tailWithFeatureFormats(tailModel, { t: f }) as ModelProto), so);
      const enc = encodeFeature(x, dims, f);
      const feed: Feed = featureFeed({ t: { type: 'float32', dims, data: x } }, { t: f });
      const y = (await runFeed(tail, feed)).y.data as Float32Array;
      const want = decodeFeature(enc).map((v) => Math.max(v, 0));
      expect([...y], f).toEqual([...want]);
      await releaseSession(tail);
    }
  });

  it('a non-float input or an unknown tensor is a typed error', () => {
    const m = onnx.ModelProto.decode(model([{ opType: 'Identity', input: ['t'], output: ['y'] }], [['t', DT.INT64, [2]]], [['y', DT.INT64]]));
    expect(() => tailWithFeatureFormats(m, { t: 'int8' })).toThrow(/not float32/);
    expect(() => tailWithFeatureFormats(m, { u: 'fp16' })).toThrow(/not an input of the tail/);
  });
});
