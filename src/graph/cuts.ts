/**
 * Where a model can be split between the agent and the edge server.
 *
 * A tensor T is a single-tensor cut point when the nodes needed to compute T (its ancestors:
 * the head) and all other nodes (the tail) exchange nothing but T. Cuts where several tensors
 * cross (skip connections, FPN levels) are in set-cuts.ts. Weights (initializers and
 * `Constant` nodes) never count as crossing: each side simply gets its own copy of the
 * weights it uses. The tail must not read a graph input, and the head must not produce a
 * graph output other than T, or the split would need a second channel.
 */
import onnxProto from 'onnx-proto';

type Model = onnxProto.onnx.IModelProto;
type Node = onnxProto.onnx.INodeProto;

const { onnx } = onnxProto;

/** Float ONNX element types: FLOAT, FLOAT16, DOUBLE, BFLOAT16. */
const FLOAT_TYPES = new Set([onnx.TensorProto.DataType.FLOAT, onnx.TensorProto.DataType.FLOAT16, onnx.TensorProto.DataType.DOUBLE, onnx.TensorProto.DataType.BFLOAT16]);

export interface WeightRef {
  name: string;
  dims: number[];
  dataType: number;
}

/** The graph with weights separated from computation, indexed for cut analysis. */
export interface GraphIndex {
  /** Computation nodes (everything except `Constant`), in file order (ONNX requires topological order). */
  nodes: Node[];
  /** Weight tensors by name: initializers and Constant-node outputs. */
  weights: Map<string, WeightRef>;
  /** Constant nodes by output name, so a side can take its own copy. */
  constantNodes: Map<string, Node>;
  graphInputs: Set<string>;
  graphOutputs: string[];
  /** Index in `nodes` of the node producing each non-weight tensor. */
  producer: Map<string, number>;
}

export interface Cut {
  /** How `coquant split --at` names the cut: the tensor for a single-tensor cut, `mincut-<k>` for a set found by min-cut. */
  name: string;
  /** The tensors that cross the link, each once, in the order they are produced (graph inputs first). */
  tensors: string[];
  /** Indices into GraphIndex.nodes of the head's nodes (ascending, so still topological). */
  head: number[];
  tail: number[];
  /** Weight elements (float, rank ≥ 2, as `profile` selects them) used by each side. */
  headParams: number;
  tailParams: number;
}

function dimsOf(t: onnxProto.onnx.ITensorProto): number[] {
  return (t.dims ?? []).map((d) => Number(d));
}

export function indexGraph(model: Model): GraphIndex {
  const g = model.graph;
  if (!g) throw new Error('model has no graph');
  const weights = new Map<string, WeightRef>();
  const constantNodes = new Map<string, Node>();
  for (const init of g.initializer ?? []) {
    weights.set(init.name ?? '', { name: init.name ?? '', dims: dimsOf(init), dataType: init.dataType ?? 0 });
  }
  const nodes: Node[] = [];
  for (const n of g.node ?? []) {
    if (n.opType === 'Constant' && (n.domain ?? '') === '') {
      const out = n.output?.[0];
      if (!out) continue;
      const t = n.attribute?.find((a) => a.name === 'value')?.t;
      weights.set(out, { name: out, dims: t ? dimsOf(t) : [], dataType: t?.dataType ?? 0 });
      constantNodes.set(out, n);
    } else {
      nodes.push(n);
    }
  }
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => {
    for (const o of n.output ?? []) if (o) producer.set(o, i);
  });
  return {
    nodes,
    weights,
    constantNodes,
    graphInputs: new Set((g.input ?? []).map((i) => i.name ?? '').filter((n) => !weights.has(n))),
    graphOutputs: (g.output ?? []).map((o) => o.name ?? ''),
    producer,
  };
}

const implicitCache = new WeakMap<Node, string[]>();

/** Names a subgraph (If/Loop/Scan body) reads from the enclosing scopes: used inside, defined nowhere inside. */
function outerNames(g: onnxProto.onnx.IGraphProto, out: Set<string>): void {
  const defined = new Set<string>([...(g.input ?? []).map((v) => v.name ?? ''), ...(g.initializer ?? []).map((t) => t.name ?? '')]);
  for (const n of g.node ?? []) {
    for (const i of nodeReads(n)) if (i && !defined.has(i)) out.add(i);
    for (const o of n.output ?? []) defined.add(o);
  }
}

