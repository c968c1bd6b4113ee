/**
 * Tensor element data <-> wire forms: raw little-endian row-major bytes (binary extension) and
 * JSON `data` arrays. Every decoder checks the element count against the shape and names the
 * tensor in its error, so a malformed request is a 400, never a crash.
 */
import {
  ELEMENT_BYTES, elementCount, typedArrayCtor, type DataType, type NumericArray, type TensorData,
} from './datatypes.ts';
import { invalidArg } from './protocol-error.ts';

/** A named tensor as the protocol carries it. */
export interface InferTensor {
  name: string;
  datatype: DataType;
  shape: number[];
  data: TensorData;
}

const utf8 = new TextEncoder();
const utf8dec = new TextDecoder();

/** Checked element count of a shape (throws a 400 naming `where`). */
export function checkedCount(shape: readonly number[], where: string): number {
  const n = elementCount(shape);
  if (Number.isNaN(n)) throw invalidArg(`${where}: shape [${shape.join(',')}] is not a list of non-negative integers of safe size`, 'shape');
  return n;
}

/** Byte size of a fixed-size tensor; undefined for BYTES. */
export function fixedByteSize(dt: DataType, shape: readonly number[], where: string): number | undefined {
  if (dt === 'BYTES') return undefined;
  return checkedCount(shape, where) * ELEMENT_BYTES[dt];
}

/** Raw wire bytes of a tensor (a view, no copy, for numeric types). */
export function tensorToBytes(dt: DataType, data: TensorData): Uint8Array {
  if (dt === 'BYTES') {
    const els = data as Uint8Array[];
    let total = 0;
    for (const e of els) total += 4 + e.length;
    const out = new Uint8Array(total);
    const dv = new DataView(out.buffer);
    let off = 0;
    for (const e of els) {
      dv.setUint32(off, e.length, true);
      out.set(e, off + 4);
      off += 4 + e.length;
    }
    return out;
  }
  const a = data as NumericArray;
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Decodes one binary section. Views the bytes when aligned, copies otherwise. */
export function tensorFromBytes(dt: DataType, shape: readonly number[], bytes: Uint8Array, where: string): TensorData {
  const n = checkedCount(shape, where);
  if (dt === 'BYTES') {
    const els: Uint8Array[] = [];
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let off = 0;
    while (off < bytes.length) {
      if (off + 4 > bytes.length) throw invalidArg(`${where}: BYTES element ${els.length} at byte ${off} has a truncated 4-byte length prefix`, 'binary_size');
      const len = dv.getUint32(off, true);
      if (off + 4 + len > bytes.length) throw invalidArg(`${where}: BYTES element ${els.length} at byte ${off} claims ${len} bytes but only ${bytes.length - off - 4} remain`, 'binary_size');
      els.push(bytes.subarray(off + 4, off + 4 + len));
      off += 4 + len;
      if (els.length > n) break;
    }
    if (els.length !== n) throw invalidArg(`${where}: binary data holds ${els.length} BYTES elements but shape [${shape.join(',')}] needs ${n}`, 'binary_size');
    return els;
  }
  const size = ELEMENT_BYTES[dt];
  if (bytes.length !== n * size) {
    throw invalidArg(`${where}: binary data is ${bytes.length} bytes but ${dt} shape [${shape.join(',')}] needs ${n * size}`, 'binary_size');
  }
  const Ctor = typedArrayCtor(dt);
  if (bytes.byteOffset % size === 0) return new Ctor(bytes.buffer, bytes.byteOffset, n);
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return new Ctor(copy.buffer, 0, n);
}

/** Flattens nested JSON arrays (row-major), iteratively so deep nesting cannot blow the stack. */
function flatten(data: unknown, where: string): unknown[] {
  if (!Array.isArray(data)) throw invalidArg(`${where}: 'data' must be an array`, 'data');
  let flat = true;
  for (let i = 0; i < data.length; i++) if (Array.isArray(data[i])) { flat = false; break; }
  if (flat) return data;
  const out: unknown[] = [];
  const stack: Array<{ a: unknown[]; i: number }> = [{ a: data, i: 0 }];
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    if (top.i >= top.a.length) { stack.pop(); continue; }
    const v = top.a[top.i++];
    if (Array.isArray(v)) {
      if (stack.length > 64) throw invalidArg(`${where}: 'data' is nested more than 64 levels deep`, 'data');
      stack.push({ a: v, i: 0 });
    } else out.push(v);
  }
  return out;
}

