/**
 * Raw little-endian tensor bytes → Float32Array, the one numeric form every quantizer and
 * profiler works on. fp16 goes through a 65536-entry table (one lookup per element, no
 * branches); bf16 is the top half of an fp32, so it is a 16-bit shift.
 */
import { endianness } from 'node:os';
import { DTYPE_BYTES, type DType, type RawTensor, type TensorInfo } from './types.ts';
import { ModelFormatError, NonFiniteWeightError } from './errors.ts';

if (endianness() !== 'LE') {
  // Every typed-array view below assumes a little-endian host, as the file formats do.
  throw new Error('coquant model I/O requires a little-endian host');
}

let f16Table: Float32Array | undefined;

/** fp16 bit pattern → fp32 value for all 65536 patterns (subnormals, ±Inf, NaN included). */
export function float16Table(): Float32Array {
  if (f16Table) return f16Table;
  const bits = new Uint32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >>> 10) & 0x1f;
    const man = h & 0x3ff;
    if (exp === 0x1f) {
      bits[h] = sign | 0x7f800000 | (man << 13);
    } else if (exp !== 0) {
      bits[h] = sign | ((exp + 112) << 23) | (man << 13);
    } else if (man === 0) {
      bits[h] = sign;
    } else {
      // Subnormal: renormalise the mantissa into an fp32 normal.
      let e = 113;
      let m = man;
      while ((m & 0x400) === 0) {
        m <<= 1;
        e--;
      }
      bits[h] = sign | (e << 23) | ((m & 0x3ff) << 13);
    }
  }
  f16Table = new Float32Array(bits.buffer);
  return f16Table;
}

let f16Bits: Uint32Array | undefined;
function float16Bits(): Uint32Array {
  f16Bits ??= new Uint32Array(float16Table().buffer);
  return f16Bits;
}

// Hot loops live in small monomorphic functions: inside the big dtype switch V8 optimises them
// several times worse.
function gather16(table: Uint32Array, src: Uint16Array, dst: Uint32Array, n: number): void {
  for (let i = 0; i < n; i++) dst[i] = table[src[i]];
}
/** Two fp16 per 32-bit load (little-endian: low half first); ~1.7x the one-at-a-time loop. */
function gather16x2(table: Uint32Array, src: Uint32Array, dst: Uint32Array, pairs: number): void {
  for (let j = 0, i = 0; j < pairs; j++, i += 2) {
    const u = src[j];
    dst[i] = table[u & 0xffff];
    dst[i + 1] = table[u >>> 16];
  }
}
function shift16(src: Uint16Array, dst: Uint32Array, n: number): void {
  for (let i = 0; i < n; i++) dst[i] = src[i] << 16;
}

/** A view of `bytes` as `T`, copying only when the offset is misaligned for the element size. */
function aligned(bytes: Uint8Array, elem: number): ArrayBuffer | SharedArrayBuffer {
  if (bytes.byteOffset % elem === 0) return bytes.buffer;
  // A real copy even for a Node Buffer, whose own slice() is a view of the same memory.
  return Uint8Array.prototype.slice.call(bytes).buffer;
}
function offsetOf(bytes: Uint8Array, elem: number): number {
  return bytes.byteOffset % elem === 0 ? bytes.byteOffset : 0;
}

/**
 * Decodes `bytes` (elements of `dtype`) into `out` starting at `outOffset`. Returns the
 * element count. Integer types are converted by value (no scale: they are not dequantized).
 */
