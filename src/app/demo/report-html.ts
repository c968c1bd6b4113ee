/**
 * The demo's HTML report: one self-contained file (figures inlined as SVG) that shows what was
 * planned, what ran, and how prediction compares with measurement.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../util/atomic-write.ts';
import type { DemoResult, DemoRun } from './run-demo.ts';

const esc = (s: unknown) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const ms = (x: number | undefined) => (x === undefined ? '–' : x < 10 ? x.toFixed(2) : x.toFixed(1));
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const sci = (x: number | null | undefined) => (x === null || x === undefined ? '–' : x.toExponential(3));

function table(head: string[], rows: (string | number)[][]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

async function figure(out: string, file: string | undefined, caption: string): Promise<string> {
  if (!file) return '';
  try {
    const svg = await readFile(join(out, file), 'utf8');
    return `<figure>${svg}<figcaption>${esc(caption)} <a href="${esc(file)}">${esc(file)}</a></figcaption></figure>`;
  } catch {
    return '';
  }
}

function formatsSummary(r: DemoRun): string {
  const counts = new Map<string, number>();
  for (const f of Object.values(r.plan.formats)) counts.set(f, (counts.get(f) ?? 0) + 1);
  return [...counts].map(([f, n]) => `${n}×${f}`).join(', ') || '–';
}

const err = (pred: number, meas: number) => (pred > 0 && meas > 0 ? `${(((meas - pred) / pred) * 100).toFixed(0)}%` : '–');

export async function writeDemoReport(r: DemoResult): Promise<void> {
  const p = r.plan;
  const fit = r.distortion.fit;
  const qLabel = r.constraints.quantile === 'mean' ? 'mean' : `p${Math.round(r.constraints.quantile * 100)}`;
  const all = [r.local, p, ...(r.duPlan ? [r.duPlan] : []), ...r.baselines];
  const headline = table(
    ['run', 'what', 'cut', 'clock (GHz)', 'head formats', 'accuracy', 'CER vs fp32', 'total p50 / p90 (ms, measured)', `total mean / ${qLabel} (ms, predicted)`, 'met T0', 'energy p50 (mJ) vs E0'],
    all.map((x) => [
      x.name,
      x.what,
      x.plan.cut ? `${x.plan.cut}${x.plan.featureFormat && x.plan.featureFormat !== 'fp32' ? ` (${x.plan.featureFormat} link)` : ''}` : '–',
      ((x.plan.clockHz ?? 0) / 1e9).toFixed(2),
      x === r.local ? 'all fp32' : formatsSummary(x),
      pct(x.accuracy),
      pct(x.cerVsFp),
      `${ms(x.stages.total.p50)} / ${ms(x.stages.total.p90)}`,
      `${ms(x.predicted.total)} / ${ms(x.predicted.totalQ)}`,
      pct(x.metT0),
      `${ms(x.energyJ.p50 * 1000)} / ${ms(r.constraints.E0 * 1000)}`,
    ]),
  );
  const stageRows = (x: DemoRun) => {
    const rows: [string, number, number, StageKey][] = [
      ['head on the robot', x.predicted.head, x.predicted.headQ, 'head'],
      ['uplink (emulated radio + protocol)', x.predicted.uplink, x.predicted.uplink, 'uplink'],
      ['edge server: tail', x.predicted.server, x.predicted.server, 'server'],
      ['downlink (reply)', x.predicted.downlink, x.predicted.downlink, 'downlink'],
      ['total', x.predicted.total, x.predicted.totalQ, 'total'],
    ];
    return table(
      ['stage', 'predicted mean (ms)', `predicted ${qLabel} (ms)`, 'measured p50 (ms)', 'measured p90 (ms)', 'error of the mean vs p50'],
      rows.map(([n, m, q, k]) => [n, ms(m), ms(q), ms(x.stages[k].p50), ms(x.stages[k].p90), err(m, x.stages[k].p50)]),
    );
  };
  const kernels = table(
    ['group', 'planned format', 'kernel onnxruntime runs', 'as planned'],
    p.kernels.filter((k) => k.planned !== 'fp32' || !k.ok).map((k) => [k.group, k.planned, k.kernel, k.ok ? 'yes' : 'NO']),
  );
  const lines = table(
    ['#', 'label', 'full precision read', 'co-inference read', 'answered by', 'total (ms)'],
    r.labels.map((l, i) => [i, l, r.local.texts[i], p.texts[i], p.records[i]?.path ?? '–', ms(p.records[i]?.stages.totalMs)]),
  );
  const distRows = r.distortion.configs.flatMap((c) =>
    c.points.map((pt) => [c.config, pt.bits, sci(pt.Dp), sci(pt.Do), pt.relL2 === null ? '–' : pct(pt.relL2), pt.quality?.accuracy !== undefined ? pct(pt.quality.accuracy) : '–', pt.quality?.cerVsFp !== undefined ? pct(pt.quality.cerVsFp) : '–']),
  );
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>coquant demo report</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:1em 0;font-size:13px}th,td{border:1px solid #ddd;padding:4px 8px;text-align:left}
th{background:#f4f4f4}figure{margin:1em 0}figcaption{color:#555;font-size:12px}
.note{background:#fff8e1;border-left:4px solid #f0c000;padding:.5em 1em}
code{background:#f4f4f4;padding:0 3px}
</style></head><body>
<h1>coquant demo: a robot reading signs with a split, mixed-format PP-OCRv4 recognizer</h1>
<p>Generated ${esc(new Date().toISOString())} in ${r.seconds.toFixed(1)} s by <code>coquant demo</code>. ${r.labels.length} sign texts were rendered with known labels and read
by the robot: first with the whole model in fp32, then by co-inference with each plan. The robot is <b>${esc(r.device.name)}</b>, emulated as
<code>${esc(r.device.emulation)}</code>: its clock really changes the run time. The head runs the formats the plan names (int8 QDQ integer kernels,
MatMulNBits, fp32), the edge server (<code>coquant serve</code> on loopback, KServe v2 with binary tensors) runs the fp32 tail.</p>
<p class="note">What is measured and what is modelled: every time is measured. The uplink's radio time is emulated (the agent waits bits/rate before
sending); the rest of the link is loopback. Energy is the device model κ·C·f² with C = f·t from the measured head time (no power meter here), plus
P·S/r for the radio. The robot shares this machine's two cores with the server.</p>

<h2>Result</h2>
<p>Budgets: T0 = ${ms(r.constraints.T0 * 1000)} ms, held at the ${qLabel} of the latency; E0 = ${ms(r.constraints.E0 * 1000)} mJ per decision.</p>
${headline}
${r.infeasible.length ? `<p>No plan meets T0 and E0 for: ${r.infeasible.map(esc).join('; ')}. They were not run.</p>` : ''}

<h2>The plan: predicted against measured, per stage</h2>
<p>Cut after <code>${esc(p.plan.cut)}</code>${p.plan.crossing && p.plan.crossing.length > 1 ? ` (${p.plan.crossing.length} tensors cross)` : ''}, link ${esc(p.plan.featureFormat ?? 'fp32')} (${(((p.plan.uplinkBytes ?? 0)) / 1024).toFixed(1)} KiB up), robot clock ${((p.plan.clockHz ?? 0) / 1e9).toFixed(2)} GHz, head formats ${esc(formatsSummary(p))};
predicted D_o ${sci(p.plan.predicted?.Do)} (the sum of the groups' measured contributions); binding: ${esc(p.plan.binding.join(', '))};
solver: ${p.plan.solver.exact ? 'certified optimal' : 'NOT certified'} over ${p.plan.solver.instances} cut × clock instances in ${p.plan.solver.ms.toFixed(1)} ms.</p>
${stageRows(p)}
<h3>Full precision on the robot</h3>
${stageRows(r.local)}
${r.duPlan ? `<h3>The D_U objective at the same budgets</h3><p>${esc(r.duPlan.what)}: accuracy ${pct(r.duPlan.accuracy)} against ${pct(p.accuracy)} for the measured-sensitivity plan.</p>${stageRows(r.duPlan)}` : ''}

<h2>The paper's Table I on this robot (predicted D_o; lower is better)</h2>
<p>Fixed clock profiles against the joint design, under a delay-only threshold (no energy budget) and an energy-only threshold
(no deadline), each a little above the least budget any plan needs. Predicted from the measured options document, not run.
When the deadline binds, the fastest profile wins; when the energy binds, the slowest does; the joint design matches the best of them.</p>
${table(
  ['binding', 'threshold', ...r.device.clocksHz.map((h) => `${(h / 1e9).toFixed(2)} GHz profile`), 'joint design'],
  r.tableI.map((row) => [
    row.binding,
    row.binding === 'delay' ? `T0 = ${ms(row.threshold * 1000)} ms` : `E0 = ${ms(row.threshold * 1000)} mJ`,
    ...row.profiles.map((v) => (v === null ? 'infeasible' : sci(v))),
    row.joint === null ? 'infeasible' : sci(row.joint),
  ]),
)}

<h2>What onnxruntime runs for each quantized group of the head</h2>
${p.warnings.length ? `<p class="note">${p.warnings.map(esc).join('<br>')}</p>` : '<p>Every quantized group runs the integer kernel the plan names.</p>'}
${kernels}

<h2>Rate-distortion bounds (the paper's analysis, simulation formats)</h2>
<ul>${r.bounds.recommendations.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>
${await figure(r.out, r.figures.fig4, 'Figure 4: D_L and D_U against rate, and the measured quantizers.')}

<h2>Output distortion of simulated b-bit weights (fake quantization: for analysis, not executed)</h2>
<p>D_o ≈ α·D_p with α = ${fit.alpha.toFixed(3)} (R² = ${fit.r2.toFixed(3)}, worst relative error ${pct(fit.maxRelErr)}), fitted on ${r.distortion.inputs.samples} rendered lines.</p>
${table(['quantizer', 'bits', 'D_p', 'D_o', 'rel. L2', 'accuracy', 'CER vs full precision'], distRows)}
${await figure(r.out, r.figures.fig3, 'Figure 3: measured output distortion and α·D_p against bit-width.')}

<h2>Weights</h2>
<p>${r.profile.totals.params.toLocaleString('en-US')} weights in ${r.profile.totals.groups} tensors; mean |w| = ${sci(r.profile.totals.meanAbs)},
λ = ${r.profile.totals.lambda.toFixed(2)}, KS distance of the exponential fit ${r.profile.totals.ks.toFixed(3)}.</p>
${await figure(r.out, r.figures.fig2, 'Figure 2: magnitude histogram and the fitted exponential density.')}
${await figure(r.out, r.figures.fig3p, 'Parameter distortion against bit-width per family.')}

<h2>Every line</h2>
${lines}
<p>Files: <a href="options.json">options.json</a> (the measured formats, <code>coquant.options/1</code>), <a href="plan.json">plan.json</a>, <a href="profile.json">profile.json</a>, <a href="distortion.json">distortion.json</a>,
<a href="bounds.json">bounds.json</a>, <a href="demo.json">demo.json</a>, <a href="head.onnx">head.onnx</a>, <a href="tail.onnx">tail.onnx</a>.</p>
</body></html>
`;
  await writeFileAtomic(r.report, html);
}

type StageKey = 'head' | 'uplink' | 'server' | 'downlink' | 'total';
