/**
 * Server fuzzing at scale: fast-check draws requests (valid and broken JSON documents, binary
 * tensor sections with wrong sizes and header lengths, odd headers, oversized bodies, every
 * datatype and some that do not exist, wrong methods and paths) and sends them to a real
 * `coquant serve` child process on loopback. Goals: no 5xx other than 501/503 (which the
 * protocol defines), and the server's resident memory after the run within 10% of its value
 * after warm-up (no leak). Requests are drawn in batches with fc.sample from a seeded stream.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest, Agent } from 'node:http';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { buildModel } from './onnx-build.ts';
import { withMallocTuning } from '../bin/malloc-tuning.mjs';
import { DEFAULT_IDLE_GC_MS } from '../src/runtime/server/idle-collector.ts';

export interface ServerFuzzOptions {
  requests: number;
  seed: number;
  concurrency: number;
  /** Requests before the warm-up RSS reading (default 2% of the run, at least 2,000). */
  warmup?: number;
  onProgress?: (done: number) => void;
}

export interface ServerFuzzReport {
  schema: 'coquant.server-fuzz/1';
  requests: number;
  seconds: number;
  byStatus: Record<string, number>;
  /** 5xx answers other than 501 and 503. */
  status5xx: number;
  /** Connections that failed (reset, no answer). */
  transportErrors: number;
  /** RSS after the warm-up requests and a pause of IDLE_MS (the server's idle collection has run). */
  rssAfterWarmupMiB: number;
  /** RSS the moment the last request was answered (garbage the heap growth defers still held). */
  rssAtRunEndMiB: number;
  /** RSS after the run and a pause of IDLE_MS: what the server keeps. */
  rssAfterRunMiB: number;
  /** rssAfterRun / rssAfterWarmup − 1 (both read idle, so they compare like with like). */
  rssGrowth: number;
  examples5xx: string[];
}

/** Two small models: an affine map (FP32 in and out) and one input of each other datatype. */
export function serverModels(dir: string): { affine: string; types: string } {
  mkdirSync(dir, { recursive: true });
  const affine = join(dir, 'affine.onnx');
  writeFileSync(
    affine,
    buildModel({
      opset: 13,
      inputs: [{ name: 'x', type: 'float32', shape: ['n', 4] }],
      outputs: [{ name: 'y', type: 'float32', shape: ['n', 4] }],
      initializers: [{ name: 'w', type: 'float32', dims: [4, 4], values: Array.from({ length: 16 }, (_, i) => (i % 5 === 0 ? 1 : 0.1)) }],
      nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }],
    }),
  );
  const types = join(dir, 'types.onnx');
  const kinds = ['int64', 'int32', 'uint8', 'bool', 'float64', 'int8'];
  writeFileSync(
    types,
    buildModel({
      opset: 13,
      inputs: kinds.map((t) => ({ name: `in_${t}`, type: t, shape: [2] })),
      outputs: kinds.map((t) => ({ name: `out_${t}`, type: t, shape: [2] })),
      nodes: kinds.map((t) => ({ op: 'Identity', inputs: [`in_${t}`], outputs: [`out_${t}`] })),
    }),
  );
  return { affine, types };
}

const DATATYPES = ['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'BF16', 'FP32', 'FP64', 'BYTES', 'fp32', 'FLOAT', ''];
const BYTES: Record<string, number> = { BOOL: 1, UINT8: 1, INT8: 1, UINT16: 2, INT16: 2, FP16: 2, BF16: 2, UINT32: 4, INT32: 4, FP32: 4, UINT64: 8, INT64: 8, FP64: 8 };

interface Req {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

const name = fc.constantFrom('x', 'y', 'in_int64', 'in_uint8', 'in_bool', 'in_float64', 'in_int8', 'in_int32', 'nope', '', 'x'.repeat(300));
const shape = fc.array(fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constantFrom(-1, 2 ** 31, 1e15, 1.5)), { maxLength: 4 });
const cheapJson = fc.oneof(fc.constant(null), fc.integer(), fc.string({ maxLength: 3 }), fc.constant({}), fc.constant([]), fc.boolean());
const scalar = fc.oneof(fc.double(), fc.integer(), fc.boolean(), fc.string({ maxLength: 4 }), fc.constant(null), fc.bigInt().map(String));
const tensor = fc.record(
  {
    name,
    shape,
    datatype: fc.constantFrom(...DATATYPES),
    data: fc.oneof(fc.array(scalar, { maxLength: 12 }), fc.array(fc.array(scalar, { maxLength: 4 }), { maxLength: 4 }), cheapJson),
    parameters: fc.record({ binary_data_size: fc.oneof(fc.integer({ min: -8, max: 128 }), fc.string({ maxLength: 3 })), binary_data: fc.boolean() }, { requiredKeys: [] }),
  },
  { requiredKeys: ['name'] },
);
const doc = fc.record(
  {
    id: fc.oneof(fc.string({ maxLength: 8 }), fc.integer()),
    inputs: fc.oneof(fc.array(tensor, { maxLength: 4 }), cheapJson),
    outputs: fc.array(fc.record({ name: fc.constantFrom('y', 'out_int64', 'out_bool', 'zz'), parameters: fc.record({ binary_data: fc.oneof(fc.boolean(), cheapJson) }, { requiredKeys: [] }) }, { requiredKeys: [] }), { maxLength: 3 }),
    parameters: fc.dictionary(fc.constantFrom('binary_data_output', 'timeout', 'priority', 'sequence_id'), fc.oneof(fc.boolean(), fc.integer(), fc.string({ maxLength: 4 }))),
  },
  { requiredKeys: [] },
);
const model = fc.constantFrom('affine', 'types', 'missing', 'affine/versions/1', 'affine/versions/2', '..%2F', '%00');

/** A correct binary request for the affine model with n rows, then byte-level damage. */
const binaryValid = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 4 }), fc.integer({ min: -6, max: 6 }), fc.integer({ min: -8, max: 8 }), fc.boolean()).map(([n, flips, hlDelta, cut, binOut]): Req => {
  const head = Buffer.from(JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [n, 4], parameters: { binary_data_size: 16 * n } }], ...(binOut ? { parameters: { binary_data_output: true } } : {}) }));
  const data = Buffer.from(new Float32Array(4 * n).map((_, i) => i / 3).buffer);
  let body = Buffer.concat([head, data]);
  for (const [p, v] of flips) body[p % body.length] = v;
  if (cut < 0) body = body.subarray(0, Math.max(0, body.length + cut));
  else if (cut > 0) body = Buffer.concat([body, Buffer.alloc(cut, 7)]);
  return { method: 'POST', path: '/v2/models/affine/infer', headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(head.length + (flips.length ? hlDelta : 0)) }, body };
});

