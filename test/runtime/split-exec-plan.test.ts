import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Feed, HostTensor } from '../../src/data/tensor.ts';
import { bundledModels } from '../../src/io/bundled-models.ts';
import { encodeModel } from '../../src/graph/extract.ts';
import { weightGroupsOf } from '../../src/formats/mixed-format.ts';
import { preoptimize } from '../../src/formats/preoptimize.ts';
import { isFeatureFormat, type FeatureFormat } from '../../src/formats/feature-format.ts';
import { OPTIONS_SCHEMA, parseOptionsDocument, type OptionsDocument } from '../../src/documents/options-document.ts';
import { planLink, readPlanFile } from '../../src/documents/plan-document.ts';
import { planFromOptions, type OptionsPlan, type OptionsSystem } from '../../src/plan/options-plan.ts';
import { ExecPlanSource } from '../../src/runtime/agent/exec-plan-source.ts';
import { linkAgent } from './helpers.ts';
import { runAgentCli } from '../../src/app/agent-command.ts';
import { createSession, releaseSession, runFeed } from '../../src/ort/session.ts';
import { startServer, type RunningServer } from '../../src/runtime/server/server.ts';
import { cutEntries, execCuts, inputCutName } from '../../src/runtime/options/exec-cuts.ts';
import { writeExecHead } from '../../src/runtime/options/exec-head.ts';
import { analyzeSplit, splitAt, type SplitAnalysis } from '../../src/runtime/split/split-model.ts';
import { featureFeed } from '../../src/runtime/split/feature-wire.ts';
import { measureFeatureOptions } from '../../src/runtime/split/feature-options.ts';

let dir: string;
let analysis: SplitAnalysis;
let doc: OptionsDocument;
const feedOf = (seed: number): Feed => ({ x: { type: 'float32', dims: [1, 3, 64, 64], data: Float32Array.from({ length: 3 * 64 * 64 }, (_, i) => Math.cos(i * 0.11 + seed)) } });
const feeds = [feedOf(0), feedOf(1)];

/**
 * An options document for the detector with made-up latencies (so the plan is forced where the
 * test wants it) and real measurements where the run depends on them: the link formats' bytes
 * and ΔD_o at every set cut and at the input, the cuts' crossing tensors and server times.
 */
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'coquant-exec-plan-'));
  analysis = await analyzeSplit(bundledModels().det, new Map([['x:2', 64], ['x:3', 64]]));
  const pre = await preoptimize(analysis.model.bytes, 'det');
  const groups = weightGroupsOf(pre).map((g) => ({
    name: g.name,
    node: g.node,
    op: g.op,
    params: g.params,
    options: [
      { format: 'fp32', executable: true, latencyS: [1e-3], bytes: 4 * g.params, deltaDo: 0 },
      { format: 'qdq-int8', executable: true, latencyS: [2e-4], bytes: g.params, deltaDo: 1e-4 },
    ],
  }));
  const base = parseOptionsDocument({ schema: OPTIONS_SCHEMA, model: { source: 'det' }, device: { name: 'test', clocksHz: [1e9] }, overheadS: [0], distortion: { metric: 'test' }, groups, server: { nodeS: {}, overheadS: 0.002 } });
  const cuts = [...analysis.setCandidates.map((c) => c.name), inputCutName(analysis)];
  doc = { ...base, features: await measureFeatureOptions(analysis, cuts, feeds), cuts: cutEntries(analysis, base, { input: true, only: cuts }) };
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const bytesOf = (t: HostTensor) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
const sys = (o: Partial<OptionsSystem>): OptionsSystem => ({ kappa: 1e-27, link: { rateBps: 1e6, txPowerW: 0.5 }, T0: 10, E0: 10, quantile: 'mean', objective: 'do', ...o });

