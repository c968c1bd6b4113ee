import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDistortion } from '../../src/distortion/engine.ts';
import { genericTask } from '../../src/tasks/generic.ts';
import { ppocrRecTask, renderedLines } from '../../src/tasks/ppocr-rec.ts';
import { bundledModels } from '../../src/io/bundled-models.ts';
import { generateFcModel } from '../../src/synth/fc-model.ts';
import { fakeQuantize } from '../../src/quant/fake-quantize.ts';
import type { QuantSpec } from '../../src/quant/spec.ts';

const perChannel: QuantSpec = { family: 'uniform-symmetric', granularity: { kind: 'channel' }, range: 'absmax' };

describe('distortion engine on a one-layer FC model (independent computation)', () => {
  it('D_o and D_p equal a direct JS computation of y = W x vs Q(W) x', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'coquant-dist-'));
    try {
      const fcm = generateFcModel({ widths: [16, 6], seed: 3, bias: false, style: 'gemm' });
      const path = join(dir, 'fc.onnx');
      await writeFile(path, fcm.bytes);
      const calib = await genericTask.makeInputs({ inputs: [{ name: 'x', type: 'float32', shape: ['N', 16] }], outputs: [] }, { count: 3, seed: 9, dims: new Map([['N', 2]]) });
      const doc = await runDistortion({ modelPath: path, calibration: calib, schemes: [perChannel], bits: [3, 6], cacheDir: null, threads: 1 });
      const { rows, cols, data } = fcm.layers[0].weight; // [out=6, in=16], the stored Gemm layout
      const W = Float32Array.from(data);
      for (const p of doc.configs[0].points) {
        const Q = fakeQuantize(W, [rows, cols], { ...perChannel, bits: p.bits }).values;
        const dp = W.reduce((s, w, i) => s + Math.abs(w - Q[i]), 0) / W.length;
        let doSum = 0;
        for (const f of calib.feeds) {
          const x = f.x.data as Float32Array;
          let abs = 0;
          for (let n = 0; n < 2; n++)
            for (let r = 0; r < rows; r++) {
              let d = 0;
              for (let c = 0; c < cols; c++) d += (Q[r * cols + c] - W[r * cols + c]) * x[n * cols + c];
              abs += Math.abs(d);
            }
          doSum += abs / (2 * rows);
        }
        expect(p.Dp).toBeCloseTo(dp, 10);
        expect(p.Do! / (doSum / calib.feeds.length)).toBeCloseTo(1, 4);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('distortion engine on the real PP-OCRv4 rec model', () => {
  it('D_o at 16 bits is tiny, D_o grows as bits shrink over 2, 4, 8, and the model file is untouched', async () => {
    const model = bundledModels().rec;
    const before = createHash('sha256').update(await readFile(model)).digest('hex');
    const calib = await renderedLines('x', { count: 3, seed: 5 });
    const doc = await runDistortion({
      modelPath: model,
      calibration: calib,
      schemes: [perChannel],
      bits: [2, 4, 8, 16],
      task: ppocrRecTask,
      cacheDir: null,
      threads: 2,
    });
    const byBits = new Map(doc.configs[0].points.map((p) => [p.bits, p]));
    const Do = (b: number) => byBits.get(b)!.Do!;
    expect(Do(16)).toBeGreaterThan(0); // the quantized copy really differs
    expect(byBits.get(16)!.relL2!).toBeLessThan(0.01);
    expect(Do(16)).toBeLessThan(Do(8) / 50);
    expect(Do(2)).toBeGreaterThan(Do(4));
    expect(Do(4)).toBeGreaterThan(Do(8));
    for (const b of [2, 4, 8]) expect(byBits.get(b)!.Dp).toBeGreaterThan(byBits.get(b * 2 > 16 ? 16 : b * 2)!.Dp);
    expect(byBits.get(16)!.quality!.cerVsFp).toBe(0);
    expect(doc.fullPrecision!.cerVsLabels!).toBeLessThan(0.1);
    expect(doc.fit.alpha).toBeGreaterThan(0);
    expect(doc.fit.config).toBe('uniform-symmetric/channel/absmax');
    expect(createHash('sha256').update(await readFile(model)).digest('hex')).toBe(before);
  });

  it('reuses cached full-precision outputs on a second run with identical results', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'coquant-cache-'));
    try {
      const calib = await renderedLines('x', { count: 2, seed: 6 });
      const opts = { modelPath: bundledModels().rec, calibration: calib, schemes: [perChannel], bits: [6], cacheDir: dir, threads: 2 };
      const a = await runDistortion(opts);
      const b = await runDistortion(opts);
      expect(a.run.fpCache).toBe('miss');
      expect(b.run.fpCache).toBe('hit');
      expect(b.run.cacheKey).toBe(a.run.cacheKey);
      expect(b.configs[0].points[0].Do).toBe(a.configs[0].points[0].Do);
      // Different inputs must not hit the same entry.
      const c = await runDistortion({ ...opts, calibration: await renderedLines('x', { count: 2, seed: 7 }) });
      expect(c.run.fpCache).toBe('miss');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
