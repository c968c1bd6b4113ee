/**
 * fp16 → fp32 widening (formats/fp16-widen.ts), on a small fp16 graph built the way ISNet's export
 * is (float32 input, Cast to fp16, fp16 Conv weights, Cast back to float32):
 *  - every widened weight equals its fp16 value exactly (checked bit by bit against an independent
 *    fp16 decoder written here);
 *  - the widened, preoptimised graph has no fp16 left and computes the same Conv as a float64
 *    brute force over the fp16 weights;
 *  - a model that is fp16 throughout (fp16 input and output) keeps its interface: Casts are added
 *    at the input and the output, the inside is float32, and it computes the brute-force Conv of
 *    the fp16 input, rounded to fp16; qdq-int8 and int4 then cover its weight.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { halfToFloat } from '../../src/data/npy.ts';
import { coquantRun } from '../cli/run-cli.ts';
import { describe, expect, it } from 'vitest';
import onnxProto from 'onnx-proto';
import { modelOf } from '../io/fixtures.ts';
import { float32ToFloat16Bits } from '../../src/io/encode.ts';
import { widenFloat16 } from '../../src/formats/fp16-widen.ts';
import { preoptimize } from '../../src/formats/preoptimize.ts';
import { DT, encodeModel, tensorToFloat32 } from '../../src/formats/onnx-graph.ts';
import { createSession, runFeed } from '../../src/ort/session.ts';
import { mulberry32 } from '../../src/util/rng.ts';

const { onnx } = onnxProto;

// The arithmetic half decoder of the .npy reader: independent of the lookup table the widening uses.
const halfToNumber = halfToFloat;

const vi = (name: string, elemType: number, dims: number[]) =>
  onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });

function halfTensor(name: string, dims: number[], bits: Uint16Array) {
  return onnx.TensorProto.create({ name, dataType: DT.FLOAT16, dims, rawData: new Uint8Array(bits.buffer.slice(0)) });
}

const C = 2, M = 3, H = 6, K = 3;

function fp16ConvModel(inputType: number, halfOutput = false) {
  const rand = mulberry32(7);
  const w = new Uint16Array(M * C * K * K).map(() => float32ToFloat16Bits((rand() - 0.5) * 2));
  const b = new Uint16Array(M).map(() => float32ToFloat16Bits(rand() - 0.5));
  const castIn = inputType === DT.FLOAT ? [onnx.NodeProto.create({ opType: 'Cast', input: ['x'], output: ['x16'], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: DT.FLOAT16 }] })] : [];
  const model = modelOf(15, {
    name: 'fp16conv',
    node: [
      ...castIn,
      onnx.NodeProto.create({ opType: 'Conv', input: [castIn.length ? 'x16' : 'x', 'w', 'b'], output: [halfOutput ? 'y' : 'y16'], attribute: [{ name: 'pads', type: onnx.AttributeProto.AttributeType.INTS, ints: [1, 1, 1, 1] }] }),
      ...(halfOutput ? [] : [onnx.NodeProto.create({ opType: 'Cast', input: ['y16'], output: ['y'], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: DT.FLOAT }] })]),
    ],
    initializer: [halfTensor('w', [M, C, K, K], w), halfTensor('b', [M], b)],
    input: [vi('x', inputType, [1, C, H, H])],
    output: [vi('y', halfOutput ? DT.FLOAT16 : DT.FLOAT, [1, M, H, H])],
  });
  return { model, w, b };
}

/** The model's Conv (pad 1) in float64: input element k is `x(k)`, weights and bias the fp16 values. */
function bruteConv(x: (k: number) => number, w: Uint16Array, b: Uint16Array): Float64Array {
  const y = new Float64Array(M * H * H);
  for (let m = 0; m < M; m++)
    for (let i = 0; i < H; i++)
      for (let j = 0; j < H; j++) {
        let acc = halfToNumber(b[m]!);
        for (let c = 0; c < C; c++)
          for (let di = 0; di < K; di++)
            for (let dj = 0; dj < K; dj++) {
              const ii = i + di - 1, jj = j + dj - 1;
              if (ii < 0 || jj < 0 || ii >= H || jj >= H) continue;
              acc += x((c * H + ii) * H + jj) * halfToNumber(w[((m * C + c) * K + di) * K + dj]!);
            }
        y[(m * H + i) * H + j] = acc;
      }
  return y;
}