/** Runs a plan as the commands do: head as planned, tail taking the link formats served on loopback, the agent sending every crossing tensor. */
async function runPlanned(plan: OptionsPlan, name: string): Promise<{ edge: Record<string, HostTensor>; local: Record<string, HostTensor>; upBytes: number }> {
  const planPath = join(dir, `${name}.plan.json`);
  await writeFile(planPath, `${JSON.stringify(plan, null, 2)}\n`);
  const file = await readPlanFile(planPath);
  if (file.kind !== 'exec') throw new Error('not an exec plan');
  const link = planLink(file.doc);
  const formats = Object.fromEntries(Object.entries(link.formats).map(([t, f]) => [t, f as FeatureFormat]));
  const halves = splitAt(analysis, plan.cut!, { link: formats });
  const head = await writeExecHead(encodeModel(halves.head), plan.formats, { calibration: feeds, where: `head at ${plan.cut}` });
  expect(head.warnings).toEqual([]);
  expect(head.kernels.filter((k) => k.planned === 'qdq-int8').every((k) => k.integer)).toBe(true);
  const tailPath = join(dir, `${name}.tail.onnx`);
  await writeFile(tailPath, encodeModel(halves.tail));
  await writeFile(join(dir, `${name}.head.onnx`), head.bytes);
  const headSession = await createSession(head.bytes, { intraOpThreads: 1 });
  const tailSession = await createSession(tailPath, { intraOpThreads: 1 });
  let server: RunningServer | undefined;
  try {
    const feed = feedOf(7);
    const features = await runFeed(headSession, feed, link.tensors);
    const local = await runFeed(tailSession, featureFeed(features, formats));
    server = await startServer({ models: [{ name: 'tail', path: tailPath }], host: '127.0.0.1', port: 0, logLevel: 'silent', concurrency: 1, intraOpThreads: 1 });
    const agent = linkAgent(server.url, link.tensors, formats, headSession, new ExecPlanSource(plan, 1e-27, 0.5));
    const r = await agent.process('r0', feed);
    expect(r.status, r.error?.message).toBe('ok');
    expect(r.path).toBe('edge');
    return { edge: r.outputs!, local, upBytes: plan.uplinkBytes! };
  } finally {
    await server?.close();
    await releaseSession(headSession);
    await releaseSession(tailSession);
  }
}

