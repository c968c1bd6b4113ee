/**
 * `coquant demo`: the whole workflow of SPEC §6 on the bundled PP-OCRv4 recognizer, for real,
 * with the plan and the run being the same program:
 * profile → distortion (α) → bounds → cuts → measure the formats on the emulated robot
 * (latency per group per clock, sensitivity per group per format) → plan cut, formats and clock
 * under T0 (at a latency quantile) and E0 → write the mixed-format head the plan names → serve
 * the tail on loopback → run the agent at the planned clock over the signs → report predicted
 * against measured per stage, for the plan and for the baselines.
 */
import { serializeDistortion } from '../../documents/distortion-document.ts';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadRgb, preprocessRec } from '../../data/images.ts';
import { renderTextLines } from '../../data/text-lines.ts';
import type { Feed, HostTensor } from '../../data/tensor.ts';
import { runDistortion } from '../../distortion/engine.ts';
import { figure3Spec } from '../../distortion/plot.ts';
import type { DistortionDocument } from '../../documents/distortion-document.ts';
import { encodeModel } from '../../graph/extract.ts';
import { bundledModels } from '../../io/bundled-models.ts';
import { corpusCer, exactMatchRate } from '../../ocr/cer.ts';
import { loadPpocrCharset } from '../../ocr/dictionary.ts';
import { withArgmaxOutput } from '../../formats/argmax-output.ts';
import { decodeRecOutput, ppocrRecTask } from '../../tasks/ppocr-rec.ts';
import { relaxedPaper } from '../../plan/baselines.ts';
import { toProblem } from '../../plan/problem.ts';
import { parseSystem, type SystemInput } from '../../plan/system.ts';
import { planFromOptions, budgetFloor, type OptionsCut, type OptionsPlan, type OptionsSystem } from '../../plan/options-plan.ts';
import { serializeOptionsDocument, type OptionsDocument } from '../../documents/options-document.ts';
import { profileModel, resolveOptions } from '../../profile/index.ts';
import { serializeProfile, type ProfileDocument } from '../../documents/profile-document.ts';
import { renderVegaLiteSvg } from '../../report/render-svg.ts';
import { Agent, type AgentRecord } from '../../runtime/agent/agent.ts';
import { ExecPlanSource } from '../../runtime/agent/exec-plan-source.ts';
import { InferenceClient } from '../../runtime/client/inference-client.ts';
import { EmulatedDevice } from '../../runtime/device-host/emulated-device.ts';
import { detectDevice } from '../../device/detect.ts';
import { cutEntries, execCuts } from '../../runtime/options/exec-cuts.ts';
import { measureNetworkCost } from '../../runtime/options/network-cost.ts';
import { measureFeatureOptions } from '../../runtime/split/feature-options.ts';
import { planFeatures } from '../../runtime/split/feature-wire.ts';
import { writeExecHead, type GroupKernel } from '../../runtime/options/exec-head.ts';
import { measureOptions } from '../../runtime/options/measure-options.ts';
import { mean, quantile } from '../../calibrate/stats.ts';
import { startServer } from '../../runtime/server/server.ts';
import { analyzeSplit, splitAt } from '../../runtime/split/split-model.ts';
import { runBounds } from '../bounds-command.ts';
import { writeFileAtomic } from '../../util/atomic-write.ts';
import { CoquantError } from '../../errors.ts';
import type { BoundsReport } from '../../theory/bounds-report.ts';
import { demoSystem } from './demo-system.ts';
import { demoSigns } from './demo-inputs.ts';
import { writeDemoReport } from './report-html.ts';
import { profilePlots } from './profile-plots.ts';

export interface DemoOptions {
  out: string;
  lines: number;
  seed: number;
  /** `--inputs`: the signs as tensors ([1,3,48,320] for input x) instead of `lines` rendered ones, labelled with the full-precision model's texts. */
  inputs?: readonly string[];
  /** Deadline in s; default: between the fastest co-inference plan and full precision on the robot. */
  T0?: number;
  /** Agent energy budget in J; default: just under what the fastest plan at the deadline uses, so the clock matters. */
  E0?: number;
  linkMbps: number;
  /** The robot is this many times slower than this machine's core at its top clock (default 4). */
  slowdown: number;
  /** Robot clocks the planner may choose, Hz. */
  clocksHz: number[];
  /** Latency quantile the deadline must hold at (default 0.95). */
  quantile: number | 'mean';
  emulation: 'auto' | 'cgroup' | 'dilation';
  /** Sensitivity per block of this many consecutive layers instead of per layer (faster, coarser); undefined: per layer. */
  sensitivityBlocks?: number;
  /** Quantizer of the paper's simulation analysis (distortion, α). */
  quantizer: { family: 'uniform-symmetric'; granularity: { kind: 'channel' }; range: 'absmax' | 'clip-l1' };
  log: (msg: string) => void;
  progress?: (done: number, total: number, what: string) => void;
}