describe('widenFloat16', () => {
  it('widens fp16 weights exactly and retargets Casts; the preoptimised graph is all float32 and matches a float64 brute-force Conv', async () => {
    const { model, w, b } = fp16ConvModel(DT.FLOAT);
    const bytes = encodeModel(model);
    const copy = onnx.ModelProto.decode(bytes);
    const r = widenFloat16(copy);
    expect(r).toEqual({ tensors: 2, casts: 1, interfaceCasts: 0 });
    const ww = tensorToFloat32(copy.graph!.initializer!.find((t) => t.name === 'w')!);
    expect(copy.graph!.initializer!.every((t) => t.dataType === DT.FLOAT)).toBe(true);
    for (let i = 0; i < w.length; i++) expect(ww[i]).toBe(halfToNumber(w[i]));

    const pre = await preoptimize(bytes, 'fp16conv');
    const types = new Set(pre.graph!.initializer!.map((t) => t.dataType));
    expect(types).toEqual(new Set([DT.FLOAT]));
    const castsToHalf = pre.graph!.node!.filter((n) => n.opType === 'Cast' && n.attribute!.some((a) => a.name === 'to' && Number(a.i) === DT.FLOAT16));
    expect(castsToHalf).toEqual([]);

    const rand = mulberry32(3);
    const x = new Float32Array(C * H * H).map(() => rand() * 2 - 1);
    const s = await createSession(encodeModel(pre));
    const y = (await runFeed(s, { x: { type: 'float32', data: x, dims: [1, C, H, H] } })).y.data as Float32Array;
    await s.release();
    // Brute force: the same Conv (pad 1) in float64 on the input as given and the fp16 weights' values.
    const want = bruteConv((k) => x[k]!, w, b);
    for (let k = 0; k < want.length; k++) expect(y[k]).toBeCloseTo(want[k]!, 5);
  });

  it('keeps the fp16 interface of a model that is fp16 throughout: Casts in and out, float32 inside, the brute-force Conv rounded to fp16', async () => {
    const { model, w, b } = fp16ConvModel(DT.FLOAT16, true);
    const bytes = encodeModel(model);
    const copy = onnx.ModelProto.decode(bytes);
    expect(widenFloat16(copy)).toEqual({ tensors: 2, casts: 0, interfaceCasts: 2 });
    const g = copy.graph!;
    expect(g.input!.map((v) => Number(v.type!.tensorType!.elemType))).toEqual([DT.FLOAT16]);
    expect(g.output!.map((v) => Number(v.type!.tensorType!.elemType))).toEqual([DT.FLOAT16]);
    expect(g.node!.map((n) => n.opType)).toEqual(['Cast', 'Conv', 'Cast']);

    const pre = await preoptimize(bytes, 'fp16conv-half');
    expect(new Set(pre.graph!.initializer!.map((t) => t.dataType))).toEqual(new Set([DT.FLOAT]));
    const rand = mulberry32(5);
    const xBits = new Uint16Array(C * H * H).map(() => float32ToFloat16Bits(rand() * 2 - 1));
    const s = await createSession(encodeModel(pre));
    const y = (await runFeed(s, { x: { type: 'float16', data: xBits, dims: [1, C, H, H] } })).y;
    await s.release();
    expect(y.type).toBe('float16');
    const yBits = y.data as Uint16Array;
    // One fp16 rounding of the float32 result: within half an fp16 ulp of the exact value (plus float32 error).
    const want = bruteConv((k) => halfToNumber(xBits[k]!), w, b);
    for (let k = 0; k < want.length; k++) expect(Math.abs(halfToNumber(yBits[k]!) - want[k]!)).toBeLessThanOrEqual(Math.abs(want[k]!) * 2 ** -11 + 1e-6);
  });

  it('quantize --format qdq-int8 covers the weight of the fp16-throughout model, and the written model runs on fp16 inputs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coquant-fp16-'));
    try {
      const path = join(dir, 'half.onnx');
      writeFileSync(path, encodeModel(fp16ConvModel(DT.FLOAT16, true).model));
      const out = join(dir, 'half.qdq.onnx');
      const r = await coquantRun('quantize', path, '--format', 'qdq-int8', '--json', '--out', out);
      expect(r.code, r.err).toBe(0);
      expect(JSON.parse(r.out).covered.tensors).toBe(1);
      const s = await createSession(out);
      const y = (await runFeed(s, { x: { type: 'float16', data: new Uint16Array(C * H * H).fill(float32ToFloat16Bits(0.5)), dims: [1, C, H, H] } })).y;
      await s.release();
      expect(y.type).toBe('float16');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('leaves an fp16 interface around subgraphs alone (they may read outer values by name)', () => {
    const { model } = fp16ConvModel(DT.FLOAT16, true);
    const body = onnx.GraphProto.create({ name: 'b', node: [], output: [vi('y', DT.FLOAT16, [1, M, H, H])] });
    model.graph!.node!.push(onnx.NodeProto.create({ opType: 'If', input: ['c'], output: ['z'], attribute: [{ name: 'then_branch', type: onnx.AttributeProto.AttributeType.GRAPH, g: body }] }));
    expect(widenFloat16(model)).toEqual({ tensors: 0, casts: 0, interfaceCasts: 0 });
    expect(model.graph!.initializer!.every((t) => t.dataType === DT.FLOAT16)).toBe(true);
  });
});
