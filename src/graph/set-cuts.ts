/**
 * Cuts over the whole graph: a head H (the agent's nodes) and a tail (the rest) with no
 * tail → head edge, so H is closed under predecessors. The tensors that cross are those a head
 * node produces and a tail node reads; each counts once however many tail nodes read it.
 *
 * Conventions:
 * - Weights (initializers, Constant nodes) never cross: each side keeps its own copy.
 * - A graph input that a tail node reads crosses too: the agent sends it with the features
 *   (it holds the input), so the tail is fed every tensor it needs from the one request.
 * - Graph outputs stay in the tail: their producers are forced there, so the server returns
 *   every output and the agent's head returns only features.
 *
 * The search. For a window of the topological order (ONNX files are topologically sorted),
 * with the first `from` nodes forced into the head and every node from `to` on forced into
 * the tail, the minimum-bytes head is an exact minimum s-t cut in this network:
 * - one vertex per node and one per tensor that some node reads;
 * - producer → tensor with capacity bytes(tensor) (the source s produces the graph inputs),
 *   and tensor → each consumer with capacity ∞, so a tensor is paid once when any reader is
 *   in the tail, never per reader;
 * - consumer → producer with capacity ∞ for every edge of the DAG: the reverse arcs that
 *   forbid a tail → head edge, so every finite cut is a closed head;
 * - s → node (∞) for nodes before `from`; node → t (∞) for nodes from `to` on and for the
 *   producers of graph outputs.
 * A finite s-t cut is then exactly a valid head inside the window, and its capacity is exactly
 * its crossing bytes, so the max-flow value is the minimum and the residual source side is a
 * minimising head (the smallest one). Windows always admit the prefix itself, so each is feasible.
 *
 * "A target head size" is a window: the prefix boundaries where the head's parameter share
 * (or node count) reaches k/cells and (k+1)/cells. Every head H with P_from ⊆ H ⊆ P_to has its
 * parameters between those of the two prefixes. The result is exact over that family, not over
 * every head whose size lies in the range; that wider problem (a min-cut with a knapsack-type
 * side constraint) has no known polynomial algorithm. Pure graph code: no I/O.
 */
import { FlowNetwork } from './max-flow.ts';
import { ancestors, countedElems, nodeReads, paramsUsed, type Cut, type GraphIndex } from './cuts.ts';

/** Crossing bytes of each tensor (graph inputs and node outputs), e.g. measured by a real run. */
export type TensorBytes = ReadonlyMap<string, number>;

export interface CutWindow {
  /** Nodes [0, from) are forced into the head; at least 1. */
  from: number;
  /** Nodes [to, n) are forced into the tail. */
  to: number;
}

/** Non-weight tensors read by computation nodes, with their readers (node indices, ascending). */
export function tensorReaders(index: GraphIndex): Map<string, number[]> {
  const readers = new Map<string, number[]>();
  index.nodes.forEach((n, i) => {
    for (const t of nodeReads(n)) {
      if (!t || index.weights.has(t)) continue;
      if (!index.producer.has(t) && !index.graphInputs.has(t)) continue;
      let r = readers.get(t);
      if (!r) readers.set(t, (r = []));
      r.push(i);
    }
  });
  return readers;
}

/** The crossing tensors of a head (1 = head node): graph inputs first, then node outputs in node order. */
export function crossingTensors(index: GraphIndex, inHead: Uint8Array, readers = tensorReaders(index)): string[] {
  const out: string[] = [];
  const readByTail = (t: string) => (readers.get(t) ?? []).some((c) => !inHead[c]);
  for (const t of index.graphInputs) if (readByTail(t)) out.push(t);
  index.nodes.forEach((n, i) => {
    if (!inHead[i]) return;
    for (const o of new Set(n.output ?? [])) if (o && readByTail(o)) out.push(o);
  });
  return out;
}

