import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRgb, preprocessRec } from '../../src/data/images.ts';
import { renderTextLines } from '../../src/data/text-lines.ts';
import type { Feed, HostTensor } from '../../src/data/tensor.ts';
import { toFloat32 } from '../../src/io/decode.ts';
import { bundledModels } from '../../src/io/bundled-models.ts';
import { openOnnx } from '../../src/io/onnx-weights.ts';
import { encodeModel } from '../../src/graph/extract.ts';
import { solveExact } from '../../src/plan/exact.ts';
import { toProblem } from '../../src/plan/problem.ts';
import { parseSystem } from '../../src/plan/system.ts';
import { Agent, type AgentOptions, type AgentRecord } from '../../src/runtime/agent/agent.ts';
import { Replanner } from '../../src/runtime/agent/replanner.ts';
import type { AgentPlan } from '../../src/runtime/agent/agent.ts';
import { InferenceClient } from '../../src/runtime/client/inference-client.ts';
import { createSession, runFeed, type Session } from '../../src/ort/session.ts';
import { quantizeModel } from '../../src/runtime/quantize-model.ts';
import { startServer, type RunningServer } from '../../src/runtime/server/server.ts';
import { analyzeSplit, splitAt } from '../../src/runtime/split/split-model.ts';

const Q = { family: 'uniform-symmetric', granularity: { kind: 'channel' }, range: 'absmax' } as const;

let dir: string;
let feeds: Feed[];
let headPath: string;
let tailPath: string;
let feature: string;
let output: string;
let replannerArgs: () => ConstructorParameters<typeof Replanner>;
const sessions = new Map<string, Session>();

async function cached(key: string, make: () => Promise<Uint8Array>): Promise<Session> {
  let s = sessions.get(key);
  if (!s) {
    s = await createSession(await make(), { intraOpThreads: 1 });
    sessions.set(key, s);
  }
  return s;
}

function bitsOf(plan: AgentPlan) {
  return plan.bitsByGroup;
}

function agentWith(url: string, over: Partial<AgentOptions> = {}): Agent {
  return new Agent({
    client: new InferenceClient({ url, timeoutMs: 5000 }),
    tailModel: 'tail',
    feature,
    outputs: [output],
    replanner: new Replanner(...replannerArgs()),
    headFor: (p) => cached(`head:${p.key}`, async () => (await quantizeModel(headPath, { bits: bitsOf(p), config: Q })).bytes),
    localFor: (p) => cached(`full:${p.key}`, async () => (await quantizeModel(bundledModels().rec, { bits: bitsOf(p), config: Q })).bytes),
    fallback: 'local',
    backoff: { retries: 1, baseMs: 5, maxMs: 10 },
    requestTimeoutMs: 2000,
    breakerFailures: 2,
    breakerCooldownMs: 60_000,
    rand: () => 0.5,
    ...over,
  });
}

async function runAll(agent: Agent, onEach?: (i: number) => Promise<void>): Promise<AgentRecord[]> {
  const out: AgentRecord[] = [];
  for (const [i, f] of feeds.entries()) {
    out.push(await agent.process(`req-${i}`, f));
    await onEach?.(i);
  }
  return out;
}

function maxDiff(a: HostTensor, b: HostTensor): number {
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  if (x.length !== y.length) return Infinity;
  let d = 0;
  for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i] - y[i]));
  return d;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'coquant-agent-'));
  const rec = bundledModels().rec;
  const analysis = await analyzeSplit(rec, new Map([['p2o.DynamicDimension.1', 320]]));
  const cand = analysis.candidates.find((c) => c.index >= 100)!;
  const halves = splitAt(analysis, cand.name);
  feature = cand.name;
  output = analysis.index.graphOutputs[0];
  headPath = join(dir, 'head.onnx');
  tailPath = join(dir, 'tail.onnx');
  await writeFile(headPath, encodeModel(halves.head));
  await writeFile(tailPath, encodeModel(halves.tail));
  const { lines } = await renderTextLines({ count: 4, seed: 7 });
  feeds = [];
  for (const l of lines) feeds.push({ x: await preprocessRec([await loadRgb(l.png)], { minWidth: 320, maxWidth: 320 }) });
  // The system: head weights as groups with their fitted λ; generous budgets so the plan is feasible.
  const src = await openOnnx(headPath);
  const groups = [];
  for (const t of src.tensors.filter((t) => t.shape.length >= 2)) {
    const v = toFloat32(await src.read(t.name));
    let s = 0;
    for (const x of v) s += Math.abs(x);
    groups.push({ name: t.name, params: v.length, lambda: v.length / s });
  }
  const parsed = parseSystem({
    agent: { fMax: 1.5e9, fMin: 1e8, kappa: 1e-28, cyclesPerParamBit: 2 },
    server: { fMax: 3e9, kappa: 1e-28, cyclesPerParamBit: 1 },
    link: { rateBps: 5e7, txPowerW: 0.5, featureElems: cand.featureElems, featureBits: 32 },
    constraints: { T0: 0.5, E0: 0.5 },
    bits: [4, 6, 8],
    model: { groups, serverParams: cand.serverParams },
  });
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  const problem = toProblem(parsed.value);
  const plan = solveExact(problem);
  expect(plan.feasible).toBe(true);
  replannerArgs = () => [problem, plan];
}, 120_000);

