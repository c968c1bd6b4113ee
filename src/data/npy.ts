/**
 * Reader for NumPy .npy files (format versions 1.0, 2.0 and 3.0), little-endian or
 * byte-order-free types only, C order only. The header is checked against the file size
 * before any data is allocated, so a corrupt header cannot trigger a huge allocation.
 */
import { readFile } from 'node:fs/promises';
import { CoquantError } from '../errors.ts';
import { halfToFloat } from './half.ts';
import type { HostTensor, HostTensorType } from './tensor.ts';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** descr → (element bytes, host type). float16 is widened to float32 on read. */
const DESCR: Record<string, { bytes: number; type: HostTensorType | 'float16' }> = {
  '<f4': { bytes: 4, type: 'float32' },
  '<f2': { bytes: 2, type: 'float16' },
  '<f8': { bytes: 8, type: 'float64' },
  '|i1': { bytes: 1, type: 'int8' },
  '<i1': { bytes: 1, type: 'int8' },
  '|u1': { bytes: 1, type: 'uint8' },
  '<u1': { bytes: 1, type: 'uint8' },
  '<i2': { bytes: 2, type: 'int16' },
  '<u2': { bytes: 2, type: 'uint16' },
  '<i4': { bytes: 4, type: 'int32' },
  '<u4': { bytes: 4, type: 'uint32' },
  '<i8': { bytes: 8, type: 'int64' },
  '|b1': { bytes: 1, type: 'bool' },
};

export class NpyError extends CoquantError {
  constructor(file: string, what: string, hint?: string) {
    super('E_NPY', `${file}: ${what}`, { hint });
  }
}

/** IEEE half → float (used for '<f2'); it lives in half.ts beside its inverse. */
export { halfToFloat };

/** Parses .npy bytes; `name` is used in error messages. */
export function parseNpy(buf: Uint8Array, name = '<npy>'): HostTensor {
  if (buf.length < 10 || MAGIC.some((b, i) => buf[i] !== b)) throw new NpyError(name, 'not a .npy file (bad magic at byte 0)');
  const major = buf[6];
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = dv.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) throw new NpyError(name, 'truncated header (file shorter than 12 bytes)');
    headerLen = dv.getUint32(8, true);
    headerStart = 12;
  } else {
    throw new NpyError(name, `unsupported .npy format version ${major}.${buf[7]} (byte 6)`);
  }
  const dataStart = headerStart + headerLen;
  if (headerLen > 1 << 20 || dataStart > buf.length) throw new NpyError(name, `header length ${headerLen} at byte 8 runs past the end of the file (${buf.length} bytes)`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(buf.subarray(headerStart, dataStart));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new NpyError(name, `malformed header dictionary: ${header.trim().slice(0, 120)}`);
  const spec = DESCR[descr];
  if (!spec) {
    const hint = descr.startsWith('>') ? 'big-endian arrays are not supported; save with arr.astype(arr.dtype.newbyteorder("<"))' : 'use float32/float16/float64 or an integer type';
    throw new NpyError(name, `unsupported dtype '${descr}'`, hint);
  }
  if (fortran === 'True') throw new NpyError(name, 'Fortran-order arrays are not supported', 'save with np.save(f, np.ascontiguousarray(arr))');
  const dims = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const v = Number(s.replace(/L$/, ''));
      if (!Number.isSafeInteger(v) || v < 0) throw new NpyError(name, `bad dimension '${s}' in shape`);
      return v;
    });
  const count = dims.reduce((a, b) => a * b, 1);
  const need = count * spec.bytes;
  if (!Number.isSafeInteger(need) || buf.length - dataStart !== need) {
    throw new NpyError(name, `shape (${dims.join(', ')}) of '${descr}' needs ${need} data bytes from byte ${dataStart}, but the file holds ${buf.length - dataStart}`);
  }
  // Copy so the result is aligned and independent of the file buffer. (Buffer#slice is a view, so
  // the copy goes through Uint8Array's slice: a view of a pooled Buffer would expose the whole pool.)
  const raw = Uint8Array.prototype.slice.call(buf, dataStart, dataStart + need);
  const ab = raw.buffer;
  switch (spec.type) {
    case 'float16': {
      const h = new Uint16Array(ab);
      const f = new Float32Array(count);
      for (let i = 0; i < count; i++) f[i] = halfToFloat(h[i]);
      return { type: 'float32', data: f, dims };
    }
    case 'float32':
      return { type: 'float32', data: new Float32Array(ab), dims };
    case 'float64':
      return { type: 'float64', data: new Float64Array(ab), dims };
    case 'int8':
      return { type: 'int8', data: new Int8Array(ab), dims };
    case 'uint8':
      return { type: 'uint8', data: new Uint8Array(ab), dims };
    case 'bool':
      return { type: 'bool', data: new Uint8Array(ab), dims };
    case 'int16':
      return { type: 'int16', data: new Int16Array(ab), dims };
    case 'uint16':
      return { type: 'uint16', data: new Uint16Array(ab), dims };
    case 'int32':
      return { type: 'int32', data: new Int32Array(ab), dims };
    case 'uint32':
      return { type: 'uint32', data: new Uint32Array(ab), dims };
    case 'int64':
      return { type: 'int64', data: new BigInt64Array(ab), dims };
  }
}

export async function readNpy(path: string): Promise<HostTensor> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    throw new CoquantError('E_NPY', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { cause: e });
  }
  return parseNpy(buf, path);
}

/** Casts to float32 (the usual input type of float models). */
export function toFloat32Tensor(t: HostTensor): HostTensor {
  if (t.type === 'float32') return t;
  const f = new Float32Array(t.data.length);
  for (let i = 0; i < f.length; i++) f[i] = Number(t.data[i]);
  return { type: 'float32', data: f, dims: t.dims };
}
