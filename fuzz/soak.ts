/**
 * The soak: an agent loop and a real `coquant serve` child process for minutes, with faults
 * injected on a seeded schedule:
 *
 * - kill: SIGKILL the server, start a new one after 0.5–2 s (same port);
 * - stall: SIGSTOP the server for 1–4 s, then SIGCONT;
 * - garbage: a second client sends malformed requests and bodies cut off mid-stream.
 *
 * The agent side is what `coquant agent` does per input: run the head locally, send the
 * feature to the tail on the server with InferenceClient (timeout, three retries with backoff),
 * and fall back to the whole model locally when the edge fails. Every input must be accounted
 * for exactly once: answered by the edge (and equal to the local whole model), or by the local
 * fallback after a typed client error; none lost or hung. Memory: the agent's RSS after the run
 * within 10% of its value after warm-up, and the server's RSS at the end of each life (equal
 * lengths between kills) within 10% of the first life's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { InferenceClient } from '../src/runtime/client/inference-client.ts';
import { isCoquantError } from '../src/errors.ts';
import { mulberry32 } from '../src/util/rng.ts';
import { buildModel } from './onnx-build.ts';
import { withMallocTuning } from '../bin/malloc-tuning.mjs';

export interface SoakOptions {
  seconds: number;
  seed: number;
}

export interface SoakReport {
  schema: 'coquant.soak/1';
  seconds: number;
  inputs: number;
  edgeOk: number;
  localFallback: number;
  /** Edge answers that differ from the local whole model. */
  edgeWrong: number;
  /** Inputs with no outcome (must be 0). */
  unaccounted: number;
  faults: { kill: number; stall: number; garbage: number };
  clientErrors: Record<string, number>;
  agentRssMiB: { afterWarmup: number; end: number; growth: number };
  serverRssMiB: number[];
  memoryFlat: boolean;
}

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

function models(dir: string): { head: string; tail: string; full: string } {
  mkdirSync(dir, { recursive: true });
  const w = (seed: number) => {
    const r = mulberry32(seed);
    return Array.from({ length: 64 }, () => r() - 0.5);
  };
  const io = { inputs: [{ name: 'x', type: 'float32', shape: [1, 8] }] };
  const head = { opset: 13, ...io, outputs: [{ name: 'f', type: 'float32', shape: [1, 8] }], initializers: [{ name: 'w1', type: 'float32', dims: [8, 8], values: w(1) }], nodes: [{ op: 'MatMul', inputs: ['x', 'w1'], outputs: ['h'] }, { op: 'Relu', inputs: ['h'], outputs: ['f'] }] };
  const tail = { opset: 13, inputs: [{ name: 'f', type: 'float32', shape: [1, 8] }], outputs: [{ name: 'y', type: 'float32', shape: [1, 8] }], initializers: [{ name: 'w2', type: 'float32', dims: [8, 8], values: w(2) }], nodes: [{ op: 'MatMul', inputs: ['f', 'w2'], outputs: ['y'] }] };
  const full = { opset: 13, ...io, outputs: tail.outputs, initializers: [...head.initializers, ...tail.initializers], nodes: [...head.nodes, ...tail.nodes] };
  const p = { head: join(dir, 'head.onnx'), tail: join(dir, 'tail.onnx'), full: join(dir, 'full.onnx') };
  writeFileSync(p.head, buildModel(head));
  writeFileSync(p.tail, buildModel(tail));
  writeFileSync(p.full, buildModel(full));
  return p;
}

class Server {
  child?: ChildProcess;
  port = 0;
  constructor(private readonly tail: string) {}
  async start(): Promise<void> {
    const bin = fileURLToPath(new URL('../bin/coquant.mjs', import.meta.url));
    const child = spawn(process.execPath, [bin, 'serve', this.tail, '--name', 'tail', '--port', String(this.port), '--threads', '1', '--log-level', 'silent', '--timeout-ms', '5000'], { stdio: ['ignore', 'pipe', 'ignore'], env: withMallocTuning() }); // tuned as shipped, and this pid is the server's own (no relaunch)
    this.child = child;
    const url = await new Promise<string>((res, rej) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /(http:\/\/[^\s]+)/.exec(out);
        if (m) res(m[1]);
      });
      child.once('exit', (c) => rej(new Error(`coquant serve exited (${c})`)));
    });
    this.port = Number(new URL(url).port);
  }
  kill(): void {
    this.child?.kill('SIGKILL');
    this.child = undefined;
  }
}