/** Binary sections for the types model with sizes right or off by a few bytes. */
const binaryTyped = fc.tuple(fc.subarray(['INT64', 'INT32', 'UINT8', 'BOOL', 'FP64', 'INT8', 'FP16', 'BYTES'], { minLength: 1 }), fc.integer({ min: -2, max: 2 }), fc.uint8Array({ maxLength: 64 })).map(([dts, off, extra]): Req => {
  const ort: Record<string, string> = { INT64: 'int64', INT32: 'int32', UINT8: 'uint8', BOOL: 'bool', FP64: 'float64', INT8: 'int8', FP16: 'float16', BYTES: 'string' };
  const inputs = dts.map((d) => ({ name: `in_${ort[d]}`, datatype: d, shape: [2], parameters: { binary_data_size: (BYTES[d] ?? 6) * 2 + off } }));
  const head = Buffer.from(JSON.stringify({ inputs }));
  const body = Buffer.concat([head, Buffer.from(extra), Buffer.alloc(dts.reduce((a, d) => a + (BYTES[d] ?? 6) * 2 + off, 0) > 0 ? dts.reduce((a, d) => a + (BYTES[d] ?? 6) * 2 + off, 0) : 0, 1)]);
  return { method: 'POST', path: '/v2/models/types/infer', headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(head.length) }, body };
});

const jsonRequest = fc.tuple(model, doc, fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', '')).map(([m, d, ct]): Req => ({ method: 'POST', path: `/v2/models/${m}/infer`, headers: ct ? { 'content-type': ct } : {}, body: Buffer.from(JSON.stringify(d)) }));

/** Broken JSON: truncated documents, garbage, deep nesting, a huge number of elements. */
const brokenJson = fc.oneof(
  fc.tuple(doc, fc.nat()).map(([d, k]) => {
    const s = JSON.stringify(d);
    return s.slice(0, k % Math.max(1, s.length));
  }),
  fc.string({ maxLength: 200 }),
  fc.integer({ min: 1, max: 5000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
  fc.integer({ min: 1, max: 2000 }).map((n) => JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [n, 4], data: new Array(n * 4).fill(1) }] })),
).map((s): Req => ({ method: 'POST', path: '/v2/models/affine/infer', headers: { 'content-type': 'application/json' }, body: Buffer.from(s) }));

const headerGames = fc.tuple(fc.uint8Array({ maxLength: 256 }), fc.constantFrom('1e3', '-1', '99999999999', 'abc', '', '0x10', ' 12', '12, 13'), fc.constantFrom('gzip', 'identity', 'br', undefined), fc.constantFrom('application/octet-stream', 'multipart/form-data; boundary=x', 'application/json')).map(([b, hl, enc, ct]): Req => ({
  method: 'POST',
  path: '/v2/models/affine/infer',
  headers: { 'content-type': ct, 'inference-header-content-length': hl, ...(enc ? { 'content-encoding': enc } : {}) },
  body: Buffer.from(b),
}));

