import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { topologicalOrder } from '../../src/graph/topo-order.ts';

type N = { name: string; input: string[]; output: string[] };

/** A random DAG: node i reads graph input x and outputs of earlier nodes only. */
const dag = fc.integer({ min: 1, max: 12 }).chain((n) =>
  fc.tuple(
    fc.tuple(...Array.from({ length: n }, (_, i) => fc.subarray(Array.from({ length: i }, (_, j) => j)))),
    fc.shuffledSubarray(Array.from({ length: n }, (_, i) => i), { minLength: n, maxLength: n }),
  ),
);

describe('topological order of a node list', () => {
  // Invariants: the result is a permutation of the nodes in which every node follows the producers
  // of what it reads; an order that is already topological comes back unchanged.
  it('sorts any shuffled DAG, and keeps a sorted one as it is', () => {
    fc.assert(
      fc.property(dag, ([deps, perm]) => {
        const nodes: N[] = deps.map((d, i) => ({ name: `n${i}`, input: ['x', ...d.map((j) => `t${j}`)], output: [`t${i}`] }));
        const shuffled = perm.map((i) => nodes[i]);
        const out = topologicalOrder(shuffled)!;
        expect(new Set(out)).toEqual(new Set(nodes));
        const at = new Map(out.map((n, k) => [n, k]));
        for (const n of out) for (const t of n.input ?? []) if (t !== 'x') expect(at.get(nodes[Number(t.slice(1))])!).toBeLessThan(at.get(n)!);
        expect(topologicalOrder(nodes)).toEqual(nodes);
      }),
    );
  });

  it('returns undefined for a cycle', () => {
    expect(topologicalOrder([{ input: ['b'], output: ['a'] }, { input: ['a'], output: ['b'] }])).toBeUndefined();
  });
});
