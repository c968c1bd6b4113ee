/**
 * compactQdq: the compacted QDQ model computes exactly what the written one does (outputs equal
 * bit for bit), onnxruntime runs the same integer kernels on it, its file is smaller, and the
 * graph's interface and the source graph's tensor names are unchanged.
 */
import { describe, expect, it } from 'vitest';
import onnxProto from 'onnx-proto';
import { compactQdq } from '../../src/formats/qdq-compact.ts';
import { preoptimize } from '../../src/formats/preoptimize.ts';
import { quantizeQdqInt8 } from '../../src/formats/qdq-int8.ts';
import { integerCensus } from '../../src/formats/inspect.ts';
import { DT, cloneModel, encodeModel } from '../../src/formats/onnx-graph.ts';
import { createSession, runFeed } from '../../src/ort/session.ts';
import { mulberry32 } from '../../src/util/rng.ts';
import type { Feed } from '../../src/data/tensor.ts';

const { onnx } = onnxProto;
const vi = (name: string, dims: number[]) => onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: DT.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
const INTS = onnx.AttributeProto.AttributeType.INTS;

function twoConvs() {
  const r = mulberry32(9);
  const w = (n: number) => Array.from({ length: n }, () => r() - 0.5);
  return onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'two-convs',
      node: [
        onnx.NodeProto.create({ name: 'c1', opType: 'Conv', input: ['x', 'w1', 'b1'], output: ['h'], attribute: [{ name: 'pads', type: INTS, ints: [1, 1, 1, 1] }] }),
        onnx.NodeProto.create({ name: 'r1', opType: 'Relu', input: ['h'], output: ['hr'] }),
        onnx.NodeProto.create({ name: 'c2', opType: 'Conv', input: ['hr', 'w2', 'b2'], output: ['y'], attribute: [{ name: 'pads', type: INTS, ints: [1, 1, 1, 1] }] }),
      ],
      initializer: [
        onnx.TensorProto.create({ name: 'w1', dataType: DT.FLOAT, dims: [8, 3, 3, 3], floatData: w(216) }),
        onnx.TensorProto.create({ name: 'b1', dataType: DT.FLOAT, dims: [8], floatData: w(8) }),
        onnx.TensorProto.create({ name: 'w2', dataType: DT.FLOAT, dims: [1, 8, 3, 3], floatData: w(72) }),
        onnx.TensorProto.create({ name: 'b2', dataType: DT.FLOAT, dims: [1], floatData: w(1) }),
      ],
      input: [vi('x', [1, 3, 16, 16])],
      output: [vi('y', [1, 1, 16, 16])],
    },
  });
}

describe('compactQdq', () => {
  it('drops zero zero points and shortens generated names without changing outputs or kernels', async () => {
    const r = mulberry32(4);
    const feeds: Feed[] = Array.from({ length: 3 }, () => ({ x: { type: 'float32', data: new Float32Array(3 * 256).map(() => r() * 2 - 1), dims: [1, 3, 16, 16] } }));
    const pre = await preoptimize(encodeModel(twoConvs()), 'two-convs');
    const q = await quantizeQdqInt8(pre, feeds);
    const written = encodeModel(q.model);
    const m = cloneModel(q.model);
    const res = compactQdq(m, ['x', 'y', 'h', 'hr', 'w1', 'b1', 'w2', 'b2']);
    const compact = encodeModel(m);
    expect(res.zeroPoints).toBe(4); // two weights, two biases
    expect(res.renamed).toBeGreaterThan(0);
    expect(m.graph!.valueInfo).toEqual([]);
    expect(compact.length).toBeLessThan(written.length);
    expect(m.graph!.input!.map((v) => v.name)).toEqual(['x']);
    expect(m.graph!.output!.map((v) => v.name)).toEqual(['y']);
    expect(m.graph!.node!.map((n) => n.name)).toEqual(q.model.graph!.node!.map((n) => n.name));
    const [a, b] = await Promise.all([integerCensus(written), integerCensus(compact)]);
    expect(a.integerOps).toBe(2);
    expect(b.integerOps).toBe(a.integerOps);
    expect(b.fallbacks).toEqual(a.fallbacks);
    const s1 = await createSession(written);
    const s2 = await createSession(compact);
    for (const f of feeds) {
      const y1 = (await runFeed(s1, f)).y.data as Float32Array;
      const y2 = (await runFeed(s2, f)).y.data as Float32Array;
      expect(Buffer.from(y2.buffer).equals(Buffer.from(y1.buffer))).toBe(true);
    }
    await Promise.all([s1.release(), s2.release()]);
  });
});
