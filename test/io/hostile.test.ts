/**
 * One test per hostile or broken input from issue 2. Each fixture is built here; each test
 * checks the typed error class and code, and that the one-line message says where
 * (tensor name or byte offset).
 */
import { describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openWeights } from '../../src/io/open-weights.ts';
import { toFloat32, assertFinite } from '../../src/io/decode.ts';
import { ModelFormatError, NonFiniteWeightError } from '../../src/io/errors.ts';
import { CoquantError } from '../../src/errors.ts';
import { bundledModels } from '../../src/io/bundled-models.ts';
import { writeSafetensors } from '../../src/io/safetensors-write.ts';
import { identityModel, onnx, rawSafetensors, suiteTempDir, writeModel } from './fixtures.ts';

const DT = onnx.TensorProto.DataType;

async function failure(p: Promise<unknown>): Promise<ModelFormatError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, 'expected a failure').toBeInstanceOf(ModelFormatError);
  expect(e).toBeInstanceOf(CoquantError);
  const err = e as ModelFormatError;
  expect(err.exitCode).not.toBe(0);
  expect(err.message).not.toContain('\n'); // one line
  return err;
}

describe('hostile and broken files', () => {
  const tmp = suiteTempDir();
  const f = (name: string) => join(tmp.dir, name);
  /** The error opening a safetensors file with this header and `dataBytes` zero bytes of data raises. */
  const safetensorsFailure = async (name: string, header: Record<string, unknown>, dataBytes: number) => {
    await writeFile(f(`${name}.safetensors`), rawSafetensors(header, new Uint8Array(dataBytes)));
    return failure(openWeights(f(`${name}.safetensors`)));
  };

  it('truncated ONNX: E_TRUNCATED with the byte offset protobuf stopped at', async () => {
    const full = await readFile(bundledModels().cls);
    await writeFile(f('cut.onnx'), full.subarray(0, 300_000));
    const e = await failure(openWeights(f('cut.onnx')));
    expect(e.code).toBe('E_TRUNCATED');
    expect(e.message).toMatch(/byte offset \d+/);
    expect(e.message).toContain('300000');
  });

  it('truncated safetensors (data cut short): E_TRUNCATED naming the tensor and the end offset', async () => {
    await writeSafetensors(f('full.safetensors'), [
      { name: 'a', dtype: 'float32', shape: [4, 4], bytes: new Uint8Array(64) },
      { name: 'b', dtype: 'float32', shape: [4, 4], bytes: new Uint8Array(64) },
    ]);
    const full = await readFile(f('full.safetensors'));
    await writeFile(f('cut.safetensors'), full.subarray(0, full.length - 10));
    const e = await failure(openWeights(f('cut.safetensors')));
    expect(e.code).toBe('E_TRUNCATED');
    expect(e.message).toContain("'b'");
    expect(e.message).toContain(`byte ${full.length - 10}`);
    await writeFile(f('tiny.safetensors'), full.subarray(0, 5));
    const e2 = await failure(openWeights(f('tiny.safetensors')));
    expect(e2.code).toBe('E_TRUNCATED');
  });

  it('safetensors header length larger than the file: E_HEADER_TOO_LARGE at byte offset 0', async () => {
    await writeFile(f('long.safetensors'), rawSafetensors({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4), 5000n));
    const e = await failure(openWeights(f('long.safetensors')));
    expect(e.code).toBe('E_HEADER_TOO_LARGE');
    expect(e.message).toContain('5000');
    expect(e.message).toContain('byte offset 0');
  });

  it('safetensors header length 2^60 fails fast without allocating', async () => {
    await writeFile(f('huge.safetensors'), rawSafetensors({}, new Uint8Array(16), 2n ** 60n));
    const before = process.memoryUsage().arrayBuffers;
    const t0 = performance.now();
    const e = await failure(openWeights(f('huge.safetensors')));
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
    expect(e.code).toBe('E_HEADER_TOO_LARGE');
    expect(e.message).toContain(String(2n ** 60n));
  });

  it('safetensors header that is not JSON: E_BAD_HEADER with the byte range', async () => {
    const bytes = rawSafetensors({ abcdefghijkl: 1 });
    bytes.set(Buffer.from('{"a": oops'), 8);
    await writeFile(f('nojson.safetensors'), bytes);
    const e = await failure(openWeights(f('nojson.safetensors')));
    expect(e.code).toBe('E_BAD_HEADER');
    expect(e.message).toMatch(/bytes 8\.\.\d+/);
  });

  it('overlapping data_offsets: E_OVERLAP naming both tensors and the offset', async () => {
    const h = { a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] }, b: { dtype: 'F32', shape: [4], data_offsets: [8, 24] } };
    const e = await safetensorsFailure('overlap', h, 24);
    expect(e.code).toBe('E_OVERLAP');
    expect(e.message).toContain("'b'");
    expect(e.message).toContain("'a'");
    expect(e.message).toMatch(/byte offset \d+/);
  });

  it('out-of-range data_offsets: E_OUT_OF_RANGE naming the tensor and offsets', async () => {
    const h = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, far: { dtype: 'F32', shape: [2], data_offsets: [4096, 4104] } };
    const e = await safetensorsFailure('range', h, 16);
    expect(e.code).toBe('E_OUT_OF_RANGE');
    expect(e.message).toContain("'far'");
    expect(e.message).toContain('[4096, 4104]');
    const rev = { a: { dtype: 'F32', shape: [0], data_offsets: [8, 0] } };
    expect((await safetensorsFailure('rev', rev, 16)).code).toBe('E_OUT_OF_RANGE');
  });

  it('ONNX external data past the end of its file: E_OUT_OF_RANGE naming the tensor', async () => {
    await writeFile(f('small.bin'), new Uint8Array(16));
    const ext = [{ key: 'location', value: 'small.bin' }, { key: 'offset', value: '8' }, { key: 'length', value: '16' }];
    await writeModel(f('ext-range.onnx'), identityModel([{ name: 'w_ext', dims: [2, 2], dataType: DT.FLOAT, dataLocation: 1, externalData: ext }]));
    const e = await failure(openWeights(f('ext-range.onnx')));
    expect(e.code).toBe('E_OUT_OF_RANGE');
    expect(e.message).toContain("'w_ext'");
    expect(e.message).toContain('8..24');
  });

  it('shape whose element count does not match its bytes: E_SHAPE_MISMATCH (safetensors, ONNX raw_data, ONNX typed, ONNX external)', async () => {
    const e1 = await safetensorsFailure('shape', { w: { dtype: 'F16', shape: [3, 3], data_offsets: [0, 16] } }, 16);
    expect(e1.code).toBe('E_SHAPE_MISMATCH');
    expect(e1.message).toContain("'w'");
    expect(e1.message).toContain('[3, 3]');

    await writeModel(f('shape-raw.onnx'), identityModel([{ name: 'conv_w', dims: [2, 3], dataType: DT.FLOAT, rawData: new Uint8Array(20) }], { asConstant: true }));
    const e2 = await failure(openWeights(f('shape-raw.onnx')));
    expect(e2.code).toBe('E_SHAPE_MISMATCH');
    expect(e2.message).toContain("'conv_w'");

    await writeModel(f('shape-typed.onnx'), identityModel([{ name: 'fc', dims: [2, 2], dataType: DT.FLOAT, floatData: [1, 2, 3] }]));
    const e3 = await failure(openWeights(f('shape-typed.onnx')));
    expect(e3.code).toBe('E_SHAPE_MISMATCH');
    expect(e3.message).toContain("'fc'");

    await writeFile(f('ext4.bin'), new Uint8Array(64));
    const ext = [{ key: 'location', value: 'ext4.bin' }, { key: 'length', value: '12' }];
    await writeModel(f('shape-ext.onnx'), identityModel([{ name: 'e', dims: [2, 2], dataType: DT.FLOAT, dataLocation: 1, externalData: ext }]));
    const e4 = await failure(openWeights(f('shape-ext.onnx')));
    expect(e4.code).toBe('E_SHAPE_MISMATCH');
    expect(e4.message).toContain("'e'");
  });

  it('unknown dtype: E_UNKNOWN_DTYPE naming the tensor (safetensors and ONNX)', async () => {
    const e1 = await safetensorsFailure('dtype', { q: { dtype: 'F7', shape: [2], data_offsets: [0, 2] } }, 2);
    expect(e1.code).toBe('E_UNKNOWN_DTYPE');
    expect(e1.message).toContain("'q'");
    expect(e1.message).toContain('F7');

    await writeModel(f('dtype.onnx'), identityModel([{ name: 'odd', dims: [2], dataType: 99, rawData: new Uint8Array(8) }], { asConstant: true }));
    const e2 = await failure(openWeights(f('dtype.onnx')));
    expect(e2.code).toBe('E_UNKNOWN_DTYPE');
    expect(e2.message).toContain("'odd'");
    expect(e2.message).toContain('99');
  });

  it('external-data path that escapes the folder: E_PATH_ESCAPE (see onnx-fixtures for symlinks and absolute paths)', async () => {
    await writeModel(f('escape.onnx'), identityModel([{ name: 'x', dims: [1], dataType: DT.FLOAT, dataLocation: 1, externalData: [{ key: 'location', value: '../../etc/passwd' }] }]));
    const e = await failure(openWeights(f('escape.onnx')));
    expect(e.code).toBe('E_PATH_ESCAPE');
    expect(e.message).toContain("'x'");
  });

  it('empty models: a 0-byte file, a model with no graph, a graph with no weights, a checkpoint with no tensors', async () => {
    await writeFile(f('zero.onnx'), new Uint8Array(0));
    const e0 = await failure(openWeights(f('zero.onnx')));
    expect(e0.code).toBe('E_NOT_ONNX');
    expect(e0.message).toContain('empty');

    await writeModel(f('nograph.onnx'), onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ version: 17 }] }));
    expect((await failure(openWeights(f('nograph.onnx')))).code).toBe('E_EMPTY_MODEL');

    const noWeights = onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ version: 17 }], graph: { name: 'g', node: [{ opType: 'Relu', input: ['x'], output: ['y'] }] } });
    await writeModel(f('noweights.onnx'), noWeights);
    const e2 = await failure(openWeights(f('noweights.onnx')));
    expect(e2.code).toBe('E_EMPTY_MODEL');
    expect(e2.message).toContain('no float weights');

    await writeFile(f('empty.safetensors'), rawSafetensors({}));
    expect((await failure(openWeights(f('empty.safetensors')))).code).toBe('E_EMPTY_MODEL');
  });

  it('two tensors with the same name: E_DUPLICATE_NAME naming it', async () => {
    const m = identityModel([{ name: 'w', dims: [2, 2], dataType: DT.FLOAT, floatData: [1, 2, 3, 4] }]);
    m.graph?.node?.unshift({ opType: 'Constant', output: ['w'], attribute: [{ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t: { dims: [1], dataType: DT.FLOAT, floatData: [1] } }] });
    await writeModel(f('dup.onnx'), m);
    const e = await failure(openWeights(f('dup.onnx')));
    expect(e.code).toBe('E_DUPLICATE_NAME');
    expect(e.message).toContain("'w'");
  });

  it('a file that is not ONNX at all: E_NOT_ONNX, with the protobuf offset when known', async () => {
    await writeFile(f('text.onnx'), 'hello world, this is text\n');
    const e = await failure(openWeights(f('text.onnx')));
    expect(['E_NOT_ONNX', 'E_TRUNCATED']).toContain(e.code);
    expect(e.message).toContain('not an ONNX model');
    expect(e.message).toMatch(/byte offset \d+/);
  });

  it('NaN or Inf weights: E_NON_FINITE naming the tensor and the first bad element', async () => {
    const v = Float32Array.from({ length: 12 }, (_, i) => i);
    v[7] = Number.NaN;
    v[9] = Number.POSITIVE_INFINITY;
    await writeSafetensors(f('nan.safetensors'), [{ name: 'blk.w', dtype: 'float32', shape: [3, 4], bytes: new Uint8Array(v.buffer) }]);
    const src = await openWeights(f('nan.safetensors'));
    const t = src.tensors[0];
    const values = toFloat32(await src.read(t.name));
    let err: unknown;
    try {
      assertFinite(values, t);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NonFiniteWeightError);
    expect((err as ModelFormatError).code).toBe('E_NON_FINITE');
    expect((err as Error).message).toBe("tensor 'blk.w': element 7 [1, 3] is NaN");
    // Chunk offsets are honoured and -Inf/+Inf are told apart.
    expect(() => assertFinite(Float32Array.of(1, Number.NEGATIVE_INFINITY), { name: 'c', shape: [100] }, 40)).toThrow("tensor 'c': element 41 is -Inf");
    expect(() => assertFinite(Float32Array.of(1, 2, 3), t)).not.toThrow();
    await src.close();
  });
});