/** Why a head is not a valid cut, or undefined when it is one. */
export function headProblem(index: GraphIndex, inHead: Uint8Array): string | undefined {
  const n = index.nodes.length;
  let size = 0;
  for (let i = 0; i < n; i++) size += inHead[i];
  if (size === 0) return 'the head is empty';
  const outputs = new Set(index.graphOutputs);
  for (let i = 0; i < n; i++) {
    if (!inHead[i]) continue;
    const node = index.nodes[i];
    for (const t of nodeReads(node)) {
      const p = index.producer.get(t);
      if (p !== undefined && !inHead[p]) return `head node '${node.name ?? i}' reads '${t}', which the tail computes`;
    }
    for (const o of node.output ?? []) if (outputs.has(o)) return `the head would compute the graph output '${o}'`;
  }
  if (size === n) return 'the tail is empty';
  return undefined;
}

/** Sum of the crossing bytes of a head; throws when a crossing tensor has no measured size. */
export function crossingBytes(tensors: readonly string[], bytes: TensorBytes): number {
  let total = 0;
  for (const t of tensors) {
    const b = bytes.get(t);
    if (b === undefined) throw new Error(`no size for tensor '${t}'`);
    total += b;
  }
  return total;
}

/** Index of the first node that produces a graph output: heads must stop before it. */
export function firstOutputProducer(index: GraphIndex): number {
  let q = index.nodes.length;
  for (const o of index.graphOutputs) {
    const p = index.producer.get(o);
    if (p !== undefined) q = Math.min(q, p);
  }
  return q;
}

/** The exact minimum-bytes head inside a window (see the file comment for the network). */
export function minBytesCut(index: GraphIndex, bytes: TensorBytes, w: CutWindow, readers = tensorReaders(index)): { inHead: Uint8Array; bytes: number } {
  const n = index.nodes.length;
  const limit = firstOutputProducer(index);
  if (!(w.from >= 1 && w.from <= w.to && w.from <= limit && w.to <= n)) throw new RangeError(`window [${w.from}, ${w.to}) is not inside 1..${limit} of ${n} nodes`);
  const tensors = [...readers.keys()];
  const tv = new Map(tensors.map((t, j) => [t, 2 + n + j]));
  const net = new FlowNetwork(2 + n + tensors.length);
  const S = 0;
  const T = 1;
  for (const t of tensors) {
    const b = bytes.get(t);
    if (b === undefined || !(b >= 0)) throw new Error(`no size for tensor '${t}'`);
    const p = index.producer.get(t);
    net.addArc(p === undefined ? S : 2 + p, tv.get(t)!, b);
    for (const c of readers.get(t)!) {
      net.addArc(tv.get(t)!, 2 + c, Infinity);
      if (p !== undefined) net.addArc(2 + c, 2 + p, Infinity);
    }
  }
  for (let i = 0; i < n; i++) {
    if (i < w.from) net.addArc(S, 2 + i, Infinity);
    if (i >= w.to) net.addArc(2 + i, T, Infinity);
  }
  for (const o of index.graphOutputs) {
    const p = index.producer.get(o);
    if (p !== undefined) net.addArc(2 + p, T, Infinity);
  }
  const value = net.maxFlow(S, T);
  const side = net.sourceSide();
  const inHead = side.slice(2, 2 + n);
  return { inHead, bytes: value };
}

function toCut(index: GraphIndex, name: string, inHead: Uint8Array, tensors: string[]): Cut {
  const head: number[] = [];
  const tail: number[] = [];
  for (let i = 0; i < index.nodes.length; i++) (inHead[i] ? head : tail).push(i);
  return { name, tensors, head, tail, headParams: paramsUsed(index, head), tailParams: paramsUsed(index, tail) };
}

export interface WindowResult {
  /** Cell k of the grid: head size between k/cells and (k+1)/cells of the total. */
  cell: number;
  window: CutWindow;
  /** The head-size share (of parameters or nodes) at the window's two prefixes. */
  fromShare: number;
  toShare: number;
  /** Name of the minimum-bytes cut in this window (a single-tensor cut's tensor when it is one). */
  cut: string;
  bytes: number;
}

export interface SetCutOptions {
  /** Grid cells over the head size (default 20). */
  cells?: number;
  /** What "head size" measures: counted weight elements (default), or computation nodes. */
  by?: 'params' | 'nodes';
  /** Cuts already known (the single-tensor ones): a window whose optimum is one of them names it instead of adding a copy. */
  known?: readonly Cut[];
}

