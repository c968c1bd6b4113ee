import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Feed } from '../../src/data/tensor.ts';
import { bundledModels } from '../../src/io/bundled-models.ts';
import { encodeModel } from '../../src/graph/extract.ts';
import type { AgentPlan, PlanSource } from '../../src/runtime/agent/agent.ts';
import { linkAgent } from './helpers.ts';
import { createSession, releaseSession, runFeed } from '../../src/ort/session.ts';
import { startServer, type RunningServer } from '../../src/runtime/server/server.ts';
import { analyzeSplit, splitAt, type SplitAnalysis } from '../../src/runtime/split/split-model.ts';
import { featureFeed, wireBytes, wireTensors } from '../../src/runtime/split/feature-wire.ts';
import { featureWireBytes, type FeatureFormat } from '../../src/formats/feature-format.ts';
import { measureFeatureOptions } from '../../src/runtime/split/feature-options.ts';
import { runMeanAbs } from '../../src/tasks/output-distortion.ts';

const plan: AgentPlan = { bitsVector: [], bits: 32, bitsByGroup: {}, agentHz: 1e9, serverHz: 0, key: 'fp32' };
const fixed: PlanSource = {
  beforeRequest: () => undefined,
  current: plan,
  observeLink: () => undefined,
  energyOf: () => ({ agentJ: 0, linkJ: 0, totalJ: 0 }),
  afterRequest: () => undefined,
};

let dir: string;
let analysis: SplitAnalysis;
const feed: Feed = { x: { type: 'float32', dims: [1, 3, 64, 64], data: Float32Array.from({ length: 3 * 64 * 64 }, (_, i) => Math.cos(i * 0.11)) } };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'coquant-split-agent-'));
  analysis = await analyzeSplit(bundledModels().det, new Map([['x:2', 64], ['x:3', 64]]));
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a set cut of the PP-OCR detector through coquant serve and the agent, features in link formats', () => {
  // Invariant: the server's answer equals head → link encoding → the same rewritten tail run here,
  // bit for bit, and the uplink carries exactly the formats' bytes (int8: payload plus scale and zero point).
  it.each(['fp32', 'fp16', 'int8', 'int8-channel'] as FeatureFormat[])('%s', async (format) => {
    const cand = analysis.setCandidates.find((c) => c.tensors.length >= 3)!;
    expect(cand, 'a set cut with several crossing tensors').toBeDefined();
    const h = splitAt(analysis, cand.name, { link: format });
    const headPath = join(dir, `head-${format}.onnx`);
    const tailPath = join(dir, `tail-${format}.onnx`);
    await writeFile(headPath, encodeModel(h.head));
    await writeFile(tailPath, encodeModel(h.tail));
    const head = await createSession(headPath, { intraOpThreads: 1 });
    const tail = await createSession(tailPath, { intraOpThreads: 1 });
    const features = await runFeed(head, feed);
    const local = await runFeed(tail, featureFeed(features, h.linkFormats));
    const up = wireBytes(wireTensors(features, h.linkFormats));
    expect(up).toBe(cand.tensors.reduce((s, t) => s + featureWireBytes(format, t.dims), 0));
    if (format !== 'fp32') expect(up).toBeLessThan(cand.featureBytes);
    let server: RunningServer | undefined;
    try {
      server = await startServer({ models: [{ name: 'tail', path: tailPath }], host: '127.0.0.1', port: 0, logLevel: 'silent', concurrency: 1, intraOpThreads: 1 });
      const agent = linkAgent(server.url, cand.tensors.map((t) => t.name), h.linkFormats, head, fixed);
      const r = await agent.process('r0', feed);
      expect(r.status, r.error?.message).toBe('ok');
      expect(r.path).toBe('edge');
      for (const [k, t] of Object.entries(local)) expect([...(r.outputs![k].data as Float32Array)], k).toEqual([...(t.data as Float32Array)]);
    } finally {
      await server?.close();
      await releaseSession(head);
      await releaseSession(tail);
    }
  }, 60_000);
});

describe('link formats measured for the plan', () => {
  // Invariant: the measurement (fp32 tail on decoded features, one session for every format) gives
  // the bytes and ΔD_o that sending the wire tensors to the rewritten tail gives.
  it('equal the rewritten tail on the wire tensors', async () => {
    const cand = analysis.setCandidates.find((c) => c.tensors.length >= 3)!;
    const feeds = [feed, { x: { ...feed.x, data: (feed.x.data as Float32Array).map((v) => v * 0.5 + 0.1) } }];
    const [m] = await measureFeatureOptions(analysis, [cand.name], feeds);
    expect(m.options.map((o) => o.format)).toEqual(['fp32', 'fp16', 'int8', 'int8-channel']);
    const fp = splitAt(analysis, cand.name);
    const head = await createSession(encodeModel(fp.head), { intraOpThreads: 1 });
    const tail32 = await createSession(encodeModel(fp.tail), { intraOpThreads: 1 });
    for (const o of m.options.slice(1)) {
      const h = splitAt(analysis, cand.name, { link: o.format });
      const tail = await createSession(encodeModel(h.tail), { intraOpThreads: 1 });
      let d = 0;
      for (const f of feeds) {
        const feat = await runFeed(head, f);
        d += runMeanAbs(await runFeed(tail32, feat), await runFeed(tail, featureFeed(feat, h.linkFormats)));
        expect(wireBytes(wireTensors(feat, h.linkFormats))).toBe(o.bytes);
      }
      expect(o.deltaDo, o.format).toBe(d / feeds.length);
      expect(o.deltaDo).toBeGreaterThan(0);
      await releaseSession(tail);
    }
    await releaseSession(head);
    await releaseSession(tail32);
  }, 60_000);
});
