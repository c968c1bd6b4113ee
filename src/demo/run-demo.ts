/**
 * `coquant demo`: the whole workflow of SPEC §6 on the bundled PP-OCRv4 recognizer, for real.
 * profile → distortion (α) → bounds → split candidates → plan → split + quantize the head →
 * serve the tail on loopback → agent over rendered, labelled sign texts → HTML report.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadRgb, preprocessRec } from '../data/images.ts';
import { renderTextLines } from '../data/text-lines.ts';
import type { Feed } from '../data/tensor.ts';
import { runDistortion } from '../distortion/engine.ts';
import { ctcDecoder } from '../distortion/decoders.ts';
import { figure3Spec } from '../distortion/plot.ts';
import type { DistortionDocument } from '../distortion/types.ts';
import { encodeModel } from '../graph/extract.ts';
import { bundledModels } from '../io/bundled-models.ts';
import { corpusCer, exactMatchRate } from '../ocr/cer.ts';
import { loadPpocrCharset } from '../ocr/dictionary.ts';
import { solveMethod } from '../plan/baselines.ts';
import { solveExact } from '../plan/exact.ts';
import { toProblem } from '../plan/problem.ts';
import { METHODS, type PlanResult } from '../plan/result.ts';
import { parseSystem, type SystemInput } from '../plan/system.ts';
import { explainBinding } from '../plan/summary.ts';
import { profileModel, resolveOptions } from '../profile/index.ts';
import type { ProfileDocument } from '../profile/schema.ts';
import { renderVegaLiteSvg } from '../report/render-svg.ts';
import { Agent, type AgentRecord } from '../runtime/agent/agent.ts';
import { Replanner } from '../runtime/agent/replanner.ts';
import { QuantizedSessions } from '../runtime/agent/quantized-sessions.ts';
import { median } from '../calibrate/stats.ts';
import { InferenceClient } from '../runtime/client/inference-client.ts';
import { createSession, runFeed } from '../runtime/ort/session.ts';
import { startServer } from '../runtime/server/server.ts';
import { analyzeSplit, splitAt } from '../runtime/split/split-model.ts';
import { runBounds } from '../bounds/run-bounds.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { CoquantError } from '../errors.ts';
import type { BoundsReport } from '../theory/bounds-report.ts';
import { demoSystem } from './demo-system.ts';
import { writeDemoReport } from './report-html.ts';
import { profilePlots } from './profile-plots.ts';

export interface DemoOptions {
  out: string;
  lines: number;
  seed: number;
  /** Deadline in s; default: 50% of the full-precision time measured here (the agent's cost at fMax). */
  T0?: number;
  /** Energy budget in J; default: 15% of the full-precision energy at fMax by the device model. */
  E0?: number;
  linkMbps: number;
  /** Quantizer the plan's bits are applied with. */
  quantizer: { family: 'uniform-symmetric'; granularity: { kind: 'channel' }; range: 'absmax' | 'clip-l1' };
  log: (msg: string) => void;
}

export interface DemoRun {
  name: string;
  texts: string[];
  accuracy: number;
  cerVsLabels: number;
  cerVsFp: number;
  /** Median milliseconds per stage. */
  stages: Record<string, number>;
  energyJ: number;
}

export interface DemoResult {
  out: string;
  report: string;
  labels: string[];
  fp: DemoRun;
  coInference: DemoRun & { records: AgentRecord[]; paths: Record<string, number> };
  plan: PlanResult;
  baselines: PlanResult[];
  binding: string;
  system: SystemInput;
  profile: ProfileDocument;
  distortion: DistortionDocument;
  bounds: BoundsReport;
  cut: { name: string; agentParams: number; serverParams: number; featureBytes: number; featureDims: number[] };
  predicted: { agent: number; link: number; server: number; total: number; energy: number };
  figures: Record<string, string>;
  seconds: number;
}

