import { describe, expect, it } from 'vitest';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { openWeights, selectWeights } from '../../src/io/open-weights.ts';
import { toFloat32 } from '../../src/io/decode.ts';
import { ModelFormatError } from '../../src/io/errors.ts';
import { float16Table } from '../../src/io/decode.ts';
import { identityModel, onnx, suiteTempDir, writeModel, type ITensorProto } from './fixtures.ts';

const DT = onnx.TensorProto.DataType;

/** One tensor of every weight dtype, stored in its ONNX typed field (int32_data carries fp16/bf16/int8/uint8). */
function typedTensors(): ITensorProto[] {
  return [
    { name: 'f32_typed', dims: [2, 3], dataType: DT.FLOAT, floatData: [0.5, -1.25, 3, 1e-8, -7.5, 65504] },
    { name: 'f16_typed', dims: [2, 2], dataType: DT.FLOAT16, int32Data: [0x3c00, 0xc000, 0x0001, 0x7bff] },
    { name: 'bf16_typed', dims: [2, 2], dataType: DT.BFLOAT16, int32Data: [0x3f80, 0xc040, 0x0001, 0x7f7f] },
    { name: 'f64_typed', dims: [3, 1], dataType: DT.DOUBLE, doubleData: [0.1, -2.5, 1e300] },
    { name: 'i8_typed', dims: [2, 2], dataType: DT.INT8, int32Data: [-128, -1, 0, 127] },
    { name: 'u8_typed', dims: [4], dataType: DT.UINT8, int32Data: [0, 1, 128, 255] },
    { name: 'f32_raw', dims: [2, 2], dataType: DT.FLOAT, rawData: new Uint8Array(Float32Array.of(1, 2, -3, 4.5).buffer) },
    { name: 'f16_raw', dims: [1, 3], dataType: DT.FLOAT16, rawData: new Uint8Array(Uint16Array.of(0x3555, 0x8400, 0x7c00).buffer) },
  ];
}

