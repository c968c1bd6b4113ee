/**
 * A tensor held in ordinary JS memory, independent of onnxruntime, so loaders (images, .npy,
 * random inputs) stay free of the runtime and the runtime converts at the boundary.
 */
import { halfToFloat } from './half.ts';

/** The element types a host tensor holds: the ones coquant feeds to onnxruntime (synthesised or from --inputs). */
export const HOST_TENSOR_TYPES = ['float32', 'float64', 'float16', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'bool'] as const;

export type HostTensorType = (typeof HOST_TENSOR_TYPES)[number];

export type HostTensorData = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array;

/** float16 elements are held as their raw IEEE half bit patterns in a Uint16Array (as onnxruntime-node takes them). */
export interface HostTensor {
  type: HostTensorType;
  data: HostTensorData;
  dims: number[];
}

/** One calibration sample: a value for every model input, by input name. */
export type Feed = Record<string, HostTensor>;

/** The tensor's values as float32 (the data itself when it already is, a converted copy otherwise; float16 bit patterns decoded). */
export function asFloat32(t: Pick<HostTensor, 'type' | 'data'>): Float32Array {
  if (t.data instanceof Float32Array) return t.data;
  if (t.type === 'float16') return Float32Array.from(t.data as Uint16Array, halfToFloat);
  return Float32Array.from(t.data as ArrayLike<number>, Number);
}

/** Element count of a shape (1 for a scalar); NaN when a dimension is not a non-negative safe integer or the product overflows. */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) return Number.NaN;
    n *= d;
  }
  return Number.isSafeInteger(n) ? n : Number.NaN;
}
