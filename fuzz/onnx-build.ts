/**
 * Builds small ONNX models as protobuf bytes for the fuzz corpus and the tests: value infos,
 * attributes, initializers and one or more nodes, with the opset the model declares.
 */
import onnxProto from 'onnx-proto';
import { floatToHalf } from '../src/data/half.ts';
import { DATA_TYPES } from '../src/io/data-types.ts';

const { onnx } = onnxProto;

/** ONNX TensorProto.DataType codes by coquant's type names, from the one data-type table. */
export const ELEM: Record<string, number> = Object.fromEntries(DATA_TYPES.map((r) => [r.name, r.onnx]));

export type Dim = number | string;

export interface ValueSpec {
  name: string;
  type: string;
  /** undefined: unknown rank. */
  shape?: Dim[];
  /** Non-tensor wrappers for outputs: sequence(tensor) or optional(tensor). */
  wrap?: 'sequence' | 'optional';
}

export type AttrValue = number | string | number[] | string[] | { float: number } | { floats: number[] } | { tensor: TensorInit } | { graph: GraphSpec };

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, AttrValue>;
  domain?: string;
  name?: string;
}

export interface TensorInit {
  name: string;
  type: string;
  dims: number[];
  /** Numbers (or bigint for 64-bit ints) in row-major order. */
  values: ArrayLike<number | bigint>;
}

export interface GraphSpec {
  name?: string;
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  nodes: NodeSpec[];
  initializers?: TensorInit[];
}

export interface ModelSpec extends GraphSpec {
  opset: number;
  /** Extra opset imports, e.g. { 'com.microsoft': 1 }. */
  domains?: Record<string, number>;
  irVersion?: number;
}

function tensorType(type: string, shape?: Dim[]): onnxProto.onnx.ITypeProto {
  const elemType = ELEM[type];
  if (elemType === undefined) throw new Error(`unknown element type ${type}`);
  return {
    tensorType: {
      elemType,
      ...(shape ? { shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } : {}),
    },
  };
}

function valueInfo(v: ValueSpec): onnxProto.onnx.IValueInfoProto {
  const t = tensorType(v.type, v.shape);
  const type = v.wrap === 'sequence' ? { sequenceType: { elemType: t } } : v.wrap === 'optional' ? { optionalType: { elemType: t } } : t;
  return { name: v.name, type };
}

/** Raw little-endian bytes of a tensor's values in its element type. */
export function tensorBytes(type: string, values: ArrayLike<number | bigint>): Uint8Array {
  const n = values.length;
  const num = (i: number) => Number(values[i]);
  switch (type) {
    case 'float32': return new Uint8Array(Float32Array.from({ length: n }, (_, i) => num(i)).buffer);
    case 'float64': return new Uint8Array(Float64Array.from({ length: n }, (_, i) => num(i)).buffer);
    case 'int64': return new Uint8Array(BigInt64Array.from({ length: n }, (_, i) => BigInt(Math.trunc(Number(values[i])))).buffer);
    case 'uint64': return new Uint8Array(BigUint64Array.from({ length: n }, (_, i) => BigInt(Math.trunc(Number(values[i])))).buffer);
    case 'int32': return new Uint8Array(Int32Array.from({ length: n }, (_, i) => num(i)).buffer);
    case 'uint32': return new Uint8Array(Uint32Array.from({ length: n }, (_, i) => num(i)).buffer);
    case 'int16': return new Uint8Array(Int16Array.from({ length: n }, (_, i) => num(i)).buffer);
    case 'uint16': return new Uint8Array(Uint16Array.from({ length: n }, (_, i) => num(i)).buffer);
    case 'int8': return new Uint8Array(Int8Array.from({ length: n }, (_, i) => num(i)).buffer);
    case 'uint8':
    case 'bool': return Uint8Array.from({ length: n }, (_, i) => num(i));
    case 'float16': return new Uint8Array(Uint16Array.from({ length: n }, (_, i) => floatToHalf(num(i))).buffer);
    default: throw new Error(`no raw encoding for ${type}`);
  }
}

function tensorProto(t: TensorInit): onnxProto.onnx.ITensorProto {
  return { name: t.name, dataType: ELEM[t.type], dims: t.dims, rawData: tensorBytes(t.type, t.values) };
}

function attribute(name: string, v: AttrValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') return { name, type: T.INT, i: v };
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) {
    if (v.length > 0 && typeof v[0] === 'string') return { name, type: T.STRINGS, strings: (v as string[]).map((s) => new TextEncoder().encode(s)) };
    return { name, type: T.INTS, ints: v as number[] };
  }
  if ('float' in v) return { name, type: T.FLOAT, f: v.float };
  if ('floats' in v) return { name, type: T.FLOATS, floats: v.floats };
  if ('tensor' in v) return { name, type: T.TENSOR, t: tensorProto(v.tensor) };
  return { name, type: T.GRAPH, g: graphProto(v.graph) };
}

function graphProto(g: GraphSpec): onnxProto.onnx.IGraphProto {
  return {
    name: g.name ?? 'g',
    input: g.inputs.map(valueInfo),
    output: g.outputs.map(valueInfo),
    initializer: (g.initializers ?? []).map(tensorProto),
    node: g.nodes.map((n, i) => ({
      opType: n.op,
      domain: n.domain ?? '',
      name: n.name ?? `node_${i}`,
      input: n.inputs,
      output: n.outputs,
      attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v)),
    })),
  };
}

/** IR version that goes with an opset (the ONNX release table). */
export function irVersionFor(opset: number): number {
  if (opset <= 8) return 3;
  if (opset <= 9) return 4;
  if (opset <= 10) return 5;
  if (opset <= 11) return 6;
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  return 9;
}

export function buildModel(m: ModelSpec): Uint8Array {
  const proto = onnx.ModelProto.create({
    irVersion: m.irVersion ?? irVersionFor(m.opset),
    producerName: 'coquant-fuzz',
    opsetImport: [{ domain: '', version: m.opset }, ...Object.entries(m.domains ?? {}).map(([domain, version]) => ({ domain, version }))],
    graph: graphProto(m),
  });
  return onnx.ModelProto.encode(proto).finish();
}