const REC_WIDTH = 320;

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const t0 = performance.now();
  const out = resolve(o.out);
  await mkdir(out, { recursive: true });
  const step = (() => {
    let n = 0;
    let last = performance.now();
    return (msg: string) => {
      const now = performance.now();
      if (n > 0) o.log(`      done in ${((now - last) / 1000).toFixed(1)} s`);
      last = now;
      o.log(`[${++n}/10] ${msg}`);
    };
  })();
  const models = bundledModels();
  const rec = models.rec;
  const charset = await loadPpocrCharset(models.dict);
  const decoder = ctcDecoder(charset);
  const figures: Record<string, string> = {};

  step(`rendering ${o.lines} labelled sign texts (seed ${o.seed})`);
  const { lines } = await renderTextLines({ count: o.lines, seed: o.seed, outDir: join(out, 'lines') });
  const labels = lines.map((l) => l.text);
  const feeds: Feed[] = [];
  for (const l of lines) feeds.push({ x: await preprocessRec([await loadRgb(l.png)], { minWidth: REC_WIDTH, maxWidth: REC_WIDTH }) });

  step('running the full-precision model locally (the reference)');
  const fpSession = await createSession(rec, { label: rec });
  const fpTimes: number[] = [];
  const fpTexts: string[] = [];
  await runFeed(fpSession, feeds[0]); // warm-up
  for (const f of feeds) {
    const ts = performance.now();
    const outp = await runFeed(fpSession, f);
    fpTimes.push(performance.now() - ts);
    fpTexts.push(decoder.decode(Object.values(outp)[0])[0]);
  }
  await fpSession.release();
  const fpMs = median(fpTimes);

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
  await writeFileAtomic(profilePath, `${JSON.stringify(profile, null, 2)}\n`);
  Object.assign(figures, await profilePlots(profile, out));

  step('measuring output distortion with real forward passes (fits α)');
  const distortion = await runDistortion({
    modelPath: rec,
    calibration: { feeds: feeds.slice(0, Math.min(8, feeds.length)), labels: labels.slice(0, Math.min(8, feeds.length)), source: `rendered:${Math.min(8, feeds.length)} sign texts (seed ${o.seed})`, seed: o.seed },
    // The applied quantizer first (its fit is the α the plan uses), then clip-l1 for contrast: it is
    // closer to the parameter bound but worse at the output on this model.
    schemes: [
      { family: 'uniform-symmetric', granularity: { kind: 'channel' }, range: o.quantizer.range },
      { family: 'uniform-symmetric', granularity: { kind: 'channel' }, range: o.quantizer.range === 'absmax' ? 'clip-l1' : 'absmax' },
    ],
    bits: [3, 4, 5, 6, 8],
    decoder,
    cacheDir: join('.cache', 'distortion'),
  });
  const distortionPath = join(out, 'distortion.json');
  await writeFileAtomic(distortionPath, `${JSON.stringify(distortion, null, 2)}\n`);
  figures.fig3 = 'fig3-output-distortion.svg';
  await writeFileAtomic(join(out, figures.fig3), await renderVegaLiteSvg(figure3Spec(distortion.configs, 'PP-OCRv4 rec: measured D_o and α·D_p')));

  step('rate-distortion bounds beside the measured quantizers');
  const { report: bounds } = await runBounds(profilePath, { distortion: distortionPath, out, quiet: true });
  figures.fig4 = 'fig4-rd-bounds.svg';

  step('finding the cut points and measuring the feature size at each');
  const analysis = await analyzeSplit(rec, new Map([['p2o.DynamicDimension.1', REC_WIDTH]]));

  const alpha = distortion.fit.alpha > 0 && Number.isFinite(distortion.fit.alpha) ? distortion.fit.alpha : 1;
  const system = demoSystem({
    groups: profile.groups.map((g) => ({ name: g.name, params: g.params, lambda: g.lambda })),
    alpha,
    cuts: analysis.candidates,
    fpSeconds: fpMs / 1000,
    totalParams: profile.totals.params,
    T0: 1,
    E0: 1,
    linkMbps: o.linkMbps,
  });
  const agentDev = system.agent as { kappa: number; cyclesPerParamBit: number; fMax: number };
  const fpEnergy = agentDev.kappa * agentDev.cyclesPerParamBit * 32 * profile.totals.params * agentDev.fMax ** 2;
  // Default budgets scale with this machine: a share of the full-precision compute, plus the radio
  // cost of the smallest feature any cut sends, so the plan does not change with the machine's speed.
  const minFeatureBits = Math.min(...analysis.candidates.map((c) => c.featureBytes * 8));
  const linkS = minFeatureBits / system.link.rateBps;
  system.constraints = {
    T0: o.T0 ?? 0.5 * (fpMs / 1000) + linkS,
    E0: o.E0 ?? 0.15 * fpEnergy + system.link.txPowerW * linkS,
  };
  step(`planning bits, clocks and cut under T0 = ${(system.constraints.T0 * 1000).toFixed(2)} ms, E0 = ${(system.constraints.E0 * 1000).toFixed(2)} mJ`);
  const parsed = parseSystem(system);
  if (!parsed.ok) throw new Error(`demo system is invalid: ${parsed.errors.join('; ')}`);
  const problem = toProblem(parsed.value);
  const plan = solveExact(problem);
  const baselines = METHODS.filter((m) => m !== 'exact').map((m) => solveMethod(problem, m));
  const binding = explainBinding(problem, plan);
  await writeFileAtomic(join(out, 'plan.json'), `${JSON.stringify(plan, null, 2)}\n`);
  // The system the plan was made for, so `coquant agent --plan plan.json --system system.json` can re-plan.
  await writeFileAtomic(join(out, 'system.json'), `${JSON.stringify(system, null, 2)}\n`);
  if (!plan.feasible || !plan.cut) {
    throw new DemoInfeasible(plan);
  }

  step(`splitting at ${plan.cut} and quantizing the head at the planned bits`);
  const { head, tail, candidate } = splitAt(analysis, plan.cut);
  const headPath = join(out, 'head.onnx');
  const tailPath = join(out, 'tail.onnx');
  await writeFileAtomic(headPath, encodeModel(head));
  await writeFileAtomic(tailPath, encodeModel(tail));
  const cutProblem = { ...problem, cuts: problem.cuts.filter((c) => c.name === plan.cut) };
  const sessions = new QuantizedSessions(o.quantizer);
  const replanner = new Replanner(cutProblem, plan);

  step('serving the tail on loopback and running the agent over the sign stream');
  const server = await startServer({ models: [{ name: 'tail', path: tailPath }], host: '127.0.0.1', port: 0, logLevel: 'silent' });
  const records: AgentRecord[] = [];
  try {
    const agentLog: string[] = [];
    const agent = new Agent({
      client: new InferenceClient({ url: server.url, timeoutMs: 10_000 }),
      tailModel: 'tail',
      feature: plan.cut,
      replanner,
      headFor: (p) => sessions.for(headPath, p),
      localFor: (p) => sessions.for(rec, p),
      fallback: 'local',
      backoff: { retries: 2, baseMs: 20, maxMs: 200 },
      requestTimeoutMs: 5000,
      emulateLinkBps: o.linkMbps * 1e6,
      log: (e) => agentLog.push(`${e.level}: ${e.msg}`),
    });
    await sessions.for(headPath, replanner.current); // load before timing
    await agent.process('warm-up', feeds[0]);
    for (const [i, f] of feeds.entries()) records.push(await agent.process(`line-${i}`, f));
  } finally {
    await server.close();
    await sessions.releaseAll();
  }
  const texts = records.map((r) => (r.outputs ? decoder.decode(Object.values(r.outputs)[0])[0] : ''));
  const paths: Record<string, number> = {};
  for (const r of records) paths[r.path] = (paths[r.path] ?? 0) + 1;
  const stage = (k: keyof AgentRecord['stages']) => median(records.map((r) => r.stages[k]));
  const coInference = {
    name: `co-inference at planned bits (cut ${plan.cut})`,
    texts,
    accuracy: exactMatchRate(texts, labels),
    cerVsLabels: corpusCer(texts, labels),
    cerVsFp: corpusCer(texts, fpTexts),
    stages: { head: stage('headMs'), upload: stage('uploadMs'), server: stage('serverMs'), download: stage('downloadMs'), total: stage('totalMs') },
    energyJ: median(records.map((r) => r.energy.totalJ)),
    records,
    paths,
  };
  const fp: DemoRun = {
    name: 'full precision, whole model on the agent',
    texts: fpTexts,
    accuracy: exactMatchRate(fpTexts, labels),
    cerVsLabels: corpusCer(fpTexts, labels),
    cerVsFp: 0,
    stages: { head: fpMs, total: fpMs },
    energyJ: fpEnergy,
  };

  step('writing the report');
  const result: DemoResult = {
    out,
    report: join(out, 'report.html'),
    labels,
    fp,
    coInference,
    plan,
    baselines,
    binding,
    system,
    profile,
    distortion,
    bounds,
    cut: { name: candidate.name, agentParams: candidate.agentParams, serverParams: candidate.serverParams, featureBytes: candidate.featureBytes, featureDims: candidate.featureDims },
    predicted: {
      agent: (plan.delay?.agent ?? 0) * 1000,
      link: (plan.delay?.link ?? 0) * 1000,
      server: (plan.delay?.server ?? 0) * 1000,
      total: (plan.delay?.total ?? 0) * 1000,
      energy: plan.energy?.total ?? 0,
    },
    figures,
    seconds: (performance.now() - t0) / 1000,
  };
  await writeDemoReport(result);
  await writeFile(join(out, 'demo.json'), `${JSON.stringify({ ...result, coInference: { ...coInference, records: records.map(({ outputs: _o, ...r }) => r) }, profile: undefined, distortion: undefined, bounds: undefined }, null, 2)}\n`);
  return result;
}

/** The demo's budgets admit no plan: carries the planner's diagnosis to the CLI. */
export class DemoInfeasible extends CoquantError {
  constructor(readonly plan: PlanResult) {
    const d = plan.diagnosis;
    super('E_INFEASIBLE', `no plan meets the demo's budgets: ${d?.reason ?? 'every choice breaks a constraint'}`, {
      hint: `${d?.minT0 ? `a deadline of ${(d.minT0 * 1000).toFixed(1)} ms would do (--T0-ms)` : ''}${d?.minT0 && d?.minE0 ? ', or ' : ''}${d?.minE0 ? `an energy budget of ${(d.minE0 * 1000).toFixed(1)} mJ (--E0-mj)` : ''}`,
    });
  }
}
