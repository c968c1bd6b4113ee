/**
 * Link formats of the crossing tensors on the real PP-OCRv4 recognizer: at a spread of its cuts
 * (single-tensor cuts and the min-cut set cuts), for fp32, fp16, int8 and int8-channel, the
 * uplink bytes, the link time at the demo's 50 Mbit/s, the output distortion the format alone
 * adds (mean |y − ŷ| against the fp32 link, real forward passes) and the task metric: CER of the
 * decoded text against the fp32 link and against the labels. The baseline is the fp32 link,
 * measured in the same run on the same inputs.
 * Run: npm run bench feature-formats   (BENCH_LINES=16 rendered lines, BENCH_CUTS=12 cuts; OPTIONS=doc.json
 * adds the planner with and without link formats, from `coquant options … --link-formats fp16,int8,int8-channel`)
 */
import { loadavg } from 'node:os';
import type { HostTensor } from '../src/data/tensor.ts';
import { renderTextLines } from '../src/data/text-lines.ts';
import { loadRgb, preprocessRec } from '../src/data/images.ts';
import { bundledModels } from '../src/io/bundled-models.ts';
import { loadPpocrCharset } from '../src/ocr/dictionary.ts';
import { ctcGreedyDecodeBatch } from '../src/ocr/ctc.ts';
import { corpusCer } from '../src/ocr/cer.ts';
import { analyzeSplit } from '../src/runtime/split/split-model.ts';
import { measureFeatureOptions } from '../src/runtime/split/feature-options.ts';
import { FEATURE_FORMATS } from '../src/formats/feature-format.ts';

const LINES = Number(process.env.BENCH_LINES ?? 16);
const CUTS = Number(process.env.BENCH_CUTS ?? 12);
const LINK_BPS = 50e6;
const WIDTH = 320;

const { lines } = await renderTextLines({ count: LINES, seed: 11 });
const feeds = [];
for (const l of lines) feeds.push({ x: await preprocessRec([await loadRgb(l.png)], { minWidth: WIDTH, maxWidth: WIDTH }) });
const labels = lines.map((l) => l.text);
const charset = await loadPpocrCharset();
const decode = (outs: Record<string, HostTensor>[]) =>
  outs.map((o) => {
    const y = Object.values(o)[0];
    return ctcGreedyDecodeBatch(y.data as Float32Array, y.dims, charset)[0].text.trim();
  });

const analysis = await analyzeSplit(bundledModels().rec, new Map([['p2o.DynamicDimension.1', WIDTH]]));
const usable = analysis.candidates.filter((c) => c.agentGroups.length > 0 && c.serverParams > 0);
const picks = new Set<string>();
for (let k = 0; k < CUTS; k++) picks.add(usable[Math.round((k * (usable.length - 1)) / Math.max(1, CUTS - 1))].name);
picks.add([...usable].sort((a, b) => a.featureBytes - b.featureBytes)[0].name);
for (const c of analysis.setCandidates) picks.add(c.name);
const byName = new Map([...analysis.candidates, ...analysis.setCandidates].map((c) => [c.name, c]));

// Scored in call order: each cut's non-fp32 formats, each with the fp32 link's outputs as reference.
const vsLabels: { cand: number; ref: number }[] = [];
const t0 = performance.now();
const measured = await measureFeatureOptions(analysis, [...picks], feeds, {
  task: {
    score(outputs, reference) {
      const hyp = decode(outputs);
      const ref = decode(reference);
      vsLabels.push({ cand: corpusCer(hyp, labels), ref: corpusCer(ref, labels) });
      return corpusCer(hyp, ref);
    },
  },
});
const seconds = (performance.now() - t0) / 1000;