/** Over the server's 1 MiB limit (every 1,000th request: a MiB each is costly to send a million times). */
const OVERSIZED: Req = { method: 'POST', path: '/v2/models/affine/infer', headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': '2' }, body: Buffer.alloc((1 << 20) + 5, 32) };

const otherPaths = fc.tuple(fc.constantFrom('GET', 'HEAD', 'PUT', 'DELETE', 'POST', 'OPTIONS', 'PATCH'), fc.constantFrom('/v2', '/v2/', '/v2/health/live', '/v2/health/ready', '/metrics', '/v2/models/affine', '/v2/models/affine/ready', '/v2/models/types/versions/1', '/v2/models/missing', '/v2/models//infer', '/x', '/v2/models/affine/infer?x=1', '/%ff')).map(([method, path]): Req => ({ method, path, headers: {} }));

export const requestArb: fc.Arbitrary<Req> = fc.oneof(
  { arbitrary: jsonRequest, weight: 4 },
  { arbitrary: binaryValid, weight: 4 },
  { arbitrary: binaryTyped, weight: 2 },
  { arbitrary: brokenJson, weight: 2 },
  { arbitrary: headerGames, weight: 2 },
  { arbitrary: otherPaths, weight: 2 },
);

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/**
 * The server collects the garbage its heap growth lets build up once it has had no request for
 * a while (runtime/server/idle-collector.ts); RSS is read after a pause a second longer than that.
 */
const IDLE_MS = DEFAULT_IDLE_GC_MS + 1000;
async function idleRss(pid: number): Promise<number> {
  await new Promise((r) => setTimeout(r, IDLE_MS));
  return rssMiB(pid);
}

async function startServe(models: { affine: string; types: string }): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  const bin = fileURLToPath(new URL('../bin/coquant.mjs', import.meta.url));
  const child = spawn(process.execPath, [bin, 'serve', models.affine, models.types, '--name', 'affine,types', '--port', '0', '--max-body-mb', '1', '--concurrency', '2', '--queue', '256', '--threads', '1', '--log-level', 'silent'], { stdio: ['ignore', 'pipe', 'pipe'], env: withMallocTuning() }); // tuned as shipped, and this pid is the server's own (no relaunch)
  const url = await new Promise<string>((res, rej) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /(http:\/\/[^\s]+)/.exec(out);
      if (m) res(m[1].replace(/\/$/, ''));
    });
    child.once('exit', (c) => rej(new Error(`coquant serve exited (${c}) before listening: ${out}`)));
  });
  return {
    url,
    pid: child.pid!,
    stop: () =>
      new Promise((res) => {
        child.once('exit', () => res());
        child.kill('SIGTERM');
      }),
  };
}

export async function runServerFuzz(o: ServerFuzzOptions): Promise<ServerFuzzReport> {
  const t0 = performance.now();
  const models = serverModels(resolve('out/fuzz/server'));
  const srv = await startServe(models);
  const agent = new Agent({ keepAlive: true, maxSockets: o.concurrency });
  const base = new URL(srv.url);
  const byStatus: Record<string, number> = {};
  const examples5xx: string[] = [];
  let status5xx = 0;
  let transportErrors = 0;
  let done = 0;
  const send = (r: Req) =>
    new Promise<void>((res) => {
      const req = httpRequest({ host: base.hostname, port: base.port, method: r.method, path: r.path, headers: r.body ? { ...r.headers, 'content-length': String(r.body.length) } : r.headers, agent }, (resp) => {
        const chunks: Buffer[] = [];
        resp.on('data', (c: Buffer) => {
          if (chunks.length < 4) chunks.push(c);
        });
        resp.on('end', () => {
          const s = resp.statusCode ?? 0;
          byStatus[s] = (byStatus[s] ?? 0) + 1;
          if (s >= 500 && s !== 501 && s !== 503) {
            status5xx++;
            if (examples5xx.length < 10) examples5xx.push(`${s} ${r.method} ${r.path}: ${Buffer.concat(chunks).toString().slice(0, 200)} <- ${r.body?.subarray(0, 200).toString('latin1')}`);
          }
          res();
        });
        resp.on('error', () => {
          transportErrors++;
          res();
        });
      });
      req.on('error', () => {
        transportErrors++;
        res();
      });
      if (r.body) req.end(r.body);
      else req.end();
    });
  const warmup = o.warmup ?? Math.max(4000, Math.round(o.requests * 0.05));
  let rssWarm = NaN;
  const batch = 2000;
  for (let b = 0; done < o.requests; b++) {
    const reqs = fc.sample(requestArb, { seed: o.seed * 100_003 + b, numRuns: Math.min(batch, o.requests - done) });
    for (let k = 0; k < reqs.length; k += 1000) reqs[k] = OVERSIZED;
    let i = 0;
    await Promise.all(
      Array.from({ length: o.concurrency }, async () => {
        while (i < reqs.length) await send(reqs[i++]);
      }),
    );
    done += reqs.length;
    if (Number.isNaN(rssWarm) && done >= warmup) rssWarm = await idleRss(srv.pid);
    o.onProgress?.(done);
  }
  const rssBusy = rssMiB(srv.pid);
  const rssEnd = await idleRss(srv.pid);
  agent.destroy();
  await srv.stop();
  return { schema: 'coquant.server-fuzz/1', requests: done, seconds: (performance.now() - t0) / 1000, byStatus, status5xx, transportErrors, rssAfterWarmupMiB: rssWarm, rssAtRunEndMiB: rssBusy, rssAfterRunMiB: rssEnd, rssGrowth: rssEnd / rssWarm - 1, examples5xx };
}
