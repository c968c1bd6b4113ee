/**
 * Small, mutable view of an ONNX graph for the format writers: tensors by name, who produces
 * and who consumes each value, fresh unique names, and tensor (de)serialisation for the few
 * element types the writers touch. Everything works on the onnx-proto message objects directly,
 * so the result encodes back with `onnx.ModelProto.encode`.
 */
import { FormatError } from './errors.ts';
import { isAbsolute } from 'node:path';
import { serializeModel } from '../io/onnx-edit.ts';
import { externalRef, readExternalSync } from '../io/external-data.ts';
import { decodeInto, float16Table } from '../io/decode.ts';
import { dataTypeOfOnnx, onnxCode } from '../io/data-types.ts';
import type { DType } from '../io/types.ts';

// The ONNX core (io/onnx-model.ts) owns the protobuf messages; the writers use its names.
export { onnx, type AttributeProto, type GraphProto, type ModelProto, type NodeProto, type TensorProto } from '../io/onnx-model.ts';
import { onnx, parseOnnxModel, type AttributeProto, type GraphProto, type ModelProto, type NodeProto, type TensorProto } from '../io/onnx-model.ts';

/** ONNX TensorProto.DataType codes used here (from the data-type table). */
export const DT = {
  FLOAT: onnxCode('float32'),
  UINT8: onnxCode('uint8'),
  INT8: onnxCode('int8'),
  INT32: onnxCode('int32'),
  INT64: onnxCode('int64'),
  BOOL: onnxCode('bool'),
  FLOAT16: onnxCode('float16'),
  DOUBLE: onnxCode('float64'),
} as const;

export const MS_DOMAIN = 'com.microsoft';

/** Decodes a model with the ONNX core's checks and messages (truncation, missing graph). */
export function decodeModel(bytes: Uint8Array, where = 'model'): ModelProto {
  return parseOnnxModel(bytes, where);
}

/** Protobuf bytes of a model, through io's serializer (which refuses the 2 GiB protobuf limit). */
export function encodeModel(m: ModelProto): Uint8Array {
  return serializeModel(m);
}

/** Deep copy through the wire format, so edits never touch the caller's message. */
export function cloneModel(m: ModelProto): ModelProto {
  return onnx.ModelProto.decode(encodeModel(m));
}

export const num = (v: unknown): number => Number(v ?? 0);

export function dimsOf(t: TensorProto): number[] {
  return (t.dims ?? []).map((d) => Number(d));
}

export { elementCount } from '../data/tensor.ts';
import { elementCount } from '../data/tensor.ts';

/**
 * Reads a float32 (or float64/int) tensor as float32 values. External data is read from its file
 * when the location was resolved to an absolute path (loadForFormats / absolutizeExternalData).
 */
export function tensorToFloat32(t: TensorProto): Float32Array {
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    if (!isAbsolute(externalRef(t).location)) {
      throw new FormatError('E_EXTERNAL_DATA', `tensor '${t.name}' keeps its data in an external file; load the model with its data folder first`);
    }
    t = { ...t, rawData: readExternalSync(t), dataLocation: onnx.TensorProto.DataLocation.DEFAULT };
  }
  const n = elementCount(dimsOf(t));
  const out = new Float32Array(n);
  const row = dataTypeOfOnnx(t.dataType ?? 0);
  if (!row || row.bytes === 0 || row.name.startsWith('complex')) {
    throw new FormatError('E_DTYPE', `tensor '${t.name}' has element type ${t.dataType}, not a float or integer type coquant can read`);
  }
  const raw = t.rawData;
  if (raw && raw.length > 0) {
    // The one raw-bytes decoder (io/decode.ts) serves every reader.
    if (raw.length !== n * row.bytes) throw new FormatError('E_SHAPE', `tensor '${t.name}' holds ${raw.length} bytes, but [${dimsOf(t).join(', ')}] of ${row.name} needs ${n * row.bytes}`);
    decodeInto(row.name as DType, raw, out);
    return out;
  }
  // Typed fields: ONNX keeps small integer types (and fp16/bf16 bit patterns) in int32_data.
  switch (row.name) {
    case 'float32':
      out.set(t.floatData ?? []);
      break;
    case 'float64':
      out.set(t.doubleData ?? []);
      break;
    case 'int64':
    case 'uint64':
      ((row.name === 'int64' ? t.int64Data : t.uint64Data) ?? []).forEach((v, i) => (out[i] = Number(v)));
      break;
    case 'float16': {
      const f16 = float16Table();
      (t.int32Data ?? []).forEach((v, i) => (out[i] = f16[v & 0xffff]));
      break;
    }
    case 'bfloat16': {
      const w = new Uint32Array(1);
      const f = new Float32Array(w.buffer);
      (t.int32Data ?? []).forEach((v, i) => {
        w[0] = (v & 0xffff) << 16;
        out[i] = f[0];
      });
      break;
    }
    default:
      out.set(t.int32Data ?? []);
  }
  return out;
}

