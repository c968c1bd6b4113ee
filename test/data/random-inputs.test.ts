import { describe, expect, it } from 'vitest';
import { parseDimFlags, randomInputs, type InputSpec } from '../../src/data/random-inputs.ts';

const rec: InputSpec = { name: 'x', type: 'float32', shape: ['p2o.DynamicDimension.0', 3, 48, 'p2o.DynamicDimension.1'] };

describe('randomInputs', () => {
  it('resolves dynamic dims from --dim flags and is reproducible from the seed', () => {
    const dims = parseDimFlags(['p2o.DynamicDimension.0=1', 'p2o.DynamicDimension.1=64']);
    const a = randomInputs([rec], { count: 2, seed: 5, dims });
    const b = randomInputs([rec], { count: 2, seed: 5, dims });
    expect(a[0].x.dims).toEqual([1, 3, 48, 64]);
    expect(Array.from(a[1].x.data as Float32Array)).toEqual(Array.from(b[1].x.data as Float32Array));
    expect(Array.from(a[0].x.data as Float32Array)).not.toEqual(Array.from(a[1].x.data as Float32Array));
  });
  it('float inputs are standard normal (mean ≈ 0, variance ≈ 1 within 5 standard errors)', () => {
    const dims = parseDimFlags(['p2o.DynamicDimension.0=4', 'p2o.DynamicDimension.1=100']);
    const v = randomInputs([rec], { count: 1, seed: 1, dims })[0].x.data as Float32Array;
    const n = v.length;
    const mean = v.reduce((s, x) => s + x, 0) / n;
    const variance = v.reduce((s, x) => s + (x - mean) ** 2, 0) / n;
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(variance - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
  });
  it('names the missing dynamic dimension and the flag that sets it', () => {
    expect(() => randomInputs([rec], { count: 1, seed: 1 })).toThrow(/dynamic dimension 'p2o.DynamicDimension.0'/);
    expect(() => parseDimFlags(['oops'])).toThrow(/bad --dim 'oops'/);
    expect(() => parseDimFlags(['a=0'])).toThrow(/bad --dim/);
  });
  it('integer inputs stay in [0, intHigh) and allow positional dims', () => {
    const ids: InputSpec = { name: 'ids', type: 'int64', shape: [1, -1] };
    const t = randomInputs([ids], { count: 1, seed: 3, dims: new Map([['ids:1', 50]]), intHigh: 7 })[0].ids;
    expect(t.dims).toEqual([1, 50]);
    for (const v of t.data as BigInt64Array) expect(v >= 0n && v < 7n).toBe(true);
  });
});

describe('randomInputs for float16 inputs', () => {
  it('are the float32 draws of the same seed rounded to half precision, as raw bit patterns', async () => {
    const { halfToFloat, floatToHalf } = await import('../../src/data/half.ts');
    const { asFloat32 } = await import('../../src/data/tensor.ts');
    const f32 = randomInputs([{ name: 'x', type: 'float32', shape: [3, 50] }, { name: 'k', type: 'int64', shape: [4] }], { count: 2, seed: 9 });
    const f16 = randomInputs([{ name: 'x', type: 'float16', shape: [3, 50] }, { name: 'k', type: 'int64', shape: [4] }], { count: 2, seed: 9 });
    for (let s = 0; s < 2; s++) {
      const t = f16[s].x;
      expect(t.type).toBe('float16');
      expect(t.data).toBeInstanceOf(Uint16Array);
      expect(Array.from(t.data as Uint16Array)).toEqual(Array.from(f32[s].x.data as Float32Array, floatToHalf));
      expect(Array.from(asFloat32(t))).toEqual(Array.from(t.data as Uint16Array, halfToFloat));
      expect(f16[s].k.data).toEqual(f32[s].k.data); // the rest of the seed stream is unchanged
      for (const v of asFloat32(t)) expect(Number.isFinite(v)).toBe(true);
    }
  });

  it('bfloat16 inputs are a typed error naming --inputs (onnxruntime-node has no bfloat16 tensor)', async () => {
    const { isCoquantError } = await import('../../src/errors.ts');
    try {
      randomInputs([{ name: 'b', type: 'bfloat16', shape: [2] }], { count: 1, seed: 1 });
      expect.unreachable();
    } catch (e) {
      expect(isCoquantError(e) && e.code === 'E_INPUT_TYPE' && e.exitCode === 3).toBe(true);
      expect((e as Error).message).toMatch(/bfloat16.*--inputs/);
    }
  });
});
