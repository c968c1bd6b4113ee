/**
 * The pooled message buffers (protocol/buffer-pool.ts) and their use by the server: a pooled
 * buffer is never handed out twice while in use, every request gives its buffers back —
 * answered, refused, timed out or cut off — and the pool stays bounded.
 */
import { request } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceClient } from '../../src/runtime/client/inference-client.ts';
import { BufferLease, BufferPool, type PooledBuffer } from '../../src/runtime/protocol/buffer-pool.ts';
import type { InferTensor } from '../../src/runtime/protocol/tensor-codec.ts';
import { startServer, type RunningServer } from '../../src/runtime/server/server.ts';
import { makeIdentityModel } from './fixtures/tiny-models.ts';
import { binaryBody, post, TMP } from './helpers.ts';

describe('buffer pool', () => {
  it('never hands out a buffer that is in use, and keeps at most maxFreeBytes free', () => {
    type Op = { acquire: number } | { release: number };
    const op = fc.oneof(
      fc.record({ acquire: fc.integer({ min: 1, max: 600_000 }) }),
      fc.record({ release: fc.nat(50) }),
    );
    fc.assert(fc.property(fc.array(op, { maxLength: 80 }), fc.boolean(), (ops: Op[], shared) => {
      const dropped: number[] = [];
      const pool = new BufferPool({ shared, maxFreeBytes: 1 << 20, onDrop: (id) => dropped.push(id) });
      const live: Array<{ p: PooledBuffer; size: number; tag: number }> = [];
      let tag = 1;
      for (const o of ops) {
        if ('acquire' in o) {
          const p = pool.acquire(o.acquire);
          expect(p.bytes.length).toBeGreaterThanOrEqual(o.acquire);
          for (const l of live) expect(l.p.buffer).not.toBe(p.buffer);
          // Each holder stamps its buffer; a buffer handed to two holders would lose a stamp.
          p.bytes.fill(tag & 0xff, 0, o.acquire);
          live.push({ p, size: o.acquire, tag: tag++ & 0xff });
        } else if (live.length > 0) {
          const [l] = live.splice(o.release % live.length, 1);
          expect(l!.p.bytes.subarray(0, l!.size).every((b) => b === l!.tag)).toBe(true);
          pool.release(l!.p);
        }
        const s = pool.stats();
        expect(s.inUse).toBe(live.filter((l) => l.p.id !== 0).length);
        expect(s.freeBytes).toBeLessThanOrEqual(1 << 20);
      }
      for (const id of dropped) expect(live.some((l) => l.p.id === id)).toBe(false);
    }), { numRuns: 200 });
  });

  it('refuses a second release, and a lease gives its buffers back once, after the last holder', () => {
    const pool = new BufferPool();
    const p = pool.acquire(100_000);
    pool.release(p);
    expect(() => pool.release(p)).toThrow(/released twice/);

    const lease = new BufferLease(pool);
    const a = lease.acquire(70_000);
    lease.acquire(200_000);
    expect(lease.owner(new Float32Array(a.buffer, 8, 4))).toBe(a);
    expect(lease.hold()).toBe(true);
    lease.drop();
    expect(pool.stats().inUse).toBe(2);
    lease.drop();
    expect(pool.stats().inUse).toBe(0);
    expect(lease.released).toBe(true);
    expect(lease.hold()).toBe(false);
    expect(() => lease.acquire(1)).toThrow(/after it was given back/);
    lease.drop(); // a stray extra drop changes nothing
    expect(pool.stats().inUse).toBe(0);
  });

  it('a lease holding buffers of two pools gives each back to its own, and owner() sees only its own pool', () => {
    // Invariant: the workers are sent only buffers of the lease's (shared) pool by reference; a
    // body read into the second (ordinary-memory) pool must never be mistaken for one of them.
    const shared = new BufferPool({ shared: true });
    const local = new BufferPool();
    const lease = new BufferLease(shared);
    const s = lease.acquire(70_000);
    const l = lease.acquire(70_000, local);
    expect(s.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(l.buffer).toBeInstanceOf(ArrayBuffer);
    expect(lease.owner(new Uint8Array(s.buffer, 0, 8))).toBe(s);
    expect(lease.owner(new Uint8Array(l.buffer, 0, 8))).toBeUndefined();
    expect([shared.stats().inUse, local.stats().inUse]).toEqual([1, 1]);
    lease.drop();
    expect([shared.stats().inUse, local.stats().inUse]).toEqual([0, 0]);
    expect([shared.stats().free, local.stats().free]).toEqual([1, 1]);
  });
});

describe('server buffer pool', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    process.env.COQUANT_POOL_POISON = '1'; // a buffer used after its release then carries 0xEE bytes
    const path = makeIdentityModel(TMP);
    srv = await startServer({ models: [{ name: 'identity', path }], port: 0, logLevel: 'silent', concurrency: 2, intraOpThreads: 1, queue: 256 });
  }, 60_000);
  afterAll(async () => {
    delete process.env.COQUANT_POOL_POISON;
    await srv?.close();
  });

  /** Buffers are given back when the server closes each response, just after the client has it. */
  async function settled(): Promise<void> {
    for (let i = 0; i < 200 && srv.bufferStats().inUse > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(srv.bufferStats().inUse).toBe(0);
  }

  const feature = (n: number, seed: number): InferTensor => ({
    name: 'feature', datatype: 'FP32', shape: [1, n], data: new Float32Array(n).map((_, i) => seed * 1e6 + i),
  });

  it('concurrent requests with distinct payloads each get their own answer', async () => {
    const client = new InferenceClient({ url: srv.url });
    await fc.assert(fc.asyncProperty(
      fc.array(fc.integer({ min: 16_384, max: 400_000 }), { minLength: 2, maxLength: 12 }), fc.boolean(),
      async (sizes, binary) => {
        const answers = await Promise.all(sizes.map(async (n, k) => {
          const x = feature(n, k + 1);
          const r = await client.infer('identity', [x], { binaryOutputs: binary || n > 100_000 });
          return { x, y: r.outputs[0]! };
        }));
        for (const { x, y } of answers) {
          expect(y.shape).toEqual(x.shape);
          expect(Buffer.compare(Buffer.from((y.data as Float32Array).buffer, (y.data as Float32Array).byteOffset, (y.data as Float32Array).byteLength),
            Buffer.from((x.data as Float32Array).buffer))).toBe(0);
        }
        await settled();
      },
    ), { numRuns: 8 });
    // Reused, not allocated per request: a handful of buffers served every run above.
    expect(srv.bufferStats().created).toBeLessThanOrEqual(60);
  }, 120_000);

  it('gives the buffers back on every failure path, so the pool stays bounded', async () => {
    const before = srv.bufferStats().created;
    const n = 200_000;
    const bytes = new Uint8Array(new Float32Array(n).buffer);
    const url = `${srv.url}/v2/models/identity/infer`;
    const header = (shape: number[], extra: Record<string, unknown> = {}) => ({
      inputs: [{ name: 'feature', datatype: 'FP32', shape, parameters: { binary_data_size: bytes.length } }], ...extra,
    });
    /** Sends half the body, then cuts the connection. */
    const cutOff = () => new Promise<void>((resolve) => {
      const { body, headers } = binaryBody(header([1, n]), bytes);
      const req = request(url, { method: 'POST', headers: { ...headers, 'content-length': String(body.length) } });
      req.on('error', () => resolve());
      req.write(body.subarray(0, body.length >> 1), () => setTimeout(() => { req.destroy(); resolve(); }, 5));
    });
    for (let i = 0; i < 40; i++) {
      const wrongShape = binaryBody(header([2, n / 2 + 1]), bytes);
      expect((await post(url, wrongShape.body, wrongShape.headers)).status).toBe(400);
      const badHeaderLength = binaryBody(header([1, n]), bytes);
      expect((await post(url, badHeaderLength.body, { ...badHeaderLength.headers, 'inference-header-content-length': '7' })).status).toBe(400);
      const tooShort = binaryBody(header([1, n]), bytes.subarray(8));
      expect((await post(url, tooShort.body, tooShort.headers)).status).toBe(400);
      // A 1 µs deadline: the answer is a 503 while the job may still be computing.
      const late = binaryBody(header([1, n], { parameters: { timeout: 1 } }), bytes);
      expect([200, 503]).toContain((await post(url, late.body, late.headers)).status);
      await cutOff();
    }
    await settled();
    expect(srv.bufferStats().created - before).toBeLessThanOrEqual(6);
    // The server still answers correctly from the same buffers.
    const x = feature(n, 7);
    const r = await new InferenceClient({ url: srv.url }).infer('identity', [x]);
    expect((r.outputs[0]!.data as Float32Array)[n - 1]).toBe((x.data as Float32Array)[n - 1]);
    await settled();
  }, 120_000);

  it('client inferScoped: concurrent calls each see their own answer while `use` runs, and give the buffer back', async () => {
    const client = new InferenceClient({ url: srv.url });
    const pool = () => (client as unknown as { answers: BufferPool }).answers.stats();
    await fc.assert(fc.asyncProperty(
      fc.array(fc.tuple(fc.integer({ min: 16_384, max: 300_000 }), fc.nat(15)), { minLength: 1, maxLength: 8 }),
      async (calls) => {
        await Promise.all(calls.map(([n, delay], k) => {
          const x = feature(n, k + 11);
          return client.inferScoped('identity', [x], async (r) => {
            // Other calls finish meanwhile; a buffer shared with one of them would change under us.
            await new Promise((res) => setTimeout(res, delay));
            const y = r.outputs[0]!.data as Float32Array;
            expect(y.length).toBe(n);
            expect(Buffer.compare(Buffer.from(y.buffer, y.byteOffset, y.byteLength), Buffer.from((x.data as Float32Array).buffer))).toBe(0);
          });
        }));
        expect(pool().inUse).toBe(0);
      },
    ), { numRuns: 10 });
    expect(pool().created).toBeLessThanOrEqual(40);
  }, 120_000);

  it('client inferScoped gives the answer buffer back when the server refuses, `use` throws or the call times out', async () => {
    const client = new InferenceClient({ url: srv.url });
    const n = 100_000;
    const x = feature(n, 3);
    await client.inferScoped('identity', [x], () => undefined);
    const pool = () => (client as unknown as { answers: BufferPool }).answers.stats();
    const created = pool().created;
    for (let i = 0; i < 50; i++) {
      await expect(client.inferScoped('identity', [{ ...x, shape: [2, n / 2 + 1] }], () => 0)).rejects.toThrow(/400/);
      await expect(client.inferScoped('identity', [x], () => { throw new Error('consumer failed'); })).rejects.toThrow('consumer failed');
      await client.inferScoped('identity', [x], () => 0, { timeoutMs: 1 }).catch(() => undefined);
      expect(pool().inUse).toBe(0);
    }
    expect(pool().created - created).toBeLessThanOrEqual(2);
    await settled();
  }, 120_000);
});