console.log(`PP-OCRv4 rec, input [1,3,48,${WIDTH}], ${LINES} rendered lines, link ${LINK_BPS / 1e6} Mbit/s; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}; ${seconds.toFixed(0)} s`);
console.log('\ncut (agent params)                          format        bytes   ×fp32  link ms   ΔD_o (mean|y−ŷ|)  CER vs fp32 link  CER vs labels');
let k = 0;
const summary = new Map<string, { ratio: number[]; cer: number[] }>();
for (const m of measured) {
  const c = byName.get(m.cut)!;
  const fp = m.options.find((o) => o.format === 'fp32')!;
  const refCer = vsLabels[k].ref;
  for (const o of m.options) {
    const lc = o.format === 'fp32' ? refCer : vsLabels[k++].cand;
    const ratio = o.bytes / fp.bytes;
    console.log(
      `${`${m.cut} (${c.agentParams.toLocaleString('en-US')})`.padEnd(43)} ${o.format.padEnd(12)} ${String(o.bytes).padStart(7)}  ${ratio.toFixed(3)}  ${((o.bytes * 8 * 1000) / LINK_BPS).toFixed(3).padStart(7)}   ${o.deltaDo.toExponential(2).padStart(9)}          ${(o.task ?? 0).toFixed(4)}            ${lc.toFixed(4)}`,
    );
    const s = summary.get(o.format) ?? { ratio: [], cer: [] };
    s.ratio.push(ratio);
    s.cer.push(o.task ?? 0);
    summary.set(o.format, s);
  }
}
console.log('\nformat        mean bytes ×fp32   worst CER vs fp32 link over the cuts');
for (const f of FEATURE_FORMATS) {
  const s = summary.get(f)!;
  console.log(`${f.padEnd(12)}  ${(s.ratio.reduce((a, b) => a + b, 0) / s.ratio.length).toFixed(3).padStart(10)}         ${Math.max(...s.cer).toFixed(4)}`);
}

// With an options document that has link formats (coquant options MODEL --link-formats fp16,int8,int8-channel),
// the planner with and without them, over link rates and deadlines (E0 loose, p95, objective D_o).
const optionsPath = process.env.OPTIONS;
if (optionsPath) {
  const { readFileSync } = await import('node:fs');
  const { parseOptionsDocument } = await import('../src/documents/options-document.ts');
  const { execCuts } = await import('../src/runtime/options/exec-cuts.ts');
  const { planFromOptions } = await import('../src/plan/options-plan.ts');
  const doc = parseOptionsDocument(JSON.parse(readFileSync(optionsPath, 'utf8')), optionsPath);
  const net = { overheadS: 0.002, replyBytes: 40 * 6625 * 4 };
  const withLinks = execCuts(analysis, doc, net);
  const fp32Only = execCuts(analysis, { ...doc, features: undefined }, net);
  console.log(`\nplans from ${optionsPath} (round-trip overhead 2 ms, E0 loose, p95, objective D_o)`);
  console.log('Mbit/s  T0 ms   link formats: cut / format / D_o / uplink ms            fp32 link only: cut / D_o / uplink ms');
  for (const rate of [5e6, 20e6, 50e6]) {
    for (const T0 of [0.04, 0.05, 0.08]) {
      const sys = { kappa: 1e-28, link: { rateBps: rate, txPowerW: 0.5 }, T0, E0: 1, quantile: 0.95, objective: 'do' as const };
      const show = (p: ReturnType<typeof planFromOptions>, fmt: boolean) =>
        p.feasible ? `${p.cut} ${fmt ? `${p.featureFormat ?? 'fp32'} ` : ''}${p.predicted!.Do.toExponential(2)} ${(p.predicted!.uplinkS * 1e3).toFixed(2)}` : `infeasible (min T0 ${((p.diagnosis?.minT0 ?? NaN) * 1e3).toFixed(1)} ms)`;
      console.log(`${String(rate / 1e6).padStart(6)}  ${String(T0 * 1e3).padStart(5)}   ${show(planFromOptions(doc, withLinks, sys), true).padEnd(48)} ${show(planFromOptions(doc, fp32Only, sys), false)}`);
    }
  }
}