/** Median and p90 of a stage, ms. */
export interface StageStats {
  /** The mean: what the planner's energy budget E0 and its mean delay are compared with. */
  mean: number;
  p50: number;
  p90: number;
}

export interface DemoRun {
  name: string;
  /** What the method is, in a line. */
  what: string;
  plan: OptionsPlan;
  texts: string[];
  accuracy: number;
  cerVsLabels: number;
  cerVsFp: number;
  stages: Record<'head' | 'uplink' | 'server' | 'downlink' | 'total', StageStats>;
  /** Predicted per stage, ms (head at the mean and at the planned quantile). */
  predicted: Record<'head' | 'headQ' | 'uplink' | 'server' | 'downlink' | 'total' | 'totalQ', number>;
  /** Share of inferences that met T0. */
  metT0: number;
  energyJ: StageStats;
  paths: Record<string, number>;
  kernels: GroupKernel[];
  warnings: string[];
  records: AgentRecord[];
}

export interface DemoResult {
  out: string;
  report: string;
  labels: string[];
  /** Full precision, the whole model on the robot at its top clock. */
  local: DemoRun;
  plan: DemoRun;
  /** The same budgets with the D_U objective: what the paper's distortion measure picks. */
  duPlan: DemoRun | null;
  baselines: DemoRun[];
  constraints: { T0: number; E0: number; quantile: number | 'mean' };
  /** The paper's Table I on this device, predicted: fixed clock profiles against the joint design. */
  tableI: ProfileRow[];
  /** Methods with no plan that meets T0 and E0 (so they were not run). */
  infeasible: string[];
  device: { name: string; emulation: string; clocksHz: number[]; slowdown: number };
  options: OptionsDocument;
  system: SystemInput;
  profile: ProfileDocument;
  distortion: DistortionDocument;
  bounds: BoundsReport;
  figures: Record<string, string>;
  seconds: number;
}

const REC_WIDTH = 320;
const KAPPA = 1e-27;
const TX_POWER_W = 0.8;

/** Plans with the same cut and formats share one written head. */
const headKey = (p: OptionsPlan) => `${tailKey(p)}\n${JSON.stringify(p.formats)}`;
/** Plans with the same cut and link format share one served tail. */
const tailKey = (p: OptionsPlan) => `${p.cut}\n${p.featureFormat ?? 'fp32'}`;
const stats = (xs: readonly number[]): StageStats => ({
  mean: mean(xs),
  p50: quantile(xs, 0.5),
  p90: quantile(xs, 0.9),
});

