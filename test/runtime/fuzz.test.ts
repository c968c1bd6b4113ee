/**
 * Fuzzing the live server with fast-check: random and mutated bodies and headers against the
 * infer endpoint. Invariant: every answer is a 2xx or a 4xx/501 with a JSON {"error"} body —
 * never a 5xx (other than 501 unsupported), never a dropped connection — and the server still
 * answers health afterwards.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/runtime/server/server.ts';
import { makeAffineModel, makeTypesModel } from './fixtures/tiny-models.ts';
import { TMP } from './helpers.ts';

let srv: RunningServer;
beforeAll(async () => {
  srv = await startServer({
    models: [{ name: 'affine', path: makeAffineModel(TMP) }, { name: 'types', path: makeTypesModel(TMP) }],
    port: 0, logLevel: 'silent', maxBodyMb: 1, concurrency: 1, intraOpThreads: 1,
  });
});
afterAll(async () => { await srv?.close(); });

const DTYPES = ['FP32', 'FP16', 'INT64', 'BYTES', 'BOOL', 'UINT8', 'BF16', 'XX'];
const validHeader = { inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', parameters: { binary_data_size: 16 } }] };

const jsonish = fc.record({
  id: fc.option(fc.string(), { nil: undefined }),
  parameters: fc.option(fc.dictionary(fc.constantFrom('binary_data_output', 'timeout', 'x'), fc.oneof(fc.boolean(), fc.integer(), fc.string())), { nil: undefined }),
  inputs: fc.array(fc.record({
    name: fc.constantFrom('x', 'in_FP32', 'in_BYTES', 'in_INT64', 'q', ''),
    shape: fc.array(fc.oneof(fc.integer({ min: -2, max: 5 }), fc.constant(1e15)), { maxLength: 4 }),
    datatype: fc.constantFrom(...DTYPES),
    parameters: fc.option(fc.record({ binary_data_size: fc.oneof(fc.integer({ min: -4, max: 64 }), fc.string()) }), { nil: undefined }),
    data: fc.option(fc.oneof(fc.array(fc.oneof(fc.double(), fc.integer(), fc.boolean(), fc.string()), { maxLength: 10 }), fc.anything()), { nil: undefined }),
  }), { maxLength: 3 }),
  outputs: fc.option(fc.array(fc.record({ name: fc.constantFrom('y', 'z', 'w'), parameters: fc.option(fc.record({ binary_data: fc.anything() }), { nil: undefined }) })), { nil: undefined }),
});

const request = fc.oneof(
  // structured documents, with an optional random binary tail and header length
  fc.tuple(jsonish, fc.uint8Array({ maxLength: 64 }), fc.option(fc.integer({ min: -5, max: 400 }), { nil: undefined }), fc.constantFrom('affine', 'types', 'nope'))
    .map(([doc, tail, hlDelta, model]) => {
      const head = Buffer.from(JSON.stringify(doc));
      const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
      if (hlDelta !== undefined) headers['inference-header-content-length'] = String(Math.max(0, head.length + hlDelta - 5));
      return { model, body: Buffer.concat([head, tail]), headers };
    }),
  // byte-level mutations of a valid binary request
  fc.tuple(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat({ max: 100 }))
    .map(([flips, cut]) => {
      const head = Buffer.from(JSON.stringify(validHeader));
      const body = Buffer.concat([head, Buffer.from(new Float32Array([1, 2, 3, 4]).buffer)]);
      for (const [pos, val] of flips) body[pos % body.length] = val;
      return { model: 'affine', body: body.subarray(0, Math.max(0, body.length - cut)), headers: { 'inference-header-content-length': String(head.length) } as Record<string, string> };
    }),
  // raw garbage with random header values
  fc.tuple(fc.uint8Array({ maxLength: 200 }), fc.string({ maxLength: 12 }), fc.constantFrom('application/json', 'text/plain', 'application/octet-stream', 'multipart/form-data'))
    .map(([b, hl, ct]) => ({ model: 'affine', body: Buffer.from(b), headers: { 'content-type': ct, 'inference-header-content-length': hl } as Record<string, string> })),
);

it('no fuzzed request gets a 5xx or kills the server', async () => {
  let n = 0;
  await fc.assert(
    fc.asyncProperty(request, async ({ model, body, headers }) => {
      n++;
      const clean: Record<string, string> = {};
      for (const [k, v] of Object.entries(headers)) if (/^[\t\x20-\x7e]*$/.test(v)) clean[k] = v;
      const r = await fetch(`${srv.url}/v2/models/${model}/infer`, { method: 'POST', body, headers: clean });
      const text = await r.text();
      if (r.status !== 200) {
        expect(r.status >= 400 && (r.status < 500 || r.status === 501), `status ${r.status}: ${text}`).toBe(true);
        expect(typeof (JSON.parse(text) as { error: unknown }).error).toBe('string');
      }
    }),
    { numRuns: 300, seed: 20251123 },
  );
  expect(n).toBe(300);
  expect((await fetch(`${srv.url}/v2/health/live`)).status).toBe(200);
  expect((await fetch(`${srv.url}/v2/health/ready`)).status).toBe(200);
});
