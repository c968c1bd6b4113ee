/**
 * Inputs a graph uses as an index, axis or shape are valid by construction. Invariant checked
 * with real onnxruntime runs on generated one-node models (random data shapes, attributes and
 * seeds, fast-check): the repaired random inputs always run. The same models with the raw random
 * values fail for some seeds (so the check can fail).
 */
import * as fc from 'fast-check';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildModel, type ModelSpec } from '../../fuzz/onnx-build.ts';
import { repairFeeds } from '../../src/data/input-roles.ts';
import { randomInputs, type InputSpec } from '../../src/data/random-inputs.ts';
import type { Feed } from '../../src/data/tensor.ts';
import { parseOnnxModel } from '../../src/io/onnx-model.ts';
import { toOrtFeed } from '../../src/ort/session.ts';
import { mulberry32 } from '../../src/util/rng.ts';

type Case = { model: ModelSpec; specs: InputSpec[] };

/** One node whose second (or later) input is an index/axis/shape input of length k. */
function roleCase(op: string, dims: number[], k: number, axis: number): Case {
  const r = dims.length;
  const x: InputSpec = { name: 'x', type: 'float32', shape: dims };
  const t = (name: string, shape: number[], type = 'int64'): InputSpec => ({ name, type, shape });
  const m = (opset: number, inputs: InputSpec[], nodeInputs: string[], attrs: ModelSpec['nodes'][0]['attrs'] = {}, outputs = ['y']): Case => ({
    model: { opset, inputs: inputs.map((i) => ({ name: i.name, type: i.type, shape: i.shape as number[] })), outputs: outputs.map((name) => ({ name, type: op === 'TopK' && name === 'i' ? 'int64' : 'float32' })), nodes: [{ op, inputs: nodeInputs, outputs, attrs }] },
    specs: inputs,
  });
  const ax = ((axis % r) + r) % r;
  switch (op) {
    case 'Gather': return m(13, [x, t('i', [k])], ['x', 'i'], { axis: ax });
    case 'GatherElements': return m(13, [x, t('i', dims)], ['x', 'i'], { axis: ax });
    case 'CumSum': return m(14, [x, t('a', [])], ['x', 'a']);
    case 'Reshape': return m(14, [x, t('s', [k])], ['x', 's']);
    case 'Expand': return m(13, [x, t('s', [k])], ['x', 's']);
    case 'Tile': return m(13, [x, t('s', [r])], ['x', 's']);
    case 'Slice': { const n = Math.min(k, r); return m(13, [x, t('b', [n]), t('e', [n]), t('a', [n]), t('st', [n])], ['x', 'b', 'e', 'a', 'st']); }
    case 'TopK': return m(11, [x, t('k', [1])], ['x', 'k'], { axis: ax }, ['y', 'i']);
    case 'Unsqueeze': return m(13, [x, t('a', [k])], ['x', 'a']);
    case 'ReduceSum': return m(13, [x, t('a', [Math.min(k, r)])], ['x', 'a']);
    case 'Resize': return m(13, [x, t('sz', [r])], ['x', '', '', 'sz'], { mode: 'nearest' });
    case 'Range': return { model: { opset: 11, inputs: ['s', 'l', 'd'].map((name) => ({ name, type: 'float32', shape: [] })), outputs: [{ name: 'y', type: 'float32' }], nodes: [{ op, inputs: ['s', 'l', 'd'], outputs: ['y'] }] }, specs: ['s', 'l', 'd'].map((name) => ({ name, type: 'float32', shape: [] })) };
    case 'Div': return { model: { opset: 13, inputs: [{ name: 'a', type: 'int32', shape: dims }, { name: 'b', type: 'int32', shape: dims }], outputs: [{ name: 'y', type: 'int32' }], nodes: [{ op, inputs: ['a', 'b'], outputs: ['y'] }] }, specs: [{ name: 'a', type: 'int32', shape: dims }, { name: 'b', type: 'int32', shape: dims }] };
    default: throw new Error(op);
  }
}

const OPS = ['Gather', 'GatherElements', 'CumSum', 'Reshape', 'Expand', 'Tile', 'Slice', 'TopK', 'Unsqueeze', 'ReduceSum', 'Resize', 'Range', 'Div'];

async function runs(c: Case, feed: Feed): Promise<boolean> {
  const s = await ort.InferenceSession.create(buildModel(c.model), { logSeverityLevel: 4 });
  try {
    await s.run(toOrtFeed(feed));
    return true;
  } catch {
    return false;
  } finally {
    await s.release();
  }
}

describe('index, axis and shape inputs are valid by construction', () => {
  it('repaired random inputs run in onnxruntime for every op, shape and seed', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...OPS), fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: -3, max: 3 }), fc.nat(1000), async (op, dims, k, axis, seed) => {
        const c = roleCase(op, dims, k, axis);
        const proto = parseOnnxModel(buildModel(c.model), op);
        const feed = repairFeeds(proto, randomInputs(c.specs, { count: 1, seed }), mulberry32(seed))[0];
        expect(await runs(c, feed), `${op} dims [${dims}] k ${k} axis ${axis} seed ${seed}`).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('the raw random values fail for some of the same models (the repair is what makes them run)', async () => {
    let failed = 0;
    for (const op of ['CumSum', 'Gather', 'Reshape', 'Div']) {
      for (let seed = 0; seed < 5; seed++) if (!(await runs(roleCase(op, [2, 3], 2, 1), randomInputs(roleCase(op, [2, 3], 2, 1).specs, { count: 1, seed })[0]))) failed++;
    }
    expect(failed).toBeGreaterThan(5);
  });
});