/** Nearest executable format to a continuous bit-width (the paper's rounding, to what runs). */
function nearestFormat(bits: number, formats: readonly string[]): string {
  const widths: Record<string, number> = { fp32: 32, 'qdq-int8': 8, nbits4: 4, nbits8: 8 };
  let best = formats[0];
  for (const f of formats) if (Math.abs((widths[f] ?? 32) - bits) < Math.abs((widths[best] ?? 32) - bits) || (Math.abs((widths[f] ?? 32) - bits) === Math.abs((widths[best] ?? 32) - bits) && (widths[f] ?? 32) > (widths[best] ?? 32))) best = f;
  return best;
}

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const t0 = performance.now();
  const out = resolve(o.out);
  await mkdir(out, { recursive: true });
  const STEPS = 11;
  const step = (() => {
    let n = 0;
    let last = performance.now();
    return (msg: string) => {
      const now = performance.now();
      if (n > 0) o.log(`      done in ${((now - last) / 1000).toFixed(1)} s`);
      last = now;
      o.log(`[${++n}/${STEPS}] ${msg}`);
    };
  })();
  const models = bundledModels();
  const rec = models.rec;
  const charset = await loadPpocrCharset(models.dict);
  // Logits (calibration, sensitivity) or class indices (the served tails and the local model end with ArgMax).
  const decode = (outs: Record<string, HostTensor> | undefined) => {
    const t = outs ? Object.values(outs)[0] : undefined;
    if (!t) return '';
    return decodeRecOutput(t, charset)?.[0] ?? '';
  };
  const figures: Record<string, string> = {};

  let labels: string[] = [];
  let feeds: Feed[] = [];
  if (o.inputs?.length) {
    step(`reading the signs from --inputs ${o.inputs.join(' ')} (labels: the full-precision model's texts)`);
    ({ feeds, labels } = await demoSigns(rec, o.inputs, REC_WIDTH, decode));
  } else {
    step(`rendering ${o.lines} labelled sign texts (seed ${o.seed})`);
    const { lines } = await renderTextLines({ count: o.lines, seed: o.seed, outDir: join(out, 'lines') });
    labels = lines.map((l) => l.text);
    for (const l of lines) feeds.push({ x: await preprocessRec([await loadRgb(l.png)], { minWidth: REC_WIDTH, maxWidth: REC_WIDTH }) });
  }
  // Calibration and sensitivity inputs: a separate rendered set, so the evaluation lines are unseen.
  const { lines: calLines } = await renderTextLines({ count: 8, seed: o.seed + 1000, outDir: join(out, 'calibration-lines') });
  const calFeeds: Feed[] = [];
  for (const l of calLines) calFeeds.push({ x: await preprocessRec([await loadRgb(l.png)], { minWidth: REC_WIDTH, maxWidth: REC_WIDTH }) });

  const fMax = Math.max(...o.clocksHz);
  // A board with real clock control (cpufreq, Jetson devfreq) uses it; elsewhere the clock is emulated.
  const dvfs = o.emulation === 'auto' ? detectDevice().dvfs : undefined;
  const device = await EmulatedDevice.start({ fMaxHz: fMax, fullSpeedShare: 1 / o.slowdown, emulation: o.emulation, dvfs });
  const deviceName = `emulated robot CPU: 1 core, ${o.slowdown}× slower than this machine at ${(fMax / 1e9).toFixed(2)} GHz`;
  try {
    step('profiling the weights (statistics, exponential fit, distortion per bit-width)');
    const profile = await profileModel(
      rec,
      resolveOptions({
        threads: 2,
        bits: [2, 3, 4, 5, 6, 7, 8, 10, 12, 16],
        specs: [
          ...(['uniform-symmetric', 'uniform-asymmetric', 'pot'] as const).map((family) => ({ family, granularity: { kind: 'tensor' as const }, range: 'absmax' as const })),
          { family: 'uniform-symmetric', granularity: { kind: 'channel' }, range: 'clip-l1' },
        ],
      }),
    );
    const profilePath = join(out, 'profile.json');
    await writeFileAtomic(profilePath, serializeProfile(profile));
    Object.assign(figures, await profilePlots(profile, out));

    step('measuring output distortion of simulated b-bit weights with real forward passes (fits α, for the paper analysis)');
    const distortion = await runDistortion({
      modelPath: rec,
      calibration: { feeds: calFeeds, labels: calLines.map((l) => l.text), source: `rendered:${calFeeds.length} sign texts (seed ${o.seed + 1000})`, seed: o.seed + 1000 },
      schemes: [
        { family: 'uniform-symmetric', granularity: { kind: 'channel' }, range: o.quantizer.range },
        { family: 'uniform-symmetric', granularity: { kind: 'channel' }, range: o.quantizer.range === 'absmax' ? 'clip-l1' : 'absmax' },
      ],
      bits: [3, 4, 5, 6, 8],
      task: ppocrRecTask,
      cacheDir: join('.cache', 'distortion'),
    });
    const distortionPath = join(out, 'distortion.json');
    await writeFileAtomic(distortionPath, serializeDistortion(distortion));
    figures.fig3 = 'fig3-output-distortion.svg';
    await writeFileAtomic(join(out, figures.fig3), await renderVegaLiteSvg(figure3Spec(distortion.configs, 'PP-OCRv4 rec: measured D_o and α·D_p (simulation formats)')));

    step('rate-distortion bounds beside the measured quantizers');
    const { report: bounds } = await runBounds(profilePath, { distortion: distortionPath, out, quiet: true });
    figures.fig4 = 'fig4-rd-bounds.svg';

    step('finding the cut points and measuring the feature size at each');
    const analysis = await analyzeSplit(rec, new Map([['p2o.DynamicDimension.1', REC_WIDTH]]));

    step(`measuring every executable format on the ${deviceName} (${device.emulation.kind}): latency per layer per clock, sensitivity per layer`);
    // fp32 heads at a quarter, half and three quarters of the cut list: the clock's time model is fitted on them.
    const usable = analysis.candidates.filter((c) => c.agentGroups.length > 0 && c.serverParams > 0);
    const calibrationHeads = [0.25, 0.5, 0.75].map((f) => encodeModel(splitAt(analysis, usable[Math.floor(f * (usable.length - 1))].name).head));
    const measured = await measureOptions({
      model: analysis.model.bytes,
      calibrationHeads,
      source: rec,
      feeds: calFeeds,
      device,
      deviceName,
      clocksHz: o.clocksHz,
      formats: ['qdq-int8', 'nbits4'],
      runs: 15,
      ...(o.sensitivityBlocks ? { sensitivityBlocks: o.sensitivityBlocks } : {}),
      task: { name: 'CER vs fp32 on the calibration lines', score: (outs, ref) => corpusCer(outs.map(decode), ref.map(decode)) },
      progress: o.progress,
    });
    const doc = measured.doc;
    // Link formats (fp16, int8 per tensor and per channel) where they can matter: the set cuts and the
    // two single-tensor cuts with the fewest bytes, on half the calibration lines (about a second).
    const linkCuts = [...analysis.setCandidates, ...[...usable].sort((x, y) => x.featureBytes - y.featureBytes).slice(0, 2)].filter((c) => c.agentGroups.length > 0 && c.serverParams > 0).map((c) => c.name);
    doc.features = await measureFeatureOptions(analysis, linkCuts, calFeeds.slice(0, 4));
    doc.cuts = cutEntries(analysis, doc, { only: linkCuts });
    await writeFileAtomic(join(out, 'options.json'), serializeOptionsDocument(doc));

    step('measuring the network round trip on loopback (the server answers with the model output)');
    // The robot needs the text, not every class score: the served tail and the local model end with
    // ArgMax, so the reply is 40 class indices.
    const localModel = withArgmaxOutput(analysis.model.bytes, rec);
    // The probe sends the raw input, larger than most cut features: an upper estimate of the hop.
    const net = await measureNetworkCost(localModel, feeds[0], join(out, 'probe-full.onnx'), o.quantile);
    const cuts = execCuts(analysis, doc, net).map((c) => ({ ...c, netSpread: net.spread }));
    const localCut: OptionsCut = { name: '(local: whole model on the robot)', groups: doc.groups.map((g) => g.name), nodes: 'all', featureBytes: 0, outputBytes: net.replyBytes, serverS: 0, downlinkS: 0, uplinkExtraS: 0 };
    // (the local model's ArgMax itself is a few µs; its weightless nodes are all counted)

    // Budgets. T0 between the fastest co-inference plan and full precision on the robot; E0 just
    // under the energy of the fastest plan at top clock, so the planner has to trade clock for formats.
    const base: Omit<OptionsSystem, 'T0' | 'E0'> = { kappa: KAPPA, link: { rateBps: o.linkMbps * 1e6, txPowerW: TX_POWER_W }, quantile: o.quantile, objective: 'do' };
    const top = doc.device.clocksHz.length - 1;
    const localPred = planFromOptions(doc, [localCut], { ...base, T0: 1e9, E0: 1e9, fixed: {}, clocks: [top], objective: 'do' });
    const floor = budgetFloor(doc, cuts, base);
    const localQ = localPred.predicted!.totalQuantileS;
    // When co-inference cannot beat full precision on the robot at all, the default is just above the fastest plan.
    const T0 = o.T0 ?? (localQ > floor.minT0 ? floor.minT0 + 0.5 * (localQ - floor.minT0) : 1.05 * floor.minT0);
    let E0 = o.E0;
    if (E0 === undefined) {
      const free = planFromOptions(doc, cuts, { ...base, T0, E0: 1e9 });
      const ref = free.feasible ? free.predicted!.energyJ : floor.minE0 * 2;
      E0 = ref;
      for (const f of [0.8, 0.9, 1 + 1e-9]) {
        if (planFromOptions(doc, cuts, { ...base, T0, E0: ref * f }).feasible) {
          E0 = ref * f;
          break;
        }
      }
    }
    const sys: OptionsSystem = { ...base, T0, E0 };

    step(`planning cut, per-layer formats and clock under T0 = ${(T0 * 1000).toFixed(1)} ms at p${o.quantile === 'mean' ? 'mean' : Math.round(o.quantile * 100)}, E0 = ${(E0 * 1000).toFixed(1)} mJ`);
    const plan = planFromOptions(doc, cuts, sys);
    await writeFileAtomic(join(out, 'plan.json'), `${JSON.stringify(plan, null, 2)}\n`);
    if (!plan.feasible) throw new DemoInfeasible(plan);
    const duPlan = planFromOptions(doc, cuts, { ...sys, objective: 'du', alpha: distortion.fit.alpha > 0 ? distortion.fit.alpha : 1 });
    const allInt8 = Object.fromEntries(doc.groups.map((g) => [g.name, 'qdq-int8']));
    const allFp32 = Object.fromEntries(doc.groups.map((g) => [g.name, 'fp32']));
    const fixedInt8 = planFromOptions(doc, cuts, { ...sys, fixed: allInt8 });
    const fp32Top = planFromOptions(doc, cuts, { ...sys, fixed: allFp32, clocks: [top] });
    // The paper's other baselines, on executable formats: the fixed maximum frequency with the
    // formats optimised, and "feasible random" (400 seeded format draws, each with its best cut
    // and clock; the best feasible draw wins).
    const maxClock = planFromOptions(doc, cuts, { ...sys, clocks: [top] });
    const random = feasibleRandom(doc, cuts, sys, 400, o.seed);
    const tableI = profileTable(doc, cuts, base, floor);
    // The paper's method on the bits model: continuous bits and clock by SCA, rounded to the
    // nearest executable format and the nearest clock the robot has, at the cut it picked.
    const system = demoSystem({
      groups: profile.groups.map((g) => ({ name: g.name, params: g.params, lambda: g.lambda })),
      alpha: distortion.fit.alpha > 0 && Number.isFinite(distortion.fit.alpha) ? distortion.fit.alpha : 1,
      cuts: analysis.candidates,
      fpSeconds: localPred.predicted!.headMeanS,
      totalParams: profile.totals.params,
      T0,
      E0,
      linkMbps: o.linkMbps,
    });
    await writeFileAtomic(join(out, 'system.json'), `${JSON.stringify(system, null, 2)}\n`);
    const parsed = parseSystem(system);
    if (!parsed.ok) throw new Error(`demo system is invalid: ${parsed.errors.join('; ')}`);
    const sca = relaxedPaper(toProblem(parsed.value));
    let paper: OptionsPlan | null = null;
    if (sca) {
      const fmt: Record<string, string> = {};
      sca.cut.groups.forEach((g, i) => {
        const dg = doc.groups.find((x) => x.name === g.name);
        if (dg) fmt[g.name] = nearestFormat(sca.bits[i], dg.options.map((x) => x.format));
      });
      const clocks = doc.device.clocksHz;
      let k = 0;
      for (let j = 0; j < clocks.length; j++) if (Math.abs(clocks[j] - sca.relaxed.hz) < Math.abs(clocks[k] - sca.relaxed.hz)) k = j;
      paper = planFromOptions(doc, cuts, { ...sys, fixed: withTies(doc, fmt), clocks: [k], cuts: [sca.cut.name], T0: 1e9, E0: 1e9 });
      if (paper.feasible) paper.constraints = { T0, E0 };
    }

    step('writing the planned mixed-format heads and tails, serving the tails on loopback');
    const methods: { name: string; what: string; plan: OptionsPlan | null; none?: string }[] = [
      { name: 'planned (measured sensitivity)', what: `exact plan, objective: measured output distortion, T0 at p${o.quantile === 'mean' ? 'mean' : Math.round(o.quantile * 100)}`, plan },
      { name: 'planned (D_U objective)', what: "same budgets, objective: the D_U bound of the formats' bits", plan: duPlan },
      { name: 'fixed int8', what: 'every head layer qdq-int8; cut and clock optimised', plan: fixedInt8 },
      { name: 'fp32 at top clock', what: 'head in fp32 at the top clock; cut optimised', plan: fp32Top },
      { name: 'max clock', what: "the paper's fixed maximum frequency, formats and cut optimised", plan: maxClock },
      { name: 'feasible random', what: "the paper's feasible-random: best of 400 seeded format draws, each with its best cut and clock", plan: random, none: 'none of the 400 draws meets T0 and E0' },
      { name: "paper's method", what: 'SCA on the bits model, rounded to the nearest executable format and clock', plan: paper },
    ];
    const runs = methods.flatMap((m) => (m.plan?.feasible ? [{ name: m.name, what: m.what, plan: m.plan }] : []));
    const infeasible = methods.filter((m) => !m.plan?.feasible).map((m) => (m.none ? `${m.name} (${m.none})` : m.name));
    const heads = new Map<string, { head: Uint8Array; tail: Uint8Array; kernels: GroupKernel[]; warnings: string[] }>();
    for (const r of runs) {
      const key = headKey(r.plan);
      if (heads.has(key)) continue;
      const halves = splitAt(analysis, r.plan.cut!, { link: planFeatures(r.plan).formats });
      const h = await writeExecHead(encodeModel(halves.head), r.plan.formats, { calibration: calFeeds, ranges: measured.ranges, where: `head at ${r.plan.cut}` });
      heads.set(key, { head: h.bytes, tail: withArgmaxOutput(encodeModel(halves.tail), `tail at ${r.plan.cut}`), kernels: h.kernels, warnings: h.warnings });
    }
    const main = heads.get(headKey(plan))!;
    await writeFileAtomic(join(out, 'head.onnx'), main.head);
    await writeFileAtomic(join(out, 'tail.onnx'), main.tail);
    const tailNames = new Map<string, string>();
    const tailSpecs: { name: string; path: string }[] = [];
    for (const r of runs) {
      if (tailNames.has(tailKey(r.plan))) continue;
      const name = `tail${tailNames.size}`;
      const path = join(out, `${name}.onnx`);
      await writeFileAtomic(path, heads.get(headKey(r.plan))!.tail);
      tailNames.set(tailKey(r.plan), name);
      tailSpecs.push({ name, path });
    }
    const server = await startServer({ models: tailSpecs, host: '127.0.0.1', port: 0, logLevel: 'silent' });
    const results: DemoRun[] = [];
    let local: DemoRun;
    try {
      step(`running the robot over ${feeds.length} signs: full precision locally, then each plan at its clock`);
      local = await runLocal(device, localModel, feeds, labels, localPred, decode, T0);
      const fpTexts = local.texts;
      for (const r of runs) {
        const h = heads.get(headKey(r.plan))!;
        results.push(await runPlan({ ...r, device, head: h, server: server.url, tailModel: tailNames.get(tailKey(r.plan))!, feeds, labels, fpTexts, linkBps: o.linkMbps * 1e6, decode, T0 }));
      }
    } finally {
      await server.close();
    }

    step('writing the report');
    const result: DemoResult = {
      out,
      report: join(out, 'report.html'),
      labels,
      local,
      plan: results[0],
      duPlan: results.find((r) => r.name === 'planned (D_U objective)') ?? null,
      baselines: results.filter((r) => r.name !== 'planned (measured sensitivity)' && r.name !== 'planned (D_U objective)'),
      constraints: { T0, E0, quantile: o.quantile },
      tableI,
      infeasible,
      device: { name: deviceName, emulation: doc.device.emulation, clocksHz: doc.device.clocksHz, slowdown: o.slowdown },
      options: doc,
      system,
      profile,
      distortion,
      bounds,
      figures,
      seconds: (performance.now() - t0) / 1000,
    };
    await writeDemoReport(result);
    const strip = (r: DemoRun) => ({ ...r, records: r.records.map(({ outputs: _o, ...x }) => x) });
    await writeFile(
      join(out, 'demo.json'),
      `${JSON.stringify({ ...result, local: strip(local), plan: strip(result.plan), duPlan: result.duPlan ? strip(result.duPlan) : null, baselines: result.baselines.map(strip), options: undefined, profile: undefined, distortion: undefined, bounds: undefined }, null, 2)}\n`,
    );
    return result;
  } finally {
    await device.close();
  }
}