/** Reads an int64 tensor (shape constants, axes) as plain numbers. */
export function tensorToInts(t: TensorProto): number[] {
  return Array.from(tensorToFloat32(t), (v) => Math.round(v));
}

export function makeTensor(
  name: string,
  dataType: number,
  dims: readonly number[],
  data: Float32Array | Int8Array | Uint8Array | Int32Array | BigInt64Array | readonly number[],
): TensorProto {
  let bytes: Uint8Array;
  if (Array.isArray(data)) {
    const arr = data as readonly number[];
    if (dataType === DT.INT64) bytes = new Uint8Array(BigInt64Array.from(arr.map((v) => BigInt(Math.round(v)))).buffer);
    else if (dataType === DT.FLOAT) bytes = new Uint8Array(Float32Array.from(arr).buffer);
    else if (dataType === DT.INT32) bytes = new Uint8Array(Int32Array.from(arr).buffer);
    else if (dataType === DT.INT8) bytes = new Uint8Array(Int8Array.from(arr).buffer);
    else if (dataType === DT.UINT8) bytes = Uint8Array.from(arr);
    else throw new Error(`makeTensor: unsupported data type ${dataType}`);
  } else {
    const typed = data as Float32Array | Int8Array | Uint8Array | Int32Array | BigInt64Array;
    bytes = new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength).slice();
  }
  return onnx.TensorProto.create({ name, dataType, dims: [...dims], rawData: bytes });
}

export function makeNode(opType: string, inputs: string[], outputs: string[], name: string, attrs: AttributeProto[] = [], domain = ''): NodeProto {
  return onnx.NodeProto.create({ opType, input: inputs, output: outputs, name, attribute: attrs, domain });
}

export const attrInt = (name: string, i: number): AttributeProto => onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i });
export const attrInts = (name: string, ints: number[]): AttributeProto =>
  onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints });
export const attrFloat = (name: string, f: number): AttributeProto => onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f });

export function getAttr(node: NodeProto, name: string): AttributeProto | undefined {
  return (node.attribute ?? []).find((a) => a.name === name);
}

export function attrIntValue(node: NodeProto, name: string, dflt: number): number {
  const a = getAttr(node, name);
  return a ? Number(a.i ?? dflt) : dflt;
}

export function attrIntsValue(node: NodeProto, name: string): number[] | undefined {
  const a = getAttr(node, name);
  return a ? (a.ints ?? []).map((v) => Number(v)) : undefined;
}

export function attrFloatValue(node: NodeProto, name: string, dflt: number): number {
  const a = getAttr(node, name);
  return a && a.f !== undefined && a.f !== null ? Number(a.f) : dflt;
}

/** Opset of a domain ('' = default ONNX domain), or undefined when not imported. */
export function opsetOf(m: ModelProto, domain = ''): number | undefined {
  const o = (m.opsetImport ?? []).find((x) => (x.domain ?? '') === domain || (domain === '' && x.domain === 'ai.onnx'));
  return o ? Number(o.version) : undefined;
}

export function setOpset(m: ModelProto, domain: string, version: number): void {
  const list = m.opsetImport ?? (m.opsetImport = []);
  const o = list.find((x) => (x.domain ?? '') === domain);
  if (o) o.version = version;
  else list.push(onnx.OperatorSetIdProto.create({ domain, version }));
}

