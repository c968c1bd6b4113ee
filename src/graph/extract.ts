/**
 * Writes the two halves of a cut as standalone ONNX models: the head (graph inputs → the
 * crossing tensors) for the agent and the tail (crossing tensors → graph outputs) for the edge
 * server. Each half carries only the weights its nodes use; a weight used on both sides is
 * copied. A graph input that crosses is both an input and an output of the head (onnxruntime
 * passes it through), and an input of the tail under its own name, with its original type.
 */
import onnxProto from 'onnx-proto';
import { nodeReads, type Cut, type GraphIndex } from './cuts.ts';
import { serializeModel } from '../io/onnx-edit.ts';
import type { ModelProto } from '../io/onnx-model.ts';

const { onnx } = onnxProto;
type Model = onnxProto.onnx.IModelProto;
type Node = onnxProto.onnx.INodeProto;

export interface CutTensorType {
  /** ONNX TensorProto.DataType of a crossing tensor. */
  elemType: number;
  rank: number;
}

export interface SplitModels {
  head: Model;
  tail: Model;
}

function usedNames(nodes: Node[]): Set<string> {
  const s = new Set<string>();
  for (const n of nodes) for (const i of nodeReads(n)) s.add(i);
  return s;
}

/** Symbolic dims keep the halves usable for any batch size or image width the original accepted. */
function cutValueInfo(name: string, t: CutTensorType): onnxProto.onnx.IValueInfoProto {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: t.elemType,
        shape: { dim: Array.from({ length: t.rank }, (_, i) => ({ dimParam: `${name}_d${i}` })) },
      },
    },
  });
}

function half(model: Model, index: GraphIndex, nodeIdx: number[], inputs: onnxProto.onnx.IValueInfoProto[], outputs: onnxProto.onnx.IValueInfoProto[], suffix: string): Model {
  const g = model.graph!;
  const nodes = nodeIdx.map((i) => index.nodes[i]);
  const used = usedNames(nodes);
  const constants = [...used].filter((n) => index.constantNodes.has(n)).map((n) => index.constantNodes.get(n)!);
  const produced = new Set<string>();
  for (const n of nodes) for (const o of n.output ?? []) produced.add(o);
  const graph = onnx.GraphProto.create({
    name: `${g.name ?? 'graph'}_${suffix}`,
    node: [...constants, ...nodes],
    initializer: (g.initializer ?? []).filter((t) => used.has(t.name ?? '')),
    input: inputs,
    output: outputs,
    valueInfo: (g.valueInfo ?? []).filter((v) => produced.has(v.name ?? '')),
    docString: g.docString ?? '',
  });
  return onnx.ModelProto.create({
    irVersion: model.irVersion,
    opsetImport: model.opsetImport,
    producerName: 'coquant split',
    producerVersion: '0.1.0',
    domain: model.domain ?? '',
    modelVersion: model.modelVersion,
    docString: `${suffix} of ${g.name ?? 'a model'}, split by coquant`,
    metadataProps: model.metadataProps ?? [],
    graph,
  });
}

/** The two halves; `types` gives each crossing tensor's element type and rank (e.g. from a probe run). */
export function extractHalves(model: Model, index: GraphIndex, cut: Cut, types: Readonly<Record<string, CutTensorType>>): SplitModels {
  const g = model.graph!;
  const headNodes = cut.head.map((i) => index.nodes[i]);
  const headUses = usedNames(headNodes);
  const crossing = new Set(cut.tensors);
  const headInputs = (g.input ?? []).filter((i) => index.graphInputs.has(i.name ?? '') && (headUses.has(i.name ?? '') || crossing.has(i.name ?? '')));
  const original = new Map((g.input ?? []).map((i) => [i.name ?? '', i]));
  const boundary = cut.tensors.map((t) => {
    if (index.graphInputs.has(t)) return original.get(t)!;
    const ty = types[t];
    if (!ty) throw new Error(`no type for crossing tensor '${t}'`);
    return cutValueInfo(t, ty);
  });
  const head = half(model, index, cut.head, headInputs, boundary, 'head');
  const tail = half(model, index, cut.tail, boundary, [...(g.output ?? [])], 'tail');
  return { head, tail };
}

/** Protobuf bytes of a half, through io's serializer (which refuses the 2 GiB protobuf limit). */
export function encodeModel(model: Model): Uint8Array {
  return serializeModel(model as ModelProto);
}

/** A copy of `model` that also outputs `names` (untyped: onnxruntime infers them), for probe runs. */
export function withExtraOutputs(model: Model, names: readonly string[]): Model {
  const copy = onnx.ModelProto.decode(onnx.ModelProto.encode(model).finish());
  const outputs = (copy.graph!.output ??= []);
  const existing = new Set(outputs.map((o) => o.name));
  for (const n of names) if (!existing.has(n)) outputs.push(onnx.ValueInfoProto.create({ name: n }));
  return copy;
}
