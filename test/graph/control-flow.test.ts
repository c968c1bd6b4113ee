import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { indexGraph, nodeReads } from '../../src/graph/cuts.ts';
import { extractHalves } from '../../src/graph/extract.ts';
import { findSetCuts } from '../../src/graph/set-cuts.ts';
import { createSession, releaseSession, runFeed } from '../../src/ort/session.ts';
import { modelOf } from '../io/fixtures.ts';
import { serializeModel } from '../../src/io/onnx-edit.ts';
import type { ModelProto } from '../../src/io/onnx-model.ts';

const { onnx } = onnxProto;
const F = onnx.TensorProto.DataType.FLOAT;
const vi = (name: string, elemType = F, dims?: number[]) => ({ name, type: { tensorType: { elemType, ...(dims ? { shape: { dim: dims.map((d) => ({ dimValue: d })) } } : {}) } } });

// x → A: a = Relu(x) → B: b = Sigmoid(a) → If(c): then a + b (read from the outer scope), else a · w → y.
const model = modelOf(13, {
  name: 'g',
  node: [
    { name: 'A', opType: 'Relu', input: ['x'], output: ['a'] },
    { name: 'B', opType: 'Sigmoid', input: ['a'], output: ['b'] },
    {
      name: 'I',
      opType: 'If',
      input: ['c'],
      output: ['y'],
      attribute: [
        { name: 'then_branch', type: onnx.AttributeProto.AttributeType.GRAPH, g: { name: 't', node: [{ opType: 'Add', input: ['a', 'b'], output: ['t_out'] }], output: [vi('t_out')] } },
        { name: 'else_branch', type: onnx.AttributeProto.AttributeType.GRAPH, g: { name: 'e', node: [{ opType: 'Mul', input: ['a', 'w'], output: ['e_out'] }], output: [vi('e_out')] } },
      ],
    },
  ],
  initializer: [{ name: 'w', dims: [4], dataType: F, floatData: [1, 2, 3, 4] }],
  input: [vi('x', F, [4]), vi('c', onnx.TensorProto.DataType.BOOL, [])],
  output: [vi('y')],
});

describe('control flow: tensors a subgraph reads from the outer scope', () => {
  it('count as reads, so every cut delivers them, and head then tail equals the whole model', async () => {
    const index = indexGraph(model);
    expect(nodeReads(index.nodes[2]).sort()).toEqual(['a', 'b', 'c', 'w']);
    const bytes = new Map([['x', 16], ['c', 1], ['a', 16], ['b', 16]]);
    const { cuts } = findSetCuts(index, bytes, { cells: 2, by: 'nodes' });
    expect(cuts.length).toBeGreaterThan(0);
    const whole = await createSession(serializeModel(model as ModelProto), { intraOpThreads: 1 });
    for (const c of cuts) {
      // The If node reads a and b implicitly: wherever it runs, both (and the condition) reach it.
      expect(c.tensors).toContain('c');
      const { head, tail } = extractHalves(model, index, c, Object.fromEntries(c.tensors.map((t) => [t, { elemType: F, rank: 1 }])));
      // The tail carries the weight its else-branch reads.
      expect(tail.graph!.initializer!.map((t) => t.name)).toContain('w');
      const hs = await createSession(serializeModel(head as ModelProto), { intraOpThreads: 1 });
      const ts = await createSession(serializeModel(tail as ModelProto), { intraOpThreads: 1 });
      for (const cond of [true, false]) {
        const feed = { x: { type: 'float32' as const, dims: [4], data: Float32Array.from([-1, 0.5, 2, -3]) }, c: { type: 'bool' as const, dims: [], data: Uint8Array.from([cond ? 1 : 0]) } };
        const ref = (await runFeed(whole, feed)).y.data;
        const y = (await runFeed(ts, await runFeed(hs, feed))).y.data;
        expect([...y], `${c.name}, cond ${cond}`).toEqual([...ref]);
      }
      await releaseSession(hs);
      await releaseSession(ts);
    }
    await releaseSession(whole);
  });
});