export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  const t0 = Date.now();
  const r = mulberry32(o.seed);
  const p = models(resolve('out/fuzz/soak'));
  const server = new Server(p.tail);
  await server.start();
  const client = () => new InferenceClient({ url: `http://127.0.0.1:${server.port}`, timeoutMs: 1500 });
  const opts = { logSeverityLevel: 4 as const, intraOpNumThreads: 1 };
  const head = await ort.InferenceSession.create(p.head, opts);
  const full = await ort.InferenceSession.create(p.full, opts);
  const faults = { kill: 0, stall: 0, garbage: 0 };
  const clientErrors: Record<string, number> = {};
  // Outcomes are counted as they happen: a per-input map grew with the run (about 40 B per input) and
  // was itself most of the agent's RSS growth over a 10-minute soak. Each input is answered within its
  // own iteration, so the counts summing to `inputs` accounts for every one.
  const counts = { edge: 0, local: 0, wrong: 0 };
  let inputs = 0;
  const end = t0 + o.seconds * 1000;
  const lives = 5;
  const lifeMs = (o.seconds * 1000) / lives;
  const serverRss: number[] = [];
  let stopped = false;

  // Fault schedule: stalls and garbage throughout; kills at equal intervals (so server lives compare).
  const faultLoop = (async () => {
    let nextKill = t0 + lifeMs;
    while (Date.now() < end - 1000) {
      await new Promise((s) => setTimeout(s, 500 + r() * 2500));
      if (Date.now() >= nextKill) {
        if (server.child?.pid) serverRss.push(rssOf(server.child.pid));
        server.kill();
        faults.kill++;
        await new Promise((s) => setTimeout(s, 500 + r() * 1500));
        await server.start();
        nextKill += lifeMs;
      } else if (r() < 0.3 && server.child) {
        server.child.kill('SIGSTOP');
        faults.stall++;
        await new Promise((s) => setTimeout(s, 1000 + r() * 3000));
        server.child?.kill('SIGCONT');
      }
    }
  })();
  const garbageLoop = (async () => {
    while (!stopped) {
      await new Promise((s) => setTimeout(s, 20 + r() * 80));
      faults.garbage++;
      await new Promise<void>((res) => {
        const sock = connect(server.port, '127.0.0.1');
        sock.on('error', () => res());
        sock.setTimeout(2000, () => sock.destroy());
        sock.on('close', () => res());
        sock.on('connect', () => {
          const k = r();
          if (k < 0.3) sock.end(Buffer.from(Array.from({ length: 1 + Math.floor(r() * 300) }, () => Math.floor(r() * 256))));
          else if (k < 0.6) sock.end(`POST /v2/models/tail/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nInference-Header-Content-Length: 90\r\nContent-Length: 4000\r\n\r\n{"inputs":[{"name":"f","datatype":"FP32","shape":[1,8],"parameters":{"binary_data_size":32}}]}`);
          else sock.end(`POST /v2/models/tail/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n{"inputs": [1,2,`);
        });
      });
    }
  })();

  let rssWarm = NaN;
  while (Date.now() < end) {
    inputs++;
    const x = Float32Array.from({ length: 8 }, () => r() * 2 - 1);
    const feed = { x: new ort.Tensor('float32', x, [1, 8]) };
    const want = (await full.run(feed)).y.data as Float32Array;
    const f = (await head.run(feed)).f;
    let got: Float32Array | undefined;
    for (let attempt = 0; attempt < 4 && !got; attempt++) {
      try {
        const res = await client().infer('tail', [{ name: 'f', datatype: 'FP32', shape: [1, 8], data: f.data as Float32Array }], { timeoutMs: 1500 });
        got = res.outputs.find((t) => t.name === 'y')?.data as Float32Array;
      } catch (e) {
        const code = isCoquantError(e) ? e.code : `untyped:${(e as Error).name}`;
        clientErrors[code] = (clientErrors[code] ?? 0) + 1;
        await new Promise((s) => setTimeout(s, 50 * 2 ** attempt));
      }
    }
    if (got) counts[got.every((v, i) => Math.abs(v - want[i]) <= 1e-6 * (1 + Math.abs(want[i]))) ? 'edge' : 'wrong']++;
    else {
      const local = (await full.run(feed)).y.data as Float32Array;
      if (local.length === want.length) counts.local++;
    }
    if (Number.isNaN(rssWarm) && Date.now() - t0 > Math.min(30_000, o.seconds * 100)) rssWarm = process.memoryUsage().rss / 2 ** 20;
  }
  stopped = true;
  await faultLoop;
  await garbageLoop;
  if (server.child?.pid) serverRss.push(rssOf(server.child.pid));
  server.kill();
  const rssEnd = process.memoryUsage().rss / 2 ** 20;
  const lifeRss = serverRss.filter((v) => Number.isFinite(v));
  const serverFlat = lifeRss.length < 2 || Math.max(...lifeRss.slice(1)) <= 1.1 * lifeRss[0];
  await head.release();
  await full.release();
  return {
    schema: 'coquant.soak/1',
    seconds: (Date.now() - t0) / 1000,
    inputs,
    edgeOk: counts.edge,
    localFallback: counts.local,
    edgeWrong: counts.wrong,
    unaccounted: inputs - (counts.edge + counts.local + counts.wrong),
    faults,
    clientErrors,
    agentRssMiB: { afterWarmup: rssWarm, end: rssEnd, growth: rssEnd / rssWarm - 1 },
    serverRssMiB: lifeRss,
    memoryFlat: rssEnd <= 1.1 * rssWarm && serverFlat,
  };
}
