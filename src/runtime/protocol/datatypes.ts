/**
 * KServe v2 / Open Inference Protocol datatypes and how they map to byte sizes, typed arrays
 * and onnxruntime tensor types. Binary data is little-endian; every platform Node ships on
 * (x64, arm64) is little-endian, so typed-array views over the wire bytes are used directly.
 */

export const DATATYPES = [
  'BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64',
  'FP16', 'BF16', 'FP32', 'FP64', 'BYTES',
] as const;
export type DataType = (typeof DATATYPES)[number];

export function isDataType(s: unknown): s is DataType {
  return typeof s === 'string' && (DATATYPES as readonly string[]).includes(s);
}

/** In-memory element storage. FP16/BF16 keep their raw 16-bit patterns; BYTES elements are byte strings. */
export type NumericArray =
  | Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array
  | BigUint64Array | BigInt64Array | Float32Array | Float64Array;
export type TensorData = NumericArray | Uint8Array[];

/** Size in bytes of one element on the wire; BYTES has no fixed size. */
export const ELEMENT_BYTES: Record<Exclude<DataType, 'BYTES'>, number> = {
  BOOL: 1, UINT8: 1, INT8: 1, UINT16: 2, INT16: 2, FP16: 2, BF16: 2,
  UINT32: 4, INT32: 4, FP32: 4, UINT64: 8, INT64: 8, FP64: 8,
};

type TypedCtor = {
  new (length: number): NumericArray;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): NumericArray;
  BYTES_PER_ELEMENT: number;
};

const CTORS: Record<Exclude<DataType, 'BYTES'>, TypedCtor> = {
  BOOL: Uint8Array, UINT8: Uint8Array, INT8: Int8Array, UINT16: Uint16Array, INT16: Int16Array,
  FP16: Uint16Array, BF16: Uint16Array, UINT32: Uint32Array, INT32: Int32Array, FP32: Float32Array,
  UINT64: BigUint64Array, INT64: BigInt64Array, FP64: Float64Array,
} as unknown as Record<Exclude<DataType, 'BYTES'>, TypedCtor>;

export function typedArrayCtor(dt: Exclude<DataType, 'BYTES'>): TypedCtor {
  return CTORS[dt];
}

/** onnxruntime `Tensor.Type` for each protocol datatype (BF16 has no onnxruntime-node tensor type). */
const TO_ORT: Partial<Record<DataType, string>> = {
  BOOL: 'bool', UINT8: 'uint8', UINT16: 'uint16', UINT32: 'uint32', UINT64: 'uint64',
  INT8: 'int8', INT16: 'int16', INT32: 'int32', INT64: 'int64',
  FP16: 'float16', FP32: 'float32', FP64: 'float64', BYTES: 'string',
};

export function toOrtType(dt: DataType): string | undefined {
  return TO_ORT[dt];
}

export function fromOrtType(t: string): DataType | undefined {
  for (const [k, v] of Object.entries(TO_ORT)) if (v === t) return k as DataType;
  return undefined;
}

/** Element count of a shape; NaN when a dimension is not a non-negative safe integer. */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) return Number.NaN;
    n *= d;
  }
  return Number.isSafeInteger(n) ? n : Number.NaN;
}

export function elementsOf(data: TensorData): number {
  return data.length;
}
