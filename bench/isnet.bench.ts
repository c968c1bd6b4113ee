/**
 * ISNet (44 M parameters, fp16 weights) as the npm package @imgly/background-removal-data@1.4.5
 * ships it, against the package's own uint8 build (ONNX dynamic quantization: ConvInteger) and
 * coquant's builds of the same fp16 weights:
 *  - qdq-int8: every Conv int8 per output channel, activations uint8 with ranges calibrated on
 *    synthetic scenes (integer kernels: QLinearConv);
 *  - compact: the qdq-int8 model with its all-zero zero points dropped and generated names
 *    shortened (formats/qdq-compact.ts): the same computation, checked bit for bit;
 *  - mixed: the same, with the input Conv and the six side-output Convs (0.02 % of the weights,
 *    the layers that write the image-sized maps) kept in float32.
 * Quality: mask IoU (p > 0.5) and MAE of `output` against the fp16 model, and IoU against the
 * drawn foreground, on held-out scenes (other seeds than the calibration scenes). Latency: the
 * median of interleaved rounds, every build run once per round on the same scene, so load drift
 * hits them alike; the load average is printed before and after. File size in bytes.
 * Run: npm run bench isnet   (BENCH_REPS, BENCH_CALIB, BENCH_EVAL, BENCH_THREADS override)
 */
import { readFile, stat } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { isnetModels } from '../src/io/isnet-model.ts';
import { createSession, modelSignature, runFeed, type Session } from '../src/ort/session.ts';
import { segmentationTask, maskIou, maskMae, MASK_THRESHOLD } from '../src/tasks/segmentation.ts';
import { decodeMaskRle } from '../src/data/scenes.ts';
import { preoptimize } from '../src/formats/preoptimize.ts';
import { quantizeQdqInt8 } from '../src/formats/qdq-int8.ts';
import { cloneModel, encodeModel } from '../src/formats/onnx-graph.ts';
import { compactQdq } from '../src/formats/qdq-compact.ts';
import { integerCensus } from '../src/formats/inspect.ts';
import { median } from '../src/calibrate/stats.ts';
import { writeFileAtomic } from '../src/util/atomic-write.ts';
import type { Feed } from '../src/data/tensor.ts';

const REPS = Number(process.env.BENCH_REPS ?? 5);
const CALIB = Number(process.env.BENCH_CALIB ?? 8);
const EVAL = Number(process.env.BENCH_EVAL ?? 8);
const threads = Number(process.env.BENCH_THREADS ?? 0) || undefined;
const OUT = 'out/bench-isnet';
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const t0 = performance.now();
const clock = () => `${((performance.now() - t0) / 1000).toFixed(0)} s`;

console.log(`load average at start: ${load()}; reps ${REPS}, calibration scenes ${CALIB}, held-out scenes ${EVAL}, threads ${threads ?? 'all'}`);
const models = await isnetModels();
const fpBytes = await readFile(models.medium);
const fp = await createSession(models.medium, { intraOpThreads: threads });
const sig = modelSignature(fp);
const out = segmentationTask.outputName!(sig);
const calib = await segmentationTask.makeInputs(sig, { count: CALIB, seed: 1 });
const held = await segmentationTask.makeInputs(sig, { count: EVAL, seed: 1000 });

