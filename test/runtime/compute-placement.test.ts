/**
 * Where the server computes: the placement rule against a brute-force restatement of it, and a
 * real server on loopback that moves a sub-millisecond model onto its event-loop thread and
 * gives the same answers there as on its worker threads, bit for bit.
 */
import fc from 'fast-check';
import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceClient, type InferResult } from '../../src/runtime/client/inference-client.ts';
import { ComputePlacement } from '../../src/runtime/server/compute-placement.ts';
import { toOrtType, typedArrayCtor, type DataType } from '../../src/runtime/protocol/datatypes.ts';
import type { InferTensor } from '../../src/runtime/protocol/tensor-codec.ts';
import { startServer, type RunningServer } from '../../src/runtime/server/server.ts';
import { TMP } from './helpers.ts';
import { makeIdentityModel, makeReshapeModel, makeTypesModel, TYPED_IO } from './fixtures/tiny-models.ts';

describe('placement rule', () => {
  it('inline exactly when eligible, nothing else computes, and the median of the last W times is below the threshold', () => {
    // Reference median: the mean of the two middle order statistics, found by counting
    // (x is a middle value when at least half the window is <= x and at least half is >= x).
    const refMedian = (w: number[]): number => {
      const lo = Math.min(...w.filter((x) => w.filter((y) => y <= x).length >= w.length / 2));
      const hi = Math.max(...w.filter((x) => w.filter((y) => y >= x).length >= w.length / 2));
      return (lo + hi) / 2;
    };
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 9 }),
      fc.double({ min: 0, max: 3, noNaN: true }),
      fc.boolean(),
      fc.array(fc.tuple(fc.double({ min: 0, max: 4, noNaN: true }), fc.integer({ min: 0, max: 2 })), { maxLength: 40 }),
      (window, thresholdMs, eligible, steps) => {
        const p = new ComputePlacement({ thresholdMs, window });
        p.setEligible('m', eligible);
        const seen: number[] = [];
        for (const [ms, computing] of steps) {
          p.record('m', ms);
          seen.push(ms);
          const last = seen.slice(-window);
          const want = eligible && thresholdMs > 0 && computing === 0 && seen.length >= window && refMedian(last) < thresholdMs;
          if (p.inline('m', computing) !== want) return false;
          if (p.inline('other', 0)) return false; // never recorded, never eligible
        }
        return true;
      },
    ), { numRuns: 500 });
  });

  it('a model made ineligible (its session failed to open) never runs inline again', () => {
    const p = new ComputePlacement({ thresholdMs: 1, window: 2 });
    p.setEligible('m', true);
    p.record('m', 0.1);
    p.record('m', 0.1);
    expect(p.inline('m', 0)).toBe(true);
    p.setEligible('m', false);
    expect(p.inline('m', 0)).toBe(false);
  });
});

