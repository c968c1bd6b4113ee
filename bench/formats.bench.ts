/**
 * Real low-bit formats on this CPU: qdq-int8 against fp32 (median latency and accuracy) on the
 * PP-OCRv4 recognition and detection models, and int4 (MatMulNBits) weight sizes against fp32.
 * Baselines (the fp32 sessions) are measured in the same run, interleaved with the candidates.
 * Run: npm run bench formats
 */
import { hostFeeds, toOrtFeed } from '../src/ort/session.ts';
import { renderedLines } from '../src/tasks/ppocr-rec.ts';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { readFile } from 'node:fs/promises';
import { renderTextLines } from '../src/data/text-lines.ts';
import { loadRgb, preprocessDet } from '../src/data/images.ts';
import { bundledModels } from '../src/io/bundled-models.ts';
import { loadPpocrCharset } from '../src/ocr/dictionary.ts';
import { ctcGreedyDecodeBatch } from '../src/ocr/ctc.ts';
import { corpusCer, exactMatchRate } from '../src/ocr/cer.ts';
import { quantizeToFormat, type FormatReport } from '../src/formats/index.ts';

type Feed = Record<string, ort.Tensor>;
const REPS = Number(process.env.BENCH_REPS ?? 40);
const WARMUP = 8;
const threads = Number(process.env.BENCH_THREADS ?? 0);

async function recFeeds(count: number, seed: number) {
  // The recognizer task's rendered lines, as onnxruntime tensors for this file's own sessions.
  const r = await renderedLines('x', { count, seed });
  return { feeds: r.feeds.map((f) => toOrtFeed(f) as Feed), texts: r.labels! };
}

/** A 640×640 "wall of signs": rendered lines composited on a light background. */
async function detFeeds(count: number, seed: number): Promise<Feed[]> {
  const feeds: Feed[] = [];
  for (let i = 0; i < count; i++) {
    const { lines } = await renderTextLines({ count: 8, seed: seed + i, height: 56 });
    const composites = lines.map((l, j) => ({ input: l.png, left: 20 + ((j * 37) % 120), top: 20 + j * 76 }));
    const png = await sharp({ create: { width: 640, height: 640, channels: 3, background: '#dfe3e6' } })
      .composite(composites.map((c) => ({ ...c, input: c.input })))
      .png()
      .toBuffer();
    const t = await preprocessDet(await loadRgb(png), { limitSide: 640 });
    feeds.push({ x: new ort.Tensor('float32', t.data as Float32Array, t.dims) });
  }
  return feeds;
}

async function session(bytes: Uint8Array) {
  return ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', logSeverityLevel: 3, intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential' });
}

/** Median ms per run for each session, interleaving rounds so drift hits all candidates alike. */
async function medians(sessions: ort.InferenceSession[], feed: Feed): Promise<number[]> {
  for (const s of sessions) for (let i = 0; i < WARMUP; i++) await s.run(feed);
  const times = sessions.map(() => [] as number[]);
  for (let r = 0; r < REPS; r++)
    for (let k = 0; k < sessions.length; k++) {
      const t0 = performance.now();
      await sessions[k].run(feed);
      times[k].push(performance.now() - t0);
    }
  return times.map((ts) => ts.sort((a, b) => a - b)[Math.floor(ts.length / 2)]);
}

async function decodeAll(s: ort.InferenceSession, feeds: Feed[], cs: Awaited<ReturnType<typeof loadPpocrCharset>>) {
  const out: string[] = [];
  for (const f of feeds) {
    const y = (await s.run(f))[s.outputNames[0]] as ort.Tensor;
    out.push(ctcGreedyDecodeBatch(y.data as Float32Array, y.dims as number[], cs)[0].text.trim());
  }
  return out;
}

const fmt = (x: number, d = 2) => x.toFixed(d);
const census = (r: FormatReport) => `${r.census?.integerOps} integer / ${r.census?.floatComputeOps} float compute ops, ${r.census?.fallbacks.length} fallbacks`;

const models = bundledModels();
const cs = await loadPpocrCharset();
console.log(`onnxruntime-node ${ort.env.versions.common}; threads=${threads || 'all'}; reps=${REPS}`);