/** One row of the Table I analogue: a threshold, and the predicted D_o of each clock profile and of the joint design. */
export interface ProfileRow {
  binding: 'delay' | 'energy';
  /** T0 (s) for delay rows, E0 (J) for energy rows; the other budget is unlimited. */
  threshold: number;
  /** Predicted D_o per fixed clock (ascending clocks), null when infeasible. */
  profiles: (number | null)[];
  joint: number | null;
}

/** The paper's Table I on the measured device: low/medium/high clock profiles against the joint design, under delay-only and energy-only thresholds. */
function profileTable(doc: OptionsDocument, cuts: readonly OptionsCut[], base: Omit<OptionsSystem, 'T0' | 'E0'>, floor: { minT0: number; minE0: number }): ProfileRow[] {
  const rows: ProfileRow[] = [];
  const clocks = doc.device.clocksHz.map((_, k) => k);
  const value = (sys: OptionsSystem) => {
    const p = planFromOptions(doc, cuts, sys);
    return p.feasible ? p.predicted!.Do : null;
  };
  for (const f of [1.02, 1.1, 1.25]) {
    const T0 = floor.minT0 * f;
    rows.push({ binding: 'delay', threshold: T0, profiles: clocks.map((k) => value({ ...base, T0, E0: 1e9, clocks: [k] })), joint: value({ ...base, T0, E0: 1e9 }) });
  }
  for (const f of [1.02, 1.1, 1.25]) {
    const E0 = floor.minE0 * f;
    rows.push({ binding: 'energy', threshold: E0, profiles: clocks.map((k) => value({ ...base, T0: 1e9, E0, clocks: [k] })), joint: value({ ...base, T0: 1e9, E0 }) });
  }
  return rows;
}

