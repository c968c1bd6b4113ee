/**
 * The protocol codec on its own: request encode→decode is the identity for every datatype in
 * both encodings (fast-check), the byte layout matches an independent hand-built body, and the
 * binary reader rejects every truncation.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeInferRequest, decodeInferResponse, encodeInferRequest, encodeInferResponse } from '../../src/runtime/protocol/infer-codec.ts';
import { ProtocolError } from '../../src/runtime/protocol/protocol-error.ts';
import type { InferTensor } from '../../src/runtime/protocol/tensor-codec.ts';

const tensorArb: fc.Arbitrary<InferTensor> = fc.tuple(
  fc.constantFrom('BOOL', 'UINT8', 'INT8', 'UINT16', 'INT16', 'UINT32', 'INT32', 'UINT64', 'INT64', 'FP16', 'BF16', 'FP32', 'FP64', 'BYTES'),
  fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }),
  fc.integer(),
).map(([dt, shape, seed]) => {
  const n = shape.reduce((a, b) => a * b, 1);
  let s = seed >>> 0;
  const rnd = () => { s = (s * 1664525 + 1013904223) >>> 0; return s; };
  const typed: Record<string, () => InferTensor['data']> = {
    BOOL: () => Uint8Array.from({ length: n }, () => rnd() & 1),
    UINT8: () => Uint8Array.from({ length: n }, rnd), INT8: () => Int8Array.from({ length: n }, rnd),
    UINT16: () => Uint16Array.from({ length: n }, rnd), INT16: () => Int16Array.from({ length: n }, rnd),
    UINT32: () => Uint32Array.from({ length: n }, rnd), INT32: () => Int32Array.from({ length: n }, rnd),
    UINT64: () => BigUint64Array.from({ length: n }, () => BigInt(rnd()) << 20n),
    INT64: () => BigInt64Array.from({ length: n }, () => BigInt(rnd()) - 2147483648n),
    FP16: () => Uint16Array.from({ length: n }, rnd), BF16: () => Uint16Array.from({ length: n }, rnd),
    FP32: () => Float32Array.from({ length: n }, () => (rnd() - 2 ** 31) / 977),
    FP64: () => Float64Array.from({ length: n }, () => (rnd() - 2 ** 31) / 977),
    BYTES: () => Array.from({ length: n }, () => new TextEncoder().encode('ab€'.repeat(rnd() % 4))),
  };
  return { name: `t${seed}`, datatype: dt as InferTensor['datatype'], shape, data: typed[dt]!() };
});

const canon = (t: InferTensor) => ({
  name: t.name, datatype: t.datatype, shape: t.shape,
  data: t.datatype === 'BYTES' ? (t.data as Uint8Array[]).map((e) => Buffer.from(e).toString('hex')) : Array.from(t.data as ArrayLike<unknown>, String),
});

describe('infer codec', () => {
  it('request encode → decode is the identity, binary and JSON (FP16/BF16 forced binary)', () => {
    fc.assert(fc.property(fc.uniqueArray(tensorArb, { maxLength: 4, selector: (t) => t.name }), fc.boolean(), (ts, binary) => {
      if (ts.length === 0) return;
      const msg = encodeInferRequest(ts, { binaryInputs: binary, binaryOutputs: !binary, id: 'q' });
      const hl = msg.headerLength === undefined ? undefined : String(msg.headerLength);
      const dec = decodeInferRequest(msg.body, hl);
      expect(dec.id).toBe('q');
      expect(dec.binaryDefault).toBe(!binary);
      expect(dec.inputs.map(canon)).toEqual(ts.map(canon));
    }), { numRuns: 150 });
  });

  it('response encode → decode is the identity', () => {
    fc.assert(fc.property(fc.uniqueArray(tensorArb, { maxLength: 4, selector: (t) => t.name }), fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), (ts, bins) => {
      const msg = encodeInferResponse({ model_name: 'm', id: 'i' }, ts.map((t, i) => ({ ...t, binary: bins[i]! })));
      const dec = decodeInferResponse(msg.body, msg.headerLength === undefined ? undefined : String(msg.headerLength));
      expect(dec.outputs.map(canon)).toEqual(ts.map(canon));
    }), { numRuns: 150 });
  });

  it('lays out bytes exactly as the spec says: JSON header, then each tensor little-endian, BYTES as u32 length + bytes', () => {
    const msg = encodeInferRequest([
      { name: 'a', datatype: 'INT32', shape: [2], data: new Int32Array([1, -2]) },
      { name: 's', datatype: 'BYTES', shape: [2], data: [new Uint8Array([104, 105]), new Uint8Array([])] },
    ], { binaryOutputs: false });
    const head = JSON.stringify({ inputs: [
      { name: 'a', datatype: 'INT32', shape: [2], parameters: { binary_data_size: 8 } },
      { name: 's', datatype: 'BYTES', shape: [2], parameters: { binary_data_size: 10 } },
    ] });
    const tail = [1, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff, 2, 0, 0, 0, 104, 105, 0, 0, 0, 0];
    expect(msg.headerLength).toBe(Buffer.byteLength(head));
    expect(msg.body).toEqual(Buffer.concat([Buffer.from(head), Buffer.from(tail)]));
  });

  it('rejects every truncation of a binary request with a ProtocolError (400)', () => {
    const msg = encodeInferRequest([
      { name: 'f', datatype: 'FP32', shape: [3], data: new Float32Array([1, 2, 3]) },
      { name: 's', datatype: 'BYTES', shape: [1], data: [new Uint8Array([1, 2, 3])] },
    ]);
    for (let cut = 1; cut <= msg.body.length - msg.headerLength!; cut++) {
      const body = msg.body.subarray(0, msg.body.length - cut);
      let err: unknown;
      try { decodeInferRequest(body, String(msg.headerLength)); } catch (e) { err = e; }
      expect(err, `cut ${cut}`).toBeInstanceOf(ProtocolError);
      expect((err as ProtocolError).status).toBe(400);
    }
  });
});
