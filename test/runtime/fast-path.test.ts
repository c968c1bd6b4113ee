/**
 * The copy-free request path: the aligned body reader, moving tensors to the onnxruntime worker,
 * replies written in pieces, and the node:http client. Each test checks that an optimisation
 * keeps the bytes exact and never touches memory it does not own.
 */
import { request } from 'node:http';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceClient } from '../../src/runtime/client/inference-client.ts';
import { ServerUnreachableError } from '../../src/runtime/client/client-errors.ts';
import { encodeInferRequest } from '../../src/runtime/protocol/infer-codec.ts';
import type { InferTensor } from '../../src/runtime/protocol/tensor-codec.ts';
import { isOwnedBody, readAlignedBody } from '../../src/runtime/server/body-reader.ts';
import { alignPad } from '../../src/runtime/protocol/infer-codec.ts';
import { startServer, type RunningServer } from '../../src/runtime/server/server.ts';
import { WorkerPool } from '../../src/runtime/server/worker-pool.ts';
import { makeIdentityModel } from './fixtures/tiny-models.ts';
import { TMP } from './helpers.ts';

function read(chunks: Buffer[], contentLength: number, hl: string | undefined, limit = 1 << 30): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    readAlignedBody(Readable.from(chunks), contentLength, hl, limit, (err, body) => (err ? reject(err) : resolve(body!)));
  });
}