/**
 * A per-group format assignment made to respect the document's ties (groups measured together,
 * e.g. with --sensitivity-blocks, take one format): each tie takes the format its largest
 * member was given. Without this a baseline that picks formats group by group would split a tie,
 * which the planner refuses.
 */
function withTies(doc: OptionsDocument, fixed: Readonly<Record<string, string>>): Record<string, string> {
  const out = { ...fixed };
  const params = new Map(doc.groups.map((g) => [g.name, g.params]));
  for (const tie of doc.ties) {
    const given = tie.filter((n) => out[n] !== undefined);
    if (given.length === 0) continue;
    const lead = given.reduce((a, b) => ((params.get(b) ?? 0) > (params.get(a) ?? 0) ? b : a));
    for (const n of tie) if (out[n] !== undefined) out[n] = out[lead]!;
  }
  return out;
}

/** The paper's feasible-random baseline on executable formats (seeded; the best feasible draw). */
function feasibleRandom(doc: OptionsDocument, cuts: readonly OptionsCut[], sys: OptionsSystem, draws: number, seed: number): OptionsPlan | null {
  let s = (seed * 2654435761) >>> 0 || 1;
  const rnd = () => ((s = (Math.imul(s ^ (s >>> 15), 2246822519) + 0x6d2b79f5) >>> 0) / 2 ** 32);
  let best: OptionsPlan | null = null;
  for (let i = 0; i < draws; i++) {
    const fixed = withTies(doc, Object.fromEntries(doc.groups.map((g) => [g.name, g.options[Math.floor(rnd() * g.options.length)].format])));
    const p = planFromOptions(doc, cuts, { ...sys, fixed });
    if (p.feasible && (!best || p.predicted!.objective < best.predicted!.objective)) best = p;
  }
  return best;
}

