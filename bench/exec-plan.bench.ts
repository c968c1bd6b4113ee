/**
 * Does the executable plan's model hold? Run: npm run bench exec-plan
 * On the bundled PP-OCRv4 recognizer (width 320) and an emulated robot (one core under cgroup CPU
 * bandwidth, 25% of this machine's core at 1.5 GHz, clocks 0.75 and 1.5 GHz):
 *  1. measures the coquant.options/1 document once (8 rendered calibration lines, qdq-int8 and
 *     nbits4, 15 runs) and prints how long it took;
 *  2. additivity of the latency model: ≥ 20 seeded random mixed-format heads (a random cut with
 *     ≥ 5 groups, biased towards the later cuts; random formats per group; a random clock). Each
 *     head's mean latency is predicted from the document (overhead + output bytes + weightless
 *     nodes + chosen options) and measured on the device (20 timed round trips after a warm-up,
 *     in interleaved rounds so that load drift hits every head alike). Goals: median |error|
 *     ≤ 10%, worst ≤ 20%. Also how well the document's spread ratio covers the measured p90/p95;
 *  3. sensitivity model: ≥ 20 seeded random plans over the whole model, predicted D_o = Σ of the
 *     chosen options' deltaDo, measured D_o = mean |y − y_fp32| of the whole mixed model on the
 *     calibration lines and on 16 held-out lines. Goal: Spearman ≥ 0.9. Task accuracy (exact
 *     match and CER against the fp32 texts) beside it; 3b re-measures every single-group option
 *     with two more metrics (MSE of the probabilities, MSE of the logits) to tell a wrong metric
 *     from effects that do not add;
 *  4. a summary table. The load average is printed beside the figures.
 * Env: BENCH_SEED (default 9), BENCH_HEADS (default 30), BENCH_PLANS (default 30 random plus two
 * extremes), BENCH_OPTIONS=FILE reuses a document (and its int8 ranges) written there by an
 * earlier run instead of measuring it again (for work on the later parts only).
 */
import { mean, median, quantile } from '../src/calibrate/stats.ts';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { loadRgb, preprocessRec } from '../src/data/images.ts';
import { renderTextLines } from '../src/data/text-lines.ts';
import type { Feed, HostTensor } from '../src/data/tensor.ts';
import { decodeRecOutput } from '../src/tasks/ppocr-rec.ts';
import type { TensorRange } from '../src/formats/calibrate-ranges.ts';
import { writeMixedFormat, type ExecFormat } from '../src/formats/mixed-format.ts';
import { DT, encodeModel, onnx } from '../src/formats/onnx-graph.ts';
import { preoptimize } from '../src/formats/preoptimize.ts';
import { encodeModel as encodeHalf } from '../src/graph/extract.ts';
import { bundledModels } from '../src/io/bundled-models.ts';
import { corpusCer, exactMatchRate } from '../src/ocr/cer.ts';
import { loadPpocrCharset } from '../src/ocr/dictionary.ts';
import { spreadRatio, type OptionsDocument } from '../src/documents/options-document.ts';
import { planFromOptions, type OptionsCut } from '../src/plan/options-plan.ts';
import { EmulatedDevice } from '../src/runtime/device-host/emulated-device.ts';
import { execCuts } from '../src/runtime/options/exec-cuts.ts';
import { writeExecHead } from '../src/runtime/options/exec-head.ts';
import { measureOptions } from '../src/runtime/options/measure-options.ts';
import { createSession, runFeed } from '../src/ort/session.ts';
import { analyzeSplit, splitAt } from '../src/runtime/split/split-model.ts';
import { mulberry32 } from '../src/util/rng.ts';

const SEED = Number(process.env.BENCH_SEED ?? 9);
const N_HEADS = Number(process.env.BENCH_HEADS ?? 30);
const N_PLANS = Number(process.env.BENCH_PLANS ?? 30);
const RUNS = 20; // timed runs per head
const ROUNDS = 4; // interleaved rounds the timed runs are spread over
const CLOCKS = [0.75e9, 1.5e9];
const F_MAX = 1.5e9;
const SHARE = 0.25;
const WIDTH = 320;
const MIN_HEAD_GROUPS = 5;

