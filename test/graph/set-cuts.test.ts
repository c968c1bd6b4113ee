import fc from 'fast-check';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { FlowNetwork } from '../../src/graph/max-flow.ts';
import { indexGraph } from '../../src/graph/cuts.ts';
import { cutFromTensors, findSetCuts, firstOutputProducer, minBytesCut } from '../../src/graph/set-cuts.ts';

const { onnx } = onnxProto;

describe('max flow', () => {
  // Invariant (max-flow/min-cut theorem): the flow value equals the cheapest s-t cut found by
  // brute force over every vertex subset holding s and not t, and the returned source side is one.
  it('equals the brute-force minimum cut on small random networks', () => {
    const net = fc.integer({ min: 2, max: 7 }).chain((n) =>
      fc.record({
        n: fc.constant(n),
        arcs: fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1), fc.oneof(fc.nat(20), fc.constant(Infinity))), { maxLength: 18 }),
      }),
    );
    fc.assert(
      fc.property(net, ({ n, arcs }) => {
        const f = new FlowNetwork(n);
        for (const [u, v, c] of arcs) f.addArc(u, v, c);
        const value = f.maxFlow(0, n - 1);
        const capOf = (inS: (i: number) => boolean) => arcs.reduce((a, [u, v, c]) => (inS(u) && !inS(v) ? a + c : a), 0);
        let best = Infinity;
        for (let m = 0; m < 1 << n; m++) {
          if (!(m & 1) || m & (1 << (n - 1))) continue;
          best = Math.min(best, capOf((i) => (m >> i) & 1 ? true : false));
        }
        expect(value).toBe(best);
        if (value < Infinity) {
          const side = f.sourceSide();
          expect(side[0]).toBe(1);
          expect(side[n - 1]).toBe(0);
          expect(capOf((i) => side[i] === 1)).toBe(value);
        }
      }),
      { numRuns: 300 },
    );
  });
});

/** A random DAG as an ONNX graph: nodes in topological order, each reading earlier tensors (and sometimes a weight). */
interface RandomDag {
  inputs: number;
  nodes: { reads: number[]; outs: number; weight: boolean }[];
  extraOutput: number;
  sizes: number[];
}

const dagArb: fc.Arbitrary<RandomDag> = fc
  .record({ inputs: fc.integer({ min: 1, max: 2 }), n: fc.integer({ min: 2, max: 9 }) })
  .chain(({ inputs, n }) =>
    fc.record({
      inputs: fc.constant(inputs),
      nodes: fc.tuple(...Array.from({ length: n }, () => fc.record({ reads: fc.array(fc.nat(1000), { minLength: 1, maxLength: 3 }), outs: fc.integer({ min: 1, max: 2 }), weight: fc.boolean() }))),
      extraOutput: fc.nat(n),
      sizes: fc.array(fc.nat(50), { minLength: inputs + 2 * n, maxLength: inputs + 2 * n }),
    }),
  );

function build(d: RandomDag) {
  const tensors: string[] = Array.from({ length: d.inputs }, (_, i) => `in${i}`);
  const node: onnxProto.onnx.INodeProto[] = [];
  const initializer: onnxProto.onnx.ITensorProto[] = [];
  d.nodes.forEach((spec, i) => {
    const reads = [...new Set(spec.reads.map((r) => tensors[r % tensors.length]))];
    const outs = Array.from({ length: spec.outs }, (_, k) => `n${i}_${k}`);
    if (spec.weight) initializer.push({ name: `w${i}`, dims: [2, 2], dataType: 1, floatData: [1, 2, 3, 4] });
    node.push({ name: `node${i}`, opType: 'Op', input: [...reads, ...(spec.weight ? [`w${i}`] : [])], output: outs });
    tensors.push(...outs);
  });
  const last = d.nodes.length - 1;
  const outputs = new Set([`n${last}_0`]);
  if (d.extraOutput < d.nodes.length) outputs.add(`n${d.extraOutput}_0`);
  // No dead nodes (real exported graphs have none): a node whose outputs nobody reads is a graph output.
  const read = new Set(node.flatMap((x) => x.input!));
  node.forEach((x) => {
    if (!x.output!.some((o) => read.has(o) || outputs.has(o))) outputs.add(x.output![0]);
  });
  const model = onnx.ModelProto.create({
    graph: {
      node,
      initializer,
      input: Array.from({ length: d.inputs }, (_, i) => ({ name: `in${i}` })),
      output: [...outputs].map((name) => ({ name })),
    },
  });
  const bytes = new Map(tensors.map((t, i) => [t, d.sizes[i]]));
  return { model, bytes, outputs, node };
}

/**
 * Brute force, from the definitions and independent of set-cuts.ts: a head is valid when it is
 * non-empty, leaves a non-empty tail, reads nothing the tail computes and computes no graph output;
 * its bytes sum each tensor a tail node reads and the head (or the graph input) provides, once.
 */
