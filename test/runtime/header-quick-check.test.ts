/**
 * The hand-written header check ahead of zod. Invariant: it accepts a subset of what zod
 * accepts, and for what it accepts it gives zod's own result (zod stays the definition). And it
 * does accept the headers coquant's own client and server send, or it would never save anything.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { DATATYPES } from '../../src/runtime/protocol/datatypes.ts';
import { quickInferRequest, quickInferResponse } from '../../src/runtime/protocol/header-quick-check.ts';
import { encodeInferRequestParts, encodeInferResponseParts, splitMessage } from '../../src/runtime/protocol/infer-codec.ts';
import { inferRequestSchema, inferResponseSchema } from '../../src/runtime/protocol/schemas.ts';

const concat = (chunks: readonly Uint8Array[]) => Buffer.concat(chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength)));

/** Header-like documents: mostly well-formed, with every field sometimes the wrong type, missing, or joined by an unknown key. */
const junk = fc.oneof(fc.constant(undefined), fc.constant(null), fc.integer(), fc.double(), fc.string(), fc.boolean(), fc.constant([]), fc.constant({}), fc.constant(-0));
const maybe = <T>(a: fc.Arbitrary<T>) => fc.oneof({ weight: 20, arbitrary: a }, { weight: 1, arbitrary: junk });
const params = maybe(fc.dictionary(fc.oneof({ weight: 10, arbitrary: fc.string() }, { weight: 1, arbitrary: fc.constant('__proto__') }), fc.oneof({ weight: 10, arbitrary: fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)) }, { weight: 1, arbitrary: fc.oneof(fc.constant([1]), fc.constant({}), fc.double()) }), { maxKeys: 3 }));
const shape = maybe(fc.array(fc.oneof({ weight: 40, arbitrary: fc.nat(1 << 20) }, { weight: 1, arbitrary: fc.oneof(fc.integer({ min: -3, max: -1 }), fc.double(), fc.constant(2 ** 60), fc.string()) }), { maxLength: 66 }));
const withExtra = <T extends object>(a: fc.Arbitrary<T>) => fc.tuple(a, fc.oneof({ weight: 12, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.tuple(fc.string(), junk) })).map(([o, e]) => (e ? { ...o, [e[0]]: e[1] } : o));
const tensor = withExtra(fc.record({
  name: maybe(fc.oneof({ weight: 10, arbitrary: fc.string({ minLength: 1 }) }, { weight: 1, arbitrary: fc.constant('') })),
  shape,
  datatype: maybe(fc.oneof({ weight: 10, arbitrary: fc.constantFrom(...DATATYPES) }, { weight: 1, arbitrary: fc.string() })),
  parameters: params,
  data: fc.oneof(fc.constant(undefined), fc.array(fc.integer()), fc.string()),
}, { requiredKeys: ['name', 'shape', 'datatype'] }));
const request = withExtra(fc.record({
  id: maybe(fc.string()),
  parameters: params,
  inputs: maybe(fc.array(tensor, { minLength: 1, maxLength: 3 })),
  outputs: maybe(fc.array(withExtra(fc.record({ name: maybe(fc.string()), parameters: params }, { requiredKeys: ['name'] })), { maxLength: 3 })),
}, { requiredKeys: ['inputs'] }));
const response = withExtra(fc.record({
  model_name: maybe(fc.string()),
  model_version: maybe(fc.string()),
  id: maybe(fc.string()),
  parameters: params,
  outputs: maybe(fc.array(tensor, { maxLength: 3 })),
}, { requiredKeys: ['model_name', 'outputs'] }));

/** Through JSON, as the codec sees it (undefined members vanish; "__proto__" becomes an own key). */
const viaJson = (v: unknown): unknown => JSON.parse(JSON.stringify(v) ?? 'null');

describe('quick header check ahead of zod', () => {
  /** Runs the property over `runs` documents; returns how many the quick check accepted. */
  function subsetOfZod(docs: fc.Arbitrary<unknown>, quick: (json: unknown) => unknown, schema: z.ZodType): number {
    let accepted = 0;
    fc.assert(fc.property(docs, (doc) => {
      const json = viaJson(doc);
      const q = quick(json);
      if (q === undefined) return;
      accepted++;
      const z = schema.safeParse(json);
      expect(z.success).toBe(true);
      expect(q).toEqual(z.data);
    }), { numRuns: 4000 });
    return accepted;
  }

  it('accepts only what zod accepts, with zod\'s own result (requests and responses, 4000 documents each)', () => {
    // The generators reach the accepting side often enough for the property to mean something.
    expect(subsetOfZod(request, quickInferRequest, inferRequestSchema)).toBeGreaterThan(400);
    expect(subsetOfZod(response, quickInferResponse, inferResponseSchema)).toBeGreaterThan(400);
  });

  it('takes the headers coquant itself sends, so the common request never reaches zod', () => {
    const x = { name: 'feature', datatype: 'FP32' as const, shape: [1, 4], data: new Float32Array([1, 2, 3, 4]) };
    const req = encodeInferRequestParts([x], { id: 'r1', parameters: { timeout: 5000 }, outputs: [{ name: 'out', binary: true }] });
    expect(quickInferRequest(splitMessage(concat(req.chunks), String(req.headerLength)).json)).toBeDefined();
    const res = encodeInferResponseParts({ model_name: 'm', model_version: '1', parameters: { queue_us: 3, compute_us: 9 } }, [{ ...x, name: 'out', binary: true }]);
    expect(quickInferResponse(splitMessage(concat(res.chunks), String(res.headerLength)).json)).toBeDefined();
    const asJson = encodeInferRequestParts([x], { binaryInputs: false, binaryOutputs: false });
    expect(quickInferRequest(splitMessage(concat(asJson.chunks), undefined).json)).toBeDefined();
  });

  it('leaves unknown keys, wrong types and prototype keys to zod', () => {
    const input = { name: 'x', shape: [1], datatype: 'FP32', data: [1] };
    expect(quickInferRequest({ inputs: [input], extra: 1 })).toBeUndefined();
    expect(quickInferRequest({ inputs: [] })).toBeUndefined();
    expect(quickInferRequest({ inputs: [{ ...input, shape: [-1] }] })).toBeUndefined();
    expect(quickInferRequest({ inputs: [{ ...input, datatype: 'FP8' }] })).toBeUndefined();
    expect(quickInferRequest(JSON.parse('{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}],"parameters":{"__proto__":1}}'))).toBeUndefined();
    expect(quickInferResponse({ model_name: 'm', outputs: [{ name: 'y', shape: [1], datatype: 'FP32', oops: 1 }] })).toBeUndefined();
  });
});