const INT_RANGE: Partial<Record<DataType, [number, number]>> = {
  UINT8: [0, 255], INT8: [-128, 127], UINT16: [0, 65535], INT16: [-32768, 32767],
  UINT32: [0, 4294967295], INT32: [-2147483648, 2147483647],
};

/** Decodes a JSON `data` array; checks the element type and count. */
export function tensorFromJson(dt: DataType, shape: readonly number[], data: unknown, where: string): TensorData {
  const n = checkedCount(shape, where);
  if (dt === 'FP16' || dt === 'BF16') {
    throw invalidArg(`${where}: ${dt} cannot be carried as JSON numbers; send it as binary data (parameters.binary_data_size)`, 'datatype');
  }
  const flat = flatten(data, where);
  if (flat.length !== n) throw invalidArg(`${where}: 'data' has ${flat.length} elements but shape [${shape.join(',')}] needs ${n}`, 'element_count');
  const bad = (i: number, want: string): never => {
    throw invalidArg(`${where}: data[${i}] = ${JSON.stringify(flat[i])?.slice(0, 40)} is not ${want}`, 'data');
  };
  if (dt === 'BYTES') {
    const out: Uint8Array[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const v = flat[i];
      if (typeof v !== 'string') bad(i, 'a string');
      out[i] = utf8.encode(v as string);
    }
    return out;
  }
  if (dt === 'BOOL') {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const v = flat[i];
      if (typeof v !== 'boolean') bad(i, 'a boolean');
      out[i] = v ? 1 : 0;
    }
    return out;
  }
  if (dt === 'INT64' || dt === 'UINT64') {
    const out = dt === 'INT64' ? new BigInt64Array(n) : new BigUint64Array(n);
    const lo = dt === 'INT64' ? -(2 ** 63) : 0;
    const hi = dt === 'INT64' ? 2 ** 63 : 2 ** 64;
    for (let i = 0; i < n; i++) {
      const v = flat[i];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v >= hi) bad(i, `an integer in ${dt} range`);
      out[i] = BigInt(v as number);
    }
    return out;
  }
  const out = new (typedArrayCtor(dt))(n) as Exclude<NumericArray, BigInt64Array | BigUint64Array>;
  const range = INT_RANGE[dt];
  for (let i = 0; i < n; i++) {
    const v = flat[i];
    if (typeof v !== 'number') bad(i, 'a number');
    if (range && (!Number.isInteger(v) || (v as number) < range[0] || (v as number) > range[1])) bad(i, `an integer in ${dt} range`);
    out[i] = v as number;
  }
  return out;
}

/** JSON `data` for a tensor. 64-bit integers beyond 2^53 keep their exact digits via `jsonText`. */
export function tensorToJson(dt: DataType, data: TensorData): unknown[] {
  if (dt === 'FP16' || dt === 'BF16') throw new Error(`${dt} cannot be encoded as JSON numbers`);
  if (dt === 'BYTES') return (data as Uint8Array[]).map((e) => utf8dec.decode(e));
  if (dt === 'BOOL') return Array.from(data as Uint8Array, (v) => v !== 0);
  if (dt === 'INT64' || dt === 'UINT64') return Array.from(data as BigInt64Array, (v) => Number(v));
  return Array.from(data as Exclude<NumericArray, BigInt64Array | BigUint64Array>);
}

/** Exact JSON text of a tensor's data (used for 64-bit integers, whose digits JSON.stringify would round). */
export function tensorToJsonText(dt: DataType, data: TensorData): string {
  if (dt === 'INT64' || dt === 'UINT64') return `[${(data as BigInt64Array).join(',')}]`;
  return JSON.stringify(tensorToJson(dt, data));
}

export const textOf = (e: Uint8Array): string => utf8dec.decode(e);
export const bytesOf = (s: string): Uint8Array => utf8.encode(s);