function bruteForce(node: onnxProto.onnx.INodeProto[], outputs: Set<string>, bytes: Map<string, number>, inputs: number) {
  const n = node.length;
  const producerOf = new Map<string, number>();
  node.forEach((x, i) => x.output!.forEach((o) => producerOf.set(o, i)));
  const heads: { mask: number; bytes: number }[] = [];
  for (let m = 1; m < (1 << n) - 1; m++) {
    const inH = (i: number) => ((m >> i) & 1) === 1;
    let ok = true;
    for (let i = 0; i < n && ok; i++) {
      if (!inH(i)) continue;
      for (const t of node[i].input!) {
        const p = producerOf.get(t);
        if (p !== undefined && !inH(p)) ok = false;
      }
      for (const o of node[i].output!) if (outputs.has(o)) ok = false;
    }
    if (!ok) continue;
    const crossing = new Set<string>();
    for (let i = 0; i < n; i++) {
      if (inH(i)) continue;
      for (const t of node[i].input!) {
        const p = producerOf.get(t);
        if ((p !== undefined && inH(p)) || (p === undefined && /^in\d$/.test(t) && Number(t.slice(2)) < inputs)) crossing.add(t);
      }
    }
    heads.push({ mask: m, bytes: [...crossing].reduce((a, t) => a + bytes.get(t)!, 0) });
  }
  return heads;
}

describe('minimum-bytes cuts on random DAGs', () => {
  // Invariant: for every window (first `from` nodes in the head, nodes from `to` on in the tail),
  // the min-cut value equals the brute-force minimum over all valid partitions in that window, and
  // the head it returns is valid, inside the window, and has exactly that many crossing bytes.
  it('match a brute force over all valid partitions, for every window', () => {
    fc.assert(
      fc.property(dagArb, (d) => {
        const { model, bytes, outputs, node } = build(d);
        const index = indexGraph(model);
        const heads = bruteForce(node, outputs, bytes, d.inputs);
        const bytesOf = new Map(heads.map((h) => [h.mask, h.bytes]));
        const limit = firstOutputProducer(index);
        const n = node.length;
        for (let from = 1; from <= limit; from++) {
          for (let to = from; to <= n; to++) {
            const prefix = (k: number) => (1 << k) - 1;
            const inWindow = heads.filter((h) => (h.mask & prefix(from)) === prefix(from) && (h.mask & ~prefix(to)) === 0);
            const best = Math.min(...inWindow.map((h) => h.bytes));
            const r = minBytesCut(index, bytes, { from, to });
            expect(r.bytes, `window [${from}, ${to})`).toBe(best);
            let mask = 0;
            r.inHead.forEach((v, i) => (mask |= v << i));
            expect(bytesOf.get(mask), `head ${mask.toString(2)} is a valid partition`).toBe(best);
            expect(mask & prefix(from)).toBe(prefix(from));
            expect(mask & ~prefix(to)).toBe(0);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  // Invariant: each grid cell's reported cut is the window optimum, and naming a set cut's crossing
  // tensors gives back a cut with the same crossing set and no more bytes.
  it('findSetCuts reports each window optimum, and cutFromTensors rebuilds each set cut', () => {
    fc.assert(
      fc.property(dagArb, fc.integer({ min: 1, max: 6 }), (d, cells) => {
        const { model, bytes } = build(d);
        const index = indexGraph(model);
        const { cuts, windows } = findSetCuts(index, bytes, { cells, by: 'nodes' });
        for (const w of windows) expect(w.bytes).toBe(minBytesCut(index, bytes, w.window).bytes);
        for (const c of cuts) {
          const sum = c.tensors.reduce((a, t) => a + bytes.get(t)!, 0);
          expect(windows.find((w) => w.cut === c.name)!.bytes).toBe(sum);
          const again = cutFromTensors(index, c.tensors);
          if ('problem' in again) throw new Error(again.problem);
          expect(new Set(again.tensors)).toEqual(new Set(c.tensors));
          // The rebuilt head is the smallest that computes those tensors, so it is inside the min-cut head.
          for (const i of again.head) expect(c.head).toContain(i);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('a cut given as a tensor list', () => {
  // A diamond with a skip: x → a → b → c(a, b) → y. Only {a} or {b, a} separate it after a.
  const model = onnx.ModelProto.create({
    graph: {
      node: [
        { name: 'A', opType: 'Relu', input: ['x'], output: ['a'] },
        { name: 'B', opType: 'Relu', input: ['a'], output: ['b'] },
        { name: 'C', opType: 'Add', input: ['a', 'b'], output: ['c'] },
        { name: 'D', opType: 'Relu', input: ['c'], output: ['y'] },
      ],
      input: [{ name: 'x' }],
      output: [{ name: 'y' }],
    },
  });
  const index = indexGraph(model);
  it('accepts the skip plus the main branch and explains what is missing otherwise', () => {
    const ok = cutFromTensors(index, ['b', 'a']);
    expect('problem' in ok ? ok.problem : ok.tensors).toEqual(['a', 'b']);
    const missing = cutFromTensors(index, ['b']);
    expect('problem' in missing && missing.problem).toMatch(/tail also reads 'a'/);
    const notCrossing = cutFromTensors(index, ['a', 'c']);
    expect('problem' in notCrossing && notCrossing.problem).toMatch(/'a' would not cross/);
    expect('problem' in cutFromTensors(index, ['y']) && (cutFromTensors(index, ['y']) as { problem: string }).problem).toMatch(/graph output 'y'/);
    expect((cutFromTensors(index, ['zz']) as { problem: string }).problem).toMatch(/no tensor named 'zz'/);
  });
});
