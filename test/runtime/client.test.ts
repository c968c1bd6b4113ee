/**
 * Client failure modes against deliberately broken servers: nothing listening, a stall past
 * the deadline, garbage bodies, error statuses, caller abort — each a distinct typed error —
 * and both health readings (Triton's empty 200, OIP's {"live": true}).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BadResponseError, RequestAbortedError, RequestTimeoutError, ServerHttpError, ServerUnreachableError,
} from '../../src/runtime/client/client-errors.ts';
import { InferenceClient } from '../../src/runtime/client/inference-client.ts';

let srv: Server;
let url: string;
beforeAll(async () => {
  srv = createServer((req, res) => {
    const p = req.url ?? '';
    if (p === '/v2/health/live') { res.setHeader('content-type', 'application/json'); res.end('{"live": true}'); return; }
    if (p === '/v2/health/ready') { res.end('{"ready": false}'); return; }
    if (p.startsWith('/v2/models/stall')) return; // never answers
    if (p.startsWith('/v2/models/garbage')) { res.end('<html>oops</html>'); return; }
    if (p.startsWith('/v2/models/badbin')) { res.setHeader('content-type', 'application/octet-stream'); res.end('xxxx'); return; }
    if (p.startsWith('/v2/models/short')) {
      res.setHeader('inference-header-content-length', '64');
      res.end('{"model_name":"short","outputs":[{"name":"y","datatype":"FP32","shape":[4],"parameters":{"binary_data_size":16}}]}');
      return;
    }
    res.statusCode = 422;
    res.end('{"error":"model is sulking"}');
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
});
afterAll(() => { srv.closeAllConnections(); srv.close(); });

const x = [{ name: 'x', datatype: 'FP32' as const, shape: [1], data: new Float32Array([1]) }];

describe('InferenceClient errors', () => {
  it('reads both health conventions', async () => {
    const c = new InferenceClient({ url });
    expect(await c.isLive()).toBe(true);
    expect(await c.isReady()).toBe(false);
  });
  it('unreachable', async () => {
    const c = new InferenceClient({ url: 'http://127.0.0.1:1' });
    await expect(c.isLive()).rejects.toBeInstanceOf(ServerUnreachableError);
  });
  it('timeout', async () => {
    const c = new InferenceClient({ url, timeoutMs: 100 });
    const e = await c.infer('stall', x).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(RequestTimeoutError);
    expect((e as RequestTimeoutError).retryable).toBe(true);
  });
  it('caller abort', async () => {
    const c = new InferenceClient({ url });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    await expect(c.infer('stall', x, { signal: ac.signal })).rejects.toBeInstanceOf(RequestAbortedError);
  });
  it('garbage bodies', async () => {
    const c = new InferenceClient({ url });
    await expect(c.infer('garbage', x)).rejects.toBeInstanceOf(BadResponseError);
    await expect(c.infer('badbin', x)).rejects.toBeInstanceOf(BadResponseError);
    await expect(c.infer('short', x)).rejects.toBeInstanceOf(BadResponseError);
  });
  it('HTTP errors carry the status and the server text', async () => {
    const e = await new InferenceClient({ url }).infer('other', x).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ServerHttpError);
    expect((e as ServerHttpError).status).toBe(422);
    expect((e as ServerHttpError).serverMessage).toBe('model is sulking');
    expect((e as ServerHttpError).retryable).toBe(false);
  });
});
