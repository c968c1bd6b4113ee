/**
 * --inputs readers against files written by independent tools: numpy's np.save / np.savez /
 * np.savez_compressed (zip64 headers included) and a hand-written protobuf encoder for ONNX
 * TensorProto (test/cli/fixtures/inputs, made once with Python). Each check compares the values
 * read with the values numpy was given, and that hostile archives are typed errors.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { conform, readInputFiles } from '../../src/data/input-files.ts';
import { parseNpz } from '../../src/data/npz.ts';
import { parseTensorProto } from '../../src/data/tensor-proto.ts';
import { isCoquantError } from '../../src/errors.ts';
import type { InputSpec } from '../../src/data/random-inputs.ts';

const dir = fileURLToPath(new URL('./fixtures/inputs/', import.meta.url));
const x = Array.from({ length: 12 }, (_, i) => i / 4);
const specs: InputSpec[] = [
  { name: 'x', type: 'float32', shape: ['batch', 4] },
  { name: 'idx', type: 'int64', shape: [3] },
];

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return isCoquantError(e) ? e.code : `not typed: ${String(e)}`;
  }
  return 'no error';
}

describe('--inputs files', () => {
  it('np.savez and np.savez_compressed archives: arrays by input name, values as numpy wrote them', async () => {
    for (const f of ['sample.npz', 'sample-compressed.npz']) {
      const { feeds } = await readInputFiles([join(dir, f)], specs);
      expect(feeds).toHaveLength(1);
      expect(Array.from(feeds[0].x.data as Float32Array)).toEqual(x);
      expect(feeds[0].x.dims).toEqual([3, 4]);
      expect(Array.from(feeds[0].idx.data as BigInt64Array)).toEqual([2n, 0n, 1n]);
    }
  });

  it('positional arrays (arr_0, arr_1) follow the input order; float16 widens to float32, int32 to int64', async () => {
    const pos = await readInputFiles([join(dir, 'positional.npz')], specs);
    expect(Array.from(pos.feeds[0].idx.data as BigInt64Array)).toEqual([2n, 0n, 1n]);
    const half = await readInputFiles([join(dir, 'half.npz')], specs);
    expect(half.feeds[0].x.type).toBe('float32');
    expect(Array.from(half.feeds[0].x.data as Float32Array)).toEqual(x); // multiples of 1/4 are exact in fp16
    expect(half.feeds[0].idx.type).toBe('int64');
  });

  it('an ONNX test-data folder: one sample per test_data_set_N, input_K.pb by name', async () => {
    const { feeds } = await readInputFiles([dir], specs);
    expect(feeds).toHaveLength(2);
    expect(Array.from(feeds[1].x.data as Float32Array)).toEqual(x.map((v) => v * 2));
    expect(Array.from(feeds[1].idx.data as BigInt64Array)).toEqual([1n, 0n, 2n]);
    const typed = parseTensorProto(readFileSync(join(dir, 'typed.pb')));
    expect(typed.name).toBe('');
    expect(Array.from(typed.tensor.data as Float32Array)).toEqual([1.5, -2]);
  });

  it('a .npy for a one-input model; wrong type, rank or fixed size is a typed error naming the input', async () => {
    const one: InputSpec[] = [{ name: 'x', type: 'float32', shape: [3, 4] }];
    expect((await readInputFiles([join(dir, 'x.npy')], one)).feeds[0].x.dims).toEqual([3, 4]);
    expect(await codeOf(readInputFiles([join(dir, 'x.npy')], specs))).toBe('E_USAGE'); // one array, two inputs
    expect(await codeOf(readInputFiles([join(dir, 'x.npy')], [{ name: 'x', type: 'float32', shape: [3, 5] }]))).toBe('E_INPUT_FILE');
    expect(await codeOf(readInputFiles([join(dir, 'x.npy')], [{ name: 'x', type: 'float32', shape: [12] }]))).toBe('E_INPUT_FILE');
    expect(await codeOf(readInputFiles([join(dir, 'x.npy')], [{ name: 'x', type: 'int64', shape: [3, 4] }]))).toBe('E_INPUT_FILE');
    expect(await codeOf(() => conform({ type: 'float32', data: new Float32Array(1), dims: [1] }, { name: 'h', type: 'bfloat16', shape: [1] }, 'f'))).toBe('E_INPUT_TYPE');
    // a float16 input takes any float array, rounded to half precision (bit patterns in a Uint16Array)
    const h = conform({ type: 'float64', data: Float64Array.from([1.5, -2, 1 + 2 ** -11, 70000]), dims: [4] }, { name: 'h', type: 'float16', shape: [4] }, 'f');
    expect(h.type).toBe('float16');
    expect(Array.from(h.data as Uint16Array)).toEqual([0x3e00, 0xc000, 0x3c00, 0x7c00]);
    expect(Array.from(conform(h, { name: 'g', type: 'float32', shape: [4] }, 'f').data as Float32Array)).toEqual([1.5, -2, 1, Infinity]);
    expect(await codeOf(readInputFiles([join(dir, 'missing.npz')], specs))).toBe('E_USAGE');
  });

  it('every truncation and many byte flips of an archive are typed errors or the exact arrays, never a crash', () => {
    const buf = readFileSync(join(dir, 'sample-compressed.npz'));
    for (let n = 0; n < buf.length; n++) {
      try {
        parseNpz(buf.subarray(0, n));
      } catch (e) {
        expect(isCoquantError(e), `truncated at ${n}: ${String(e)}`).toBe(true);
      }
    }
    for (let i = 0; i < buf.length; i++) {
      const b = Uint8Array.from(buf);
      b[i] ^= 0xff;
      try {
        parseNpz(b);
      } catch (e) {
        expect(isCoquantError(e), `flipped byte ${i}: ${String(e)}`).toBe(true);
      }
    }
  });
});
