/**
 * The edge server on loopback with real onnxruntime sessions: metadata, JSON and binary
 * inference against direct onnxruntime, every datatype round trip, output selection and the
 * malformed-request table (each must be a 4xx with a {"error"} body, never a 5xx).
 */
import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceClient, outputByName } from '../../src/runtime/client/inference-client.ts';
import type { InferTensor } from '../../src/runtime/protocol/tensor-codec.ts';
import { startServer, type RunningServer } from '../../src/runtime/server/server.ts';
import { makeAffineModel, makeIdentityModel, makeTypesModel, TYPED_IO } from './fixtures/tiny-models.ts';
import { REC_MODEL, TMP, binaryBody, post, randomImage } from './helpers.ts';

let srv: RunningServer;
let client: InferenceClient;

beforeAll(async () => {
  srv = await startServer({
    models: [
      { name: 'affine', path: makeAffineModel(TMP) },
      { name: 'types', path: makeTypesModel(TMP) },
      { name: 'identity', path: makeIdentityModel(TMP) },
      { name: 'rec', path: REC_MODEL },
    ],
    port: 0, logLevel: 'silent', concurrency: 2, intraOpThreads: 1,
  });
  client = new InferenceClient({ url: srv.url });
});
afterAll(async () => { await srv?.close(); });

describe('metadata and health', () => {
  it('answers health like Triton (200, empty body) and lists the binary extension', async () => {
    const live = await fetch(`${srv.url}/v2/health/live`);
    expect(live.status).toBe(200);
    expect(await live.text()).toBe('');
    expect(await client.isLive()).toBe(true);
    expect(await client.isReady()).toBe(true);
    const meta = await client.serverMetadata();
    expect(meta.extensions).toContain('binary_tensor_data');
  });

  it('reports the real OCR model with -1 for its dynamic dimensions', async () => {
    const m = await client.modelMetadata('rec');
    expect(m.platform).toBe('onnxruntime_onnx');
    expect(m.inputs).toEqual([{ name: 'x', datatype: 'FP32', shape: [-1, 3, 48, -1] }]);
    expect(m.outputs[0]!.shape).toEqual([-1, -1, 6625]);
    expect(await client.modelMetadata('rec', '1')).toEqual(m);
    expect(await client.isModelReady('rec')).toBe(true);
  });
});