const t00 = performance.now();
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const sec = (t: number) => `${((performance.now() - t) / 1000).toFixed(1)} s`;
const pct = (x: number, d = 1) => `${(100 * x).toFixed(d)}%`;

/** Ranks 1..n, ties sharing their mean rank. */
function ranks(a: readonly number[]): number[] {
  const order = a.map((v, i) => [v, i] as const).sort((x, y) => x[0] - y[0]);
  const r = new Array<number>(a.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    for (let m = i; m <= j; m++) r[order[m][1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}
function pearson(x: readonly number[], y: readonly number[]): number {
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}
const spearman = (x: readonly number[], y: readonly number[]) => pearson(ranks(x), ranks(y));

/** Weighted pick: index i with probability ∝ w[i]. */
function pickWeighted(rand: () => number, w: readonly number[]): number {
  let x = rand() * w.reduce((s, v) => s + v, 0);
  for (let i = 0; i < w.length; i++) if ((x -= w[i]) < 0) return i;
  return w.length - 1;
}

/**
 * The latency model, written out: a head's predicted mean time at clock index k is the per-run
 * overhead, the hop of the bytes it returns, its weightless nodes and its groups' chosen options.
 */
function predictHeadS(doc: OptionsDocument, cut: OptionsCut, formats: Readonly<Record<string, string>>, k: number): number {
  let s = doc.overheadS[k] + (doc.outputByteS[k] ?? 0) * (cut.outputBytes ?? cut.featureBytes);
  const nodeLat = new Map(doc.nodes.map((n) => [n.name, n.latencyS[k]]));
  for (const n of cut.nodes === 'all' ? doc.nodes.map((x) => x.name) : cut.nodes) s += nodeLat.get(n) ?? 0;
  for (const name of cut.groups) {
    const g = doc.groups.find((x) => x.name === name);
    if (!g) throw new Error(`cut ${cut.name}: group ${name} is not in the options document`);
    const o = g.options.find((x) => x.format === (formats[name] ?? 'fp32'));
    if (!o) throw new Error(`group ${name} has no option ${formats[name]}`);
    s += o.latencyS[k];
  }
  return s;
}

async function recFeeds(count: number, seed: number): Promise<{ feeds: Feed[]; texts: string[] }> {
  const { lines } = await renderTextLines({ count, seed });
  const feeds: Feed[] = [];
  for (const l of lines) feeds.push({ x: await preprocessRec([await loadRgb(l.png)], { minWidth: WIDTH, maxWidth: WIDTH }) });
  return { feeds, texts: lines.map((l) => l.text) };
}

console.log(`exec-plan bench: seed ${SEED}, ${N_HEADS} heads × ${RUNS} runs (${ROUNDS} interleaved rounds), ${N_PLANS}+2 plans; load average at start ${load()}`);
const models = bundledModels();
const charset = await loadPpocrCharset(models.dict);
const decode = (o: Record<string, HostTensor>) => decodeRecOutput(Object.values(o)[0], charset)?.[0] ?? '';
const cal = await recFeeds(8, SEED + 1000);
const held = await recFeeds(16, SEED + 5000);
const analysis = await analyzeSplit(models.rec, new Map([['p2o.DynamicDimension.1', WIDTH]]));
const device = await EmulatedDevice.start({ fMaxHz: F_MAX, fullSpeedShare: SHARE });
const deviceName = `emulated robot CPU: 1 core, ${1 / SHARE}× slower than this machine at ${(F_MAX / 1e9).toFixed(2)} GHz`;
console.log(`device: ${device.emulation.kind}${device.emulation.where ? ` (${device.emulation.where})` : ''}, ${pct(SHARE, 0)} of one core at ${F_MAX / 1e9} GHz; clocks ${CLOCKS.map((c) => c / 1e9).join(', ')} GHz`);

try {
  // ---- 1. the options document ----
  const t1 = performance.now();
  let doc: OptionsDocument;
  let ranges: ReadonlyMap<string, TensorRange> | undefined;
  let docWhat = '(reused from BENCH_OPTIONS)';
  const cache = process.env.BENCH_OPTIONS;
  if (cache && existsSync(cache)) {
    const c = JSON.parse(await readFile(cache, 'utf8')) as { doc: OptionsDocument; ranges: [string, TensorRange][] };
    doc = c.doc;
    ranges = new Map(c.ranges);
    console.log(`\n[1] options document read from ${cache} (BENCH_OPTIONS), not measured in this run`);
  } else {
    const usable = analysis.candidates.filter((c) => c.agentGroups.length > 0 && c.serverParams > 0);
    const calibrationHeads = [0.25, 0.5, 0.75].map((f) => encodeHalf(splitAt(analysis, usable[Math.floor(f * (usable.length - 1))].name).head));
    const m = await measureOptions({
      model: analysis.model.bytes,
      calibrationHeads,
      source: models.rec,
      feeds: cal.feeds,
      device,
      deviceName,
      clocksHz: CLOCKS,
      formats: ['qdq-int8', 'nbits4'],
      runs: 15,
      task: { name: 'CER vs fp32 on the calibration lines', score: (outs, ref) => corpusCer(outs.map(decode), ref.map(decode)) },
    });
    doc = m.doc;
    ranges = m.ranges;
    if (cache) await writeFile(cache, JSON.stringify({ doc, ranges: [...(ranges ?? new Map()).entries()] }));
    docWhat = sec(t1);
    console.log(`\n[1] options document measured in ${docWhat} (load ${load()})`);
  }
  const nOpts = doc.groups.reduce((s, g) => s + g.options.length, 0);
  console.log(`    ${doc.groups.length} groups, ${nOpts} options, ${doc.nodes.length} weightless nodes; overhead ${doc.overheadS.map((s) => (s * 1000).toFixed(2)).join(' / ')} ms, spread p95/mean ${doc.spread.ratio.map((r) => r[doc.spread.quantiles.indexOf(0.95)].toFixed(3)).join(' / ')} at ${CLOCKS.map((c) => c / 1e9).join(' / ')} GHz`);

  // ---- 2. additivity of the latency model ----
  const t2 = performance.now();
  const loadStart2 = load();
  const cuts = execCuts(analysis, doc, { overheadS: 0, replyBytes: 0 }).filter((c) => c.groups.length >= MIN_HEAD_GROUPS);
  if (cuts.length === 0) throw new Error(`no cut has a head of ≥ ${MIN_HEAD_GROUPS} groups`);
  const rand = mulberry32(SEED);
  // Later cuts carry most of the compute: weight them by position squared.
  const cutWeights = cuts.map((_, i) => (i + 1) ** 2);
  type Head = { i: number; cut: OptionsCut; formats: Record<string, string>; k: number; pred: number; hopPred: number; planPred: number; key: string; times: number[]; compute: number[]; warnings: string[]; mix: string };
  const heads: Head[] = [];
  for (let i = 0; i < N_HEADS; i++) {
    const cut = cuts[pickWeighted(rand, cutWeights)];
    const pFp32 = 0.1 + 0.6 * rand();
    const formats: Record<string, string> = {};
    for (const name of cut.groups) {
      const g = doc.groups.find((x) => x.name === name)!;
      const others = g.options.map((o) => o.format).filter((f) => f !== 'fp32');
      formats[name] = rand() < pFp32 || others.length === 0 ? 'fp32' : others[Math.floor(rand() * others.length)];
    }
    const k = rand() < 0.5 ? 0 : 1;
    const pred = predictHeadS(doc, cut, formats, k);
    const plan = planFromOptions(doc, [cut], { kappa: 1e-27, link: { rateBps: 1e9, txPowerW: 0 }, T0: 1e9, E0: 1e9, quantile: 'mean', objective: 'do', fixed: formats, clocks: [k], cuts: [cut.name] });
    const count = (f: string) => Object.values(formats).filter((x) => x === f).length;
    const mix = `${count('fp32')}/${count('qdq-int8')}/${count('nbits4')}`;
    const hopPred = doc.overheadS[k] + (doc.outputByteS[k] ?? 0) * (cut.outputBytes ?? cut.featureBytes);
    heads.push({ i, cut, formats, k, pred, hopPred, planPred: plan.predicted!.headMeanS, key: `head${i}`, times: [], compute: [], warnings: [], mix });
  }
  const agree = Math.max(...heads.map((h) => Math.abs(h.pred - h.planPred) / h.pred));
  console.log(`\n[2] additivity: ${heads.length} heads over ${new Set(heads.map((h) => h.cut.name)).size} of ${cuts.length} cuts with ≥ ${MIN_HEAD_GROUPS} groups (load ${loadStart2}); written prediction vs planFromOptions: max rel. difference ${agree.toExponential(1)}`);
  for (const h of heads) {
    const halves = splitAt(analysis, h.cut.name);
    const w = await writeExecHead(encodeHalf(halves.head), h.formats, { calibration: cal.feeds, ranges, where: `head at ${h.cut.name}` });
    h.warnings = w.warnings;
    await device.load(h.key, w.bytes);
    await device.setClock(CLOCKS[h.k]);
    for (let j = 0; j < 2; j++) await device.run(h.key, cal.feeds[0]);
  }
  console.log(`    heads written and loaded in ${sec(t2)}`);
  const roundLoads: string[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (const h of heads) {
      await device.setClock(CLOCKS[h.k]);
      await device.run(h.key, cal.feeds[0]); // after a clock or model switch: not timed
      for (let j = 0; j < RUNS / ROUNDS; j++) {
        const x = await device.run(h.key, cal.feeds[0]);
        h.times.push(x.ms / 1000);
        h.compute.push(x.computeMs / 1000);
      }
    }
    roundLoads.push(load());
  }
  for (const h of heads) await device.release(h.key);
  console.log(`    load average after each round: ${roundLoads.map((l) => `[${l}]`).join(' ')}`);
  const hdr = ['#', 'cut (groups)', 'fp32/int8/int4', 'GHz', 'pred ms', 'meas ms', 'err', 'p90 ms', 'pred p90', 'p95 ms', 'pred p95', 'compute pred/meas', 'hop pred/meas'];
  console.log(`    ${hdr.join(' | ')}`);
  const q95 = (k: number) => spreadRatio(doc, k, 0.95);
  const q90 = (k: number) => spreadRatio(doc, k, 0.9);
  const rows = heads.map((h) => {
    const m = mean(h.times);
    const err = (h.pred - m) / m;
    const p90 = quantile(h.times, 0.9);
    const p95 = quantile(h.times, 0.95);
    const c = mean(h.compute);
    return { h, m, err, p90, p95, pp90: q90(h.k) * h.pred, pp95: q95(h.k) * h.pred, med: median(h.times), c, cErr: (h.pred - h.hopPred - c) / c };
  });
  for (const r of rows) {
    const { h } = r;
    console.log(
      `    ${String(h.i).padStart(2)} | ${h.cut.name.slice(0, 34)} (${h.cut.groups.length}) | ${h.mix} | ${(CLOCKS[h.k] / 1e9).toFixed(2)} | ${(h.pred * 1000).toFixed(1)} | ${(r.m * 1000).toFixed(1)} | ${(r.err >= 0 ? '+' : '') + pct(r.err)} | ${(r.p90 * 1000).toFixed(1)} | ${(r.pp90 * 1000).toFixed(1)} | ${(r.p95 * 1000).toFixed(1)} | ${(r.pp95 * 1000).toFixed(1)} | ${((h.pred - h.hopPred) * 1000).toFixed(1)}/${(r.c * 1000).toFixed(1)} | ${(h.hopPred * 1000).toFixed(1)}/${((r.m - r.c) * 1000).toFixed(1)}${h.warnings.length ? ` | ${h.warnings.length} warnings: ${h.warnings[0]}` : ''}`,
    );
  }
  const absErr = rows.map((r) => Math.abs(r.err));
  const medErr = median(absErr);
  const worst = Math.max(...absErr);
  const bias = median(rows.map((r) => r.err));
  const medErrMedian = median(rows.map((r) => Math.abs(r.h.pred - r.med) / r.med));
  const cover95 = rows.filter((r) => r.p95 <= r.pp95).length / rows.length;
  const cover90 = rows.filter((r) => r.p90 <= r.pp90).length / rows.length;
  const ratio95 = rows.map((r) => r.p95 / r.pp95);
  const spreadMeas95 = rows.map((r) => r.p95 / r.m);
  const cErr = median(rows.map((r) => Math.abs(r.cErr)));
  const cWorst = Math.max(...rows.map((r) => Math.abs(r.cErr)));
  const hopErr = median(rows.map((r) => Math.abs(r.h.hopPred - (r.m - r.c)) / r.m));
  console.log(`    |error| of the mean: median ${pct(medErr)} (goal ≤ 10%: ${medErr <= 0.1 ? 'met' : 'MISSED'}), worst ${pct(worst)} (goal ≤ 20%: ${worst <= 0.2 ? 'met' : 'MISSED'}); median signed error ${(bias >= 0 ? '+' : '') + pct(bias)} (+ = predicted slower); against the measured median instead: median |error| ${pct(medErrMedian)}`);
  console.log(`    by clock: ${CLOCKS.map((c, k) => `${c / 1e9} GHz median |err| ${pct(median(rows.filter((r) => r.h.k === k).map((r) => Math.abs(r.err))))} (${rows.filter((r) => r.h.k === k).length} heads)`).join(', ')}`);
  console.log(`    spread: predicted p95 (mean × spreadRatio ${CLOCKS.map((_, k) => q95(k).toFixed(3)).join(' / ')}) covers the measured p95 of ${pct(cover95, 0)} of the heads (p90: ${pct(cover90, 0)}); measured p95 / predicted p95 median ${median(ratio95).toFixed(3)}, max ${Math.max(...ratio95).toFixed(3)}; measured p95/mean median ${median(spreadMeas95).toFixed(3)}`);
  console.log(`    split: compute inside the device (weightless nodes + groups vs the device's own run time) median |error| ${pct(cErr)}, worst ${pct(cWorst)}; the hop (overhead + output bytes vs round trip − run time) median |error| ${pct(hopErr)} of the head's time`);
  for (const [k, hz] of CLOCKS.entries()) {
    const rk = rows.filter((r) => r.h.k === k);
    if (rk.length < 3) continue;
    // Least squares meas = a·pred + b of the compute part: a constant b means a per-run effect the proportional slow-down misses.
    const x = rk.map((r) => (r.h.pred - r.h.hopPred) * 1000);
    const y = rk.map((r) => r.c * 1000);
    const mx = mean(x);
    const my = mean(y);
    const a = x.reduce((s, v, i) => s + (v - mx) * (y[i] - my), 0) / x.reduce((s, v) => s + (v - mx) ** 2, 0);
    const share = device.shareAt(hz);
    const quotaMs = Math.max(1, share * (device.emulation.periodUs / 1000));
    const periodMs = quotaMs / share;
    console.log(
      `    at ${hz / 1e9} GHz (CFS quota ${quotaMs.toFixed(1)} ms per ${periodMs.toFixed(1)} ms): compute meas − pred median ${median(rk.map((r) => (r.c - (r.h.pred - r.h.hopPred)) * 1000)).toFixed(1)} ms, fit meas ≈ ${a.toFixed(2)}·pred ${my - a * mx >= 0 ? '+' : '−'} ${Math.abs(my - a * mx).toFixed(1)} ms; hop meas − pred median ${median(rk.map((r) => (r.m - r.c - r.h.hopPred) * 1000)).toFixed(1)} ms`,
    );
  }
  console.log(`    part 2 took ${sec(t2)}, load ${load()}`);

  // ---- 3. sensitivity model ----
  const t3 = performance.now();
  const loadStart3 = load();
  const pre = await preoptimize(analysis.model.bytes, models.rec);
  const outName = pre.graph!.output![0].name!;
  // The logits (the final Softmax's input) as a second output, for the metric diagnostic of 3b.
  const softmax = (pre.graph!.node ?? []).find((n) => n.opType === 'Softmax' && n.output?.[0] === outName);
  const logitName = softmax?.input?.[0];
  if (logitName) pre.graph!.output!.push(onnx.ValueInfoProto.create({ name: logitName, type: { tensorType: { elemType: DT.FLOAT } } }));
  type Dist = { l1p: number; msep: number; msel: number };
  /** Output distortion of one run against fp32: the document's metric (mean |Δ| of the output) and two others. */
  const dist = (o: Record<string, HostTensor>, r: Record<string, HostTensor>): Dist => {
    const a = o[outName].data as Float32Array;
    const b = r[outName].data as Float32Array;
    let l1p = 0;
    let msep = 0;
    for (let i = 0; i < a.length; i++) {
      const d = a[i] - b[i];
      l1p += Math.abs(d);
      msep += d * d;
    }
    let msel = 0;
    if (logitName) {
      const x = o[logitName].data as Float32Array;
      const y = r[logitName].data as Float32Array;
      for (let i = 0; i < x.length; i++) msel += (x[i] - y[i]) ** 2;
      msel /= x.length;
    }
    return { l1p: l1p / a.length, msep: msep / a.length, msel };
  };
  const meanDist = (ds: Dist[]): Dist => ({ l1p: mean(ds.map((d) => d.l1p)), msep: mean(ds.map((d) => d.msep)), msel: mean(ds.map((d) => d.msel)) });
  const decodeOut = (o: Record<string, HostTensor>) => decodeRecOutput(o[outName], charset)?.[0] ?? '';
  const runAll = async (formats: Record<string, ExecFormat>, sets: Feed[][]) => {
    const w = await writeMixedFormat(pre, formats, { calibration: cal.feeds, ranges });
    const fell = Object.entries(formats).filter(([g, f]) => w.applied[g] !== f);
    const s = await createSession(encodeModel(w.model), { label: 'mixed model' });
    const outs: Record<string, HostTensor>[][] = [];
    for (const set of sets) {
      const o: Record<string, HostTensor>[] = [];
      for (const f of set) o.push(await runFeed(s, f));
      outs.push(o);
    }
    await s.release();
    return { outs, fell };
  };
  const { outs: [refCal, refHeld] } = await runAll({}, [cal.feeds, held.feeds]);
  const fpCal = refCal.map(decodeOut);
  const fpHeld = refHeld.map(decodeOut);
  const prand = mulberry32(SEED + 77);
  type Plan = { name: string; formats: Record<string, ExecFormat>; pred: number; predTask: number; mix: string; cal: Dist; doHeld: number; emCal: number; cerCal: number; emHeld: number; cerHeld: number };
  const plans: Plan[] = [];
  const mk = (name: string, choose: (g: OptionsDocument['groups'][number]) => string) => {
    const formats: Record<string, ExecFormat> = {};
    let pred = 0;
    let predTask = 0;
    for (const g of doc.groups) {
      const f = choose(g);
      const o = g.options.find((x) => x.format === f)!;
      formats[g.name] = f as ExecFormat;
      pred += o.deltaDo;
      predTask += o.task ?? 0;
    }
    const count = (f: string) => Object.values(formats).filter((x) => x === f).length;
    plans.push({ name, formats, pred, predTask, mix: `${count('fp32')}/${count('qdq-int8')}/${count('nbits4')}`, cal: { l1p: 0, msep: 0, msel: 0 }, doHeld: 0, emCal: 0, cerCal: 0, emHeld: 0, cerHeld: 0 });
  };
  for (let i = 0; i < N_PLANS; i++) {
    // Stratified share of fp32 groups, from nearly all fp32 to nearly none; then int8 vs int4 on MatMuls.
    const pFp32 = (i + prand()) / N_PLANS;
    const p4 = prand();
    mk(`random ${i}`, (g) => {
      const has = (f: string) => g.options.some((o) => o.format === f);
      if (prand() < pFp32) return 'fp32';
      if (has('nbits4') && prand() < p4) return 'nbits4';
      return has('qdq-int8') ? 'qdq-int8' : 'fp32';
    });
  }
  mk('all int8', (g) => (g.options.some((o) => o.format === 'qdq-int8') ? 'qdq-int8' : 'fp32'));
  mk('int4 MatMuls, int8 rest', (g) => (g.options.some((o) => o.format === 'nbits4') ? 'nbits4' : g.options.some((o) => o.format === 'qdq-int8') ? 'qdq-int8' : 'fp32'));
  for (const p of plans) {
    const { outs: [oc, oh], fell } = await runAll(p.formats, [cal.feeds, held.feeds]);
    if (fell.length) console.log(`    ${p.name}: ${fell.length} groups not written as planned (first: ${fell[0][0]} ${fell[0][1]})`);
    p.cal = meanDist(oc.map((o, i) => dist(o, refCal[i])));
    p.doHeld = mean(oh.map((o, i) => dist(o, refHeld[i]).l1p));
    const tc = oc.map(decodeOut);
    const th = oh.map(decodeOut);
    p.emCal = exactMatchRate(tc, fpCal);
    p.cerCal = corpusCer(tc, fpCal);
    p.emHeld = exactMatchRate(th, fpHeld);
    p.cerHeld = corpusCer(th, fpHeld);
  }
  const random = plans.filter((p) => p.name.startsWith('random'));
  const rhoCal = spearman(random.map((p) => p.pred), random.map((p) => p.cal.l1p));
  const rhoHeld = spearman(random.map((p) => p.pred), random.map((p) => p.doHeld));
  const rhoCalAll = spearman(plans.map((p) => p.pred), plans.map((p) => p.cal.l1p));
  const rhoHeldAll = spearman(plans.map((p) => p.pred), plans.map((p) => p.doHeld));
  const rhoTask = spearman(plans.map((p) => p.predTask), plans.map((p) => p.cerCal));
  const rhoDoCer = spearman(plans.map((p) => p.pred), plans.map((p) => p.cerHeld));
  const sumRatio = plans.filter((p) => p.pred > 0).map((p) => p.cal.l1p / p.pred);
  console.log(`\n[3] sensitivity: ${plans.length} whole-model plans (load ${loadStart3}); fp32 vs labels: exact ${pct(exactMatchRate(fpCal, cal.texts), 0)} cal, ${pct(exactMatchRate(fpHeld, held.texts), 0)} held-out`);
  console.log('    plan | fp32/int8/int4 | pred D_o | meas D_o cal | meas D_o held | meas/pred | exact cal | CER cal | exact held | CER held | ΣΔCER pred');
  for (const p of plans)
    console.log(
      `    ${p.name} | ${p.mix} | ${p.pred.toExponential(2)} | ${p.cal.l1p.toExponential(2)} | ${p.doHeld.toExponential(2)} | ${p.pred > 0 ? (p.cal.l1p / p.pred).toFixed(2) : '-'} | ${pct(p.emCal, 0)} | ${pct(p.cerCal, 2)} | ${pct(p.emHeld, 0)} | ${pct(p.cerHeld, 2)} | ${pct(p.predTask, 2)}`,
    );
  console.log(`    Spearman(pred, measured D_o), ${random.length} random plans: calibration ${rhoCal.toFixed(3)}, held-out ${rhoHeld.toFixed(3)} (goal ≥ 0.9: ${Math.min(rhoCal, rhoHeld) >= 0.9 ? 'met' : 'MISSED'}); with the 2 extremes: ${rhoCalAll.toFixed(3)} / ${rhoHeldAll.toFixed(3)}`);
  console.log(`    measured/predicted D_o (cal): median ${median(sumRatio).toFixed(2)}, range ${Math.min(...sumRatio).toFixed(2)}..${Math.max(...sumRatio).toFixed(2)}; Spearman(ΣΔCER, CER cal) ${rhoTask.toFixed(3)}, Spearman(pred D_o, CER held) ${rhoDoCer.toFixed(3)}; load ${load()}`);

  // ---- 3b. why: is it the metric, or do the groups' effects not add? ----
  // Every single-group option again, in this process, measured with the document's metric and
  // two others (mean squared error of the output probabilities and of the logits): if only the
  // metric were at fault, a sum of single-group effects in another metric would rank the plans.
  const t3b = performance.now();
  const single = new Map<string, Dist>();
  for (const g of doc.groups)
    for (const o of g.options) {
      if (o.format === 'fp32') continue;
      const { outs: [oc] } = await runAll({ [g.name]: o.format as ExecFormat }, [cal.feeds]);
      single.set(`${g.name}\n${o.format}`, meanDist(oc.map((x, i) => dist(x, refCal[i]))));
    }
  const predBy = (p: Plan, k: keyof Dist) => Object.entries(p.formats).reduce((s, [g, f]) => s + (f === 'fp32' ? 0 : single.get(`${g}\n${f}`)![k]), 0);
  const docVsHere = Math.max(...doc.groups.flatMap((g) => g.options.filter((o) => o.format !== 'fp32').map((o) => Math.abs(single.get(`${g.name}\n${o.format}`)!.l1p - o.deltaDo) / Math.max(1e-30, o.deltaDo))));
  const allInt8 = plans.find((p) => p.name === 'all int8')!;
  const above = doc.groups.filter((g) => (single.get(`${g.name}\nqdq-int8`)?.l1p ?? 0) > allInt8.cal.l1p);
  const metricRho = (k: keyof Dist) => spearman(random.map((p) => predBy(p, k)), random.map((p) => p.cal[k]));
  const rhoMetrics = { l1p: metricRho('l1p'), msep: metricRho('msep'), msel: logitName ? metricRho('msel') : NaN };
  console.log(`\n[3b] ${single.size} single-group models re-measured in ${sec(t3b)} (largest difference from the document's deltaDo: ${pct(docVsHere, 2)})`);
  console.log(`    Spearman(Σ single-group, measured), ${random.length} random plans, calibration lines: mean |Δ prob| (the document's D_o) ${rhoMetrics.l1p.toFixed(3)}, MSE of probs ${rhoMetrics.msep.toFixed(3)}, MSE of logits ${rhoMetrics.msel.toFixed(3)}`);
  console.log(`    all-int8 model D_o ${allInt8.cal.l1p.toExponential(2)} < D_o of ${above.length} single int8 groups alone (${above.slice(0, 6).map((g) => `${g.name} ${single.get(`${g.name}\nqdq-int8`)!.l1p.toExponential(2)}`).join(', ')}${above.length > 6 ? ', …' : ''}); Σ over all int8 groups ${predBy(allInt8, 'l1p').toExponential(2)}`);
  console.log(`    part 3 took ${sec(t3)}`);

  // ---- 4. summary ----
  const acc = (f: (p: Plan) => number) => `${pct(median(plans.map(f)), 1)} (min ${pct(Math.min(...plans.map(f)), 1)})`;
  console.log('\n[4] summary');
  console.log('    figure | value | goal');
  console.log(`    latency additivity, median |error| (${heads.length} heads) | ${pct(medErr)} | ≤ 10% ${medErr <= 0.1 ? 'met' : 'MISSED'}`);
  console.log(`    latency additivity, worst |error| | ${pct(worst)} | ≤ 20% ${worst <= 0.2 ? 'met' : 'MISSED'}`);
  console.log(`    predicted p95 covers measured p95 | ${pct(cover95, 0)} of heads (median meas/pred ${median(ratio95).toFixed(3)}) | -`);
  console.log(`    Spearman D_o, calibration lines (${random.length} random plans) | ${rhoCal.toFixed(3)} | ≥ 0.9 ${rhoCal >= 0.9 ? 'met' : 'MISSED'}`);
  console.log(`    Spearman D_o, 16 held-out lines | ${rhoHeld.toFixed(3)} | ≥ 0.9 ${rhoHeld >= 0.9 ? 'met' : 'MISSED'}`);
  console.log(`    exact match vs fp32 texts, held-out, median over plans | ${acc((p) => p.emHeld)} | -`);
  console.log(`    CER vs fp32 texts, held-out, median over plans | ${pct(median(plans.map((p) => p.cerHeld)), 2)} (max ${pct(Math.max(...plans.map((p) => p.cerHeld)), 2)}) | -`);
  console.log(`    options document measured in | ${docWhat} | -`);
  console.log(`    load average start → end | ${loadStart2} → ${load()} | -`);
  console.log(`    total | ${sec(t00)} | ≤ ~6 min`);
} finally {
  await device.close();
}