describe('an executable plan with a set cut and a link format, run by the agent against coquant serve', () => {
  // Invariant: what the planner picks (several crossing tensors, an int8 link, int8 weights) is what
  // runs: the served tail's answer equals the local head + link encoding + tail, bit for bit.
  it('a set cut with an int8 link and int8 head layers', async () => {
    const sets = new Set(analysis.setCandidates.map((c) => c.name));
    const cuts = execCuts(doc.cuts!, doc, { overheadS: 0, replyBytes: 0 }).filter((c) => sets.has(c.name));
    // A slow uplink and a deadline fp32 and fp16 links cannot meet: only an int8 link fits.
    const cut = cuts.find((c) => c.tensors!.length >= 3)!;
    const int8Bytes = Math.min(...cut.featureOptions!.filter((o) => o.format.startsWith('int8')).map((o) => o.bytes));
    // About half the head's layers must be int8 too (1 ms fp32, 0.2 ms int8 each).
    const plan = planFromOptions(doc, [cut], sys({ T0: (int8Bytes * 8) / 1e6 + cut.serverS + cut.groups.length * 6e-4 }));
    expect(plan.feasible).toBe(true);
    expect(plan.featureFormat).toMatch(/^int8/);
    expect(plan.crossing!.length).toBeGreaterThanOrEqual(3);
    expect(plan.crossing!.every((c) => c.format === plan.featureFormat)).toBe(true);
    expect(Object.values(plan.formats)).toContain('qdq-int8');
    const { edge, local } = await runPlanned(plan, 'set-int8');
    for (const [k, t] of Object.entries(local)) expect(bytesOf(edge[k]).equals(bytesOf(t)), k).toBe(true);
    // `coquant agent --plan` itself: it reads the crossing tensors and link formats from the plan file.
    const server = await startServer({ models: [{ name: 'tail', path: join(dir, 'set-int8.tail.onnx') }], host: '127.0.0.1', port: 0, logLevel: 'silent' });
    const write = process.stdout.write;
    const writeErr = process.stderr.write;
    try {
      process.stdout.write = (() => true) as typeof process.stdout.write;
      process.stderr.write = (() => true) as typeof process.stderr.write;
      const out = join(dir, 'records.jsonl');
      await runAgentCli({ server: server.url, model: 'tail', head: join(dir, 'set-int8.head.onnx'), plan: join(dir, 'set-int8.plan.json'), render: 2, seed: 1, dim: ['p2o.DynamicDimension.0=1', 'p2o.DynamicDimension.1=64', 'p2o.DynamicDimension.2=64'], quantizer: 'uniform-symmetric/channel/absmax', fallback: 'fail', retries: 0, timeoutMs: 10_000, sysfs: join(dir, 'no-sysfs'), out });
      const records = (await readFile(out, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
      expect(records.map((r) => [r.status, r.path])).toEqual([['ok', 'edge'], ['ok', 'edge']]);
    } finally {
      process.stdout.write = write;
      process.stderr.write = writeErr;
      await server.close();
    }
  }, 120_000);

  it('sending the input as int8 (no head): the whole model served, the link format chosen', async () => {
    const all = execCuts(doc.cuts!, doc, { overheadS: 0, replyBytes: 0 });
    const input = all.find((c) => c.name === inputCutName(analysis))!;
    expect(input.groups).toEqual([]);
    const plan = planFromOptions(doc, [input], sys({ T0: (0.3 * input.featureBytes * 8) / 1e6 + input.serverS }));
    expect(plan.feasible).toBe(true);
    expect(plan.featureFormat).toMatch(/^int8/);
    expect(plan.formats).toEqual({});
    const { edge, local } = await runPlanned(plan, 'input-int8');
    for (const [k, t] of Object.entries(local)) expect(bytesOf(edge[k]).equals(bytesOf(t)), k).toBe(true);
  }, 120_000);
});

describe('plan documents with set cuts', () => {
  it('round-trip through the reader with their crossing tensors and formats; a plan from before set cuts still reads', async () => {
    const cuts = execCuts(doc.cuts!, doc, { overheadS: 0, replyBytes: 0 });
    const plan = planFromOptions(doc, cuts, sys({}));
    expect(plan.feasible).toBe(true);
    const path = join(dir, 'rt.plan.json');
    await writeFile(path, JSON.stringify(plan));
    const file = await readPlanFile(path);
    expect(file.kind).toBe('exec');
    if (file.kind !== 'exec') return;
    expect(file.doc.crossing).toEqual(plan.crossing);
    expect(planLink(file.doc).tensors).toEqual(plan.crossing!.map((c) => c.name));
    for (const f of Object.values(planLink(file.doc).formats)) expect(isFeatureFormat(f)).toBe(true);
    const { crossing: _c, uplinkBytes: _u, ...old } = plan;
    await writeFile(path, JSON.stringify(old));
    const oldFile = await readPlanFile(path);
    expect(oldFile.kind === 'exec' && planLink(oldFile.doc)).toEqual({ tensors: [], formats: {} });
    await writeFile(path, JSON.stringify({ ...plan, crossing: [{ name: 'a', format: 'int8' }] }));
    await expect(readPlanFile(path)).rejects.toThrow(/crossing/);
    expect(JSON.parse(await readFile(join(dir, 'rt.plan.json'), 'utf8')).schema).toBe('coquant.exec-plan/1');
  });

  it('the options document with cuts validates, and refuses cuts naming unknown groups', () => {
    expect(parseOptionsDocument(JSON.parse(JSON.stringify(doc))).cuts!.length).toBe(doc.cuts!.length);
    const bad = { ...doc, cuts: [{ ...doc.cuts![0], groups: ['nope'] }] };
    expect(() => parseOptionsDocument(bad)).toThrow(/unknown group 'nope'/);
  });
});
