/**
 * Widens a float16 graph with float32 inputs and outputs (what an fp16 export with an input
 * Cast looks like, e.g. ISNet) to float32: every fp16 initializer and Constant becomes float32
 * holding exactly the same values (fp16 ⊂ fp32), Casts to fp16 become Casts to fp32, which
 * onnxruntime's basic optimiser then drops as no-ops. The format writers (QDQ int8, MatMulNBits)
 * quantize float32 weights and activations, so this is the canonical graph they start from; the
 * weights they quantize are the fp16 weights themselves, read as fp16.
 *
 * A model whose own inputs or outputs are fp16 keeps that interface: a Cast to float32 follows
 * each fp16 input and a Cast back to fp16 precedes each fp16 output, and the inside is widened
 * as above (fp16 → fp32 → fp16 returns every fp16 value unchanged). A model with subgraphs
 * (If/Loop bodies, which may read outer values by name) and an fp16 interface is left alone.
 */
import { attrInt, DT, dimsOf, makeNode, makeTensor, tensorToFloat32, type ModelProto, type TensorProto } from './onnx-graph.ts';

export interface WidenResult {
  /** fp16 initializers and Constant/attribute tensors widened. */
  tensors: number;
  /** Cast nodes retargeted from fp16 to fp32. */
  casts: number;
  /** Cast nodes added at an fp16 interface (one per fp16 graph input and output). */
  interfaceCasts: number;
}

const widenTensor = (t: TensorProto): TensorProto => makeTensor(t.name ?? '', DT.FLOAT, dimsOf(t), tensorToFloat32(t));

const isHalf = (v: { type?: { tensorType?: { elemType?: number | null } | null } | null }) =>
  Number(v.type?.tensorType?.elemType ?? 0) === DT.FLOAT16;

/** True when the graph's own interface has an fp16 input or output. */
function fp16Interface(m: ModelProto): boolean {
  const g = m.graph!;
  return [...(g.input ?? []), ...(g.output ?? [])].some(isHalf);
}

const hasSubgraph = (m: ModelProto) => (m.graph!.node ?? []).some((n) => (n.attribute ?? []).some((a) => a.g || (a.graphs ?? []).length > 0));

const castNode = (from: string, to: string, type: number) => makeNode('Cast', [from], [to], `${to}.cast`, [attrInt('to', type)]);

/** A name not used in the graph, from `base`. */
function freshName(used: Set<string>, base: string): string {
  let name = `${base}.fp32`;
  for (let k = 2; used.has(name); k++) name = `${base}.fp32.${k}`;
  used.add(name);
  return name;
}

/**
 * Puts Casts at the fp16 interface of the (already widened) graph: the nodes read a float32 copy
 * of each fp16 input, and each fp16 output is the fp16 Cast of what its node now computes in float32.
 */
function castInterface(m: ModelProto): number {
  const g = m.graph!;
  const nodes = g.node ?? [];
  const used = new Set<string>();
  for (const n of nodes) for (const x of [...(n.input ?? []), ...(n.output ?? [])]) used.add(x);
  for (const v of [...(g.input ?? []), ...(g.output ?? []), ...(g.initializer ?? [])]) used.add(v.name ?? '');
  const inits = new Set((g.initializer ?? []).map((t) => t.name ?? ''));
  const before: ReturnType<typeof castNode>[] = [];
  const after: ReturnType<typeof castNode>[] = [];
  const renameIn = new Map<string, string>();
  for (const v of g.input ?? []) {
    if (!isHalf(v)) continue;
    if (inits.has(v.name ?? '')) {
      // A weight listed as an input too (old exports): it was widened with the other weights.
      v.type!.tensorType!.elemType = DT.FLOAT;
      continue;
    }
    const inner = freshName(used, v.name ?? '');
    renameIn.set(v.name ?? '', inner);
    before.push(castNode(v.name ?? '', inner, DT.FLOAT));
  }
  for (const n of nodes) n.input = (n.input ?? []).map((x) => renameIn.get(x) ?? x);
  const producers = new Map<string, (typeof nodes)[number]>();
  for (const n of nodes) for (const o of n.output ?? []) producers.set(o, n);
  for (const v of g.output ?? []) {
    const name = v.name ?? '';
    const p = producers.get(name);
    if (!isHalf(v) || !p) continue; // an input passed straight through stays as it is
    const inner = freshName(used, name);
    p.output = (p.output ?? []).map((o) => (o === name ? inner : o));
    for (const n of nodes) n.input = (n.input ?? []).map((x) => (x === name ? inner : x));
    after.push(castNode(inner, name, DT.FLOAT16));
  }
  g.node = [...before, ...nodes, ...after];
  return before.length + after.length;
}

/** Widens `m` in place; returns what it changed (all zero when nothing was fp16, or for an fp16 interface around subgraphs). */
export function widenFloat16(m: ModelProto): WidenResult {
  const res: WidenResult = { tensors: 0, casts: 0, interfaceCasts: 0 };
  const g = m.graph;
  if (!g) return res;
  const halfInterface = fp16Interface(m);
  if (halfInterface && hasSubgraph(m)) return res;
  g.initializer = (g.initializer ?? []).map((t) => {
    if (t.dataType !== DT.FLOAT16) return t;
    res.tensors++;
    return widenTensor(t);
  });
  for (const n of g.node ?? []) {
    for (const a of n.attribute ?? []) {
      if (a.t && a.t.dataType === DT.FLOAT16) {
        a.t = widenTensor(a.t);
        res.tensors++;
      }
      if (n.opType === 'Cast' && a.name === 'to' && Number(a.i ?? 0) === DT.FLOAT16) {
        a.i = DT.FLOAT;
        res.casts++;
      }
    }
  }
  for (const v of g.valueInfo ?? []) if (isHalf(v)) v.type!.tensorType!.elemType = DT.FLOAT;
  // Casts at the interface come last, so the loop above does not retarget them.
  if (halfInterface) res.interfaceCasts = castInterface(m);
  return res;
}
