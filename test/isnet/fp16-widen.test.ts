/**
 * fp16 → fp32 widening (formats/fp16-widen.ts), on a small fp16 graph built the way ISNet's export
 * is (float32 input, Cast to fp16, fp16 Conv weights, Cast back to float32):
 *  - every widened weight equals its fp16 value exactly (checked bit by bit against an independent
 *    fp16 decoder written here);
 *  - the widened, preoptimised graph has no fp16 left and computes the same Conv as a float64
 *    brute force over the fp16 weights;
 *  - a model whose own input is fp16 is left alone.
 */
import { halfToFloat } from '../../src/data/npy.ts';
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

function fp16ConvModel(inputType: number) {
  const rand = mulberry32(7);
  const w = new Uint16Array(M * C * K * K).map(() => float32ToFloat16Bits((rand() - 0.5) * 2));
  const b = new Uint16Array(M).map(() => float32ToFloat16Bits(rand() - 0.5));
  const castIn = inputType === DT.FLOAT ? [onnx.NodeProto.create({ opType: 'Cast', input: ['x'], output: ['x16'], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: DT.FLOAT16 }] })] : [];
  const model = modelOf(15, {
    name: 'fp16conv',
    node: [
      ...castIn,
      onnx.NodeProto.create({ opType: 'Conv', input: [castIn.length ? 'x16' : 'x', 'w', 'b'], output: ['y16'], attribute: [{ name: 'pads', type: onnx.AttributeProto.AttributeType.INTS, ints: [1, 1, 1, 1] }] }),
      onnx.NodeProto.create({ opType: 'Cast', input: ['y16'], output: ['y'], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: DT.FLOAT }] }),
    ],
    initializer: [halfTensor('w', [M, C, K, K], w), halfTensor('b', [M], b)],
    input: [vi('x', inputType, [1, C, H, H])],
    output: [vi('y', DT.FLOAT, [1, M, H, H])],
  });
  return { model, w, b };
}

describe('widenFloat16', () => {
  it('widens fp16 weights exactly and retargets Casts; the preoptimised graph is all float32 and matches a float64 brute-force Conv', async () => {
    const { model, w, b } = fp16ConvModel(DT.FLOAT);
    const bytes = encodeModel(model);
    const copy = onnx.ModelProto.decode(bytes);
    const r = widenFloat16(copy);
    expect(r).toEqual({ tensors: 2, casts: 1 });
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
    for (let m = 0; m < M; m++)
      for (let i = 0; i < H; i++)
        for (let j = 0; j < H; j++) {
          let acc = halfToNumber(b[m]);
          for (let c = 0; c < C; c++)
            for (let di = 0; di < K; di++)
              for (let dj = 0; dj < K; dj++) {
                const ii = i + di - 1, jj = j + dj - 1;
                if (ii < 0 || jj < 0 || ii >= H || jj >= H) continue;
                acc += x[(c * H + ii) * H + jj] * halfToNumber(w[((m * C + c) * K + di) * K + dj]);
              }
          expect(y[(m * H + i) * H + j]).toBeCloseTo(acc, 5);
        }
  });

  it('leaves a model with an fp16 input alone', () => {
    const { model } = fp16ConvModel(DT.FLOAT16);
    expect(widenFloat16(model)).toEqual({ tensors: 0, casts: 0 });
    expect(model.graph!.initializer!.every((t) => t.dataType === DT.FLOAT16)).toBe(true);
  });
});
