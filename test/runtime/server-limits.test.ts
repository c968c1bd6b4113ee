/**
 * Operational limits of the server, each on its own small server: bearer auth, body size
 * limit, queue full, deadlines (a request that timed out in the queue never runs), and
 * graceful shutdown draining an in-flight request.
 */
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { InferenceClient } from '../../src/runtime/client/inference-client.ts';
import { ServerHttpError, ServerUnreachableError } from '../../src/runtime/client/client-errors.ts';
import type { InferTensor } from '../../src/runtime/protocol/tensor-codec.ts';
import { startServer, type RunningServer, type ServerOptions } from '../../src/runtime/server/server.ts';
import { makeAffineModel } from './fixtures/tiny-models.ts';
import { REC_MODEL, TMP, post, randomImage } from './helpers.ts';

const servers: RunningServer[] = [];
async function serve(o: Partial<ServerOptions>): Promise<RunningServer> {
  const s = await startServer({
    models: [{ name: 'affine', path: makeAffineModel(TMP) }, { name: 'rec', path: REC_MODEL }],
    port: 0, logLevel: 'silent', intraOpThreads: 1, ...o,
  });
  servers.push(s);
  return s;
}
afterEach(async () => { await Promise.all(servers.splice(0).map((s) => s.close())); });

const x4: InferTensor = { name: 'x', datatype: 'FP32', shape: [1, 4], data: new Float32Array([1, 2, 3, 4]) };
/** ~150-200 ms of real compute on this machine: long enough to hold a slot. */
const slow = (): InferTensor => ({ name: 'x', datatype: 'FP32', shape: [1, 3, 48, 1600], data: randomImage(1600, 1) });

async function computeCount(s: RunningServer): Promise<number> {
  const text = await (await fetch(`${s.url}/metrics`, { headers: { authorization: 'Bearer t0k' } })).text();
  let n = 0;
  for (const m of text.matchAll(/coquant_inference_compute_infer_duration_us_count\{[^}]*\} (\d+)/g)) n += Number(m[1]);
  return n;
}

/** Waits until the server has accepted a request for `model` (so the next one queues behind it). */
async function untilPending(s: RunningServer, model: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const g = await s.metrics.pending.get();
    if (g.values.some((v) => v.labels.model === model && v.value >= 1)) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('request never reached the server');
}

describe('server limits', () => {
  it('requires the bearer token on everything but health when --token is set', async () => {
    const s = await serve({ token: 't0k' });
    const bad = await post(`${s.url}/v2/models/affine/infer`, '{}');
    expect(bad.status).toBe(401);
    expect(JSON.parse(bad.text).error).toMatch(/bearer token/);
    const wrong = await post(`${s.url}/v2/models/affine/infer`, '{}', { authorization: 'Bearer t0kk' });
    expect(wrong.status).toBe(401);
    expect((await fetch(`${s.url}/v2/models/affine`)).status).toBe(401);
    expect((await fetch(`${s.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${s.url}/v2/health/live`)).status).toBe(200);
    const ok = new InferenceClient({ url: s.url, token: 't0k' });
    const r = await ok.infer('affine', [x4]);
    expect(Array.from(r.outputs[0]!.data as Float32Array)).toEqual([3, 5, 7, 9]);
    await expect(new InferenceClient({ url: s.url }).infer('affine', [x4])).rejects.toMatchObject({ status: 401 });
  });

  it('an early answer keeps the connection for a small unread body and closes it for a large one', async () => {
    // Invariant: the server never reads a large body it has already refused (unknown model, bad
    // token, draining); Node would otherwise read it to the end to reuse the connection.
    const s = await serve({ token: 't0k' });
    const ask = (path: string, bytes: number, auth = 'Bearer t0k') => new Promise<{ status: number; connection?: string }>((resolve, reject) => {
      const req = request(`${s.url}${path}`, { method: 'POST', headers: { authorization: auth, 'content-length': String(bytes) } }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection }));
      });
      req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? undefined : reject(e)));
      req.end(Buffer.alloc(bytes, 0x7b));
    });
    expect(await ask('/v2/models/nope/infer', 1000)).toEqual({ status: 404, connection: 'keep-alive' });
    expect(await ask('/v2/models/nope/infer', 3 << 20)).toEqual({ status: 404, connection: 'close' });
    expect(await ask('/v2/models/affine/infer', 3 << 20, 'Bearer wrong')).toEqual({ status: 401, connection: 'close' });
    // After a body that was read, an error keeps the connection.
    expect(await ask('/v2/models/affine/infer', 1000)).toMatchObject({ status: 400, connection: 'keep-alive' });
  });

  it('rejects a body over --max-body-mb with 413 naming the flag', async () => {
    const s = await serve({ maxBodyMb: 0.5 });
    const c = new InferenceClient({ url: s.url });
    const big: InferTensor = { name: 'x', datatype: 'FP32', shape: [40000, 4], data: new Float32Array(160000) };
    const err = await c.infer('affine', [big]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerHttpError);
    expect((err as ServerHttpError).status).toBe(413);
    expect((err as ServerHttpError).serverMessage).toMatch(/--max-body-mb/);
    expect(await c.isLive()).toBe(true);
  });

  it('answers 503 when every slot and queue place is taken', async () => {
    const s = await serve({ concurrency: 1, queue: 1 });
    const c = new InferenceClient({ url: s.url });
    const results = await Promise.allSettled([0, 1, 2, 3].map(() => c.infer('rec', [slow()])));
    const rejected = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as ServerHttpError);
    expect(results.filter((r) => r.status === 'fulfilled').length).toBeGreaterThanOrEqual(1);
    expect(rejected.length).toBeGreaterThanOrEqual(1);
    for (const e of rejected) {
      expect(e.status).toBe(503);
      expect(e.serverMessage).toMatch(/--queue 1/);
    }
  });

  it('a request whose Triton timeout (µs) expires in the queue gets 503 and is never executed', async () => {
    const s = await serve({ concurrency: 1, queue: 8, token: 't0k' });
    const c = new InferenceClient({ url: s.url, token: 't0k' });
    const before = await computeCount(s);
    const first = c.infer('rec', [slow()]);
    await untilPending(s, 'rec');
    const late = await c.infer('affine', [x4], { parameters: { timeout: 5000 } }).catch((e: unknown) => e);
    expect(late).toBeInstanceOf(ServerHttpError);
    expect((late as ServerHttpError).status).toBe(503);
    expect((late as ServerHttpError).serverMessage).toMatch(/timed out/);
    await first;
    await new Promise((r) => setTimeout(r, 50));
    // Only the slow request ran: the timed-out one left the queue without executing.
    expect((await computeCount(s)) - before).toBe(1);
  });

  it('--timeout-ms bounds a running request: the caller gets 503 at the deadline', async () => {
    const s = await serve({ timeoutMs: 30 });
    const c = new InferenceClient({ url: s.url });
    const t0 = performance.now();
    const err = await c.infer('rec', [slow()]).catch((e: unknown) => e);
    expect((err as ServerHttpError).status).toBe(503);
    expect(performance.now() - t0).toBeLessThan(150);
  });

  it('close() stops accepting new work and drains the in-flight request', async () => {
    const s = await serve({});
    const c = new InferenceClient({ url: s.url });
    const inflight = c.infer('rec', [slow()]);
    await untilPending(s, 'rec');
    const closing = s.close();
    const r = await inflight;
    expect(r.outputs[0]!.shape[2]).toBe(6625);
    await closing;
    await expect(c.isLive()).rejects.toBeInstanceOf(ServerUnreachableError);
  });
});
