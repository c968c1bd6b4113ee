import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  chooseLevels,
  errorSums,
  fakeQuantize,
  forEachSlice,
  levelOfCode,
  levelParams,
  NonFiniteValueError,
  QuantConfigError,
  type QuantConfig,
  type QuantFamily,
} from '../../src/quant/index.ts';
import { decodeFp8, E4M3, E5M2, encodeFp8, roundToFp8 } from '../../src/quant/fp8-format.ts';
import { referenceFakeQuantize } from '../../src/quant/reference/fake-quantize.ts';
import { nearestDistance, nearestLevel, referenceLevels } from '../../src/quant/reference/level-sets.ts';

const FAMS: QuantFamily[] = ['uniform-symmetric', 'uniform-asymmetric', 'pot', 'fp8-e4m3', 'fp8-e5m2'];

/** Any finite float32 (subnormals, ±0 and values near FLT_MAX included), or a realistic small weight. */
const weight = fc.oneof(
  { weight: 1, arbitrary: fc.float({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 3, arbitrary: fc.double({ min: -0.2, max: 0.2, noNaN: true }).map(Math.fround) },
  { weight: 1, arbitrary: fc.constantFrom(0, -0, 1e-40, -3e-42, 1.4e-45) },
);

const tensor = fc
  .record({ rows: fc.integer({ min: 1, max: 5 }), cols: fc.integer({ min: 1, max: 9 }) })
  .chain(({ rows, cols }) =>
    fc.record({
      shape: fc.constant<number[]>([rows, cols]),
      values: fc.array(weight, { minLength: rows * cols, maxLength: rows * cols }).map((a) => Float32Array.from(a)),
    }),
  );

const config = fc.record({
  family: fc.constantFrom(...FAMS),
  bits: fc.integer({ min: 2, max: 16 }),
  granularity: fc.oneof(
    fc.constant({ kind: 'tensor' as const }),
    fc.constant({ kind: 'channel' as const }),
    fc.integer({ min: 1, max: 7 }).map((size) => ({ kind: 'group' as const, size })),
  ),
  range: fc.constantFrom('absmax' as const, 'clip-l1' as const, 'clip-mse' as const),
});

function maxAbs(v: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]));
  return m;
}

