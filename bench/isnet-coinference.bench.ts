/**
 * ISNet co-inference, planned and run: the cut, the link format, the per-layer formats and the
 * robot clock are what coquant's executable planner picks from an options document measured on
 * the real model (the same pipeline as `coquant demo`, at ISNet's scale):
 *  1. the fp16 model widened to float32 (same values; the format writers and the link formats
 *     work on float32), its cuts found by `split` (single tensors, min-cut sets per head-size
 *     cell, and "send the input": no head, the whole model on the server);
 *  2. `options` on the emulated robot (a process under cgroup CPU bandwidth control, or time
 *     dilation), with sensitivity measured per block of layers (BENCH_BLOCKS blocks, tied) so
 *     it finishes in minutes, percentile activation ranges for int8, and every link format
 *     (fp32, fp16, int8, int8-channel) measured at the input, the set cuts and the single cut
 *     with the fewest bytes;
 *  3. the planner at the demo's link (BENCH_LINK_MBPS, default 50 Mbit/s, emulated on loopback
 *     by waiting each request's transmission time) with T0 and E0 a margin over the fastest and
 *     cheapest plans; and the best plan that keeps a head on the robot, for comparison;
 *  4. each plan split, its head written in the planned formats and run on the robot at the
 *     planned clock, its tail (taking the link format) served by `coquant serve`'s server on
 *     loopback, and the agent sending every crossing tensor in one KServe v2 binary request.
 * Printed: predicted against measured per stage (head, uplink, server, downlink, total) with the
 * error of each prediction, mask IoU and MAE against the fp16 model on held-out scenes, whether
 * the agent's answer equals the local head + link + tail bit for bit, and the load average.
 * Run: npm run bench isnet-coinference   (BENCH_CALIB, BENCH_EVAL, BENCH_BLOCKS, BENCH_CELLS,
 * BENCH_RUNS, BENCH_SLOWDOWN, BENCH_LINK_MBPS override). Outputs in out/bench-isnet-coinference/.
 */
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { isnetModels } from '../src/io/isnet-model.ts';
import { createSession, modelSignature, releaseSession, runFeed, type Session } from '../src/ort/session.ts';
import { segmentationTask, maskIou, maskMae } from '../src/tasks/segmentation.ts';
import { preoptimize } from '../src/formats/preoptimize.ts';
import { quantizeQdqInt8 } from '../src/formats/qdq-int8.ts';
import { attrInt, attrInts, DT, makeNode, onnx } from '../src/formats/onnx-graph.ts';
import { encodeModel } from '../src/graph/extract.ts';
import { FEATURE_FORMATS } from '../src/formats/feature-format.ts';
import { writeFileAtomic } from '../src/util/atomic-write.ts';
import { mean, median } from '../src/calibrate/stats.ts';
import type { Feed, HostTensor } from '../src/data/tensor.ts';
import { serializeOptionsDocument } from '../src/documents/options-document.ts';
import { budgetFloor, planFromOptions, type OptionsCut, type OptionsPlan, type OptionsSystem } from '../src/plan/options-plan.ts';
import { EmulatedDevice } from '../src/runtime/device-host/emulated-device.ts';
import { measureOptions } from '../src/runtime/options/measure-options.ts';
import { execCuts, inputCutName } from '../src/runtime/options/exec-cuts.ts';
import { measureNetworkCost } from '../src/runtime/options/network-cost.ts';
import { writeExecHead } from '../src/runtime/options/exec-head.ts';
import { analyzeSplit, splitAt } from '../src/runtime/split/split-model.ts';
import { featureFeed, planFeatures } from '../src/runtime/split/feature-wire.ts';
import { Agent, type AgentRecord } from '../src/runtime/agent/agent.ts';
import { ExecPlanSource } from '../src/runtime/agent/exec-plan-source.ts';
import { InferenceClient } from '../src/runtime/client/inference-client.ts';
import { startServer } from '../src/runtime/server/server.ts';