// ---- coquant's builds ----
console.error(`[${clock()}] preoptimising (fp16 → fp32 widening, onnxruntime basic pass)`);
const pre = await preoptimize(fpBytes, 'isnet-medium');
const preBytes = encodeModel(pre);
// Percentile ranges (99.99 %): ISNet's side-output logits reach −2000 on a few pixels, and a
// min–max uint8 range that wide leaves no resolution around 0, where the mask's edge is decided.
const METHOD = (process.env.BENCH_RANGE ?? 'percentile') as 'minmax' | 'percentile';
console.error(`[${clock()}] calibrating activation ranges (${METHOD}) on ${CALIB} scenes`);
const int8 = await quantizeQdqInt8(pre, calib.feeds as Feed[], { calibration: { method: METHOD } });
const sensitive = (pre.graph!.node ?? []).filter((n) => n.opType === 'Conv' && /^\/(conv_in|side\d)\//.test(n.name ?? '')).map((n) => n.name ?? '');
console.error(`[${clock()}] mixed build: ${sensitive.length} Convs kept float (${sensitive.join(', ')})`);
const mixed = await quantizeQdqInt8(pre, calib.feeds as Feed[], { excludeNodes: sensitive, ranges: int8.ranges });
const int8Bytes = encodeModel(int8.model);
const mixedBytes = encodeModel(mixed.model);
// The same int8 model with its all-zero weight/bias zero points dropped and generated names shortened.
const sourceNames = [...(pre.graph!.node ?? []).flatMap((n) => n.output ?? []), ...(pre.graph!.initializer ?? []).map((t) => t.name ?? '')];
const compactModel = cloneModel(int8.model);
const compacted = compactQdq(compactModel, sourceNames);
const compactBytes = encodeModel(compactModel);
await writeFileAtomic(`${OUT}/isnet.qdq-int8.compact.onnx`, compactBytes);
const cc = await integerCensus(compactBytes, 'compact');
await writeFileAtomic(`${OUT}/isnet.qdq-int8.onnx`, int8Bytes);
await writeFileAtomic(`${OUT}/isnet.mixed.onnx`, mixedBytes);
const c8 = await integerCensus(int8Bytes, 'qdq-int8');
const cm = await integerCensus(mixedBytes, 'mixed');
console.error(`[${clock()}] built: qdq-int8 ${c8.integerOps} integer ops, mixed ${cm.integerOps}`);

interface Candidate {
  name: string;
  bytes: number;
  session: Session;
  note: string;
}
const candidates: Candidate[] = [
  { name: 'fp16 (reference)', bytes: fpBytes.length, session: fp, note: 'package /models/medium' },
  { name: 'fp32 (widened)', bytes: preBytes.length, session: await createSession(preBytes, { intraOpThreads: threads, label: 'fp32' }), note: 'same values as fp16, float32 compute' },
  { name: 'peer uint8', bytes: (await stat(models.small)).size, session: await createSession(models.small, { intraOpThreads: threads, label: 'peer' }), note: 'package /models/small: ConvInteger, dynamic activations' },
  { name: 'coquant qdq-int8', bytes: int8Bytes.length, session: await createSession(int8Bytes, { intraOpThreads: threads, label: 'qdq-int8' }), note: `${c8.integerOps} integer kernels, ${c8.fallbacks.length} fallbacks` },
  { name: 'coquant compact', bytes: compactBytes.length, session: await createSession(compactBytes, { intraOpThreads: threads, label: 'compact' }), note: `qdq-int8, ${compacted.zeroPoints} zero points, ${compacted.valueInfos} value_info dropped, ${compacted.renamed} names shortened; ${cc.integerOps} integer kernels` },
  { name: 'coquant mixed', bytes: mixedBytes.length, session: await createSession(mixedBytes, { intraOpThreads: threads, label: 'mixed' }), note: `${cm.integerOps} integer kernels; ${sensitive.length} Convs float32` },
];

// ---- quality on held-out scenes ----
const probs = async (s: Session) => {
  const ps: Float32Array[] = [];
  for (const f of held.feeds) ps.push((await runFeed(s, f, [out]))[out].data as Float32Array);
  return ps;
};
console.error(`[${clock()}] quality: ${EVAL} held-out scenes × ${candidates.length} builds`);
const ref = await probs(fp);
const truth = held.labels!.map((l) => decodeMaskRle(l).mask);
const quality = new Map<string, { iou: number; mae: number; iouTruth: number; worstIou: number }>();
const maps = new Map<string, Float32Array[]>();
for (const c of candidates) {
  const ps = c === candidates[0] ? ref : await probs(c.session);
  maps.set(c.name, ps);
  const ious = ps.map((p, i) => maskIou(p, ref[i]));
  quality.set(c.name, {
    iou: ious.reduce((a, b) => a + b, 0) / ious.length,
    worstIou: Math.min(...ious),
    mae: ps.map((p, i) => maskMae(p, ref[i])).reduce((a, b) => a + b, 0) / ps.length,
    iouTruth: ps.map((p, i) => maskIou(p, truth[i])).reduce((a, b) => a + b, 0) / ps.length,
  });
}

const same = maps.get('coquant qdq-int8')!.every((p, i) => Buffer.from(p.buffer, p.byteOffset, p.byteLength).equals(Buffer.from(maps.get('coquant compact')![i].buffer, maps.get('coquant compact')![i].byteOffset, maps.get('coquant compact')![i].byteLength)));

// ---- latency, interleaved ----
console.error(`[${clock()}] latency: ${REPS} interleaved rounds`);
const loadBefore = load();
const feed = held.feeds[0];
for (const c of candidates) await runFeed(c.session, feed, [out]); // warm-up
const times = candidates.map(() => [] as number[]);
for (let r = 0; r < REPS; r++)
  for (const [k, c] of candidates.entries()) {
    const s = performance.now();
    await runFeed(c.session, feed, [out]);
    times[k].push(performance.now() - s);
  }
const loadAfter = load();
const med = times.map((t) => median(t));
const peerIx = candidates.findIndex((c) => c.name === 'peer uint8');

console.log(`\nISNet 1024×1024, ${EVAL} held-out scenes (seed 1000), calibration ${CALIB} scenes (seed 1, ${METHOD} ranges); IoU at p > ${MASK_THRESHOLD}`);
console.log(`load average: before latency ${loadBefore}, after ${loadAfter} (2 cores shared: latency is noisy, ratios are same-run)`);
console.log('build               size (B)   IoU vs fp16  worst IoU  MAE vs fp16  IoU vs drawn  median ms  vs peer  note');
for (const [k, c] of candidates.entries()) {
  const q = quality.get(c.name)!;
  console.log(
    `${c.name.padEnd(18)} ${String(c.bytes).padStart(9)}   ${q.iou.toFixed(4).padStart(10)}  ${q.worstIou.toFixed(4).padStart(9)}  ${q.mae.toExponential(2).padStart(11)}  ${q.iouTruth.toFixed(4).padStart(12)}  ${med[k].toFixed(0).padStart(9)}  ${(med[k] / med[peerIx]).toFixed(2).padStart(6)}x  ${c.note}`,
  );
}
const peerSize = candidates[peerIx].bytes;
console.log(`compact build's outputs equal qdq-int8's bit for bit on every held-out scene: ${same}`);
for (const name of ['coquant qdq-int8', 'coquant compact', 'coquant mixed']) {
  const k = candidates.findIndex((c) => c.name === name);
  const c = candidates[k];
  const q = quality.get(name)!;
  const p = quality.get('peer uint8')!;
  console.log(
    `${name} against the peer: size ${(c.bytes / peerSize).toFixed(4)}x (${c.bytes - peerSize >= 0 ? '+' : ''}${c.bytes - peerSize} B), IoU vs fp16 ${q.iou.toFixed(4)} vs ${p.iou.toFixed(4)}, MAE ${q.mae.toExponential(2)} vs ${p.mae.toExponential(2)}, latency ${(med[k] / med[peerIx]).toFixed(2)}x`,
  );
}
console.log(`wrote ${OUT}/isnet.qdq-int8.onnx, isnet.qdq-int8.compact.onnx and isnet.mixed.onnx; total ${clock()}`);
for (const c of candidates) await c.session.release();
