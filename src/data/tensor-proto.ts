/**
 * Reader for serialized ONNX TensorProto files (`input_0.pb` in the ONNX test-data layout
 * `test_data_set_N/`): raw_data or the typed value fields, checked against dims × element size.
 */
import onnxProto from 'onnx-proto';
import { CoquantError } from '../errors.ts';
import { halfToFloat } from './npy.ts';
import { elementCount, type HostTensor, type HostTensorType } from './tensor.ts';

const { onnx } = onnxProto;

/** ONNX element type code → host type and byte width. float16 is widened to float32 (as .npy '<f2' is). */
const TYPES: Record<number, { type: HostTensorType | 'float16'; bytes: number }> = {
  1: { type: 'float32', bytes: 4 },
  2: { type: 'uint8', bytes: 1 },
  3: { type: 'int8', bytes: 1 },
  4: { type: 'uint16', bytes: 2 },
  5: { type: 'int16', bytes: 2 },
  6: { type: 'int32', bytes: 4 },
  7: { type: 'int64', bytes: 8 },
  9: { type: 'bool', bytes: 1 },
  10: { type: 'float16', bytes: 2 },
  11: { type: 'float64', bytes: 8 },
  12: { type: 'uint32', bytes: 4 },
};

const MAX_ELEMENTS = 1 << 28;

function fail(file: string, what: string): never {
  throw new CoquantError('E_TENSOR_PB', `${file}: ${what}`, { hint: 'write it with onnx.numpy_helper.from_array(array, name).SerializeToString()' });
}

function fromBytes(type: HostTensorType | 'float16', b: Uint8Array, n: number): HostTensor['data'] {
  const ab = Uint8Array.prototype.slice.call(b).buffer; // a copy: Buffer#slice would be a view of a larger pool
  switch (type) {
    case 'float32': return new Float32Array(ab);
    case 'float64': return new Float64Array(ab);
    case 'int8': return new Int8Array(ab);
    case 'uint8':
    case 'bool': return new Uint8Array(ab);
    case 'int16': return new Int16Array(ab);
    case 'uint16': return new Uint16Array(ab);
    case 'int32': return new Int32Array(ab);
    case 'uint32': return new Uint32Array(ab);
    case 'int64': return new BigInt64Array(ab);
    case 'float16': {
      const h = new Uint16Array(ab);
      return Float32Array.from({ length: n }, (_, i) => halfToFloat(h[i]));
    }
  }
}

/** Typed fields (when raw_data is empty): ONNX stores fp16/int8/uint8/int16/uint16/bool in int32_data. */
function fromFields(type: HostTensorType | 'float16', t: onnxProto.onnx.TensorProto, n: number, file: string): HostTensor['data'] {
  const pick = (): ArrayLike<number | { toString(): string }> => {
    switch (type) {
      case 'float32': return t.floatData;
      case 'float64': return t.doubleData;
      case 'int64': return t.int64Data as unknown as ArrayLike<{ toString(): string }>;
      case 'uint32': return t.uint64Data as unknown as ArrayLike<{ toString(): string }>;
      default: return t.int32Data;
    }
  };
  const v = pick();
  if (v.length !== n) fail(file, `holds ${v.length} values but its dims need ${n}`);
  const num = (i: number) => Number(v[i].toString());
  switch (type) {
    case 'float32': return Float32Array.from({ length: n }, (_, i) => num(i));
    case 'float64': return Float64Array.from({ length: n }, (_, i) => num(i));
    case 'int64': return BigInt64Array.from({ length: n }, (_, i) => BigInt(v[i].toString()));
    case 'int32': return Int32Array.from({ length: n }, (_, i) => num(i));
    case 'uint32': return Uint32Array.from({ length: n }, (_, i) => num(i));
    case 'int8': return Int8Array.from({ length: n }, (_, i) => num(i));
    case 'uint8':
    case 'bool': return Uint8Array.from({ length: n }, (_, i) => num(i));
    case 'int16': return Int16Array.from({ length: n }, (_, i) => num(i));
    case 'uint16': return Uint16Array.from({ length: n }, (_, i) => num(i));
    case 'float16': return Float32Array.from({ length: n }, (_, i) => halfToFloat(num(i)));
  }
}

/** Parses a serialized TensorProto; returns its name ('' when unnamed) and the tensor. */
export function parseTensorProto(buf: Uint8Array, file = '<pb>'): { name: string; tensor: HostTensor } {
  let t: onnxProto.onnx.TensorProto;
  try {
    t = onnx.TensorProto.decode(buf);
  } catch (e) {
    fail(file, `not a serialized ONNX TensorProto (${(e as Error).message.split('\n')[0]})`);
  }
  const spec = TYPES[t.dataType];
  if (!spec) fail(file, `element type ${t.dataType} is not supported (float32/16/64, int8..int64, uint8..uint32, bool are)`);
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) fail(file, 'external data is not supported in input files');
  const dims = t.dims.map((d) => Number(d.toString()));
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) fail(file, `bad dims [${dims.join(', ')}]`);
  const n = elementCount(dims);
  if (n > MAX_ELEMENTS) fail(file, `dims [${dims.join(', ')}] hold ${n} elements, over the ${MAX_ELEMENTS} limit`);
  let data: HostTensor['data'];
  if (t.rawData && t.rawData.length > 0) {
    if (t.rawData.length !== n * spec.bytes) fail(file, `raw_data has ${t.rawData.length} bytes but dims [${dims.join(', ')}] of this type need ${n * spec.bytes}`);
    data = fromBytes(spec.type, t.rawData, n);
  } else {
    data = fromFields(spec.type, t, n, file);
  }
  return { name: t.name ?? '', tensor: { type: spec.type === 'float16' ? 'float32' : spec.type, data, dims } };
}