async function runLocal(device: EmulatedDevice, model: Uint8Array, feeds: Feed[], labels: string[], pred: OptionsPlan, decode: (o: Record<string, HostTensor>) => string, T0: number): Promise<DemoRun> {
  await device.setClock(pred.clockHz!);
  await device.load('local', model);
  await device.run('local', feeds[0]);
  const times: number[] = [];
  const texts: string[] = [];
  for (const f of feeds) {
    const r = await device.run('local', f);
    times.push(r.ms);
    texts.push(decode(r.outputs));
  }
  await device.release('local');
  const p = pred.predicted!;
  const zero = { mean: 0, p50: 0, p90: 0 };
  const energies = times.map((t) => KAPPA * pred.clockHz! ** 3 * (t / 1000));
  return {
    name: 'full precision on the robot',
    what: 'the whole model in fp32 on the robot at its top clock, no server',
    plan: pred,
    texts,
    accuracy: exactMatchRate(texts, labels),
    cerVsLabels: corpusCer(texts, labels),
    cerVsFp: 0,
    stages: { head: stats(times), uplink: zero, server: zero, downlink: zero, total: stats(times) },
    predicted: { head: p.headMeanS * 1000, headQ: p.headQuantileS * 1000, uplink: 0, server: 0, downlink: 0, total: p.totalMeanS * 1000, totalQ: p.totalQuantileS * 1000 },
    metT0: times.filter((t) => t <= T0 * 1000).length / Math.max(1, times.length),
    energyJ: stats(energies),
    paths: { local: feeds.length },
    kernels: [],
    warnings: [],
    records: [],
  };
}