describe('fast quantizers match the brute-force references', () => {
  it('absmax: every output is a nearest level of the reference level set (to float rounding)', () => {
    // Invariant: |x − Q_fast(x)| ≤ min over reference levels |x − level| + (float32 output rounding).
    fc.assert(
      fc.property(tensor, config, ({ shape, values }, cfg) => {
        const c: QuantConfig = { ...cfg, range: 'absmax' };
        const fast = fakeQuantize(values, shape, c).values;
        const ref = referenceFakeQuantize(values, shape, c).values;
        const tol = 1.2e-7 * maxAbs(values) + 1.5e-45;
        for (let i = 0; i < values.length; i++) {
          const dFast = Math.abs(values[i] - fast[i]);
          const dRef = Math.abs(values[i] - ref[i]);
          if (!(dFast <= dRef + tol)) throw new Error(`element ${i}: fast ${fast[i]} ref ${ref[i]} x ${values[i]}`);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('per-tensor absmax: outputs are exactly float32-rounded members of the level set, and codes map back to them', () => {
    fc.assert(
      fc.property(tensor, fc.constantFrom(...FAMS), fc.integer({ min: 2, max: 12 }), ({ shape, values }, family, bits) => {
        const cfg: QuantConfig = { family, bits, granularity: { kind: 'tensor' }, range: 'absmax' };
        const { values: out, codes } = fakeQuantize(values, shape, cfg, { wantCodes: true });
        let lo = 0;
        let hi = 0;
        for (const x of values) {
          lo = Math.min(lo, x);
          hi = Math.max(hi, x);
        }
        // fakeQuantize saturates to ±FLT_MAX (an asymmetric top level can overshoot it near FLT_MAX)
        const f32 = (l: number) => Math.fround(Math.max(-3.4028234663852886e38, Math.min(3.4028234663852886e38, l)));
        const set = new Set(referenceLevels(family, bits, lo, hi).map(f32));
        const p = levelParams(family, bits, lo, hi);
        for (let i = 0; i < out.length; i++) {
          expect(set.has(out[i])).toBe(true);
          expect(f32(levelOfCode(p, codes![i])) === out[i]).toBe(true); // === treats -0 and 0 alike
        }
      }),
      { numRuns: 200 },
    );
  });

  it('clip-l1 / clip-mse: the fast search reaches the reference search objective (relative 1e-9)', () => {
    // Both run the same documented grid; the objective totals must agree to float rounding.
    fc.assert(
      fc.property(tensor, config, ({ shape, values }, cfg) => {
        if (cfg.range === 'absmax') return;
        const bits = cfg.family.startsWith('fp8') ? 8 : cfg.bits;
        const ref = referenceFakeQuantize(values, shape, cfg);
        let l1 = 0;
        let sq = 0;
        forEachSlice(values.length, shape, cfg.granularity, (s, e) => {
          const { sums } = chooseLevels(cfg.family, bits, cfg.range, values, null, s, e);
          l1 += sums[0];
          sq += sums[1];
        });
        const [got, want] = cfg.range === 'clip-l1' ? [l1, ref.l1Sum] : [sq, ref.sqSum];
        expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-9 * want + 1e-300);
      }),
      { numRuns: 150 },
    );
  });

  it('weighted error sums over distinct values equal the sums over the expanded tensor', () => {
    // The fp16 histogram shortcut relies on this: a per-tensor quantizer is a function of the value.
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -40, max: 40 }), { minLength: 1, maxLength: 200 }), fc.constantFrom(...FAMS), fc.integer({ min: 2, max: 16 }), (ints, family, bits) => {
        const v = Float32Array.from(ints, (k) => k * 0.013);
        const counts = new Map<number, number>();
        for (const x of v) counts.set(x, (counts.get(x) ?? 0) + 1);
        const dv = Float64Array.from(counts.keys());
        const dw = Float64Array.from(counts.values());
        const lo = Math.min(0, ...v);
        const hi = Math.max(0, ...v);
        const p = levelParams(family, bits, lo, hi);
        const a = errorSums(p, v, null, 0, v.length, new Float64Array(2));
        const b = errorSums(p, dv, dw, 0, dv.length, new Float64Array(2));
        expect(Math.abs(a[0] - b[0])).toBeLessThanOrEqual(1e-12 * a[0] + 1e-300);
        expect(Math.abs(a[1] - b[1])).toBeLessThanOrEqual(1e-12 * a[1] + 1e-300);
      }),
      { numRuns: 200 },
    );
  });

  it('pot levels are nested in bits, so the L1 error never grows with more bits', () => {
    fc.assert(
      fc.property(tensor, fc.integer({ min: 2, max: 15 }), ({ shape, values }, bits) => {
        const e = (b: number) => referenceFakeQuantize(values, shape, { family: 'pot', bits: b, granularity: { kind: 'tensor' }, range: 'absmax' }).l1Sum;
        expect(e(bits + 1)).toBeLessThanOrEqual(e(bits));
      }),
      { numRuns: 100 },
    );
  });
});

describe('fp8 (OCP) rounding', () => {
  it('every non-NaN code round-trips through decode and encode', () => {
    for (const f of [E4M3, E5M2]) {
      for (let code = 0; code < 256; code++) {
        const v = decodeFp8(code, f);
        if (!Number.isNaN(v)) expect(encodeFp8(v, f)).toBe(code);
      }
    }
    expect(decodeFp8(0x7e, E4M3)).toBe(448);
    expect(decodeFp8(0x7b, E5M2)).toBe(57344);
  });

  it('roundToFp8 equals the exhaustive nearest value with ties to even and saturation', () => {
    // Reference: nearest of the 254 (e4m3) / 248 (e5m2) finite values; on a tie the even code wins.
    const refRound = (y: number, f: typeof E4M3): number => {
      let best = Infinity;
      let arg = 0;
      for (let code = 0; code < 256; code++) {
        const v = decodeFp8(code, f);
        if (Number.isNaN(v)) continue;
        const d = Math.abs(y - v);
        if (d < best || (d === best && (code & 1) === 0 && v !== arg)) {
          best = d;
          arg = v;
        }
      }
      return arg;
    };
    const ys = fc.oneof(
      fc.double({ min: -1e6, max: 1e6, noNaN: true }),
      fc.double({ min: -1e-3, max: 1e-3, noNaN: true }),
      fc.integer({ min: -2000, max: 2000 }).map((k) => k * 2 ** -12), // hits exact ties often
    );
    for (const f of [E4M3, E5M2]) {
      fc.assert(
        fc.property(ys, (y) => {
          const got = roundToFp8(y, f);
          const want = refRound(y, f);
          expect(got === want || (got === 0 && want === 0)).toBe(true);
        }),
        { numRuns: 2000 },
      );
    }
  });
});

