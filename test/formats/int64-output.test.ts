import { describe, expect, it } from 'vitest';
import { compareOutputs, runnerFor } from '../../src/formats/compare-outputs.ts';
import { withArgmaxOutput } from '../../src/formats/argmax-output.ts';
import { mlpModel, randn } from './tiny-models.ts';

describe('output distortion of a model with an int64 output (regression: BigInt could not convert to a number)', () => {
  it('compares ArgMax indices as numbers: identical models give 0, a different model a positive mean |Δ|', async () => {
    const a = withArgmaxOutput(mlpModel(32, 64, 10, 1).bytes);
    const b = withArgmaxOutput(mlpModel(32, 64, 10, 2).bytes);
    const feeds = [1, 2, 3, 4].map((s) => ({ x: { type: 'float32' as const, data: randn(8 * 32, s), dims: [8, 32] } }));
    const ra = await runnerFor(a);
    const rb = await runnerFor(b);
    try {
      const y = await ra.run(feeds[0]);
      expect(y[0]).toBeInstanceOf(Float32Array);
      expect(y[0].length).toBe(8);
      expect(y[0].every((v) => Number.isInteger(v) && v >= 0 && v < 10)).toBe(true);
      expect((await compareOutputs(ra.run, ra.run, feeds)).meanAbs).toBe(0);
      expect((await compareOutputs(ra.run, rb.run, feeds)).meanAbs).toBeGreaterThan(0);
    } finally {
      await ra.release();
      await rb.release();
    }
  });
});

describe('outputs whose size depends on the values', () => {
  it('a size change after quantization is E_OUTPUT_MISMATCH with a hint to cut before the operator', async () => {
    // Invariant: when the candidate's output has a different element count (NonZero after a
    // quantized MatMul), the comparison refuses with exit 3 and a followable hint, never a bare error.
    const feeds = [{ x: { type: 'float32' as const, data: new Float32Array(4), dims: [4] } }];
    const ref = async () => [new Float32Array(6)];
    const cand = async () => [new Float32Array(4)];
    await expect(compareOutputs(ref, cand, feeds)).rejects.toMatchObject({ code: 'E_OUTPUT_MISMATCH', exitCode: 3, hint: expect.stringContaining('coquant split MODEL --at') });
  });
});