describe('aligned body reader', () => {
  it('alignPad puts the binary part on an 8-byte boundary (all header lengths ≤ body)', () => {
    fc.assert(fc.property(fc.nat(10_000), fc.nat(10_000), (h, extra) => {
      const pad = alignPad(String(h), h + extra);
      return pad >= 0 && pad < 8 && (pad + h) % 8 === 0;
    }));
    expect(alignPad(undefined, 10)).toBe(0);
    expect(alignPad('12', 5)).toBe(0); // header longer than the body: the codec reports it, no padding
    expect(alignPad('x', 5)).toBe(0);
  });

  it('returns exactly the bytes sent, however chunked, aligned and owned, with or without Content-Length', async () => {
    await fc.assert(fc.asyncProperty(
      fc.uint8Array({ minLength: 0, maxLength: 3000 }), fc.array(fc.nat(3000), { maxLength: 6 }), fc.nat(3000), fc.boolean(),
      async (data, cuts, h, known) => {
        const hl = Math.min(h, data.length);
        const points = [0, ...cuts.map((c) => Math.min(c, data.length)).sort((a, b) => a - b), data.length];
        const chunks = points.slice(1).map((p, i) => Buffer.from(data.subarray(points[i]!, p)));
        const body = await read(chunks, known ? data.length : Number.NaN, String(hl));
        expect(Buffer.compare(body, Buffer.from(data))).toBe(0);
        expect((body.byteOffset + hl) % 8).toBe(0);
        expect(isOwnedBody(body)).toBe(true);
      },
    ), { numRuns: 60 });
    expect(isOwnedBody(Buffer.from('pooled'))).toBe(false);
  });

  it('rejects a body longer or shorter than its Content-Length, or over the limit, with fastify’s codes', async () => {
    await expect(read([Buffer.alloc(10)], 8, undefined)).rejects.toMatchObject({ code: 'FST_ERR_CTP_INVALID_CONTENT_LENGTH' });
    await expect(read([Buffer.alloc(6)], 8, undefined)).rejects.toMatchObject({ code: 'FST_ERR_CTP_INVALID_CONTENT_LENGTH' });
    await expect(read([Buffer.alloc(10)], 10, undefined, 9)).rejects.toMatchObject({ code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
    await expect(read([Buffer.alloc(6), Buffer.alloc(6)], Number.NaN, undefined, 9)).rejects.toMatchObject({ code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
  });
});

describe('worker transfer', () => {
  it('moves only the buffers the caller lists; results are exact either way', async () => {
    const pool = await WorkerPool.start([{ name: 'id', path: makeIdentityModel(TMP) }], 1, 1);
    try {
      const a = new Float32Array(5000).map((_, i) => i * 0.5);
      const kept = await pool.run('id', [{ name: 'feature', datatype: 'FP32', shape: [1, 5000], data: a }], ['out']);
      expect(a.length).toBe(5000); // not listed: still usable by the caller
      expect(Array.from(kept.outputs[0]!.data as Float32Array)).toEqual(Array.from(a));
      const b = a.slice();
      const moved = await pool.run('id', [{ name: 'feature', datatype: 'FP32', shape: [1, 5000], data: b }], ['out'], [b.buffer]);
      expect(b.buffer.byteLength).toBe(0); // listed: detached here, now the worker's
      expect(Array.from(moved.outputs[0]!.data as Float32Array)).toEqual(Array.from(a));
    } finally {
      await pool.close();
    }
  });
});

describe('server and client fast path', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer({ models: [{ name: 'id', path: makeIdentityModel(TMP) }], port: 0, logLevel: 'silent', intraOpThreads: 1, concurrency: 2 });
  });
  afterAll(async () => { await srv.close(); });

  it('answers exactly for every header-length residue mod 8, and leaves the caller’s arrays intact', async () => {
    const c = new InferenceClient({ url: srv.url });
    const n = 70_000; // above every small-buffer pool, so the big-body path is the one exercised
    const data = new Float32Array(n).map((_, i) => Math.sin(i) * 1e3);
    const x: InferTensor = { name: 'feature', datatype: 'FP32', shape: [1, n], data };
    for (let k = 0; k < 8; k++) {
      const id = 'r'.repeat(k + 1); // shifts the JSON header length, hence the alignment the reader must fix
      const r = await c.infer('id', [x], { id });
      expect(r.id).toBe(id);
      const out = r.outputs[0]!.data as Float32Array;
      expect(Buffer.compare(Buffer.from(out.buffer, out.byteOffset, out.byteLength), Buffer.from(data.buffer))).toBe(0);
      expect(data.length).toBe(n);
    }
    const j = await c.infer('id', [x], { binaryInputs: false, binaryOutputs: false });
    expect(Array.from(j.outputs[0]!.data as Float32Array)).toEqual(Array.from(data));
  });

  it('accepts a chunked request without Content-Length', async () => {
    const x: InferTensor = { name: 'feature', datatype: 'FP32', shape: [1, 3], data: new Float32Array([1, 2, 3]) };
    const msg = encodeInferRequest([x]);
    const u = new URL(`${srv.url}/v2/models/id/infer`);
    const { status, body } = await new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
      const req = request(u, { method: 'POST', headers: { 'content-type': msg.contentType, 'inference-header-content-length': String(msg.headerLength) } }, (res) => {
        const cs: Buffer[] = [];
        res.on('data', (ch: Buffer) => cs.push(ch));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(cs) }));
      });
      req.on('error', reject);
      req.write(msg.body.subarray(0, 7));
      req.end(msg.body.subarray(7));
    });
    expect(status).toBe(200);
    expect(new Float32Array(body.buffer.slice(body.byteOffset + body.length - 12, body.byteOffset + body.length))).toEqual(new Float32Array([1, 2, 3]));
  });

  it('a connection cut mid-answer is a transport error, not a hang or a short result', async () => {
    const { createServer } = await import('node:http');
    const cut = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '1000', 'inference-header-content-length': '10' });
      res.write(Buffer.alloc(100));
      setTimeout(() => res.socket?.destroy(), 20);
    });
    await new Promise<void>((r) => cut.listen(0, '127.0.0.1', r));
    try {
      const port = (cut.address() as { port: number }).port;
      const c = new InferenceClient({ url: `http://127.0.0.1:${port}`, timeoutMs: 5000 });
      const x: InferTensor = { name: 'feature', datatype: 'FP32', shape: [1], data: new Float32Array([1]) };
      await expect(c.infer('id', [x])).rejects.toBeInstanceOf(ServerUnreachableError);
    } finally {
      cut.closeAllConnections();
      cut.close();
    }
  });
});
