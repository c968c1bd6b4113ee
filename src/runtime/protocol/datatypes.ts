/**
 * KServe v2 / Open Inference Protocol datatypes and how they map to byte sizes, typed arrays
 * and onnxruntime tensor types. Binary data is little-endian; every platform Node ships on
 * (x64, arm64) is little-endian, so typed-array views over the wire bytes are used directly.
 * Sizes, arrays and onnxruntime names come from the one data-type table (io/data-types.ts).
 */
import { dataTypeOfKserve, dataTypeOfOrt } from '../../io/data-types.ts';

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

const row = (dt: DataType) => dataTypeOfKserve(dt)!;

/** Size in bytes of one element on the wire (from the data-type table); BYTES has no fixed size. */
export const ELEMENT_BYTES: Record<Exclude<DataType, 'BYTES'>, number> = Object.fromEntries(
  DATATYPES.filter((d) => d !== 'BYTES').map((d) => [d, row(d).bytes]),
) as Record<Exclude<DataType, 'BYTES'>, number>;

type TypedCtor = {
  new (length: number): NumericArray;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): NumericArray;
  BYTES_PER_ELEMENT: number;
};

export function typedArrayCtor(dt: Exclude<DataType, 'BYTES'>): TypedCtor {
  return row(dt).array as unknown as TypedCtor;
}

/** onnxruntime `Tensor.Type` for each protocol datatype (BF16 has no onnxruntime-node tensor type). */
export function toOrtType(dt: DataType): string | undefined {
  return row(dt).ort;
}

export function fromOrtType(t: string): DataType | undefined {
  return dataTypeOfOrt(t)?.kserve as DataType | undefined;
}

/** Element count of a shape; NaN when a dimension is not a non-negative safe integer (the one helper, data/tensor.ts). */
export { elementCount } from '../../data/tensor.ts';

export function elementsOf(data: TensorData): number {
  return data.length;
}
