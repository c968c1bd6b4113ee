import { describe, expect, it } from 'vitest';
import { bundledModels } from '../../src/io/bundled-models.ts';
import { findCuts, paramsUsed } from '../../src/graph/cuts.ts';
import { encodeModel } from '../../src/graph/extract.ts';
import { allCuts, analyzeSplit, splitAt, type SplitAnalysis } from '../../src/runtime/split/split-model.ts';
import { createSession, releaseSession, runFeed, type SessionOptions } from '../../src/ort/session.ts';
import type { Feed, HostTensor } from '../../src/data/tensor.ts';

function input(dims: number[], seed: number): Feed {
  const n = dims.reduce((a, b) => a * b, 1);
  return { x: { type: 'float32', dims, data: Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed)) } };
}

function sameBits(a: HostTensor, b: HostTensor): boolean {
  if (a.data.length !== b.data.length || a.dims.join() !== b.dims.join()) return false;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i] && !(Number.isNaN(a.data[i]) && Number.isNaN(b.data[i]))) return false;
  return true;
}

/** Head then tail on `feed`; the first output name whose values differ from the whole model's, or undefined. */
async function mismatch(a: SplitAnalysis, at: string, feed: Feed, ref: Record<string, HostTensor>, so: SessionOptions): Promise<string | undefined> {
  const h = splitAt(a, at);
  const head = await createSession(encodeModel(h.head), so);
  const tail = await createSession(encodeModel(h.tail), so);
  try {
    const mid = await runFeed(head, feed);
    // The head returns exactly the crossing tensors, with the measured shapes.
    expect(Object.keys(mid).sort()).toEqual(h.candidate.tensors.map((t) => t.name).sort());
    for (const t of h.candidate.tensors) expect(mid[t.name].dims, t.name).toEqual(t.dims);
    const out = await runFeed(tail, mid);
    return Object.keys(ref).find((k) => !sameBits(out[k], ref[k]));
  } finally {
    await releaseSession(head);
    await releaseSession(tail);
  }
}

describe.each([
  ['rec', new Map([['p2o.DynamicDimension.1', 64]]), [1, 3, 48, 64]],
  ['det', new Map([['x:2', 64], ['x:3', 64]]), [1, 3, 64, 64]],
] as const)('split of the real PaddleOCR %s model', (name, dims, shape) => {
  let analysis: SplitAnalysis;
  const feed = input([...shape], 1);

  it('finds single-tensor and set cuts whose sides cover the graph', async () => {
    analysis = await analyzeSplit(bundledModels()[name], dims);
    const { index, cuts } = analysis;
    expect(cuts.length).toBeGreaterThan(10);
    expect(findCuts(index).map((c) => c.name)).toEqual(cuts.map((c) => c.name));
    const all = paramsUsed(index, index.nodes.keys());
    for (const { cut, candidate } of allCuts(analysis)) {
      // Invariant: head ∪ tail is every node, disjointly; a weight is counted on each side that uses it.
      expect(cut.head.length + cut.tail.length).toBe(index.nodes.length);
      expect(new Set([...cut.head, ...cut.tail]).size).toBe(index.nodes.length);
      expect(cut.headParams + cut.tailParams).toBeGreaterThanOrEqual(all);
      expect(candidate.featureBytes).toBe(candidate.tensors.reduce((s, t) => s + t.bytes, 0));
    }
    // Moving a single-tensor cut later never removes weights from the head.
    for (let i = 1; i < cuts.length; i++) expect(cuts[i].headParams).toBeGreaterThanOrEqual(cuts[i - 1].headParams);
    // Every head-size cell names a listed cut, and its bytes are that cut's measured bytes.
    const byName = new Map(allCuts(analysis).map((c) => [c.cut.name, c.candidate]));
    for (const w of analysis.windows) expect(byName.get(w.cut)?.featureBytes, `cell ${w.cell}`).toBe(w.bytes);
    // A set cut exists only because it beats every single-tensor cut that fits its window.
    for (const w of analysis.windows.filter((x) => x.cut.startsWith('mincut-'))) {
      for (const [i, c] of analysis.cuts.entries()) {
        const inside = c.head.every((j) => j < w.window.to) && [...Array(w.window.from).keys()].every((j) => c.head.includes(j));
        if (inside) expect(analysis.candidates[i].featureBytes).toBeGreaterThan(w.bytes);
      }
    }
  });

  it('head then tail reproduces the original outputs bit for bit on every listed cut', async () => {
    // Graph optimisation off on both sides: the same kernels run on the same values, so any difference is a split bug.
    const so: SessionOptions = { optimization: 'disabled', intraOpThreads: 1 };
    const full = await createSession(analysis.model.bytes, so);
    const ref = await runFeed(full, feed);
    await releaseSession(full);
    const bad: string[] = [];
    for (const { cut } of allCuts(analysis)) {
      const m = await mismatch(analysis, cut.name, feed, ref, so);
      if (m) bad.push(`${cut.name}: ${m}`);
    }
    expect(bad).toEqual([]);
  }, 120_000);

  it('a cut given as its tensor list is the same cut, and reproduces its outputs', async () => {
    const so: SessionOptions = { optimization: 'disabled', intraOpThreads: 1 };
    const full = await createSession(analysis.model.bytes, so);
    const ref = await runFeed(full, feed);
    await releaseSession(full);
    const picks = [analysis.candidates[1], analysis.candidates[analysis.candidates.length - 1], ...analysis.setCandidates.slice(0, 2)];
    for (const c of picks) {
      const list = c.tensors.map((t) => t.name).join(',');
      const h = splitAt(analysis, list);
      expect(h.cut.head).toEqual(allCuts(analysis).find((x) => x.cut.name === c.name)!.cut.head);
      expect(await mismatch(analysis, list, feed, ref, so), list).toBeUndefined();
    }
  }, 60_000);
});
