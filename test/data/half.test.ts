/**
 * float16 ↔ number (src/data/half.ts): the encoder is checked against the decoder (plain
 * arithmetic, independent of the encoder's bit manipulation) on every one of the 65,536 patterns,
 * and on the points where rounding decides.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { floatToHalf, halfToFloat } from '../../src/data/half.ts';

describe('float16', () => {
  it('every half pattern round-trips exactly (NaNs stay NaN)', () => {
    for (let h = 0; h < 0x10000; h++) {
      const v = halfToFloat(h);
      if (Number.isNaN(v)) expect(Number.isNaN(halfToFloat(floatToHalf(v)))).toBe(true);
      else expect(floatToHalf(v), `pattern ${h.toString(16)}`).toBe(h);
    }
  });

  it('rounds to the nearest half, ties to even, overflowing to ±Infinity', () => {
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // tie between 1 and 1+2^-10: even (1)
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie: even (1 + 2·2^-10)
    expect(floatToHalf(65504)).toBe(0x7bff);
    expect(floatToHalf(65520)).toBe(0x7c00); // the tie above the largest half rounds to Infinity
    expect(floatToHalf(-1e9)).toBe(0xfc00);
    expect(floatToHalf(2 ** -25)).toBe(0); // tie between 0 and the smallest subnormal: even (0)
    expect(floatToHalf(1.5 * 2 ** -25)).toBe(1);
    expect(floatToHalf(-0)).toBe(0x8000);
  });

  it('is the nearest half for any float (no half lies closer)', () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true, min: -70000, max: 70000 }), (x) => {
        const h = floatToHalf(x);
        const v = halfToFloat(h);
        if (!Number.isFinite(v)) return Math.abs(x) >= 65520;
        const err = Math.abs(v - x);
        // the neighbours of h (same sign direction): neither is strictly closer
        for (const n of [h - 1, h + 1]) {
          if (n < 0 || n > 0xffff || (n & 0x7c00) === 0x7c00) continue;
          if ((n & 0x8000) !== (h & 0x8000)) continue;
          if (Math.abs(halfToFloat(n) - x) < err) return false;
        }
        return true;
      }),
    );
  });
});
