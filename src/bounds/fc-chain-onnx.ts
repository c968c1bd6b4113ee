/**
 * Recognises a fully connected chain in an ONNX graph — input → (MatMul [+ Add] | Gemm) →
 * activation → … → output — and lifts it into the FcLayer form the SPEC §3 bound works on.
 * Works on bytes already in memory (no file access here). Anything that is not such a chain is
 * reported with the node where the walk stopped, so users see why the bound does not apply.
 */
import { CoquantError } from '../errors.ts';
import { elementCount } from '../data/tensor.ts';
import { onnx, type AttributeProto, type ModelLike, type NodeProto, type TensorProto } from '../io/onnx-model.ts';
import { layerMatrix, type FcChain, type FcChainLayer } from '../theory/fc-chain.ts';

type IModel = ModelLike;
type ITensor = TensorProto;
type INode = NodeProto;

function notFc(what: string, hint?: string): never {
  throw new CoquantError('E_NOT_FC', `not a fully connected chain: ${what}`, {
    hint: hint ?? 'the FC bound (SPEC §3) needs MatMul/Gemm layers with bias Add and ReLU-like activations only',
  });
}

/** The two float types the FC bound reads, kept in float64: element size, little-endian reader, typed field. */
const FLOAT_KINDS: Record<number, { bytes: number; get: (dv: DataView, offset: number) => number; field: 'floatData' | 'doubleData'; label: string }> = {
  [onnx.TensorProto.DataType.FLOAT]: { bytes: 4, get: (dv, o) => dv.getFloat32(o, true), field: 'floatData', label: 'float_data' },
  [onnx.TensorProto.DataType.DOUBLE]: { bytes: 8, get: (dv, o) => dv.getFloat64(o, true), field: 'doubleData', label: 'double_data' },
};

/** Float values of an initializer or Constant tensor (float32 / float64, raw or typed fields). */
export function tensorValues(t: ITensor): Float64Array {
  const name = t.name ?? '(unnamed)';
  const size = elementCount((t.dims ?? []).map(Number));
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    notFc(`tensor ${name} uses external data`, 'load the model with its external data merged in');
  }
  const dt = t.dataType ?? 0;
  const kind = FLOAT_KINDS[dt];
  if (!kind) return notFc(`tensor ${name} has data type ${dt}; only float32/float64 weights are supported`);
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
  if (raw) {
    if (raw.length !== size * kind.bytes) notFc(`tensor ${name} has ${raw.length} raw bytes, expected ${size * kind.bytes}`);
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const out = new Float64Array(size);
    for (let i = 0; i < size; i++) out[i] = kind.get(dv, i * kind.bytes);
    return out;
  }
  const f = t[kind.field] ?? [];
  if (f.length !== size) notFc(`tensor ${name} has ${f.length} ${kind.label} values, expected ${size}`);
  return Float64Array.from(f);
}

function attr(node: INode, name: string): AttributeProto | undefined {
  return (node.attribute ?? []).find((a) => a.name === name);
}

