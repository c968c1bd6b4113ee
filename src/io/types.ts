/**
 * The model-I/O contract every other layer builds on. Readers (ONNX, safetensors) expose
 * tensors by name with their dtype and shape, and hand out raw little-endian bytes one
 * tensor at a time, so memory stays bounded by the largest tensor, not by the file.
 */
import { DATA_TYPES } from './data-types.ts';

/** Element types coquant reads as weights. Names follow the ONNX spelling, lower-cased. */
export type WeightDType = 'float32' | 'float16' | 'bfloat16' | 'float64' | 'int8' | 'uint8';

/**
 * Other fixed-size element types a file may hold (shape constants, index buffers). They are
 * listed so `tensors` really is every tensor, but they are never selected as weights.
 */
export type OtherDType = 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'bool' | 'complex64' | 'complex128';

export type DType = WeightDType | OtherDType;

export const FLOAT_DTYPES: ReadonlySet<DType> = new Set(DATA_TYPES.filter((r) => r.float).map((r) => r.name as DType));

/** Bytes per element, from the data-type table. */
export const DTYPE_BYTES: Readonly<Record<DType, number>> = Object.fromEntries(
  DATA_TYPES.filter((r) => r.name !== 'string').map((r) => [r.name, r.bytes]),
) as Record<DType, number>;

export function isFloatDType(d: DType): boolean {
  return FLOAT_DTYPES.has(d);
}

/** Where a tensor's bytes live, for messages and for writers that patch models. */
export type TensorOrigin =
  | { kind: 'onnx-initializer' }
  | { kind: 'onnx-constant'; node: string }
  | { kind: 'onnx-external'; file: string; offset: number }
  | { kind: 'safetensors'; file: string; offset: number };

export interface TensorInfo {
  /** Group name: the tensor's name (for a Constant node, its output name). */
  name: string;
  shape: number[];
  dtype: DType;
  /** Number of elements = product of shape (1 for a scalar). */
  size: number;
  byteLength: number;
  origin: TensorOrigin;
}

export interface RawTensor {
  info: TensorInfo;
  /** Raw little-endian element bytes, exactly `info.byteLength` long. */
  bytes: Uint8Array;
}

/** A contiguous run of one tensor's elements, for streaming tensors too big to hold twice. */
export interface RawChunk {
  info: TensorInfo;
  /** Index of the first element of this chunk within the tensor (row-major). */
  start: number;
  /** Number of elements in this chunk. */
  count: number;
  /** Raw little-endian bytes, exactly `count * DTYPE_BYTES[info.dtype]` long. Fresh per chunk. */
  bytes: Uint8Array;
}

export interface WeightSource {
  readonly path: string;
  readonly format: 'onnx' | 'safetensors';
  /** Every tensor the file holds, in file order (weights and everything else). */
  readonly tensors: readonly TensorInfo[];
  /** Reads one tensor's bytes; validates length and location first. */
  read(name: string): Promise<RawTensor>;
  /**
   * Streams one tensor in slices of at most `chunkElems` elements, so memory stays bounded
   * by the chunk, not the tensor. Optional so other sources stay valid; use the free function
   * `readChunks(source, ...)` from src/io/read-chunks.ts, which falls back to `read`.
   */
  readChunks?(name: string, chunkElems: number): AsyncIterable<RawChunk>;
  close(): Promise<void>;
}
