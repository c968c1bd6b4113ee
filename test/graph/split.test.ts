import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { bundledModels } from '../../src/io/bundled-models.ts';
import { findCuts, indexGraph, paramsUsed } from '../../src/graph/cuts.ts';
import { encodeModel, extractHalves } from '../../src/graph/extract.ts';
import { onnxElemType, probeTensors } from '../../src/runtime/split/probe.ts';

const { onnx } = onnxProto;
const assets = dirname(bundledModels().rec);

function input(dims: number[], seed: number): ort.Tensor {
  const n = dims.reduce((a, b) => a * b, 1);
  return new ort.Tensor('float32', Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed)), dims);
}

describe.each([
  ['rec', 'ch_PP-OCRv4_rec_infer.onnx', [1, 3, 48, 320]],
  ['det', 'ch_PP-OCRv4_det_infer.onnx', [1, 3, 256, 256]],
])('split of the real PaddleOCR %s model', (_name, file, dims) => {
  const model = onnx.ModelProto.decode(readFileSync(join(assets, file)));
  const index = indexGraph(model);
  const cuts = findCuts(index);

  it('finds cut points whose two sides together use every weight exactly once or share it', () => {
    expect(cuts.length).toBeGreaterThan(10);
    const all = paramsUsed(index, index.nodes.keys());
    for (const c of cuts) {
      // Invariant: head ∪ tail is every node, disjointly; a weight is counted on each side that uses it.
      expect(c.head.length + c.tail.length).toBe(index.nodes.length);
      expect(c.headParams + c.tailParams).toBeGreaterThanOrEqual(all);
    }
    // Moving the cut later never removes weights from the head.
    for (let i = 1; i < cuts.length; i++) expect(cuts[i].headParams).toBeGreaterThanOrEqual(cuts[i - 1].headParams);
  });

  it('head then tail reproduces the original outputs exactly at several cuts', async () => {
    const x = input(dims as number[], 1);
    const picks = [cuts[1], cuts[Math.floor(cuts.length / 3)], cuts[Math.floor((2 * cuts.length) / 3)], cuts[cuts.length - 1]];
    const probed = await probeTensors(model, picks.map((c) => c.tensor), { x });
    const full = await ort.InferenceSession.create(encodeModel(model));
    const out = index.graphOutputs[0];
    const ref = (await full.run({ x }))[out].data as Float32Array;
    for (const c of picks) {
      const p = probed.get(c.tensor)!;
      const { head, tail } = extractHalves(model, index, c, { elemType: onnxElemType(p.type), rank: p.dims.length });
      const hs = await ort.InferenceSession.create(encodeModel(head));
      const ts = await ort.InferenceSession.create(encodeModel(tail));
      const feature = (await hs.run({ x }))[c.tensor];
      expect(feature.dims.map(Number)).toEqual(p.dims);
      const y = (await ts.run({ [c.tensor]: feature }))[out].data as Float32Array;
      expect(y.length).toBe(ref.length);
      let same = true;
      for (let i = 0; i < y.length; i++) if (y[i] !== ref[i]) same = false;
      expect(same, `cut at ${c.tensor}`).toBe(true);
      await hs.release();
      await ts.release();
    }
    await full.release();
  });
});
