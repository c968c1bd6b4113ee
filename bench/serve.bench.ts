/**
 * Serving overhead and load. Baselines measured in the same run:
 *  1. overhead per request = client+server round trip minus pure onnxruntime compute of the same
 *     identity model on the same 1 MiB FP32 feature (in-process): overhead pX = round trip pX -
 *     onnxruntime alone p50 (the compute's own tail is load noise, so it is not subtracted from the
 *     round trip's). Requests alternate with onnxruntime-alone runs in rounds, so load drift hits
 *     both alike. Served two
 *     ways: server and client in this process, and `coquant serve` as its own process (as
 *     deployed). Goals (issue 14): overhead ≤ 2 ms p50 and p99 ≤ 5× p50 on a quiet machine;
 *     binary ≥ 5× faster than JSON (issue 5).
 *  2. load: 32 concurrent clients × 100 requests (64 KiB features), zero errors expected.
 * Wall-clock figures on a shared machine include waiting for a CPU, so the CPU time per request
 * (all threads of both processes: process.cpuUsage and /proc/<pid>/stat) and the old-space
 * mark-compacts per 100 requests (perf_hooks 'gc' entries here; --trace-gc lines of the served
 * process) are printed too, with the load average: the goal verdict only counts below load 1.5.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { InferenceClient, type InferResult } from '../src/runtime/client/inference-client.ts';
import type { InferTensor } from '../src/runtime/protocol/tensor-codec.ts';
import { startServer } from '../src/runtime/server/server.ts';
import { makeIdentityModel } from '../test/runtime/fixtures/tiny-models.ts';
import { withMallocTuning } from '../bin/malloc-tuning.mjs';
import { nodeHttpInfer } from './bare-http-client.ts';
import { startBareServer } from './bare-http-server.ts';

const dir = '.cache/bench-serve';
/** Fields of /proc/<pid>/stat after the command name (undefined off Linux). */
const procStat = (pid: number | undefined): string[] | undefined => {
  try { return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' '); } catch { return undefined; }
};
const q = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]!; };
const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
const N = 262144; // 1 MiB of FP32
const feature = new Float32Array(N).map((_, i) => Math.sin(i));
const x: InferTensor = { name: 'feature', datatype: 'FP32', shape: [1, N], data: feature };
const check = (r: InferResult) => {
  if ((r.outputs[0]!.data as Float32Array)[N - 1] !== feature[N - 1]) throw new Error('wrong output');
};

/** Block of requests measured in a case process: wall times, CPU ms (this process), mark-compacts. */
interface Block { ts: number[]; cpu: number; majors: number; faults: number }
type Role = 'ort' | 'same' | 'bare' | 'client';
const role = process.argv[2] as Role | undefined;

