/**
 * Puts a graph's nodes in topological order, keeping the file's order wherever it already is one.
 * ONNX requires topological order, and onnxruntime tolerates files without it; some converters
 * append nodes at the end (ISNet's fp16 build appends 91 Casts that earlier nodes read). The cut
 * search walks the node list as a topological order, so it sorts first.
 */
import type { ModelLike } from '../io/onnx-model.ts';
import { nodeReads } from './cuts.ts';

type Node = NonNullable<NonNullable<ModelLike['graph']>['node']>[number];

/**
 * The nodes in an order where every node comes after the producers of what it reads (stable:
 * an already sorted list is returned as it is). Returns undefined when the graph has a cycle.
 */
export function topologicalOrder(nodes: readonly Node[]): Node[] | undefined {
  const producedBy = new Set<string>();
  for (const n of nodes) for (const o of n.output ?? []) if (o) producedBy.add(o);
  const done = new Set<string>();
  const out: Node[] = [];
  let left = [...nodes];
  while (left.length > 0) {
    const next: Node[] = [];
    for (const n of left) {
      // A tensor no node produces is a graph input, an initializer or a Constant-free outer name.
      if (nodeReads(n).every((t) => !producedBy.has(t) || done.has(t))) {
        out.push(n);
        for (const o of n.output ?? []) if (o) done.add(o);
      } else next.push(n);
    }
    if (next.length === left.length) return undefined;
    left = next;
  }
  return out;
}

/** Sorts `model.graph.node` in place when it is not topological; true when the order changed. */
export function sortNodesTopologically(model: ModelLike): boolean {
  const g = model.graph;
  if (!g?.node) return false;
  const sorted = topologicalOrder(g.node);
  if (!sorted || sorted.every((n, i) => n === g.node![i])) return false;
  g.node = sorted;
  return true;
}
