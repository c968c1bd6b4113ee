import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeInto, float16Table, toFloat32 } from '../../src/io/decode.ts';
import { encodeFloat16Into, float32ToBFloat16Bits, float32ToFloat16Bits, fromFloat32 } from '../../src/io/encode.ts';
import type { TensorInfo } from '../../src/io/types.ts';

/** fp16 value from its bits by the textbook formula, independent of the table's bit tricks. */
function f16ByFormula(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0x1f) return m ? Number.NaN : s * Infinity;
  if (e === 0) return s * m * 2 ** -24;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

const table = float16Table();
/** All finite non-negative fp16 values in increasing order (bits 0x0000..0x7bff are monotone). */
const POS = Array.from({ length: 0x7c00 }, (_, h) => table[h]);

/** Nearest fp16 by search over every representable value, ties to the even pattern. */
function f16ByBruteForce(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  // Values at or above 65504 + half an ulp (65520) round to Inf.
  if (a >= 65520) return sign | 0x7c00;
  let lo = 0;
  let hi = POS.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (POS[mid] <= a) lo = mid;
    else hi = mid;
  }
  const dl = a - POS[lo];
  const dh = POS[hi] - a;
  const pick = dl < dh ? lo : dh < dl ? hi : lo % 2 === 0 ? lo : hi;
  return sign | pick;
}

describe('decode', () => {
  it('fp16 table equals the textbook formula for all 65536 patterns', () => {
    const bad: number[] = [];
    for (let h = 0; h < 65536; h++) {
      const want = Math.fround(f16ByFormula(h));
      const ok = Number.isNaN(want) ? Number.isNaN(table[h]) : Object.is(table[h], want);
      if (!ok) bad.push(h);
    }
    expect(bad).toEqual([]);
  });

  it('bulk fp16 decode (pairs and single path) equals a per-element table lookup for any length and 2-byte offset', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 0, maxLength: 41 }), fc.constantFrom(0, 2, 4), (hs, pad) => {
        const backing = new Uint8Array(pad + hs.length * 2);
        hs.forEach((h, i) => new DataView(backing.buffer).setUint16(pad + 2 * i, h, true));
        const out = new Float32Array(hs.length);
        decodeInto('float16', backing.subarray(pad), out);
        const outBits = new Uint32Array(out.buffer);
        const tableBits = new Uint32Array(table.buffer);
        hs.forEach((h, i) => expect(outBits[i]).toBe(tableBits[h]));
      }),
      { numRuns: 300 },
    );
  });

  it('fp32 → fp16 rounds to the nearest representable value, ties to even (brute force over all fp16 values)', () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true, min: -70000, max: 70000 }), (x) => {
        expect(float32ToFloat16Bits(x)).toBe(f16ByBruteForce(Math.fround(x)));
      }),
      { numRuns: 5000 },
    );
    // Exact midpoints between neighbours, where ties-to-even matters, incl. subnormals.
    for (const h of [0, 1, 2, 0x3ff, 0x400, 0x3c00, 0x3c01, 0x7bfe]) {
      const mid = (table[h] + table[h + 1]) / 2;
      expect(float32ToFloat16Bits(mid)).toBe(f16ByBruteForce(mid));
    }
  });

  it('bulk fp16 encoder agrees with the scalar one, and decode ∘ encode is the identity on every finite fp16', () => {
    const all = Float32Array.from({ length: 65536 }, (_, h) => table[h]);
    const out = new Uint16Array(65536);
    encodeFloat16Into(all, out);
    const bad: number[] = [];
    for (let h = 0; h < 65536; h++) if (!Number.isNaN(all[h]) && out[h] !== h) bad.push(h);
    expect(bad).toEqual([]);
    fc.assert(
      fc.property(fc.float32Array({ minLength: 1, maxLength: 64 }), (v) => {
        const bulk = new Uint16Array(v.length);
        encodeFloat16Into(v, bulk);
        v.forEach((x, i) => {
          if (!Number.isNaN(x)) expect(bulk[i]).toBe(float32ToFloat16Bits(x));
        });
      }),
    );
  });

  it('bf16 round to nearest even matches the definition on the fp32 bit pattern', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (bits) => {
        const x = new Float32Array(Uint32Array.of(bits).buffer)[0];
        const got = float32ToBFloat16Bits(x);
        if (Number.isNaN(x)) {
          expect(Number.isNaN(new Float32Array(Uint32Array.of(got << 16).buffer)[0])).toBe(true);
          return;
        }
        // Independent: candidates are truncation and truncation+1; pick the closer, ties to even.
        const lo = bits >>> 16;
        const vLo = new Float32Array(Uint32Array.of(lo << 16).buffer)[0];
        let vHi = new Float32Array(Uint32Array.of(((lo + 1) & 0xffff) << 16).buffer)[0];
        // Past the largest finite value the next step is 2^128 in magnitude (IEEE overflow rule).
        if (!Number.isFinite(vHi) && Number.isFinite(vLo)) vHi = Math.sign(vLo || 1) * 2 ** 128;
        const dl = Math.abs(x - vLo);
        const dh = Math.abs(vHi - x);
        const want = dl < dh ? lo : dh < dl ? (lo + 1) & 0xffff : lo % 2 === 0 ? lo : (lo + 1) & 0xffff;
        expect(got).toBe(want);
      }),
      { numRuns: 5000 },
    );
  });

  it('toFloat32 handles misaligned byte views and every dtype by value', () => {
    const info = (dtype: TensorInfo['dtype'], size: number, eb: number): TensorInfo => ({ name: 't', shape: [size], dtype, size, byteLength: size * eb, origin: { kind: 'onnx-initializer' } });
    const backing = new Uint8Array(1 + 12);
    backing.set(new Uint8Array(Float32Array.of(1.5, -2, 3).buffer), 1);
    expect(Array.from(toFloat32({ info: info('float32', 3, 4), bytes: backing.subarray(1) }))).toEqual([1.5, -2, 3]);
    const i64 = new Uint8Array(BigInt64Array.of(-5n, 7n).buffer);
    expect(Array.from(toFloat32({ info: info('int64', 2, 8), bytes: i64 }))).toEqual([-5, 7]);
    const out = new Float32Array(5);
    expect(decodeInto('int8', Int8Array.of(-3, 4) as unknown as Uint8Array, out, 3)).toBe(2);
    expect(Array.from(out)).toEqual([0, 0, 0, -3, 4]);
    expect(() => toFloat32({ info: info('float32', 3, 4), bytes: new Uint8Array(8) })).toThrow(/needs 12/);
  });

  it('fromFloat32 keeps values representable in the target dtype bit-exact', () => {
    const v = Float32Array.of(0.5, -3, 1024, 2 ** -14);
    for (const dt of ['float32', 'float16', 'bfloat16', 'float64'] as const) {
      const bytes = fromFloat32(v, dt);
      const back = toFloat32({ info: { name: 'x', shape: [4], dtype: dt, size: 4, byteLength: bytes.length, origin: { kind: 'onnx-initializer' } }, bytes });
      expect(Array.from(back)).toEqual(Array.from(v));
    }
    expect(() => fromFloat32(v, 'int8')).toThrow(/int8/);
  });
});
