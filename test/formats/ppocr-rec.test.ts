/**
 * The real PP-OCRv4 recognition model, quantized qdq-int8 on rendered labelled text lines:
 * it loads and runs in onnxruntime, its convolutions and matmuls execute as integer kernels,
 * and its CTC-decoded text matches the fp32 model's on held-out lines.
 */
import { hostFeeds, toOrtFeed } from '../../src/ort/session.ts';
import { renderedLines } from '../../src/tasks/ppocr-rec.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { readFile } from 'node:fs/promises';
import { bundledModels } from '../../src/io/bundled-models.ts';
import { loadPpocrCharset } from '../../src/ocr/dictionary.ts';
import { ctcGreedyDecodeBatch, type CtcCharset } from '../../src/ocr/ctc.ts';
import { corpusCer } from '../../src/ocr/cer.ts';
import { quantizeToFormat, type FormatReport } from '../../src/formats/index.ts';

type Feed = Record<string, ort.Tensor>;

async function feedsFor(count: number, seed: number): Promise<{ feeds: Feed[]; texts: string[] }> {
  // The recognizer task's rendered lines, as onnxruntime tensors for this file's own sessions.
  const r = await renderedLines('x', { count, seed });
  return { feeds: r.feeds.map((f) => toOrtFeed(f) as Feed), texts: r.labels! };
}

async function decodeAll(bytes: Uint8Array, feeds: Feed[], cs: CtcCharset): Promise<string[]> {
  const s = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3, intraOpNumThreads: 1 });
  const out: string[] = [];
  for (const f of feeds) {
    const y = (await s.run(f))[s.outputNames[0]] as ort.Tensor;
    out.push(ctcGreedyDecodeBatch(y.data as Float32Array, y.dims as number[], cs)[0].text.trim());
  }
  await s.release();
  return out;
}

describe('qdq-int8 on the real PP-OCRv4 recognition model', () => {
  let fp32: Uint8Array;
  let int8: Uint8Array;
  let report: FormatReport;
  let cs: CtcCharset;
  let held: { feeds: Feed[]; texts: string[] };

  beforeAll(async () => {
    fp32 = await readFile(bundledModels().rec);
    cs = await loadPpocrCharset();
    const calib = await feedsFor(24, 2024);
    held = await feedsFor(12, 77); // different seed: not seen during calibration
    const r = await quantizeToFormat({ modelBytes: fp32, format: 'qdq-int8', calibration: hostFeeds(calib.feeds), evaluation: hostFeeds(held.feeds.slice(0, 3)) });
    int8 = r.bytes;
    report = r.report;
  }, 180_000);

  it('stores int8 weights (file ≥ 3× smaller) and upgrades opset 9 → 13 with the needed rewrites', () => {
    expect(report.sizes.ratio).toBeGreaterThan(3);
    expect(report.opset).toMatchObject({ from: 9, to: 13 });
    expect(report.quantizedNodes.Conv).toBe(38);
    expect(report.leftFloat).toEqual([]);
  });

  it('runs every Conv and weight MatMul as an integer kernel, none folded back to float', () => {
    const c = report.census!;
    expect(c.ops['com.microsoft:QLinearConv']).toBe(38);
    expect(c.floatComputeOps).toBe(0);
    expect(c.fallbacks).toEqual([]);
  });

  it('decodes the same text as fp32 on held-out rendered lines (CER within 2 points)', async () => {
    const a = await decodeAll(fp32, held.feeds, cs);
    const b = await decodeAll(int8, held.feeds, cs);
    const cerA = corpusCer(a, held.texts);
    const cerB = corpusCer(b, held.texts);
    expect(cerB - cerA).toBeLessThanOrEqual(0.02);
    const same = a.filter((t, i) => t === b[i]).length;
    expect(same).toBeGreaterThanOrEqual(held.texts.length - 2);
    // Real quantization, not a copy: outputs differ measurably.
    expect(report.distortion!.vsFp32.meanAbs).toBeGreaterThan(0);
  });
});