// ---- recognition ----
const recFp32 = await readFile(models.rec);
const recCal = await recFeeds(24, 2024);
const recHeld = await recFeeds(60, 77);
const recQ = await quantizeToFormat({ modelBytes: recFp32, format: 'qdq-int8', calibration: hostFeeds(recCal.feeds), evaluation: hostFeeds(recHeld.feeds.slice(0, 8)) });
const r4 = await quantizeToFormat({ modelBytes: recFp32, format: 'int4', bits: 4, blockSize: 64, evaluation: hostFeeds(recHeld.feeds.slice(0, 8)) });
const [s32, s8, s4] = await Promise.all([session(recFp32), session(recQ.bytes), session(r4.bytes)]);
const [t32, t8, t4] = await medians([s32, s8, s4], recHeld.feeds[0]);
const d32 = await decodeAll(s32, recHeld.feeds, cs);
const d8 = await decodeAll(s8, recHeld.feeds, cs);
const d4 = await decodeAll(s4, recHeld.feeds, cs);
console.log(`\nPP-OCRv4 rec, input ${recHeld.feeds[0].x.dims.join('x')}`);
console.log(`  fp32      median ${fmt(t32)} ms   CER ${fmt(100 * corpusCer(d32, recHeld.texts))}%  exact ${fmt(100 * exactMatchRate(d32, recHeld.texts), 1)}%  size ${recFp32.length} B`);
console.log(`  qdq-int8  median ${fmt(t8)} ms   CER ${fmt(100 * corpusCer(d8, recHeld.texts))}%  exact ${fmt(100 * exactMatchRate(d8, recHeld.texts), 1)}%  size ${recQ.bytes.length} B  speedup ${fmt(t32 / t8)}x  (${census(recQ.report)})`);
console.log(`  int4 b64  median ${fmt(t4)} ms   CER ${fmt(100 * corpusCer(d4, recHeld.texts))}%  exact ${fmt(100 * exactMatchRate(d4, recHeld.texts), 1)}%  size ${r4.bytes.length} B  speedup ${fmt(t32 / t4)}x  (${census(r4.report)})`);
console.log(`  qdq-int8 distortion vs fp32: meanAbs ${recQ.report.distortion!.vsFp32.meanAbs.toExponential(2)} relL2 ${fmt(recQ.report.distortion!.vsFp32.relL2 ?? NaN, 4)}; fake(weights only) vs fp32 relL2 ${fmt(recQ.report.distortion!.fakeVsFp32.relL2 ?? NaN, 4)}`);
await Promise.all([s32.release(), s8.release(), s4.release()]);

// ---- int4 sizes on the rec MatMul weights ----
console.log('\nint4 (MatMulNBits) on PP-OCRv4 rec MatMul weights: covered fp32 bytes / packed bytes');
for (const bits of [4, 2, 8])
  for (const bs of [32, 64, 128]) {
    for (const symmetric of [false, true]) {
      const r = await quantizeToFormat({ modelBytes: recFp32, format: 'int4', bits, blockSize: bs, symmetric, skipCensus: true });
      console.log(`  bits ${bits} block ${String(bs).padStart(3)} ${symmetric ? 'sym ' : 'asym'}: ${r.report.covered.tensors} MatMuls, ${r.report.covered.fp32Bytes} → ${r.report.covered.storedBytes} B = ${fmt(r.report.covered.ratio)}x smaller; file ${fmt(r.report.sizes.ratio)}x`);
    }
  }

// ---- detection ----
const detFp32 = await readFile(models.det);
const detCal = await detFeeds(6, 500);
const detHeld = await detFeeds(4, 900);
const detQ = await quantizeToFormat({ modelBytes: detFp32, format: 'qdq-int8', calibration: hostFeeds(detCal), evaluation: hostFeeds(detHeld) });
const [e32, e8] = await Promise.all([session(detFp32), session(detQ.bytes)]);
const [u32, u8] = await medians([e32, e8], detHeld[0]);
// Agreement of the binarised text maps (threshold 0.3, PaddleOCR's default) between fp32 and int8.
let inter = 0;
let union = 0;
for (const f of detHeld) {
  const a = (await e32.run(f))[e32.outputNames[0]].data as Float32Array;
  const b = (await e8.run(f))[e8.outputNames[0]].data as Float32Array;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] > 0.3;
    const y = b[i] > 0.3;
    if (x && y) inter++;
    if (x || y) union++;
  }
}
console.log(`\nPP-OCRv4 det, input ${detHeld[0].x.dims.join('x')}`);
console.log(`  fp32      median ${fmt(u32)} ms  size ${detFp32.length} B`);
console.log(`  qdq-int8  median ${fmt(u8)} ms  size ${detQ.bytes.length} B  speedup ${fmt(u32 / u8)}x  (${census(detQ.report)})`);
console.log(`  text-map IoU (p>0.3) int8 vs fp32: ${fmt(inter / Math.max(1, union), 4)}; prob-map meanAbs ${detQ.report.distortion!.vsFp32.meanAbs.toExponential(2)}`);
console.log(`  left float: ${detQ.report.leftFloat.map((w) => `${w.tensor} (${w.opType}: ${w.reason})`).join('; ') || 'none'}`);
await Promise.all([e32.release(), e8.release()]);
