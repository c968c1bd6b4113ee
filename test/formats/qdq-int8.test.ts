/**
 * QDQ int8 on small generated models: outputs stay close to fp32, weights are really stored as
 * int8, and onnxruntime's CPU provider really runs integer kernels (QLinearConv, QLinearMatMul /
 * MatMulIntegerToFloat) with no quantized weight feeding a float kernel.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFormatReport, serializeFormatReport } from '../../src/documents/format-report-document.ts';
import { quantizeToFormat } from '../../src/formats/index.ts';
import { DT, decodeModel } from '../../src/formats/onnx-graph.ts';
import { quantizeValue, roundHalfEven, uint8Params } from '../../src/formats/quant-params.ts';
import { convModel, mlpModel, randn } from './tiny-models.ts';

const feedsOf = (name: string, dims: number[], count: number, seed: number) =>
  Array.from({ length: count }, (_, i) => ({ [name]: { type: 'float32' as const, data: randn(dims.reduce((a, b) => a * b, 1), seed + i), dims } }));

describe('quantization parameters', () => {
  it('rounds half to even like QuantizeLinear', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, 2, 3]);
  });
  it('uint8 parameters represent 0 exactly and keep every in-range value within half a step', () => {
    fc.assert(
      fc.property(fc.double({ min: -50, max: 50, noNaN: true }), fc.double({ min: 0, max: 50, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (lo, width, t) => {
        const hi = lo + width;
        const p = uint8Params(lo, hi);
        expect((quantizeValue(0, p, 0, 255) - p.zeroPoint) * p.scale).toBe(0);
        const a = Math.min(0, lo);
        const b = Math.max(0, hi);
        const x = a + t * (b - a);
        const xq = (quantizeValue(x, p, 0, 255) - p.zeroPoint) * p.scale;
        expect(Math.abs(xq - x)).toBeLessThanOrEqual(p.scale / 2 + 1e-9 * Math.max(1, Math.abs(x)));
      }),
      { numRuns: 300 },
    );
  });
});

describe('qdq-int8 on generated models', () => {
  it('Conv model (opset 11): output close to fp32, int8 weights, all Convs run as QLinearConv', async () => {
    const bytes = convModel(3);
    const calib = feedsOf('x', [1, 3, 16, 16], 6, 100);
    const evalFeeds = feedsOf('x', [1, 3, 16, 16], 4, 200);
    const { bytes: q, report } = await quantizeToFormat({ modelBytes: bytes, format: 'qdq-int8', calibration: calib, evaluation: evalFeeds });
    expect(report.quantizedNodes).toEqual({ Conv: 3 });
    expect(report.leftFloat).toEqual([]);
    expect(report.opset?.to).toBe(13);
    const m = decodeModel(q);
    const int8 = m.graph!.initializer!.filter((t) => t.dataType === DT.INT8 && (t.dims?.length ?? 0) === 4);
    expect(int8.length).toBe(3);
    expect(m.graph!.initializer!.some((t) => t.dataType === DT.FLOAT && (t.dims?.length ?? 0) === 4)).toBe(false);
    expect(report.census!.ops['com.microsoft:QLinearConv']).toBe(3);
    expect(report.census!.floatComputeOps).toBe(0);
    expect(report.census!.fallbacks).toEqual([]);
    // 8-bit activations and weights: a few percent relative error at most on this small net.
    expect(report.distortion!.vsFp32.relL2).toBeLessThan(0.05);
    expect(report.distortion!.vsFp32.relL2).toBeGreaterThan(0); // really quantized
  });

  it('MLP: MatMul+Add (fused to Gemm by onnxruntime) runs as QGemm, output MatMul as MatMulIntegerToFloat; close to fp32', async () => {
    const { bytes } = mlpModel(64, 48, 10, 9);
    const calib = feedsOf('x', [4, 64], 6, 300);
    const { report } = await quantizeToFormat({ modelBytes: bytes, format: 'qdq-int8', calibration: calib, evaluation: feedsOf('x', [4, 64], 3, 400) });
    expect(report.quantizedNodes).toEqual({ Gemm: 1, MatMul: 1 });
    expect(report.census!.floatComputeOps).toBe(0);
    expect(report.census!.integerOps).toBe(2);
    expect(report.census!.ops['com.microsoft:MatMulIntegerToFloat']).toBe(1);
    expect(report.census!.ops['com.microsoft:QGemm']).toBe(1);
    expect(report.distortion!.vsFp32.relL2).toBeLessThan(0.03);
  });

  it('opt-in Add/Mul: the swish Mul of two activations runs as QLinearMul, output still close', async () => {
    const calib = feedsOf('x', [1, 3, 16, 16], 6, 100);
    const { report } = await quantizeToFormat({ modelBytes: convModel(3), format: 'qdq-int8', calibration: calib, evaluation: calib.slice(0, 2), ops: ['Conv', 'Mul'] });
    expect(report.quantizedNodes).toEqual({ Conv: 3, Mul: 1 });
    expect(report.census!.ops['com.microsoft:QLinearMul']).toBe(1);
    expect(report.distortion!.vsFp32.relL2).toBeLessThan(0.06);
  });

  it('refuses to run without calibration inputs', async () => {
    await expect(quantizeToFormat({ modelBytes: convModel(1), format: 'qdq-int8', calibration: [] })).rejects.toThrow(/calibration/);
  });
});

describe('int4 and fake through the engine', () => {
  it('int4 on an MLP: both MatMuls become MatMulNBits, covered weights ≥ 6× smaller at block 64, distortion reported', async () => {
    const { bytes } = mlpModel(256, 128, 64, 5);
    const { report } = await quantizeToFormat({ modelBytes: bytes, format: 'int4', blockSize: 64, evaluation: feedsOf('x', [2, 256], 2, 500) });
    expect(report.census!.ops['com.microsoft:MatMulNBits']).toBe(2);
    expect(report.covered.ratio).toBeGreaterThanOrEqual(6);
    expect(report.sizes.ratio).toBeGreaterThan(5);
    // Same weight scheme simulated: the fake model predicts the real one almost exactly (weights only, float compute in both).
    expect(report.distortion!.vsFake.relL2!).toBeLessThan(0.1 * report.distortion!.fakeVsFp32.relL2! + 1e-5);
  });

  it('lists Conv weights as left in float for int4, with the reason, and warns', async () => {
    const warnings: string[] = [];
    const { report } = await quantizeToFormat({ modelBytes: convModel(2), format: 'int4', onWarning: (w) => warnings.push(w), skipCensus: true });
    expect(report.leftFloat.map((w) => w.tensor).sort()).toEqual(['W1', 'W2', 'W3']);
    expect(report.leftFloat[0].reason).toMatch(/MatMul \(and plain Gemm\) weights only/);
    expect(warnings.join('\n')).toMatch(/left in float: W/);
    expect(warnings.join('\n')).toMatch(/nothing was written as MatMulNBits/);
  });
});

describe('the format report document', () => {
  it('a real report round-trips through its one writer and reader, and a broken one is a typed error', async () => {
    // Invariant: serializeFormatReport then readFormatReport gives back the report quantizeToFormat
    // built (every field, including the census and the distortion), and the schema refuses a
    // report with a field of the wrong type, naming the field.
    const { report } = await quantizeToFormat({ modelBytes: convModel(2), format: 'qdq-int8', calibration: feedsOf('x', [1, 3, 16, 16], 3, 100), evaluation: feedsOf('x', [1, 3, 16, 16], 2, 200) });
    const dir = await mkdtemp(join(tmpdir(), 'coquant-report-'));
    try {
      const path = join(dir, 'report.json');
      await writeFile(path, serializeFormatReport(report));
      expect(await readFormatReport(path)).toEqual(report);
      await writeFile(path, serializeFormatReport({ ...report, covered: { ...report.covered, tensors: 'two' as unknown as number } }));
      await expect(readFormatReport(path)).rejects.toMatchObject({ code: 'E_BAD_REPORT', message: expect.stringContaining('covered.tensors') });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