afterAll(async () => {
  for (const s of sessions.values()) await s.release();
  await rm(dir, { recursive: true, force: true });
});

describe('agent ↔ coquant serve over loopback with the real PP-OCRv4 rec model', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ models: [{ name: 'tail', path: tailPath }], host: '127.0.0.1', port: 0, logLevel: 'silent', concurrency: 1 });
  });
  afterAll(async () => server.close());

  it('edge answers equal the same model run whole on the agent at the planned bits (head+tail = local)', async () => {
    const records = await runAll(agentWith(server.url));
    expect(records).toHaveLength(feeds.length);
    const local = await agentWith(server.url).process('x', feeds[0]);
    expect(local.path).toBe('edge');
    for (const r of records) {
      expect(r.status).toBe('ok');
      expect(r.path).toBe('edge');
      expect(r.stages.headMs).toBeGreaterThan(0);
      expect(r.stages.serverMs).toBeGreaterThan(0); // the server reports compute_us/queue_us
      expect(r.stages.totalMs).toBeGreaterThanOrEqual(r.stages.headMs);
      expect(r.energy.source).toBe('device-model');
      expect(r.energy.totalJ).toBeGreaterThan(0);
    }
    // Invariant: splitting does not change the answer, so edge output == local whole-model output
    // (up to float summation order: the server's sessions use other thread counts than this one).
    const plan = new Replanner(...replannerArgs()).current;
    const whole = await cached(`full:${plan.key}`, async () => (await quantizeModel(bundledModels().rec, { bits: plan.bitsByGroup, config: Q })).bytes);
    const ref = await runFeed(whole, feeds[1], [output]);
    expect(maxDiff(records[1].outputs![output], ref[output])).toBeLessThan(1e-5);
  });
});

describe('faults: every input is accounted for', () => {
  it('server killed mid-stream: the rest are answered locally, none dropped', async () => {
    const server = await startServer({ models: [{ name: 'tail', path: tailPath }], host: '127.0.0.1', port: 0, logLevel: 'silent' });
    const records = await runAll(agentWith(server.url, { breakerFailures: 1 }), async (i) => {
      if (i === 1) await server.close();
    });
    expect(records.map((r) => r.path)).toEqual(['edge', 'edge', 'local', 'local']);
    expect(records.every((r) => r.status === 'ok')).toBe(true);
    expect(records[2].error?.code).toBe('E_UNREACHABLE');
    // After a failure the breaker (set to 1 here) skips the dead server instead of waiting on it again.
    expect(records[3].attempts).toBe(0);
  });

  async function fakeServer(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; close(): Promise<void> }> {
    const s: Server = createServer(handler);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const { port } = s.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => { s.closeAllConnections(); s.close(() => r()); }) };
  }

  it('a garbage body with fallback=fail gives one explicit error record per input, after bounded retries', async () => {
    let hits = 0;
    const fake = await fakeServer((_req, res) => {
      hits++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"this is": not json');
    });
    const records = await runAll(agentWith(fake.url, { fallback: 'fail', breakerFailures: 100 }));
    await fake.close();
    expect(records).toHaveLength(feeds.length);
    for (const r of records) {
      expect(r.status).toBe('error');
      expect(r.error?.code).toBe('E_BAD_RESPONSE');
      expect(r.attempts).toBe(2);
    }
    expect(hits).toBe(2 * feeds.length);
  });

  it('a server that stalls past the deadline times out and the agent answers locally', async () => {
    const fake = await fakeServer(() => {
      /* never answers */
    });
    const t0 = performance.now();
    const records = await runAll(agentWith(fake.url, { requestTimeoutMs: 200, backoff: { retries: 0, baseMs: 1, maxMs: 1 } }));
    await fake.close();
    expect(records.every((r) => r.status === 'ok' && r.path === 'local')).toBe(true);
    expect(records[0].error?.code).toBe('E_TIMEOUT');
    // Two timeouts open the breaker; the rest do not wait. Bounded: well under 4 × 200 ms of waiting plus compute.
    expect(performance.now() - t0).toBeLessThan(20_000);
  });
});
