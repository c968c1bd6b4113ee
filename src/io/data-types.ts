/**
 * The one data-type table: each element type coquant meets, with its ONNX `TensorProto`
 * code, its onnxruntime-node tensor type, its KServe v2 datatype, its size, and the typed
 * array that holds it in memory. Every other table (weights, graph edits, probes, the
 * inference protocol) is derived from these rows, so adding a type is a one-row change.
 */

/** Typed-array constructors elements live in (fp16/bf16 as raw 16-bit patterns, bool as bytes). */
export type ElementArrayCtor =
  | Uint8ArrayConstructor | Int8ArrayConstructor | Uint16ArrayConstructor | Int16ArrayConstructor
  | Uint32ArrayConstructor | Int32ArrayConstructor | BigUint64ArrayConstructor | BigInt64ArrayConstructor
  | Float32ArrayConstructor | Float64ArrayConstructor;

export interface DataTypeRow {
  /** coquant's name: ONNX's spelling, lower-cased (also onnxruntime's where it has one). */
  readonly name: string;
  /** `onnx.TensorProto.DataType` code. */
  readonly onnx: number;
  /** onnxruntime-node `Tensor.Type`, when onnxruntime-node can hold it. */
  readonly ort?: string;
  /** KServe v2 / Open Inference Protocol datatype, when the protocol has it. */
  readonly kserve?: string;
  /** Bytes per element (0: variable size, e.g. strings). */
  readonly bytes: number;
  /** The typed array one element type is stored in, for fixed-size types. */
  readonly array?: ElementArrayCtor;
  readonly float: boolean;
}

export const DATA_TYPES = [
  { name: 'float32', onnx: 1, ort: 'float32', kserve: 'FP32', bytes: 4, array: Float32Array, float: true },
  { name: 'uint8', onnx: 2, ort: 'uint8', kserve: 'UINT8', bytes: 1, array: Uint8Array, float: false },
  { name: 'int8', onnx: 3, ort: 'int8', kserve: 'INT8', bytes: 1, array: Int8Array, float: false },
  { name: 'uint16', onnx: 4, ort: 'uint16', kserve: 'UINT16', bytes: 2, array: Uint16Array, float: false },
  { name: 'int16', onnx: 5, ort: 'int16', kserve: 'INT16', bytes: 2, array: Int16Array, float: false },
  { name: 'int32', onnx: 6, ort: 'int32', kserve: 'INT32', bytes: 4, array: Int32Array, float: false },
  { name: 'int64', onnx: 7, ort: 'int64', kserve: 'INT64', bytes: 8, array: BigInt64Array, float: false },
  { name: 'string', onnx: 8, ort: 'string', kserve: 'BYTES', bytes: 0, float: false },
  { name: 'bool', onnx: 9, ort: 'bool', kserve: 'BOOL', bytes: 1, array: Uint8Array, float: false },
  { name: 'float16', onnx: 10, ort: 'float16', kserve: 'FP16', bytes: 2, array: Uint16Array, float: true },
  { name: 'float64', onnx: 11, ort: 'float64', kserve: 'FP64', bytes: 8, array: Float64Array, float: true },
  { name: 'uint32', onnx: 12, ort: 'uint32', kserve: 'UINT32', bytes: 4, array: Uint32Array, float: false },
  { name: 'uint64', onnx: 13, ort: 'uint64', kserve: 'UINT64', bytes: 8, array: BigUint64Array, float: false },
  { name: 'complex64', onnx: 14, bytes: 8, float: false },
  { name: 'complex128', onnx: 15, bytes: 16, float: false },
  { name: 'bfloat16', onnx: 16, kserve: 'BF16', bytes: 2, array: Uint16Array, float: true },
] as const satisfies readonly DataTypeRow[];

export type DataTypeName = (typeof DATA_TYPES)[number]['name'];

const BY_NAME = new Map<string, DataTypeRow>(DATA_TYPES.map((r) => [r.name, r]));
const BY_ONNX = new Map<number, DataTypeRow>(DATA_TYPES.map((r) => [r.onnx, r]));
const BY_ORT = new Map<string, DataTypeRow>(DATA_TYPES.filter((r: DataTypeRow) => r.ort).map((r: DataTypeRow) => [r.ort!, r]));
const BY_KSERVE = new Map<string, DataTypeRow>(DATA_TYPES.filter((r: DataTypeRow) => r.kserve).map((r: DataTypeRow) => [r.kserve!, r]));

/** The row for a coquant/ONNX name (`float16`), or undefined. */
export const dataType = (name: string): DataTypeRow | undefined => BY_NAME.get(name);
/** The row for an ONNX `TensorProto.DataType` code, or undefined (e.g. float8, int4). */
export const dataTypeOfOnnx = (code: number): DataTypeRow | undefined => BY_ONNX.get(code);
/** The row for an onnxruntime-node tensor type (`float32`), or undefined. */
export const dataTypeOfOrt = (type: string): DataTypeRow | undefined => BY_ORT.get(type);
/** The row for a KServe v2 datatype (`FP16`), or undefined. */
export const dataTypeOfKserve = (type: string): DataTypeRow | undefined => BY_KSERVE.get(type);

/** ONNX code of a name; throws for a name not in the table (a programming error, not user input). */
export function onnxCode(name: string): number {
  const r = BY_NAME.get(name);
  if (!r) throw new RangeError(`unknown data type '${name}'`);
  return r.onnx;
}

/** Bytes per element of an onnxruntime type (0 when unknown or variable-size). */
export const ortElementBytes = (type: string): number => BY_ORT.get(type)?.bytes ?? 0;