/**
 * Every tensor a node reads: its inputs, and for control-flow nodes the outer-scope tensors their
 * subgraphs use (which a cut must deliver to the side that runs the node, exactly like inputs).
 */
export function nodeReads(n: Node): string[] {
  const cached = implicitCache.get(n);
  if (cached) return cached;
  const names = new Set((n.input ?? []).filter(Boolean));
  for (const a of n.attribute ?? []) {
    for (const g of [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]) outerNames(g, names);
  }
  const r = [...names];
  implicitCache.set(n, r);
  return r;
}

function isCountedWeight(w: WeightRef): boolean {
  return FLOAT_TYPES.has(w.dataType) && w.dims.length >= 2;
}

function weightElems(w: WeightRef): number {
  return w.dims.reduce((a, b) => a * b, 1);
}

/** Elements of a weight when it is counted (float, rank ≥ 2, as `profile` selects them), else 0. */
export function countedElems(w: WeightRef | undefined): number {
  return w && isCountedWeight(w) ? weightElems(w) : 0;
}

/** Names of the counted weights (profile's default groups) a set of nodes reads, in first-use order. */
export function weightsUsed(index: GraphIndex, nodeIdx: Iterable<number>): string[] {
  const seen = new Set<string>();
  for (const i of nodeIdx) {
    for (const name of nodeReads(index.nodes[i])) {
      const w = index.weights.get(name);
      if (w && isCountedWeight(w)) seen.add(name);
    }
  }
  return [...seen];
}

/** Sum of weight elements used by a set of nodes, each weight counted once per side. */
export function paramsUsed(index: GraphIndex, nodeIdx: Iterable<number>): number {
  let total = 0;
  for (const name of weightsUsed(index, nodeIdx)) total += weightElems(index.weights.get(name)!);
  return total;
}

/** Ancestors (inclusive) of the nodes producing `tensors`, as a membership array; graph inputs and weights add nothing. */
export function ancestors(index: GraphIndex, ...tensors: string[]): Uint8Array {
  const inHead = new Uint8Array(index.nodes.length);
  const stack = tensors.map((t) => index.producer.get(t)).filter((p): p is number => p !== undefined);
  while (stack.length) {
    const i = stack.pop()!;
    if (inHead[i]) continue;
    inHead[i] = 1;
    for (const inp of nodeReads(index.nodes[i])) {
      const p = index.producer.get(inp);
      if (p !== undefined && !inHead[p]) stack.push(p);
    }
  }
  return inHead;
}

/** Checks one candidate; returns the cut or undefined when other tensors would have to cross too. */
export function cutAt(index: GraphIndex, tensor: string): Cut | undefined {
  if (!index.producer.has(tensor)) return undefined;
  if (index.graphOutputs.includes(tensor)) return undefined;
  const inHead = ancestors(index, tensor);
  const head: number[] = [];
  const tail: number[] = [];
  for (let i = 0; i < index.nodes.length; i++) {
    if (inHead[i]) {
      head.push(i);
      for (const o of index.nodes[i].output ?? []) {
        if (o && o !== tensor && index.graphOutputs.includes(o)) return undefined;
      }
    } else {
      tail.push(i);
      for (const inp of nodeReads(index.nodes[i])) {
        if (!inp || inp === tensor || index.weights.has(inp)) continue;
        if (index.graphInputs.has(inp)) return undefined;
        const p = index.producer.get(inp);
        if (p !== undefined && inHead[p]) return undefined;
      }
    }
  }
  if (tail.length === 0) return undefined;
  return { name: tensor, tensors: [tensor], head, tail, headParams: paramsUsed(index, head), tailParams: paramsUsed(index, tail) };
}

/** Every single-tensor cut of the graph, in topological order of the cut tensor. */
export function findCuts(index: GraphIndex): Cut[] {
  const cuts: Cut[] = [];
  for (const n of index.nodes) {
    for (const o of n.output ?? []) {
      if (!o) continue;
      const c = cutAt(index, o);
      if (c) cuts.push(c);
    }
  }
  return cuts;
}