/** Index over a graph: initializers by name, producer and consumers of each value. Rebuild after edits. */
export class GraphEditor {
  readonly inits = new Map<string, TensorProto>();
  readonly producer = new Map<string, NodeProto>();
  readonly consumers = new Map<string, NodeProto[]>();
  readonly graphOutputs: Set<string>;
  readonly graphInputs: Set<string>;
  private used = new Set<string>();

  constructor(readonly graph: GraphProto) {
    for (const t of graph.initializer ?? []) this.inits.set(t.name ?? '', t);
    for (const n of graph.node ?? []) {
      for (const o of n.output ?? []) {
        this.producer.set(o, n);
        this.used.add(o);
      }
      for (const i of n.input ?? []) {
        if (!i) continue;
        const l = this.consumers.get(i);
        if (l) l.push(n);
        else this.consumers.set(i, [n]);
      }
      if (n.name) this.used.add(n.name);
    }
    this.graphOutputs = new Set((graph.output ?? []).map((v) => v.name ?? ''));
    this.graphInputs = new Set((graph.input ?? []).map((v) => v.name ?? ''));
    for (const n of this.inits.keys()) this.used.add(n);
    for (const n of this.graphInputs) this.used.add(n);
  }

  /** A name not yet used by any value, node or initializer in the graph. */
  fresh(base: string): string {
    let name = base;
    for (let k = 1; this.used.has(name); k++) name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }

  isConstant(name: string): boolean {
    return this.inits.has(name) && !this.graphInputs.has(name);
  }

  addInit(t: TensorProto): void {
    (this.graph.initializer ??= []).push(t);
    this.inits.set(t.name ?? '', t);
    this.used.add(t.name ?? '');
  }
}

/**
 * Turns Constant nodes holding a tensor into initializers (same name as the node's output), so
 * every weight is found the same way. Constants with sparse or list values stay nodes.
 */
export function constantsToInitializers(graph: GraphProto): number {
  const keep: NodeProto[] = [];
  let moved = 0;
  for (const n of graph.node ?? []) {
    if (n.opType === 'Constant' && (n.domain ?? '') === '' && n.output?.length === 1) {
      const v = getAttr(n, 'value');
      if (v?.t) {
        const t = onnx.TensorProto.create({ ...v.t, name: n.output[0] });
        (graph.initializer ??= []).push(t);
        moved++;
        continue;
      }
    }
    keep.push(n);
  }
  graph.node = keep;
  return moved;
}

/** Drops initializers no node or graph output refers to (left behind by rewrites). */
export function pruneUnusedInitializers(graph: GraphProto): void {
  const used = new Set<string>();
  for (const n of graph.node ?? []) for (const i of n.input ?? []) used.add(i);
  for (const o of graph.output ?? []) used.add(o.name ?? '');
  graph.initializer = (graph.initializer ?? []).filter((t) => used.has(t.name ?? ''));
}

/** Nodes in an order where every input is produced before use (Kahn); throws on cycles. */
export function topoSort(graph: GraphProto): void {
  const nodes = graph.node ?? [];
  const avail = new Set<string>([...(graph.input ?? []).map((v) => v.name ?? ''), ...(graph.initializer ?? []).map((t) => t.name ?? ''), '']);
  const waiting = new Map<string, number[]>();
  const missing = new Array<number>(nodes.length).fill(0);
  const ready: number[] = [];
  nodes.forEach((n, idx) => {
    for (const i of n.input ?? []) {
      if (avail.has(i)) continue;
      missing[idx]++;
      const l = waiting.get(i);
      if (l) l.push(idx);
      else waiting.set(i, [idx]);
    }
    if (missing[idx] === 0) ready.push(idx);
  });
  const out: NodeProto[] = [];
  while (ready.length) {
    const idx = ready.shift() as number;
    out.push(nodes[idx]);
    for (const o of nodes[idx].output ?? []) {
      for (const w of waiting.get(o) ?? []) if (--missing[w] === 0) ready.push(w);
      waiting.delete(o);
    }
  }
  if (out.length !== nodes.length) {
    const stuck = nodes.find((_, i) => missing[i] > 0);
    throw new FormatError('E_GRAPH', `graph has a cycle or a missing input near node '${stuck?.name ?? stuck?.opType}'`);
  }
  graph.node = out;
}