describe('edge cases', () => {
  const families = FAMS;
  it('all-zero tensors quantize to zeros with zero error', () => {
    for (const family of families) {
      for (const range of ['absmax', 'clip-l1', 'clip-mse'] as const) {
        const r = fakeQuantize(new Float32Array(12), [3, 4], { family, bits: 4, granularity: { kind: 'channel' }, range }, { wantCodes: true });
        expect([...r.values].every((x) => x === 0)).toBe(true);
      }
    }
  });

  it('a single huge outlier: absmax keeps it, clip-l1 sacrifices it for the small values', () => {
    const v = new Float32Array(1000);
    for (let i = 0; i < v.length; i++) v[i] = Math.fround(Math.sin(i) * 0.01);
    v[17] = 1e30;
    const shape = [1000];
    const abs = fakeQuantize(v, shape, { family: 'uniform-symmetric', bits: 8, granularity: { kind: 'tensor' }, range: 'absmax' });
    expect(abs.values[17]).toBe(v[17]);
    const err = (q: Float32Array) => q.reduce((s, x, i) => s + Math.abs(x - v[i]), 0);
    const clip = fakeQuantize(v, shape, { family: 'uniform-symmetric', bits: 8, granularity: { kind: 'tensor' }, range: 'clip-l1' });
    expect(err(clip.values)).toBeLessThanOrEqual(err(abs.values));
    for (const family of families) {
      const r = fakeQuantize(v, shape, { family, bits: 8, granularity: { kind: 'tensor' }, range: 'absmax' });
      expect(r.values.every(Number.isFinite)).toBe(true);
    }
  });

  it('subnormal-only tensors are quantized without producing non-finite values', () => {
    const v = Float32Array.from([1e-40, -2e-41, 1.4e-45, 0, 5e-39]);
    for (const family of families) {
      const r = fakeQuantize(v, [5], { family, bits: 6, granularity: { kind: 'tensor' }, range: 'absmax' });
      const ref = referenceFakeQuantize(v, [5], { family, bits: 6, granularity: { kind: 'tensor' }, range: 'absmax' });
      for (let i = 0; i < v.length; i++) expect(Math.abs(v[i] - r.values[i])).toBeLessThanOrEqual(Math.abs(v[i] - ref.values[i]) + 1.5e-45);
      expect(r.values[4]).toBeGreaterThan(0); // the largest subnormal is not flushed to zero
      expect(nearestDistance(referenceLevels(family, 6, -2e-41, 5e-39), 0)).toBe(0); // zero is always a level
    }
    expect(nearestLevel([0, 1], 0.4)).toBe(0);
  });

  it('NaN and Inf are rejected up front with a typed error naming the element', () => {
    const cfg: QuantConfig = { family: 'pot', bits: 4, granularity: { kind: 'tensor' }, range: 'absmax' };
    expect(() => fakeQuantize(Float32Array.from([1, NaN]), [2], cfg, { name: 'w' })).toThrow(NonFiniteValueError);
    expect(() => fakeQuantize(Float32Array.from([1, NaN]), [2], cfg, { name: 'w' })).toThrow(/w holds NaN at element 1/);
    expect(() => fakeQuantize(Float32Array.from([Infinity]), [1], cfg)).toThrow(NonFiniteValueError);
  });

  it('bad configs are rejected with typed errors', () => {
    const v = new Float32Array(4);
    const base: QuantConfig = { family: 'uniform-symmetric', bits: 4, granularity: { kind: 'tensor' }, range: 'absmax' };
    for (const bad of [
      { ...base, bits: 1 },
      { ...base, bits: 17 },
      { ...base, bits: 3.5 },
      { ...base, granularity: { kind: 'group' as const, size: 0 } },
      { ...base, family: 'int4' as QuantFamily },
      { ...base, range: 'percentile' as 'absmax' },
    ]) {
      expect(() => fakeQuantize(v, [4], bad)).toThrow(QuantConfigError);
    }
    expect(() => fakeQuantize(v, [3], base)).toThrow(QuantConfigError);
    // fp8 ignores bits, as documented
    expect(() => fakeQuantize(v, [4], { ...base, family: 'fp8-e4m3', bits: 99 })).not.toThrow();
  });
});