export function decodeInto(dtype: DType, bytes: Uint8Array, out: Float32Array, outOffset = 0): number {
  const size = DTYPE_BYTES[dtype];
  if (bytes.length % size !== 0) {
    throw new ModelFormatError('E_SHAPE_MISMATCH', `${bytes.length} bytes is not a whole number of ${dtype} elements`);
  }
  const n = bytes.length / size;
  if (outOffset + n > out.length) throw new RangeError(`decodeInto: output holds ${out.length} values, needs ${outOffset + n}`);
  const buf = aligned(bytes, size);
  const off = offsetOf(bytes, size);
  switch (dtype) {
    case 'float32':
      out.set(new Float32Array(buf, off, n), outOffset);
      break;
    case 'float16': {
      // Copy bit patterns as integers: faster than float loads/stores and keeps NaN payloads.
      const t = float16Bits();
      const src = new Uint16Array(buf, off, n);
      const dst = new Uint32Array(out.buffer, out.byteOffset + outOffset * 4, n);
      if (off % 4 === 0 && n > 1) {
        const pairs = n >>> 1;
        gather16x2(t, new Uint32Array(buf, off, pairs), dst, pairs);
        if (n & 1) dst[n - 1] = t[src[n - 1]];
      } else {
        gather16(t, src, dst, n);
      }
      break;
    }
    case 'bfloat16': {
      shift16(new Uint16Array(buf, off, n), new Uint32Array(out.buffer, out.byteOffset + outOffset * 4, n), n);
      break;
    }
    case 'float64':
      out.set(new Float64Array(buf, off, n), outOffset);
      break;
    case 'int8':
      out.set(new Int8Array(buf, off, n), outOffset);
      break;
    case 'uint8':
    case 'bool':
      out.set(new Uint8Array(buf, off, n), outOffset);
      break;
    case 'int16':
      out.set(new Int16Array(buf, off, n), outOffset);
      break;
    case 'uint16':
      out.set(new Uint16Array(buf, off, n), outOffset);
      break;
    case 'int32':
      out.set(new Int32Array(buf, off, n), outOffset);
      break;
    case 'uint32':
      out.set(new Uint32Array(buf, off, n), outOffset);
      break;
    case 'int64': {
      const src = new BigInt64Array(buf, off, n);
      for (let i = 0; i < n; i++) out[outOffset + i] = Number(src[i]);
      break;
    }
    case 'uint64': {
      const src = new BigUint64Array(buf, off, n);
      for (let i = 0; i < n; i++) out[outOffset + i] = Number(src[i]);
      break;
    }
    case 'complex64':
    case 'complex128':
      throw new ModelFormatError('E_UNSUPPORTED', `cannot convert ${dtype} values to real float32`);
  }
  return n;
}

/** The whole tensor as a fresh Float32Array (callers may mutate it). */
export function toFloat32(raw: RawTensor): Float32Array {
  const { info, bytes } = raw;
  if (bytes.length !== info.byteLength) {
    throw new ModelFormatError(
      'E_SHAPE_MISMATCH',
      `tensor '${info.name}': ${bytes.length} bytes, but shape [${info.shape.join(', ')}] of ${info.dtype} needs ${info.byteLength}`,
    );
  }
  const out = new Float32Array(info.size);
  decodeInto(info.dtype, bytes, out);
  return out;
}

/** Row-major multi-index of flat element `i`, for messages. */
export function multiIndex(shape: readonly number[], i: number): number[] {
  const idx = new Array<number>(shape.length).fill(0);
  let r = i;
  for (let d = shape.length - 1; d >= 0; d--) {
    const s = shape[d] || 1;
    idx[d] = r % s;
    r = Math.floor(r / s);
  }
  return idx;
}

/**
 * Throws `E_NON_FINITE` naming the tensor and the first NaN/Inf element. `start` is the
 * index of `values[0]` within the tensor, for callers that check a streamed chunk.
 */
export function assertFinite(values: ArrayLike<number>, info: Pick<TensorInfo, 'name' | 'shape'>, start = 0): void {
  const n = values.length;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    // v - v is 0 for every finite v and NaN for NaN and ±Inf.
    if (v - v !== 0) {
      const flat = start + i;
      const what = Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
      const at = info.shape.length > 1 ? ` [${multiIndex(info.shape, flat).join(', ')}]` : '';
      throw new NonFiniteWeightError(`tensor '${info.name}': element ${flat}${at} is ${what}`);
    }
  }
}