describe('ONNX fixtures built by the test', () => {
  const tmp = suiteTempDir();

  it('every dtype in typed fields and raw_data reads byte-identical to what onnxruntime decodes', async () => {
    const tensors = typedTensors();
    const path = join(tmp.dir, 'typed.onnx');
    await writeModel(path, identityModel(tensors));
    const src = await openWeights(path);
    expect(src.tensors.map((t) => t.dtype)).toEqual(['float32', 'float16', 'bfloat16', 'float64', 'int8', 'uint8', 'float32', 'float16']);
    const session = await ort.InferenceSession.create(path);
    const out = await session.run({});
    for (const [i, t] of tensors.entries()) {
      const raw = await src.read(t.name as string);
      const d = out[`out_${i}`].data as ArrayBufferView;
      if (t.dataType === DT.BFLOAT16) {
        // Cast bf16 → float32 is exact, so ORT's floats are the independent decoding.
        expect(Array.from(toFloat32(raw))).toEqual(Array.from(d as Float32Array));
        continue;
      }
      expect(Buffer.from(raw.bytes).equals(Buffer.from(d.buffer, d.byteOffset, d.byteLength)), t.name as string).toBe(true);
    }
    await session.release();
    // Values through toFloat32 match the literals (fp16 via table, bf16 by shift).
    expect(Array.from(toFloat32(await src.read('f16_typed')))).toEqual([1, -2, 2 ** -24, 65504]);
    expect(Array.from(toFloat32(await src.read('bf16_typed')))).toEqual([1, -3, Math.fround(2 ** -133), Math.fround(3.3895313892515355e38)]);
    expect(Array.from(toFloat32(await src.read('i8_typed')))).toEqual([-128, -1, 0, 127]);
    expect(Array.from(toFloat32(await src.read('f64_typed')))).toEqual([0.1, -2.5, 1e300].map(Math.fround));
    // Selection: rank >= 2 floats only; u8/i8 never, the rank-1 nothing.
    expect(selectWeights(src.tensors).map((t) => t.name)).toEqual(['f32_typed', 'f16_typed', 'bf16_typed', 'f64_typed', 'f32_raw', 'f16_raw']);
    await src.close();
  });

  it('external data resolves relative to the model folder and matches onnxruntime', async () => {
    const sub = join(tmp.dir, 'ext');
    await mkdir(join(sub, 'data'), { recursive: true });
    const a = Float32Array.from({ length: 12 }, (_, i) => i * 0.25 - 1);
    const b = Uint16Array.of(0x3c00, 0x4000, 0x4200, 0x4400, 0xc400, 0x0000);
    const blob = new Uint8Array(16 + a.byteLength + b.byteLength);
    blob.set(new Uint8Array(a.buffer), 16);
    blob.set(new Uint8Array(b.buffer), 16 + a.byteLength);
    await writeFile(join(sub, 'data', 'w.bin'), blob);
    const ext = (location: string, offset: number, length: number) => [
      { key: 'location', value: location },
      { key: 'offset', value: String(offset) },
      { key: 'length', value: String(length) },
    ];
    const tensors: ITensorProto[] = [
      { name: 'ext_a', dims: [3, 4], dataType: DT.FLOAT, dataLocation: 1, externalData: ext('data/w.bin', 16, a.byteLength) },
      { name: 'ext_b', dims: [2, 3], dataType: DT.FLOAT16, dataLocation: 1, externalData: ext('data/w.bin', 16 + a.byteLength, b.byteLength) },
    ];
    const path = join(sub, 'ext.onnx');
    await writeModel(path, identityModel(tensors));
    const src = await openWeights(path);
    expect(src.tensors[0].origin).toMatchObject({ kind: 'onnx-external', offset: 16 });
    expect(Array.from(toFloat32(await src.read('ext_a')))).toEqual(Array.from(a));
    const table = float16Table();
    expect(Array.from(toFloat32(await src.read('ext_b')))).toEqual(Array.from(b, (h) => table[h]));
    const session = await ort.InferenceSession.create(path);
    const out = await session.run({});
    expect(Array.from(out.out_0.data as Float32Array)).toEqual(Array.from(a));
    expect(Array.from(out.out_1.data as Uint16Array)).toEqual(Array.from(b));
    await session.release();
    await src.close();
  });

  it.each([
    ['a parent-directory path', '../outside.bin'],
    ['a nested parent-directory path', 'data/../../outside.bin'],
    ['an absolute path', '/etc/passwd'],
    ['a symlink that leaves the folder', 'link.bin'],
  ])('rejects external data through %s with E_PATH_ESCAPE naming the tensor', async (_what, location) => {
    const sub = join(tmp.dir, `esc-${Math.random().toString(36).slice(2)}`);
    await mkdir(join(sub, 'data'), { recursive: true });
    await writeFile(join(tmp.dir, 'outside.bin'), new Uint8Array(16));
    await symlink(join(tmp.dir, 'outside.bin'), join(sub, 'link.bin'));
    const path = join(sub, 'm.onnx');
    await writeModel(path, identityModel([{ name: 'sneaky', dims: [2, 2], dataType: DT.FLOAT, dataLocation: 1, externalData: [{ key: 'location', value: location }, { key: 'length', value: '16' }] }]));
    const err = await openWeights(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelFormatError);
    expect((err as ModelFormatError).code).toBe('E_PATH_ESCAPE');
    expect((err as Error).message).toContain("tensor 'sneaky'");
    expect((err as Error).message).toContain(location);
  });

  it('a symlink that stays inside the folder is accepted', async () => {
    const sub = join(tmp.dir, 'inner-link');
    await mkdir(join(sub, 'data'), { recursive: true });
    await writeFile(join(sub, 'data', 'real.bin'), new Uint8Array(Float32Array.of(1, 2, 3, 4).buffer));
    await symlink(join(sub, 'data', 'real.bin'), join(sub, 'alias.bin'));
    const path = join(sub, 'm.onnx');
    await writeModel(path, identityModel([{ name: 'w', dims: [2, 2], dataType: DT.FLOAT, dataLocation: 1, externalData: [{ key: 'location', value: 'alias.bin' }] }]));
    const src = await openWeights(path);
    expect(Array.from(toFloat32(await src.read('w')))).toEqual([1, 2, 3, 4]);
    await src.close();
  });
});