const env = (k: string, d: number) => Number(process.env[k] ?? d);
const CALIB = env('BENCH_CALIB', 2);
const EVAL = env('BENCH_EVAL', 4);
const BLOCKS = env('BENCH_BLOCKS', 6);
const CELLS = env('BENCH_CELLS', 4);
const RUNS = env('BENCH_RUNS', 3);
const SLOWDOWN = env('BENCH_SLOWDOWN', 4);
const LINK_MBPS = env('BENCH_LINK_MBPS', 50);
const CLOCKS = [0.75e9, 1.5e9];
const KAPPA = 1e-27;
const TX_POWER_W = 0.8;
const OUT = 'out/bench-isnet-coinference';
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const t0 = performance.now();
const clock = () => `${((performance.now() - t0) / 1000).toFixed(0)} s`;
const say = (m: string) => console.error(`[${clock()}] ${m} (load ${load()})`);

console.log(`load average at start: ${load()}; calibration scenes ${CALIB}, held-out scenes ${EVAL}, sensitivity blocks ${BLOCKS}, set-cut cells ${CELLS}, runs ${RUNS}, robot ${SLOWDOWN}× slower than one core at ${CLOCKS.map((c) => c / 1e9).join('/')} GHz, link ${LINK_MBPS} Mbit/s`);
const models = await isnetModels();
const fp16 = await createSession(models.medium);
const sig = modelSignature(fp16);
const outName = segmentationTask.outputName!(sig);
const calib = (await segmentationTask.makeInputs(sig, { count: CALIB, seed: 1 })).feeds as Feed[];
const held = (await segmentationTask.makeInputs(sig, { count: EVAL, seed: 1000 })).feeds as Feed[];
const reference: Float32Array[] = [];
for (const f of held) reference.push((await runFeed(fp16, f, [outName]))[outName].data as Float32Array);
await releaseSession(fp16);

say('widening fp16 → fp32 (same values) and finding the cuts');
const pre = await preoptimize(await readFile(models.medium), 'isnet-medium');
const fp32Path = join(OUT, 'isnet-fp32.onnx');
const preBytes = encodeModel(pre);
await writeFileAtomic(fp32Path, preBytes);
const analysis = await analyzeSplit(fp32Path, new Map(), { cells: CELLS, feed: calib[0], probeBudgetBytes: 4 * 2 ** 30 });
const usable = analysis.candidates.filter((c) => c.agentGroups.length > 0 && c.serverParams > 0);
const smallest = [...usable].sort((a, b) => a.featureBytes - b.featureBytes)[0];
const linkCuts = [inputCutName(analysis), ...analysis.setCandidates.filter((c) => c.agentGroups.length > 0 && c.serverParams > 0).map((c) => c.name), smallest.name];
say(`${analysis.candidates.length} single-tensor cuts (fewest bytes with a head: ${smallest.name}, ${(smallest.featureBytes / 2 ** 20).toFixed(1)} MiB), ${analysis.setCandidates.length} set cuts`);

say('percentile activation ranges for int8 (99.99 %)');
const ranges = (await quantizeQdqInt8(pre, calib, { calibration: { method: 'percentile' } })).ranges;

