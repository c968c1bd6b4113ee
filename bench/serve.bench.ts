/**
 * Serving overhead and load. Baselines measured in the same run:
 *  1. overhead per request = client+server round trip minus the pure onnxruntime compute of the
 *     same identity model on the same 1 MB FP32 feature (measured directly, in-process);
 *     binary extension vs JSON; goals: binary overhead ≤ 2 ms p50, binary ≥ 5× faster than JSON.
 *  2. load: 32 concurrent clients × 100 requests (64 KB features), zero errors expected.
 * Wall-clock figures on a shared machine include waiting for a CPU; the CPU time the process
 * spends per request (all threads, from process.cpuUsage) is printed too, as the figure that
 * other jobs on the machine disturb least.
 */
import { mkdirSync } from 'node:fs';
import ort from 'onnxruntime-node';
import { InferenceClient } from '../src/runtime/client/inference-client.ts';
import type { InferTensor } from '../src/runtime/protocol/tensor-codec.ts';
import { startServer } from '../src/runtime/server/server.ts';
import { makeIdentityModel } from '../test/runtime/fixtures/tiny-models.ts';

const dir = '.cache/bench-serve';
mkdirSync(dir, { recursive: true });
const path = makeIdentityModel(dir);
const q = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]!; };

const N = 262144; // 1 MiB of FP32
const feature = new Float32Array(N).map((_, i) => Math.sin(i));
const x: InferTensor = { name: 'feature', datatype: 'FP32', shape: [1, N], data: feature };

// Baseline: pure onnxruntime compute, in-process.
const sess = await ort.InferenceSession.create(path, { intraOpNumThreads: 1 });
const ortT: number[] = [];
const u0 = process.cpuUsage();
for (let i = 0; i < 230; i++) {
  const t = performance.now();
  await sess.run({ feature: new ort.Tensor('float32', feature, [1, N]) });
  if (i >= 30) ortT.push(performance.now() - t);
}
const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
const ortCpu = cpuMs(process.cpuUsage(u0)) / 230;
await sess.release();
const ortP50 = q(ortT, 0.5);

const srv = await startServer({ models: [{ name: 'identity', path }], port: 0, logLevel: 'warn', concurrency: 2, intraOpThreads: 1, queue: 256 });
const client = new InferenceClient({ url: srv.url });

async function timed(binary: boolean, reps: number): Promise<{ ts: number[]; cpu: number }> {
  const ts: number[] = [];
  let u = process.cpuUsage();
  for (let i = 0; i < reps + 20; i++) {
    const t = performance.now();
    const r = await client.infer('identity', [x], { binaryInputs: binary, binaryOutputs: binary });
    if (i >= 20) ts.push(performance.now() - t);
    if (i === 19) u = process.cpuUsage();
    if ((r.outputs[0]!.data as Float32Array)[N - 1] !== feature[N - 1]) throw new Error('wrong output');
  }
  return { ts, cpu: cpuMs(process.cpuUsage(u)) / reps };
}
const { ts: bin, cpu: binCpu } = await timed(true, 200);
const { ts: json, cpu: jsonCpu } = await timed(false, 40);
const binOver = q(bin, 0.5) - ortP50;
const jsonOver = q(json, 0.5) - ortP50;
console.log(`1 MiB FP32 feature, identity model, loopback (${process.arch}, node ${process.version})`);
console.log(`  pure onnxruntime compute   p50 ${ortP50.toFixed(3)} ms`);
console.log(`  binary round trip          p50 ${q(bin, 0.5).toFixed(3)} ms  p99 ${q(bin, 0.99).toFixed(3)} ms  -> overhead p50 ${binOver.toFixed(3)} ms (goal <= 2 ms: ${binOver <= 2 ? 'met' : 'MISSED'})`);
console.log(`  JSON round trip            p50 ${q(json, 0.5).toFixed(3)} ms  p99 ${q(json, 0.99).toFixed(3)} ms  -> overhead p50 ${jsonOver.toFixed(3)} ms`);
console.log(`  CPU time per request (all threads): compute ${ortCpu.toFixed(3)} ms, binary ${binCpu.toFixed(3)} ms (overhead ${(binCpu - ortCpu).toFixed(3)} ms), JSON ${jsonCpu.toFixed(3)} ms`);
console.log(`  binary vs JSON             ${(q(json, 0.5) / q(bin, 0.5)).toFixed(1)}x faster round trip (goal >= 5x: ${q(json, 0.5) / q(bin, 0.5) >= 5 ? 'met' : 'MISSED'})`);

// Load: 32 clients × 100 requests of a 64 KiB feature.
const small: InferTensor = { name: 'feature', datatype: 'FP32', shape: [1, 16384], data: feature.subarray(0, 16384) };
const lat: number[] = [];
let errors = 0;
const t0 = performance.now();
await Promise.all(Array.from({ length: 32 }, async () => {
  const c = new InferenceClient({ url: srv.url });
  for (let i = 0; i < 100; i++) {
    const t = performance.now();
    try { await c.infer('identity', [small]); lat.push(performance.now() - t); } catch { errors++; }
  }
}));
const wall = (performance.now() - t0) / 1000;
console.log(`load: 32 clients x 100 requests (64 KiB FP32 each, binary), --concurrency 2`);
console.log(`  errors ${errors} / 3200, p50 ${q(lat, 0.5).toFixed(2)} ms, p99 ${q(lat, 0.99).toFixed(2)} ms, throughput ${(3200 / wall).toFixed(0)} req/s`);
await srv.close();
if (errors) process.exitCode = 1;