/** Head size of each prefix P_0..P_n of the node order. */
function prefixSizes(index: GraphIndex, by: 'params' | 'nodes'): number[] {
  const n = index.nodes.length;
  if (by === 'nodes') return Array.from({ length: n + 1 }, (_, k) => k);
  const out = [0];
  const seen = new Set<string>();
  let total = 0;
  for (let i = 0; i < n; i++) {
    for (const name of nodeReads(index.nodes[i])) {
      if (seen.has(name) || !index.weights.has(name)) continue;
      seen.add(name);
      total += countedElems(index.weights.get(name));
    }
    out.push(total);
  }
  return out;
}

/**
 * The minimum-bytes cut for each head-size cell, deduplicated: set cuts named `mincut-<cell>`
 * (the first cell that found them), and for every cell which cut won and its bytes.
 */
export function findSetCuts(index: GraphIndex, bytes: TensorBytes, o: SetCutOptions = {}): { cuts: Cut[]; windows: WindowResult[] } {
  const cells = o.cells ?? 20;
  if (!Number.isInteger(cells) || cells < 1) throw new RangeError(`cells must be a positive integer, got ${cells}`);
  const n = index.nodes.length;
  const limit = firstOutputProducer(index);
  if (limit < 1 || n < 2) return { cuts: [], windows: [] };
  let by = o.by ?? 'params';
  let sizes = prefixSizes(index, by);
  if (sizes[n] === 0) {
    by = 'nodes';
    sizes = prefixSizes(index, by);
  }
  const total = sizes[n];
  const boundary = (k: number) => {
    const target = (k / cells) * total;
    let p = 1;
    while (p < limit && sizes[p] < target) p++;
    return p;
  };
  const readers = tensorReaders(index);
  const key = (inHead: Uint8Array) => Buffer.from(inHead).toString('base64');
  const byKey = new Map<string, string>();
  for (const c of o.known ?? []) {
    const m = new Uint8Array(n);
    for (const i of c.head) m[i] = 1;
    byKey.set(key(m), c.name);
  }
  const cuts: Cut[] = [];
  const windows: WindowResult[] = [];
  for (let k = 0; k < cells; k++) {
    const w = { from: boundary(k), to: Math.max(boundary(k), boundary(k + 1)) };
    if (windows.length && windows[windows.length - 1].window.from === w.from && windows[windows.length - 1].window.to === w.to) continue;
    const r = minBytesCut(index, bytes, w, readers);
    const kk = key(r.inHead);
    let name = byKey.get(kk);
    if (!name) {
      name = `mincut-${k}`;
      byKey.set(kk, name);
      cuts.push(toCut(index, name, r.inHead, crossingTensors(index, r.inHead, readers)));
    }
    windows.push({ cell: k, window: w, fromShare: sizes[w.from] / total, toShare: sizes[w.to] / total, cut: name, bytes: r.bytes });
  }
  return { cuts, windows };
}

/**
 * The cut whose crossing tensors are exactly `tensors`: the head is the smallest one that
 * computes them (their ancestors). Returns the reason when no such cut exists.
 */
export function cutFromTensors(index: GraphIndex, tensors: readonly string[], name = tensors.join(',')): Cut | { problem: string } {
  const wanted = [...new Set(tensors)];
  if (wanted.length === 0) return { problem: 'no tensor named' };
  for (const t of wanted) {
    if (!index.producer.has(t) && !index.graphInputs.has(t)) return { problem: index.weights.has(t) ? `'${t}' is a weight: weights never cross, each side keeps its copy` : `no tensor named '${t}'` };
  }
  const inHead = ancestors(index, ...wanted);
  const bad = headProblem(index, inHead);
  if (bad) return { problem: bad };
  const crossing = crossingTensors(index, inHead);
  const set = new Set(crossing);
  const missing = wanted.filter((t) => !set.has(t));
  if (missing.length) return { problem: `${missing.map((t) => `'${t}'`).join(', ')} would not cross: no tail node reads ${missing.length > 1 ? 'them' : 'it'}` };
  const extra = crossing.filter((t) => !wanted.includes(t));
  if (extra.length) return { problem: `the tail also reads ${extra.map((t) => `'${t}'`).join(', ')}, which would have to cross too` };
  return toCut(index, name, inHead, crossing);
}