if (role) {
  // A case process: each configuration has its own heap, so one case's garbage cannot trigger
  // collections that another case is charged for.
  let majors = 0;
  new PerformanceObserver((l) => {
    for (const e of l.getEntries()) if ((e as unknown as { detail: { kind: number } }).detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors++;
  }).observe({ entryTypes: ['gc'] });
  const path = process.argv[3]!;
  const runs: Record<string, () => Promise<unknown>> = {};
  let srv: Awaited<ReturnType<typeof startServer>> | undefined;
  let bare: Awaited<ReturnType<typeof startBareServer>> | undefined;
  if (role === 'ort') {
    const sess = await ort.InferenceSession.create(path, { intraOpNumThreads: 1 });
    runs.alone = () => sess.run({ feature: new ort.Tensor('float32', feature, [1, N]) });
  } else {
    // argv[4] for 'same': the server's inlineBelowMs ('0': every request on a worker thread).
    if (role === 'same') {
      const inlineBelowMs = process.argv[4] === undefined ? undefined : Number(process.argv[4]);
      srv = await startServer({ models: [{ name: 'identity', path }], port: 0, logLevel: 'warn', concurrency: 2, intraOpThreads: 1, queue: 256, inlineBelowMs });
    }
    if (role === 'bare') bare = await startBareServer(path);
    const client = new InferenceClient({ url: srv?.url ?? bare?.url ?? process.argv[4]! });
    runs.infer = async () => check(await client.infer('identity', [x]));
    runs.scoped = () => client.inferScoped('identity', [x], check);
    runs.nodeHttp = async () => {
      const [y] = await nodeHttpInfer(client.url, 'identity', [x]);
      if ((y!.data as Float32Array)[N - 1] !== feature[N - 1]) throw new Error('wrong output');
    };
    runs.json = async () => check(await client.infer('identity', [x], { binaryInputs: false, binaryOutputs: false }));
  }
  // Warm-up. JSON is warmed only before its own measurement, after the binary cases: its 10 MB
  // strings would otherwise grow this heap and change when the collector runs for the binary ones.
  for (const [k, f] of Object.entries(runs)) for (let i = 0; i < 20 && k !== 'json'; i++) await f();
  process.on('message', async (m: { run?: string; n?: number; load?: boolean; stop?: boolean }) => {
    if (m.stop) {
      process.send!({ pool: srv?.bufferStats() });
      await srv?.close();
      await bare?.close();
      process.exit(0);
    }
    if (m.load) {
      // 32 clients × 100 requests of a 64 KiB feature.
      const small: InferTensor = { name: 'feature', datatype: 'FP32', shape: [1, 16384], data: feature.subarray(0, 16384) };
      const lat: number[] = [];
      let errors = 0;
      const t0 = performance.now();
      await Promise.all(Array.from({ length: 32 }, async () => {
        const c = new InferenceClient({ url: srv!.url });
        for (let i = 0; i < 100; i++) {
          const t = performance.now();
          try { await c.infer('identity', [small]); lat.push(performance.now() - t); } catch { errors++; }
        }
      }));
      process.send!({ lat, errors, wall: (performance.now() - t0) / 1000 });
      return;
    }
    const f = runs[m.run!]!;
    const m0 = majors;
    const u0 = process.cpuUsage();
    const f0 = process.resourceUsage().minorPageFault;
    const ts: number[] = [];
    for (let i = 0; i < m.n!; i++) {
      const t = performance.now();
      await f();
      ts.push(performance.now() - t);
    }
    process.send!({ ts, cpu: cpuMs(process.cpuUsage(u0)), majors: majors - m0, faults: process.resourceUsage().minorPageFault - f0 } satisfies Block);
  });
  process.send!({ ready: true });
} else {
  await coordinate();
}

async function coordinate(): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const path = makeIdentityModel(dir);
  const load0 = loadavg()[0]!;
  const self = fileURLToPath(import.meta.url);
  const start = async (r: Role, args: string[], env: NodeJS.ProcessEnv): Promise<ChildProcess> => {
    const c = fork(self, [r, path, ...args], { execArgv: ['--import', 'tsx'], env });
    await new Promise((ok) => c.once('message', ok));
    return c;
  };
  const ask = <T>(c: ChildProcess, m: object): Promise<T> => new Promise((ok) => { c.once('message', ok as (v: unknown) => void); c.send(m); });

  // A served process: `coquant serve` with --trace-gc, its URL read from stdout. It is started with
  // the environment given (GLIBC_TUNABLES already set means bin/coquant.mjs does not relaunch
  // itself, so this pid is the server's own and its /proc CPU figures are the server's).
  interface Served { proc: ChildProcess; url: string; markCompacts: number; cpuMs: () => number; faults: () => number }
  const serve = (env: NodeJS.ProcessEnv, extra: string[] = []): Promise<Served> => serveWith(['bin/coquant.mjs', 'serve', path, '--name', 'identity', '--port', '0',
    '--concurrency', '2', '--threads', '1', '--queue', '256', '--log-level', 'warn', ...extra], env);
  const serveWith = async (args: string[], env: NodeJS.ProcessEnv): Promise<Served> => {
    const proc = spawn(process.execPath, ['--trace-gc', ...args], { stdio: ['ignore', 'pipe', 'inherit'], env });
    const s: Served = {
      proc, url: '', markCompacts: 0,
      // CPU ms of the served process so far (Linux /proc; NaN elsewhere).
      cpuMs: () => { const f = procStat(proc.pid); return f ? (Number(f[11]) + Number(f[12])) * 10 : Number.NaN; }, // clock ticks (USER_HZ = 100)
      // Its minor page faults so far: memory the allocator gave back to the kernel and faulted in again.
      faults: () => { const f = procStat(proc.pid); return f ? Number(f[7]) : Number.NaN; },
    };
    s.url = await new Promise<string>((resolve, reject) => {
      let buf = '';
      proc.stdout!.on('data', (c: Buffer) => {
        buf += c.toString('utf8');
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.includes('Mark-Compact')) s.markCompacts++;
          else if (/^https?:\/\//.test(line)) resolve(line.trim());
        }
      });
      proc.on('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}) before listening`)));
    });
    return s;
  };
  // As shipped: `coquant serve`, `agent` and `demo` run with coquant's malloc settings
  // (bin/malloc-tuning.mjs). The baseline arms run the same code with glibc's defaults.
  const tunedEnv = withMallocTuning({ ...process.env, COQUANT_MALLOC_TUNING: undefined });
  const plainEnv = { ...process.env, GLIBC_TUNABLES: undefined, COQUANT_MALLOC_TUNING: '0' };
  const served = await serve(tunedEnv);
  const servedPlain = await serve(plainEnv);
  // Baseline for computing small models on the event loop: the same server with every request on a worker.
  const servedWorkers = await serve(tunedEnv, ['--inline-below-ms', '0']);
  // The floor: a bare node:http server with the same codec and onnxruntime (bare-http-server.ts).
  const servedBare = await serveWith(['--import', 'tsx', 'bench/bare-http-server.ts', path], tunedEnv);

  // onnxruntime alone runs with the tuned allocator too: its own output allocations get faster
  // with it, so the baseline is the faster one and the overhead is not flattered.
  const ortProc = await start('ort', [], tunedEnv);
  const same = await start('same', [], tunedEnv);
  const client = await start('client', [served.url], tunedEnv);
  // The client library leaves V8's collector alone unless asked; this one is asked, as `coquant agent` does.
  const growthClient = await start('client', [served.url], { ...tunedEnv, COQUANT_GC_HEAP_GROWTH: '400' });
  const samePlain = await start('same', [], plainEnv);
  const clientPlain = await start('client', [servedPlain.url], plainEnv);
  const sameWorkers = await start('same', ['0'], tunedEnv);
  const clientWorkers = await start('client', [servedWorkers.url], tunedEnv);
  const bareSame = await start('bare', [], tunedEnv);
  const bareClient = await start('client', [servedBare.url], { ...tunedEnv, COQUANT_GC_HEAP_GROWTH: '400' });
  interface Arm { label: string; proc: ChildProcess; run: string; remote?: Served; ts: number[]; cpu: number; majors: number; faults: number; n: number }
  const arm = (label: string, proc: ChildProcess, run: string, remote?: Served): Arm => ({ label, proc, run, remote, ts: [], cpu: 0, majors: 0, faults: 0, n: 0 });
  const arms: Arm[] = [
    arm('onnxruntime alone (in-process)', ortProc, 'alone'),
    arm('floor: same process, bare node:http + codec + onnxruntime', bareSame, 'infer'),
    arm('floor: separate, bare node:http server, client heap growth 400', bareClient, 'infer', servedBare),
    arm('same process, infer', same, 'infer'),
    arm('same process, inferScoped', same, 'scoped'),
    arm('separate processes, infer', client, 'infer', served),
    arm('separate processes, inferScoped', client, 'scoped', served),
    arm('separate, client heap growth 400 (as coquant agent), infer', growthClient, 'infer', served),
    arm('baseline: same process, glibc malloc defaults, infer', samePlain, 'infer'),
    arm('baseline: separate, glibc malloc defaults, infer', clientPlain, 'infer', servedPlain),
    arm('baseline: same process, workers only (inline off), infer', sameWorkers, 'infer'),
    arm('baseline: separate, workers only (--inline-below-ms 0), infer', clientWorkers, 'infer', servedWorkers),
    arm('baseline: separate, node:http client, heap growth 400', growthClient, 'nodeHttp', served),
  ];
  const ROUNDS = 25;
  const PER = 10;
  for (let r = 0; r < ROUNDS; r++) {
    for (const a of r % 2 === 0 ? arms : [...arms].reverse()) {
      const mc0 = a.remote?.markCompacts ?? 0;
      const s0 = a.remote?.cpuMs() ?? 0;
      const pf0 = a.remote?.faults() ?? 0;
      const b = await ask<Block>(a.proc, { run: a.run, n: PER });
      a.faults += b.faults + (a.remote ? a.remote.faults() - pf0 : 0);
      a.ts.push(...b.ts);
      a.cpu += b.cpu + (a.remote ? a.remote.cpuMs() - s0 : 0);
      a.majors += b.majors + (a.remote ? a.remote.markCompacts - mc0 : 0);
      a.n += PER;
    }
  }
  const [alone, ...servedArms] = arms as [Arm, ...Arm[]];
  const labelWidth = Math.max(...arms.map((a) => a.label.length));
  const ortP50 = q(alone.ts, 0.5);
  const ortP99 = q(alone.ts, 0.99);
  const ortCpu = alone.cpu / alone.n;

  console.log(`1 MiB FP32 feature, identity model, loopback, --concurrency 2 (${process.arch}, node ${process.version})`);
  console.log(`  ${ROUNDS} rounds of ${PER} requests per case, cases alternating, each configuration in its own process;`);
  console.log('  overhead pX = round trip pX - onnxruntime alone p50; CPU, mark-compacts and page faults include the served process');
  console.log(`  ${alone.label.padEnd(labelWidth)} p50 ${ortP50.toFixed(3)} ms  p99 ${ortP99.toFixed(3)} ms  CPU ${ortCpu.toFixed(3)} ms  mark-compacts/100 ${((100 * alone.majors) / alone.n).toFixed(1)}  faults/request ${(alone.faults / alone.n).toFixed(0)}`);
  const verdicts: string[] = [];
  for (const a of servedArms) {
    const p50 = q(a.ts, 0.5);
    const p99 = q(a.ts, 0.99);
    const o50 = p50 - ortP50;
    const o99 = p99 - ortP50;
    console.log(`  ${a.label.padEnd(labelWidth)} p50 ${p50.toFixed(3)} ms  p99 ${p99.toFixed(3)} ms  -> overhead p50 ${o50.toFixed(3)} ms, p99 ${o99.toFixed(3)} ms (${(o99 / o50).toFixed(1)}x p50)  CPU/request ${(a.cpu / a.n).toFixed(3)} ms (overhead ${(a.cpu / a.n - ortCpu).toFixed(3)} ms)  mark-compacts/100 ${((100 * a.majors) / a.n).toFixed(1)}  faults/request ${(a.faults / a.n).toFixed(0)}`);
    if (a.run === 'infer' && !a.label.startsWith('baseline') && !a.label.startsWith('floor')) {
      verdicts.push(`  ${a.label}: overhead p50 ${o50.toFixed(2)} ms (goal <= 2 ms: ${o50 <= 2 ? 'met' : 'MISSED'}), p99 ${o99.toFixed(2)} ms = ${(o99 / o50).toFixed(1)}x p50 (goal <= 5x: ${o99 <= 5 * o50 ? 'met' : 'MISSED'})`);
    }
  }

  // What coquant's server adds over the bare floor, each pair measured in the same rounds.
  const p50Of = (label: string) => q(arms.find((a) => a.label.startsWith(label))!.ts, 0.5);
  for (const [what, mine, floor] of [
    ['same process', 'same process, infer', 'floor: same process'],
    ['separate, client heap growth 400', 'separate, client heap growth 400', 'floor: separate'],
  ] as const) {
    const f = p50Of(floor) - ortP50;
    verdicts.push(`  ${what}: coquant serve adds ${(p50Of(mine) - p50Of(floor)).toFixed(2)} ms p50 over the bare node:http floor (floor overhead ${f.toFixed(2)} ms)`);
  }
  const viaNode = p50Of('baseline: separate, node:http client');
  const viaOwn = p50Of('separate, client heap growth 400');
  verdicts.push(`  separate, heap growth 400: coquant's client takes ${(viaNode - viaOwn).toFixed(2)} ms p50 off a node:http client's round trip to the same server (${(viaNode / viaOwn).toFixed(2)}x; node:http client overhead ${(viaNode - ortP50).toFixed(2)} ms)`);

  // JSON against binary, same process, alternating.
  const json: number[] = [];
  const bin: number[] = [];
  await ask<Block>(same, { run: 'json', n: 3 });
  for (let i = 0; i < 8; i++) {
    json.push(...(await ask<Block>(same, { run: 'json', n: 5 })).ts);
    bin.push(...(await ask<Block>(same, { run: 'infer', n: 5 })).ts);
  }
  const ratio = q(json, 0.5) / q(bin, 0.5);
  console.log(`  JSON round trip (same process)     p50 ${q(json, 0.5).toFixed(3)} ms  p99 ${q(json, 0.99).toFixed(3)} ms; binary alongside p50 ${q(bin, 0.5).toFixed(3)} ms`);
  console.log(`  binary vs JSON             ${ratio.toFixed(1)}x faster round trip (goal >= 5x: ${ratio >= 5 ? 'met' : 'MISSED'})`);

  console.log('load: 32 clients x 100 requests (64 KiB FP32 each, binary), --concurrency 2');
  let loadErrors = 0;
  for (const [label, proc] of [['as shipped', same], ['workers only', sameWorkers]] as const) {
    const ld = await ask<{ lat: number[]; errors: number; wall: number }>(proc, { load: true });
    loadErrors += ld.errors;
    console.log(`  ${label.padEnd(12)} errors ${ld.errors} / 3200, p50 ${q(ld.lat, 0.5).toFixed(2)} ms, p99 ${q(ld.lat, 0.99).toFixed(2)} ms, throughput ${(3200 / ld.wall).toFixed(0)} req/s`);
  }
  const { pool } = await ask<{ pool: unknown }>(same, { stop: true });
  console.log(`  server buffer pool after the run: ${JSON.stringify(pool)}`);
  for (const c of [ortProc, client, growthClient, clientPlain, clientWorkers, bareClient]) c.send({ stop: true });
  await ask(samePlain, { stop: true });
  await ask(sameWorkers, { stop: true });
  await ask(bareSame, { stop: true });
  for (const s of [served, servedPlain, servedWorkers, servedBare]) s.proc.kill('SIGTERM');

  const load1 = loadavg()[0]!;
  const quiet = Math.max(load0, load1) < 1.5;
  console.log(`VERDICT serve 1 MiB binary, issue 14 goals, load average ${load0.toFixed(2)} -> ${load1.toFixed(2)} (${quiet ? 'quiet: the goals apply' : 'NOT quiet (>= 1.5): indicative only, re-run on a quiet machine'}):`);
  for (const v of verdicts) console.log(v);
  if (loadErrors) process.exitCode = 1;
}
