import { describe, expect, it } from 'vitest';
import { halfToFloat, parseNpy } from '../../src/data/npy.ts';

/** Builds .npy bytes by the format spec (magic, version, padded header, data), independently of the reader. */
function npy(descr: string, shape: number[], data: Uint8Array, opts: { version?: 1 | 2; fortran?: boolean } = {}): Uint8Array {
  const v = opts.version ?? 1;
  const dict = `{'descr': '${descr}', 'fortran_order': ${opts.fortran ? 'True' : 'False'}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const pre = v === 1 ? 10 : 12;
  const pad = 64 - ((pre + dict.length + 1) % 64);
  const header = dict + ' '.repeat(pad % 64) + '\n';
  const out = new Uint8Array(pre + header.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, v, 0]);
  const dv = new DataView(out.buffer);
  if (v === 1) dv.setUint16(8, header.length, true);
  else dv.setUint32(8, header.length, true);
  out.set(new TextEncoder().encode(header), pre);
  out.set(data, pre + header.length);
  return out;
}
const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

describe('parseNpy', () => {
  it('reads float32 with shape, in C order', () => {
    const v = new Float32Array([1, -2.5, 3, 4, 5, 6]);
    const t = parseNpy(npy('<f4', [2, 3], bytesOf(v)));
    expect(t.type).toBe('float32');
    expect(t.dims).toEqual([2, 3]);
    expect(Array.from(t.data as Float32Array)).toEqual([1, -2.5, 3, 4, 5, 6]);
  });
  it('widens float16 to float32 exactly, reads float64, int64 and version-2 headers', () => {
    // 0x3c00 = 1, 0xc000 = -2, 0x7bff = 65504 (max half), 0x0001 = 2^-24 (smallest subnormal)
    const h = new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001]);
    expect(Array.from(parseNpy(npy('<f2', [4], bytesOf(h))).data as Float32Array)).toEqual([1, -2, 65504, 2 ** -24]);
    expect(halfToFloat(0x7c00)).toBe(Infinity);
    const d = parseNpy(npy('<f8', [2], bytesOf(new Float64Array([Math.PI, -1])), { version: 2 }));
    expect(d.type).toBe('float64');
    expect(Array.from(d.data as Float64Array)).toEqual([Math.PI, -1]);
    const i = parseNpy(npy('<i8', [1, 2], bytesOf(new BigInt64Array([7n, -3n]))));
    expect(i.type).toBe('int64');
    expect(Array.from(i.data as BigInt64Array)).toEqual([7n, -3n]);
    const s = parseNpy(npy('<f4', [], bytesOf(new Float32Array([2]))));
    expect(s.dims).toEqual([]);
  });
  it('rejects bad magic, truncation, big-endian and Fortran order with typed errors naming the file', () => {
    expect(() => parseNpy(new Uint8Array(20), 'a.npy')).toThrow(/a\.npy: not a \.npy file/);
    const good = npy('<f4', [4], bytesOf(new Float32Array(4)));
    expect(() => parseNpy(good.subarray(0, good.length - 3), 'b.npy')).toThrow(/needs 16 data bytes .* holds 13/);
    expect(() => parseNpy(npy('>f4', [1], new Uint8Array(4)), 'c.npy')).toThrow(/unsupported dtype '>f4'/);
    expect(() => parseNpy(npy('<f4', [1], new Uint8Array(4), { fortran: true }), 'd.npy')).toThrow(/Fortran/);
    try {
      parseNpy(new Uint8Array(3), 'e.npy');
    } catch (e) {
      expect((e as { code: string }).code).toBe('E_NPY');
    }
  });
  it('does not allocate for a header that claims a huge shape', () => {
    expect(() => parseNpy(npy('<f4', [1e9, 1e9], new Uint8Array(8)), 'f.npy')).toThrow(/needs/);
  });
});