describe('a server computing on its event loop', () => {
  const NUMERIC = TYPED_IO.filter((t) => t.dt !== 'BYTES');
  let srv: RunningServer;
  let workersOnly: RunningServer;
  let client: InferenceClient;
  let plain: InferenceClient;
  const models = () => [
    { name: 'identity', path: makeIdentityModel(TMP) },
    { name: 'numeric', path: makeTypesModel(TMP, NUMERIC, 'numeric-types.onnx') },
    { name: 'reshape', path: makeReshapeModel(TMP) },
  ];
  beforeAll(async () => {
    srv = await startServer({ models: models(), port: 0, logLevel: 'silent', concurrency: 2, intraOpThreads: 1 });
    workersOnly = await startServer({ models: models(), port: 0, logLevel: 'silent', concurrency: 2, intraOpThreads: 1, inlineBelowMs: 0 });
    client = new InferenceClient({ url: srv.url });
    plain = new InferenceClient({ url: workersOnly.url });
  });
  afterAll(async () => { await srv?.close(); await workersOnly?.close(); });

  const feature = (n: number, seed: number): InferTensor => ({
    name: 'feature', datatype: 'FP32', shape: [1, n], data: new Float32Array(n).map((_, i) => Math.sin(i * 0.37 + seed)),
  });

  it('moves the identity model inline after its first compute times, and answers every request exactly', async () => {
    const before = srv.computeStats();
    for (let i = 0; i < 24; i++) {
      const x = feature(70000 + i, i); // above 64 KiB: the pooled, shared-buffer request path
      const r = await client.infer('identity', [x]);
      const got = r.outputs[0]!.data as Float32Array;
      // Buffer.equals: byte equality without vitest's element-by-element diffing of 280 kB.
      expect(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from((x.data as Float32Array).buffer))).toBe(true);
    }
    const after = srv.computeStats();
    expect(after.worker - before.worker).toBeGreaterThanOrEqual(8); // the first window is measured on the workers
    expect(after.inline - before.inline).toBeGreaterThanOrEqual(8);
    // The same counts on /metrics, for an operator.
    const text = await (await fetch(`${srv.url}/metrics`)).text();
    const count = (place: string) => Number(new RegExp(`coquant_inference_compute_placement\\{model="identity",place="${place}"\\} (\\d+)`).exec(text)?.[1]);
    expect(count('inline')).toBe(after.inline);
    expect(count('worker')).toBe(after.worker);
  });

  it('with --inline-below-ms 0 every request stays on the workers', async () => {
    for (let i = 0; i < 12; i++) await plain.infer('identity', [feature(1000, i)]);
    expect(workersOnly.computeStats().inline).toBe(0);
    expect(workersOnly.computeStats().worker).toBeGreaterThanOrEqual(12);
  });

  it('gives every numeric datatype back bit for bit inline, as onnxruntime alone does', async () => {
    const direct = await ort.InferenceSession.create(makeTypesModel(TMP, NUMERIC, 'numeric-types.onnx'), { intraOpNumThreads: 1 });
    const inputsFor = (seed: number): InferTensor[] => NUMERIC.map(({ dt }) => {
      const d = dt as Exclude<DataType, 'BYTES'>;
      const a = new (typedArrayCtor(d))(6);
      // Small values every type holds exactly; FP16 as bit patterns of 1.0 + k/1024 (finite).
      for (let i = 0; i < 6; i++) {
        const v = d === 'BOOL' ? (i + seed) % 2 : d === 'FP16' ? 0x3c00 + i + seed : ((i * 5 + seed) % 9) - (d.startsWith('UINT') ? 0 : 4);
        (a as unknown as Array<number | bigint>)[i] = a instanceof BigInt64Array || a instanceof BigUint64Array ? BigInt(Math.abs(v)) * (d === 'INT64' && v < 0 ? -1n : 1n) : (d === 'UINT8' || d === 'UINT16' || d === 'UINT32' ? Math.abs(v) : v);
      }
      return { name: `in_${dt}`, datatype: d, shape: [2, 3], data: a };
    });
    const before = srv.computeStats().inline;
    for (let seed = 0; seed < 14; seed++) {
      const inputs = inputsFor(seed);
      const r: InferResult = await client.infer('numeric', inputs);
      const feeds = Object.fromEntries(inputs.map((t) => [t.name, new ort.Tensor(toOrtType(t.datatype) as 'float32', t.data as Float32Array, t.shape)]));
      const want = await direct.run(feeds);
      for (const { dt } of NUMERIC) {
        const got = r.outputs.find((o) => o.name === `out_${dt}`)!;
        const w = want[`out_${dt}`]!.data as Uint8Array;
        const g = got.data as Uint8Array;
        expect(Buffer.from(g.buffer, g.byteOffset, g.byteLength), dt).toEqual(Buffer.from(w.buffer, w.byteOffset, w.byteLength));
      }
    }
    await direct.release();
    expect(srv.computeStats().inline - before).toBeGreaterThanOrEqual(4);
  });

  it('an onnxruntime failure inline is the same 400 as on a worker, and the server keeps serving', async () => {
    const x: InferTensor = { name: 'x', datatype: 'FP32', shape: [6], data: new Float32Array([1, 2, 3, 4, 5, 6]) };
    const shape = (a: bigint, b: bigint): InferTensor => ({ name: 'shape', datatype: 'INT64', shape: [2], data: new BigInt64Array([a, b]) });
    for (let i = 0; i < 10; i++) expect((await client.infer('reshape', [x, shape(2n, 3n)])).outputs[0]!.shape).toEqual([2, 3]);
    const before = srv.computeStats().inline;
    const fail = (c: InferenceClient) => c.infer('reshape', [x, shape(4n, 5n)]).then(() => undefined, (e: unknown) => e as { status?: number; message: string });
    const inlineErr = await fail(client);
    const workerErr = await fail(plain);
    expect(srv.computeStats().inline).toBe(before); // a failed run is not counted
    for (const e of [inlineErr, workerErr]) {
      expect(e?.status).toBe(400);
      expect(e?.message).toMatch(/onnxruntime rejected the inputs/);
      expect(e?.message).toMatch(/Reshape/);
    }
    expect((await client.infer('reshape', [x, shape(3n, 2n)])).outputs[0]!.shape).toEqual([3, 2]);
    expect(srv.computeStats().inline).toBe(before + 1);
  });

  it('requests computing at the same time go to the workers, not one after another on the event loop', async () => {
    for (let i = 0; i < 10; i++) await client.infer('identity', [feature(2000, i)]);
    const before = srv.computeStats();
    for (let round = 0; round < 10; round++) {
      await Promise.all([0, 1, 2].map((k) => client.infer('identity', [feature(2000, round * 3 + k)])));
    }
    const after = srv.computeStats();
    expect(after.worker - before.worker).toBeGreaterThanOrEqual(10);
    expect(after.inline + after.worker - before.inline - before.worker).toBe(30);
  });

  it('a pooled body read into ordinary memory for the server thread is exact wherever it then runs', async () => {
    // The server guesses from the placement, before reading a body, that it will compute inline
    // and reads it into ordinary memory; concurrent requests then run on the workers instead.
    // Invariant: every answer equals its input byte for byte, and every pooled buffer comes back.
    for (let i = 0; i < 10; i++) await client.infer('identity', [feature(70000, i)]);
    const before = srv.computeStats();
    for (let round = 0; round < 8; round++) {
      const xs = [0, 1, 2].map((k) => feature(70000 + k, round * 3 + k));
      const rs = await Promise.all(xs.map((x) => client.infer('identity', [x])));
      rs.forEach((r, k) => {
        const got = r.outputs[0]!.data as Float32Array;
        expect(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from((xs[k]!.data as Float32Array).buffer))).toBe(true);
      });
    }
    const after = srv.computeStats();
    expect(after.worker - before.worker).toBeGreaterThanOrEqual(8);
    expect(after.inline - before.inline).toBeGreaterThanOrEqual(1);
    for (let i = 0; i < 200 && srv.bufferStats().inUse > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(srv.bufferStats().inUse).toBe(0);
  });
});
