/**
 * The model-I/O contract every other layer builds on. Readers (ONNX, safetensors) expose
 * tensors by name with their dtype and shape, and hand out raw little-endian bytes one
 * tensor at a time, so memory stays bounded by the largest tensor, not by the file.
 */

/** Element types coquant reads. Names follow the ONNX spelling, lower-cased. */
export type DType = 'float32' | 'float16' | 'bfloat16' | 'float64' | 'int8' | 'uint8';

export const FLOAT_DTYPES: ReadonlySet<DType> = new Set(['float32', 'float16', 'bfloat16', 'float64']);

export const DTYPE_BYTES: Readonly<Record<DType, number>> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  float64: 8,
  int8: 1,
  uint8: 1,
};

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

export interface WeightSource {
  readonly path: string;
  readonly format: 'onnx' | 'safetensors';
  /** Every tensor the file holds, in file order (weights and everything else). */
  readonly tensors: readonly TensorInfo[];
  /** Reads one tensor's bytes; validates length and location first. */
  read(name: string): Promise<RawTensor>;
  close(): Promise<void>;
}
