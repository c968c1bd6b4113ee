import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { probeTensors } from '../../src/runtime/split/probe.ts';

const { onnx } = onnxProto;

describe('probe runs', () => {
  // Invariant: the batch size (and the memory budget that shrinks it) changes how many runs the
  // probe makes, never what it measures.
  it('measure the same shapes and bytes whatever the batch and budget', async () => {
    const vi = (name: string, dims?: number[]) => ({ name, type: { tensorType: { elemType: 1, ...(dims ? { shape: { dim: dims.map((d) => ({ dimValue: d })) } } : {}) } } });
    const node = [
      { opType: 'Relu', input: ['x'], output: ['a'] },
      { opType: 'Concat', input: ['a', 'x'], output: ['b'], attribute: [{ name: 'axis', type: 2, i: 1 }] },
      { opType: 'ReduceSum', input: ['b'], output: ['c'], attribute: [{ name: 'keepdims', type: 2, i: 0 }] },
      { opType: 'Shape', input: ['b'], output: ['s'] },
      { opType: 'Relu', input: ['c'], output: ['y'] },
    ];
    const model = onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph: { name: 'g', node, input: [vi('x', [2, 3])], output: [vi('y')] } });
    const feed = { x: { type: 'float32' as const, dims: [2, 3], data: Float32Array.from([1, -2, 3, -4, 5, -6]) } };
    const names = ['a', 'b', 'c', 's'];
    const whole = await probeTensors(model, names, feed);
    const oneByOne = await probeTensors(model, names, feed, 256, undefined, 1);
    expect([...oneByOne]).toEqual([...whole]);
    expect(whole.get('b')).toEqual({ type: 'float32', dims: [2, 6], elems: 12, bytes: 48 });
    expect(whole.get('s')).toEqual({ type: 'int64', dims: [2], elems: 2, bytes: 16 });
    expect(whole.get('c')!.dims).toEqual([]);
  });
});
