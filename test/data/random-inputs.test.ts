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