const device = await EmulatedDevice.start({ fMaxHz: Math.max(...CLOCKS), fullSpeedShare: 1 / SLOWDOWN, emulation: 'auto' });
const deviceName = `emulated robot CPU: 1 core, ${SLOWDOWN}× slower than this machine at ${(Math.max(...CLOCKS) / 1e9).toFixed(2)} GHz`;
try {
  say(`measuring the options document on the ${deviceName} (${device.emulation.kind})`);
  const tOpt = performance.now();
  const phases = new Map<string, number>();
  let lastTick = tOpt;
  const iou = (outs: Record<string, HostTensor>[], ref: Record<string, HostTensor>[]) => 1 - mean(outs.map((o, i) => maskIou(o[outName].data as Float32Array, ref[i][outName].data as Float32Array)));
  const measured = await measureOptions({
    model: preBytes,
    source: models.medium,
    feeds: calib,
    device,
    deviceName,
    clocksHz: CLOCKS,
    formats: ['qdq-int8'],
    runs: RUNS,
    ranges,
    sensitivityBlocks: BLOCKS,
    task: { name: '1 − mask IoU vs fp32', score: iou },
    links: { analysis, cuts: linkCuts, formats: [...FEATURE_FORMATS] },
    progress: (done, total, what) => {
      // Time per phase of the measurement (what each tick's step was), to see where the minutes go.
      const now = performance.now();
      const phase = what.startsWith('sensitivity') || what.includes('cannot take') ? 'sensitivity (per block)' : what.startsWith('link') ? 'link formats' : what.startsWith('kernel') || what.startsWith('latency') ? 'latency on the robot' : 'server node times';
      phases.set(phase, (phases.get(phase) ?? 0) + (now - lastTick) / 1000);
      lastTick = now;
      console.error(`      ${done}/${total} ${what} [${clock()}, load ${load()}]`);
    },
  });
  const doc = measured.doc;
  const optionsS = (performance.now() - tOpt) / 1000;
  await writeFileAtomic(join(OUT, 'options.json'), serializeOptionsDocument(doc));
  say(`options document: ${doc.groups.length} groups, ${doc.ties.length} tied blocks, ${doc.features?.length ?? 0} cuts with link formats, in ${optionsS.toFixed(0)} s`);
  console.log(`options measured in ${optionsS.toFixed(0)} s: ${[...phases].map(([k, v]) => `${k} ${v.toFixed(0)} s`).join(', ')} (the first phase includes writing the variants)`);

  // The hop, measured with a probe of ISNet's request and reply sizes (input up, the mask down): no compute.
  const g = pre.graph!;
  const probe = onnx.ModelProto.create({
    irVersion: pre.irVersion,
    opsetImport: [{ domain: '', version: 13 }],
    graph: onnx.GraphProto.create({ name: 'hop', node: [makeNode('ReduceMean', [g.input![0].name!], ['mask'], 'mean', [attrInts('axes', [1]), attrInt('keepdims', 1)])], input: [g.input![0]], output: [onnx.ValueInfoProto.create({ name: 'mask', type: { tensorType: { elemType: DT.FLOAT } } })] }),
  });
  const net = await measureNetworkCost(encodeModel(probe), held[0], join(OUT, 'hop.onnx'), 'mean', { rounds: 8 });
  say(`hop: ${(net.overheadS * 1000).toFixed(1)} ms beyond compute for ${(12).toFixed(0)} MiB up and ${(net.replyBytes / 2 ** 20).toFixed(0)} MiB down`);
  const cuts = execCuts(analysis, doc, { overheadS: net.overheadS, replyBytes: 4 * 1024 * 1024 }, { input: true });
  const base: Omit<OptionsSystem, 'T0' | 'E0'> = { kappa: KAPPA, link: { rateBps: LINK_MBPS * 1e6, txPowerW: TX_POWER_W }, quantile: 'mean', objective: 'do' };
  const localCut: OptionsCut = { name: '(local: whole model on the robot)', groups: doc.groups.map((x) => x.name), nodes: 'all', featureBytes: 0, outputBytes: 4 * 1024 * 1024, serverS: 0 };
  const local = planFromOptions(doc, [localCut], { ...base, T0: 1e9, E0: 1e9, fixed: {}, clocks: [CLOCKS.length - 1] });
  const plans: { name: string; plan: OptionsPlan }[] = [];
  const planUnder = (cs: OptionsCut[]) => {
    const floor = budgetFloor(doc, cs, base);
    return planFromOptions(doc, cs, { ...base, T0: 1.25 * floor.minT0, E0: 1.5 * floor.minE0 });
  };
  plans.push({ name: 'the plan', plan: planUnder(cuts) });
  const withHead = cuts.filter((c) => c.groups.length > 0);
  plans.push({ name: 'best plan with a head on the robot', plan: planUnder(withHead) });
  for (const p of plans) await writeFileAtomic(join(OUT, `${p.name.replace(/\W+/g, '-')}.plan.json`), `${JSON.stringify(p.plan, null, 2)}\n`);

  console.log(`\nfull precision on the robot (predicted only): ${(local.predicted!.totalMeanS * 1000).toFixed(0)} ms at ${(CLOCKS[CLOCKS.length - 1] / 1e9).toFixed(2)} GHz`);
  console.log('cuts offered (fewest bytes first, fp32 and the best link format):');
  for (const c of [...cuts].sort((a, b) => a.featureBytes - b.featureBytes).filter((c) => c.featureOptions).slice(0, 8)) {
    const lo = [...c.featureOptions!].sort((a, b) => a.bytes - b.bytes)[0];
    console.log(`  ${c.name}: ${c.tensors!.length} tensor(s), ${(c.featureBytes / 2 ** 20).toFixed(1)} MiB fp32, ${lo.format} ${(lo.bytes / 2 ** 20).toFixed(2)} MiB (ΔD_o ${lo.deltaDo.toExponential(2)}), ${c.groups.length} groups on the robot, server ${(c.serverS * 1000).toFixed(0)} ms`);
  }

  // The choice at other uplink rates (planning only): the fastest option of each kind, by the plan's own predictions.
  console.log('\nthe fastest choice at other uplink rates (predicted total, mean; planning only):');
  console.log('| uplink Mbit/s | whole model on the robot (fastest formats) | send the input | best cut with a head | fastest |');
  console.log('|---|---|---|---|---|');
  for (const mbps of [5, 10, 20, 50, 100, 200, 1000]) {
    const b = { ...base, link: { rateBps: mbps * 1e6, txPowerW: TX_POWER_W } };
    const fastest = (cs: OptionsCut[]) => {
      let best = { s: Infinity, what: '–' };
      for (const c of cs) for (const l of c.featureOptions ?? [{ format: 'fp32', bytes: c.featureBytes, deltaDo: 0 }]) {
        const s = budgetFloor(doc, [{ ...c, featureOptions: [l] }], b).minT0;
        if (s < best.s) best = { s, what: `${c.name}${c.featureBytes ? ` (${l.format})` : ''}` };
      }
      return best;
    };
    const loc = fastest([localCut]);
    const inp = fastest(cuts.filter((c) => c.groups.length === 0));
    const head = fastest(withHead);
    const win = [loc, inp, head].reduce((x, y) => (y.s < x.s ? y : x));
    const f = (x: { s: number; what: string }) => `${(x.s * 1000).toFixed(0)} ms${x === loc ? '' : `: ${x.what}`}`;
    console.log(`| ${mbps} | ${f(loc)} | ${f(inp)} | ${f(head)} | ${win === loc ? 'the robot alone' : win.what} |`);
  }

  const rows: string[] = [];
  for (const { name, plan } of plans) {
    if (!plan.feasible) {
      console.log(`\n${name}: infeasible (${plan.diagnosis?.reason})`);
      continue;
    }
    const counts = new Map<string, number>();
    for (const f of Object.values(plan.formats)) counts.set(f, (counts.get(f) ?? 0) + 1);
    console.log(`\n${name}: cut ${plan.cut} (${plan.crossing?.length ?? 1} tensor(s) cross, ${plan.featureFormat ?? 'fp32'} link, ${((plan.uplinkBytes ?? 0) / 2 ** 20).toFixed(2)} MiB up), clock ${((plan.clockHz ?? 0) / 1e9).toFixed(2)} GHz, head ${[...counts].map(([f, n]) => `${n}×${f}`).join(', ') || 'none'}; T0 ${(plan.constraints.T0 * 1000).toFixed(0)} ms, E0 ${(plan.constraints.E0 * 1000).toFixed(0)} mJ, binding ${plan.binding.join(', ')}; predicted D_o ${plan.predicted!.Do.toExponential(2)}`);
    say(`${name}: writing the head and the tail`);
    const link = planFeatures(plan);
    const halves = splitAt(analysis, plan.cut!, { link: link.formats });
    const head = await writeExecHead(encodeModel(halves.head), plan.formats, { calibration: calib, ranges: measured.ranges, where: `head at ${plan.cut}` });
    for (const w of head.warnings) console.log(`  warning: ${w}`);
    const tailPath = join(OUT, `${name.replace(/\W+/g, '-')}.tail.onnx`);
    await writeFileAtomic(tailPath, encodeModel(halves.tail));
    const server = await startServer({ models: [{ name: 'tail', path: tailPath }], host: '127.0.0.1', port: 0, logLevel: 'silent', maxBodyMb: 512, concurrency: 1 });
    const key = `head:${name}`;
    await device.load(key, head.bytes);
    const records: AgentRecord[] = [];
    let localSame = 0;
    let localMaxDiff = 0;
    const loads: number[] = [];
    try {
      const agent = new Agent({
        client: new InferenceClient({ url: server.url, timeoutMs: 120_000 }),
        tailModel: 'tail',
        feature: link.tensors[0],
        features: link.tensors,
        featureFormats: link.formats,
        outputs: [outName],
        replanner: new ExecPlanSource(plan, KAPPA, TX_POWER_W),
        headFor: async () => ({ runFeed: async (feed: Feed, names?: readonly string[]) => (await device.run(key, feed, names ? [...names] : undefined)).outputs }),
        fallback: 'fail',
        backoff: { retries: 0, baseMs: 1, maxMs: 1 },
        requestTimeoutMs: 120_000,
        emulateLinkBps: LINK_MBPS * 1e6,
        setClock: (hz) => device.setClock(hz),
        clockSource: device.emulation.kind,
      });
      say(`${name}: running the agent over ${EVAL} held-out scenes (after a warm-up)`);
      await agent.process('warm-up', held[0]);
      for (const [i, f] of held.entries()) {
        const r = await agent.process(`scene-${i}`, f);
        if (r.status !== 'ok') throw new Error(`${name}: scene ${i}: ${r.error?.code}: ${r.error?.message}`);
        records.push(r);
        loads.push(loadavg()[0]);
      }
      // The same head, link encoding and tail run here: the agent's answer should be this one.
      const hs: Session = await createSession(head.bytes);
      const ts: Session = await createSession(tailPath);
      for (const [i, f] of held.entries()) {
        const feat = await runFeed(hs, f, link.tensors);
        const y = (await runFeed(ts, featureFeed(feat, link.formats), [outName]))[outName].data as Float32Array;
        const e = records[i].outputs![outName].data as Float32Array;
        let m = 0;
        for (let j = 0; j < y.length; j++) m = Math.max(m, Math.abs(y[j] - e[j]));
        localMaxDiff = Math.max(localMaxDiff, m);
        if (m === 0) localSame++;
      }
      await releaseSession(hs);
      await releaseSession(ts);
    } finally {
      await device.release(key);
      await server.close();
    }
    const p = plan.predicted!;
    const stage = (label: string, predS: number, xs: number[]) => {
      const m = mean(xs);
      const err = predS > 0 ? `${(((predS * 1000 - m) / m) * 100).toFixed(0)}%` : '–';
      return `| ${label} | ${(predS * 1000).toFixed(0)} | ${m.toFixed(0)} | ${median(xs).toFixed(0)} | ${err} |`;
    };
    const ious = records.map((r, i) => maskIou(r.outputs![outName].data as Float32Array, reference[i]));
    const maes = records.map((r, i) => maskMae(r.outputs![outName].data as Float32Array, reference[i]));
    const table = [
      `\n${name}, ${EVAL} scenes, load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} during the run:`,
      '| stage | predicted ms | measured mean ms | measured p50 ms | prediction error (pred − meas) / meas |',
      '|---|---|---|---|---|',
      stage('head on the robot (incl. link encoding)', p.headMeanS, records.map((r) => r.stages.headMs)),
      stage('uplink', p.uplinkS, records.map((r) => r.stages.uploadMs)),
      stage('server', p.serverS, records.map((r) => r.stages.serverMs)),
      stage('downlink', p.downlinkS, records.map((r) => r.stages.downloadMs)),
      stage('total', p.totalMeanS, records.map((r) => r.stages.totalMs)),
      `mask IoU vs fp16: mean ${mean(ious).toFixed(4)}, worst ${Math.min(...ious).toFixed(4)}; MAE vs fp16 ${mean(maes).toExponential(2)}; agent = local head + link + tail bit for bit on ${localSame}/${EVAL} scenes (max |diff| ${localMaxDiff.toExponential(2)})`,
      `uplink ${((plan.uplinkBytes ?? 0) / 2 ** 20).toFixed(2)} MiB per scene; energy (device model) ${(mean(records.map((r) => r.energy.totalJ)) * 1000).toFixed(0)} mJ mean, predicted ${(p.energyJ * 1000).toFixed(0)} mJ`,
    ];
    console.log(table.join('\n'));
    rows.push(...table);
  }
  await writeFileAtomic(join(OUT, 'report.md'), `${rows.join('\n')}\n`);
  console.log(`\nload average at end: ${load()}; wall ${clock()}`);
} finally {
  await device.close();
}