describe('inference', () => {
  it('JSON inference of the real rec model equals direct onnxruntime, and binary equals JSON bit for bit', async () => {
    const w = 80;
    const img = randomImage(w, 7);
    const direct = await ort.InferenceSession.create(REC_MODEL, { intraOpNumThreads: 1 });
    const want = (await direct.run({ x: new ort.Tensor('float32', img, [1, 3, 48, w]) }))['softmax_11.tmp_0']!;
    await direct.release();
    const x: InferTensor = { name: 'x', datatype: 'FP32', shape: [1, 3, 48, w], data: img };
    const json = await client.infer('rec', [x], { binaryInputs: false, binaryOutputs: false });
    const bin = await client.infer('rec', [x]);
    const jo = outputByName(json, 'softmax_11.tmp_0');
    const bo = outputByName(bin, 'softmax_11.tmp_0');
    expect(jo.shape).toEqual(want.dims.map(Number));
    // JSON numbers are shortest round-trip decimal forms of the float32 values: exact after re-rounding.
    expect(Array.from(jo.data as Float32Array)).toEqual(Array.from(want.data as Float32Array));
    expect(Buffer.from((bo.data as Float32Array).buffer, (bo.data as Float32Array).byteOffset, (bo.data as Float32Array).byteLength))
      .toEqual(Buffer.from((want.data as Float32Array).buffer, (want.data as Float32Array).byteOffset, (want.data as Float32Array).byteLength));
  });

  it('takes the versioned path, a percent-encoded name and a query string, as the fastify router did', async () => {
    const body = JSON.stringify({ inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] });
    for (const path of ['/v2/models/affine/versions/1/infer', '/v2/models/%61ffine/infer', '/v2/models/affine/infer?trace=1']) {
      const r = await post(`${srv.url}${path}`, body);
      expect(r.status, path).toBe(200);
      expect((JSON.parse(r.text) as { outputs: Array<{ data: number[] }> }).outputs[0]!.data, path).toEqual([3, 5, 7, 9]);
    }
    // Any other method on the route is fastify's 405.
    const get = await fetch(`${srv.url}/v2/models/affine/infer`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });

  it('answers binary outputs as octet-stream with Inference-Header-Content-Length, JSON ones as JSON, and honours per-output overrides', async () => {
    const data = [1, -2, 3, -4];
    const bin = await post(`${srv.url}/v2/models/affine/infer`, JSON.stringify({
      parameters: { binary_data_output: true },
      inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', data }],
      outputs: [{ name: 'y' }, { name: 'z', parameters: { binary_data: false } }],
    }));
    expect(bin.status).toBe(200);
    expect(bin.headers.get('content-type')).toMatch(/^application\/octet-stream/);
    const hl = Number(bin.headers.get('inference-header-content-length'));
    const head = JSON.parse(bin.body.subarray(0, hl).toString()) as { outputs: Array<{ name: string; parameters?: { binary_data_size?: number }; data?: number[] }> };
    expect(head.outputs[0]).toMatchObject({ name: 'y', parameters: { binary_data_size: 16 } });
    expect(head.outputs[1]).toMatchObject({ name: 'z', data: [1, 0, 3, 0] });
    const y = new Float32Array(bin.body.subarray(hl).buffer.slice(bin.body.byteOffset + hl, bin.body.byteOffset + hl + 16));
    expect(Array.from(y)).toEqual(data.map((v) => 2 * v + 1));
    expect(bin.body.length).toBe(hl + 16);

    const js = await post(`${srv.url}/v2/models/affine/infer`, JSON.stringify({ id: 'req-7', inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', data: [[1, -2, 3, -4]] }], outputs: [{ name: 'z' }] }));
    expect(js.headers.get('content-type')).toMatch(/^application\/json/);
    expect(JSON.parse(js.text)).toEqual({
      model_name: 'affine',
      model_version: '1',
      id: 'req-7',
      parameters: { queue_us: expect.any(Number), compute_us: expect.any(Number) },
      outputs: [{ name: 'z', datatype: 'FP32', shape: [1, 4], data: [1, 0, 3, 0] }],
    });
  });

  it('round-trips every datatype through onnxruntime Identity, in binary and (except FP16) in JSON', async () => {
    const n = 3;
    const inputs: InferTensor[] = TYPED_IO.map(({ dt }) => {
      const shape = [2, n];
      const k = 2 * n;
      let data: InferTensor['data'];
      switch (dt) {
        case 'BOOL': data = Uint8Array.from({ length: k }, (_, i) => i % 2); break;
        case 'UINT8': data = Uint8Array.from({ length: k }, (_, i) => 250 + i % 6); break;
        case 'INT8': data = Int8Array.from({ length: k }, (_, i) => -128 + i); break;
        case 'UINT16': data = Uint16Array.from({ length: k }, (_, i) => 65535 - i); break;
        case 'INT16': data = Int16Array.from({ length: k }, (_, i) => -32768 + i); break;
        case 'UINT32': data = Uint32Array.from({ length: k }, (_, i) => 4294967295 - i); break;
        case 'INT32': data = Int32Array.from({ length: k }, (_, i) => -2147483648 + i); break;
        case 'UINT64': data = BigUint64Array.from({ length: k }, (_, i) => BigInt(i) * 1000n); break;
        case 'INT64': data = BigInt64Array.from({ length: k }, (_, i) => BigInt(i) - 3n); break;
        case 'FP16': data = Uint16Array.from({ length: k }, (_, i) => 0x3c00 + i); break;
        case 'FP32': data = Float32Array.from({ length: k }, (_, i) => i / 3); break;
        case 'FP64': data = Float64Array.from({ length: k }, (_, i) => Math.PI * i); break;
        default: data = Array.from({ length: k }, (_, i) => new TextEncoder().encode(`é${'x'.repeat(i)}`));
      }
      return { name: `in_${dt}`, datatype: dt as InferTensor['datatype'], shape, data };
    });
    const norm = (t: InferTensor) => (t.datatype === 'BYTES'
      ? (t.data as Uint8Array[]).map((e) => Buffer.from(e).toString('hex'))
      : Array.from(t.data as ArrayLike<unknown>, (v) => String(v)));
    for (const binary of [true, false]) {
      const r = await client.infer('types', inputs, { binaryInputs: binary, binaryOutputs: binary });
      for (const t of inputs) {
        const o = outputByName(r, t.name.replace('in_', 'out_'));
        expect(o.datatype, t.name).toBe(t.datatype);
        expect(o.shape).toEqual(t.shape);
        expect(norm(o), `${t.name} binary=${binary}`).toEqual(norm(t));
      }
    }
  });
});

describe('malformed requests get a 4xx with {"error"}', () => {
  const x4 = { name: 'x', shape: [1, 4], datatype: 'FP32' };
  const f32 = (n: number) => new Uint8Array(new Float32Array(n).buffer);
  const cases: Array<[string, () => { path?: string; body: string | Buffer; headers?: Record<string, string> }, number, RegExp]> = [
    ['non-JSON body', () => ({ body: 'not json{' }), 400, /not valid JSON/],
    ['JSON array instead of object', () => ({ body: '[1,2]' }), 400, /must be an object/],
    ['missing inputs', () => ({ body: '{}' }), 400, /inputs/],
    ['unknown model', () => ({ path: '/v2/models/nope/infer', body: JSON.stringify({ inputs: [{ ...x4, data: [1, 2, 3, 4] }] }) }), 404, /unknown model 'nope'/],
    ['unknown version', () => ({ path: '/v2/models/affine/versions/9/infer', body: JSON.stringify({ inputs: [{ ...x4, data: [1, 2, 3, 4] }] }) }), 404, /no version '9'/],
    ['malformed percent-encoding in the model name', () => ({ path: '/v2/models/%E0%A4%A/infer', body: '{}' }), 400, /percent-encoding/],
    ['percent-encoded unknown model name', () => ({ path: '/v2/models/no%20pe/infer', body: '{}' }), 404, /unknown model 'no pe'/],
    ['unknown input name', () => ({ body: JSON.stringify({ inputs: [{ ...x4, name: 'q', data: [1, 2, 3, 4] }] }) }), 400, /no input 'q'/],
    ['wrong datatype', () => ({ body: JSON.stringify({ inputs: [{ ...x4, datatype: 'INT32', data: [1, 2, 3, 4] }] }) }), 400, /datatype INT32 does not match the model's FP32/],
    ['unknown datatype', () => ({ body: JSON.stringify({ inputs: [{ ...x4, datatype: 'FP8', data: [1, 2, 3, 4] }] }) }), 400, /datatype/],
    ['shape mismatch', () => ({ body: JSON.stringify({ inputs: [{ ...x4, shape: [1, 5], data: [1, 2, 3, 4, 5] }] }) }), 400, /shape \[1,5\] does not match the model's \[-1,4\]/],
    ['rank mismatch', () => ({ body: JSON.stringify({ inputs: [{ ...x4, shape: [4], data: [1, 2, 3, 4] }] }) }), 400, /does not match/],
    ['negative dim', () => ({ body: JSON.stringify({ inputs: [{ ...x4, shape: [-1, 4], data: [1, 2, 3, 4] }] }) }), 400, /shape/],
    ['too few JSON elements', () => ({ body: JSON.stringify({ inputs: [{ ...x4, data: [1, 2, 3] }] }) }), 400, /has 3 elements but shape \[1,4\] needs 4/],
    ['string in FP32 data', () => ({ body: JSON.stringify({ inputs: [{ ...x4, data: [1, 2, 'a', 4] }] }) }), 400, /data\[2\]/],
    ['FP16 as JSON', () => ({ path: '/v2/models/types/infer', body: JSON.stringify({ inputs: [{ name: 'in_FP16', shape: [2, 1], datatype: 'FP16', data: [1, 2] }] }) }), 400, /binary/],
    ['missing data', () => ({ body: JSON.stringify({ inputs: [x4] }) }), 400, /neither 'data' nor/],
    ['missing required input', () => ({ path: '/v2/models/types/infer', body: JSON.stringify({ inputs: [{ name: 'in_FP32', shape: [2, 1], datatype: 'FP32', data: [1, 2] }] }) }), 400, /needs inputs/],
    ['unknown output', () => ({ body: JSON.stringify({ inputs: [{ ...x4, data: [1, 2, 3, 4] }], outputs: [{ name: 'w' }] }) }), 400, /no output 'w'/],
    ['truncated binary section', () => binaryBody({ inputs: [{ ...x4, parameters: { binary_data_size: 16 } }] }, f32(3)), 400, /only 12 bytes/],
    ['binary size disagrees with shape', () => binaryBody({ inputs: [{ ...x4, parameters: { binary_data_size: 12 } }] }, f32(3)), 400, /needs 16 bytes/],
    ['trailing bytes after binary tensors', () => binaryBody({ inputs: [{ ...x4, parameters: { binary_data_size: 16 } }] }, f32(5)), 400, /after the last binary tensor/],
    ['header length larger than body', () => ({ body: '{"inputs":[]}', headers: { 'inference-header-content-length': '999' } }), 400, /999 but the body has only 13 bytes/],
    ['header length not a number', () => ({ body: '{}', headers: { 'inference-header-content-length': 'abc' } }), 400, /not a non-negative integer/],
    ['binary_data_size negative', () => binaryBody({ inputs: [{ ...x4, parameters: { binary_data_size: -4 } }] }), 400, /binary_data_size/],
    ['gzip body', () => ({ body: 'xx', headers: { 'content-encoding': 'gzip' } }), 501, /Content-Encoding/],
    ['wrong method', () => ({ path: '/v2/models/affine/ready', body: '{}' }), 405, /not allowed/],
    ['unknown endpoint', () => ({ path: '/v3/whatever', body: '{}' }), 404, /no such endpoint/],
    ['timeout parameter not an integer', () => ({ body: JSON.stringify({ parameters: { timeout: 'soon' }, inputs: [{ ...x4, data: [1, 2, 3, 4] }] }) }), 400, /timeout/],
    ['too-narrow image for the rec model', () => ({ path: '/v2/models/rec/infer', body: JSON.stringify({ inputs: [{ name: 'x', shape: [1, 3, 48, 0], datatype: 'FP32', data: [] }] }) }), 400, /onnxruntime rejected|shape/],
  ];
  it.each(cases)('%s', async (_name, make, status, msg) => {
    const c = make();
    const r = await post(`${srv.url}${c.path ?? '/v2/models/affine/infer'}`, c.body, c.headers);
    expect(r.status).toBe(status);
    const j = JSON.parse(r.text) as { error: string };
    expect(typeof j.error).toBe('string');
    expect(j.error).toMatch(msg);
  });

  it('counted the failures by reason in /metrics and kept answering', async () => {
    const text = await (await fetch(`${srv.url}/metrics`)).text();
    expect(text).toMatch(/coquant_inference_request_failure\{model="affine",reason="shape"\} [1-9]/);
    expect(text).toMatch(/coquant_inference_request_success\{model="rec"\} [1-9]/);
    expect(text).toMatch(/coquant_inference_queue_duration_us_count\{model="rec"\} [1-9]/);
    expect(await client.isLive()).toBe(true);
  });
});