async function runPlan(a: {
  name: string;
  what: string;
  plan: OptionsPlan;
  device: EmulatedDevice;
  head: { head: Uint8Array; kernels: GroupKernel[]; warnings: string[] };
  server: string;
  tailModel: string;
  feeds: Feed[];
  labels: string[];
  fpTexts: string[];
  linkBps: number;
  decode: (o: Record<string, HostTensor> | undefined) => string;
  T0: number;
}): Promise<DemoRun> {
  const { device, plan } = a;
  const key = `head:${a.name}`;
  await device.load(key, a.head.head);
  const source = new ExecPlanSource(plan, KAPPA, TX_POWER_W);
  const runner = { runFeed: async (feed: Feed, names?: readonly string[]) => (await device.run(key, feed, names ? [...names] : undefined)).outputs };
  // Every crossing tensor of the plan's cut, in its planned link format (a plan without `crossing` sends its cut tensor).
  const link = planFeatures(plan);
  const agent = new Agent({
    client: new InferenceClient({ url: a.server, timeoutMs: 10_000 }),
    tailModel: a.tailModel,
    feature: link.tensors[0] ?? plan.cut!,
    ...(link.tensors.length ? { features: link.tensors, featureFormats: link.formats } : {}),
    replanner: source,
    headFor: async () => runner,
    fallback: 'fail',
    backoff: { retries: 2, baseMs: 20, maxMs: 200 },
    requestTimeoutMs: 5000,
    emulateLinkBps: a.linkBps,
    setClock: (hz) => device.setClock(hz),
    clockSource: device.emulation.kind,
  });
  await agent.process('warm-up', a.feeds[0]);
  const records: AgentRecord[] = [];
  for (const [i, f] of a.feeds.entries()) records.push(await agent.process(`line-${i}`, f));
  await device.release(key);
  const texts = records.map((r) => a.decode(r.outputs));
  const paths: Record<string, number> = {};
  for (const r of records) paths[r.path] = (paths[r.path] ?? 0) + 1;
  const st = (f: (r: AgentRecord) => number) => stats(records.map(f));
  const p = plan.predicted!;
  return {
    name: a.name,
    what: a.what,
    plan,
    texts,
    accuracy: exactMatchRate(texts, a.labels),
    cerVsLabels: corpusCer(texts, a.labels),
    cerVsFp: corpusCer(texts, a.fpTexts),
    stages: { head: st((r) => r.stages.headMs), uplink: st((r) => r.stages.uploadMs), server: st((r) => r.stages.serverMs), downlink: st((r) => r.stages.downloadMs), total: st((r) => r.stages.totalMs) },
    predicted: { head: p.headMeanS * 1000, headQ: p.headQuantileS * 1000, uplink: p.uplinkS * 1000, server: p.serverS * 1000, downlink: p.downlinkS * 1000, total: p.totalMeanS * 1000, totalQ: p.totalQuantileS * 1000 },
    metT0: records.filter((r) => r.status === 'ok' && r.stages.totalMs <= a.T0 * 1000).length / Math.max(1, records.length),
    energyJ: st((r) => r.energy.totalJ),
    paths,
    kernels: a.head.kernels,
    warnings: a.head.warnings,
    records,
  };
}

/** The demo's budgets admit no plan: carries the planner's diagnosis to the CLI. */
export class DemoInfeasible extends CoquantError {
  constructor(readonly plan: OptionsPlan) {
    const d = plan.diagnosis;
    super('E_INFEASIBLE', `no plan meets the demo's budgets: ${d?.reason ?? 'every choice breaks a constraint'}`, {
      hint: `${d?.minT0 ? `a deadline of ${(d.minT0 * 1000).toFixed(1)} ms would do (--T0-ms)` : ''}${d?.minT0 && d?.minE0 ? ', or ' : ''}${d?.minE0 ? `an energy budget of ${(d.minE0 * 1000).toFixed(1)} mJ (--E0-mj)` : ''}`,
    });
  }
}
