/** Opset 9 → 13 upgrade: the rewritten model computes exactly what the original computed. */
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { upgradeOpset } from '../../src/formats/opset-upgrade.ts';
import { DT, attrFloat, attrInt, attrInts, decodeModel, encodeModel, makeNode, onnx, opsetOf } from '../../src/formats/onnx-graph.ts';
import { randn } from './tiny-models.ts';

const vi = (name: string, dims: (number | string)[]) =>
  onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: DT.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } } });

function opset9Model(): Uint8Array {
  const nodes = [
    makeNode('Clip', ['x'], ['c'], 'clip', [attrFloat('min', -0.5), attrFloat('max', 0.7)]),
    makeNode('Slice', ['c'], ['s'], 'slice', [attrInts('starts', [1]), attrInts('ends', [3]), attrInts('axes', [1])]),
    makeNode('Softmax', ['s'], ['sm'], 'softmax_axis1', [attrInt('axis', 1)]), // 3-D input: pre-13 semantics normalise over axes 1 and 2
    makeNode('Unsqueeze', ['sm'], ['u'], 'unsq', [attrInts('axes', [0])]),
    makeNode('Squeeze', ['u'], ['y'], 'sq', [attrInts('axes', [0])]),
  ];
  const graph = onnx.GraphProto.create({ name: 'g', node: nodes, input: [vi('x', [2, 4, 5])], output: [vi('y', [2, 2, 5])] });
  return encodeModel(onnx.ModelProto.create({ irVersion: 7, opsetImport: [{ domain: '', version: 9 }], graph }));
}

async function run(bytes: Uint8Array, x: Float32Array): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  const y = (await s.run({ x: new ort.Tensor('float32', x, [2, 4, 5]) })).y.data as Float32Array;
  await s.release();
  return y;
}

describe('upgradeOpset', () => {
  it('rewrites Clip/Slice/Squeeze/Unsqueeze/Softmax(axis=1) so opset-13 results equal the opset-9 results', async () => {
    const bytes = opset9Model();
    const m = decodeModel(bytes);
    const r = upgradeOpset(m);
    expect(opsetOf(m)).toBe(13);
    expect(r.rewrites.join(' ')).toMatch(/Softmax: rewritten/);
    const x = randn(40, 5, 2);
    const a = await run(bytes, x);
    const b = await run(encodeModel(m), x);
    expect(Array.from(b)).toEqual(Array.from(a));
    // Not vacuous: a naive axis-only Softmax at opset 13 would differ.
    const naive = decodeModel(bytes);
    upgradeOpset(naive, new Map([['s', 2]])); // claims axis 1 is last: wrong on purpose
    const c = await run(encodeModel(naive), x);
    expect(Math.max(...Array.from(c, (v, i) => Math.abs(v - a[i])))).toBeGreaterThan(1e-3);
  });

  it('refuses operators it cannot upgrade exactly, naming them', () => {
    const graph = onnx.GraphProto.create({ name: 'g', node: [makeNode('Upsample', ['x', 'sc'], ['y'], 'up')], input: [vi('x', [1, 1, 2, 2]), vi('sc', [4])], output: [vi('y', [1, 1, 4, 4])] });
    const m = onnx.ModelProto.create({ irVersion: 7, opsetImport: [{ domain: '', version: 9 }], graph });
    expect(() => upgradeOpset(m)).toThrow(/Upsample x1/);
  });
});