/** Walks the graph from its single data input to its output. */
export function extractFcChain(model: IModel | Uint8Array): FcChain {
  const m = model instanceof Uint8Array ? onnx.ModelProto.decode(model) : model;
  const g = m.graph;
  if (!g) notFc('the model has no graph');
  const consts = new Map<string, ITensor>();
  for (const t of g.initializer ?? []) if (t.name) consts.set(t.name, t);
  for (const n of g.node ?? []) {
    if (n.opType === 'Constant' && n.output?.[0]) {
      const v = attr(n, 'value');
      if (v?.t) consts.set(n.output[0], { ...v.t, name: n.output[0] });
    }
  }
  const dataInputs = (g.input ?? []).filter((i) => i.name && !consts.has(i.name));
  if (dataInputs.length !== 1) notFc(`expected one data input, found ${dataInputs.length}`);
  const outputs = g.output ?? [];
  if (outputs.length !== 1) notFc(`expected one output, found ${outputs.length}`);
  const inputName = dataInputs[0].name!;
  const outputName = outputs[0].name!;
  const dims = dataInputs[0].type?.tensorType?.shape?.dim ?? [];
  const lastDim = dims.length > 0 ? dims[dims.length - 1] : undefined;
  const declaredIn = lastDim?.dimValue != null ? Number(lastDim.dimValue) : undefined;

  const consumers = new Map<string, INode[]>();
  for (const n of g.node ?? []) {
    if (n.opType === 'Constant') continue;
    for (const i of n.input ?? []) {
      if (!i || consts.has(i)) continue;
      const list = consumers.get(i) ?? [];
      list.push(n);
      consumers.set(i, list);
    }
  }

  const layers: FcChainLayer[] = [];
  let cur = inputName;
  let steps = 0;
  const maxSteps = (g.node ?? []).length + 1;
  while (cur !== outputName) {
    if (++steps > maxSteps) notFc('the graph has a cycle');
    const next = consumers.get(cur) ?? [];
    if (next.length !== 1) notFc(`tensor ${cur} feeds ${next.length} nodes (a chain needs exactly one)`);
    const node = next[0];
    const label = `node ${node.name || node.opType} (${node.opType})`;
    const ins = node.input ?? [];
    const other = ins.filter((i) => i !== cur);
    const last = layers[layers.length - 1];
    switch (node.opType) {
      case 'MatMul': {
        if (ins[0] !== cur || !consts.has(ins[1])) notFc(`${label}: expected MatMul(activations, constant weight)`);
        const t = consts.get(ins[1])!;
        const shape = (t.dims ?? []).map(Number);
        if (shape.length !== 2) notFc(`${label}: weight ${ins[1]} has rank ${shape.length}, expected 2`);
        const weight = layerMatrix(tensorValues(t), shape, 'in-out');
        layers.push({ weight, weightName: ins[1], layout: 'in-out', alpha: 1, activation: null });
        break;
      }
      case 'Gemm': {
        if (ins[0] !== cur || !consts.has(ins[1])) notFc(`${label}: expected Gemm(activations, constant weight[, constant bias])`);
        if (Number(attr(node, 'transA')?.i ?? 0) !== 0) notFc(`${label}: transA=1 is not supported`);
        const transB = Number(attr(node, 'transB')?.i ?? 0) !== 0;
        const alpha = attr(node, 'alpha')?.f ?? 1;
        const beta = attr(node, 'beta')?.f ?? 1;
        const t = consts.get(ins[1])!;
        const shape = (t.dims ?? []).map(Number);
        if (shape.length !== 2) notFc(`${label}: weight ${ins[1]} has rank ${shape.length}, expected 2`);
        const layout = transB ? 'out-in' : 'in-out';
        const weight = layerMatrix(tensorValues(t), shape, layout, alpha);
        const layer: FcChainLayer = { weight, weightName: ins[1], layout, alpha, activation: null };
        if (ins[2]) {
          if (!consts.has(ins[2])) notFc(`${label}: bias ${ins[2]} is not a constant`);
          const bv = tensorValues(consts.get(ins[2])!);
          if (bv.length !== weight.rows) notFc(`${label}: bias ${ins[2]} has ${bv.length} values, expected ${weight.rows}`);
          layer.bias = bv.map((v) => beta * v);
          layer.biasName = ins[2];
        }
        layers.push(layer);
        break;
      }
      case 'Add': {
        if (!last || last.bias || last.activation || other.length !== 1 || !consts.has(other[0])) {
          notFc(`${label}: an Add must add a constant bias right after MatMul`);
        }
        const bv = tensorValues(consts.get(other[0])!);
        if (bv.length !== last.weight.rows) notFc(`${label}: bias ${other[0]} has ${bv.length} values, expected ${last.weight.rows}`);
        last.bias = bv;
        last.biasName = other[0];
        break;
      }
      case 'Relu':
      case 'LeakyRelu': {
        if (!last || last.activation) notFc(`${label}: activation without a preceding layer`);
        if (node.opType === 'Relu') last.activation = 'relu';
        else {
          const a = attr(node, 'alpha')?.f ?? 0.01;
          if (!(a >= 0 && a <= 1)) notFc(`${label}: LeakyRelu alpha ${a} is not 1-Lipschitz`);
          last.activation = { leakyRelu: a };
        }
        break;
      }
      case 'Identity':
        break;
      default:
        notFc(`${label} is not part of an FC chain`);
    }
    cur = (node.output ?? [])[0];
    if (!cur) notFc(`${label} has no output`);
  }
  if (layers.length === 0) notFc('no MatMul/Gemm layer found');
  for (let l = 1; l < layers.length; l++) {
    if (layers[l].weight.cols !== layers[l - 1].weight.rows) {
      notFc(`layer ${layers[l].weightName} takes ${layers[l].weight.cols} inputs but the previous layer gives ${layers[l - 1].weight.rows}`);
    }
  }
  const inputDim = layers[0].weight.cols;
  if (declaredIn !== undefined && declaredIn !== inputDim) notFc(`input ${inputName} declares ${declaredIn} features, first layer takes ${inputDim}`);
  return { inputName, outputName, inputDim, layers };
}
