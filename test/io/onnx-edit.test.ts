import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { bundledModels } from '../../src/io/bundled-models.ts';
import { openOnnx } from '../../src/io/onnx-weights.ts';
import { selectWeights } from '../../src/io/open-weights.ts';
import { toFloat32, float16Table } from '../../src/io/decode.ts';
import { float32ToBFloat16Bits, float32ToFloat16Bits } from '../../src/io/encode.ts';
import { editModel, editedModelBytes, writeModelAtomic } from '../../src/io/onnx-edit.ts';
import { ModelFormatError } from '../../src/io/errors.ts';
import { mulberry32 } from '../../src/util/rng.ts';
import { identityModel, modelOf, onnx, suiteTempDir, writeModel } from './fixtures.ts';

const DT = onnx.TensorProto.DataType;

async function runRec(model: string | Uint8Array, input: ort.Tensor): Promise<Float32Array> {
  const s = typeof model === 'string' ? await ort.InferenceSession.create(model) : await ort.InferenceSession.create(model);
  const out = await s.run({ [s.inputNames[0]]: input });
  const data = out[s.outputNames[0]].data as Float32Array;
  await s.release();
  return data;
}

describe('onnx-edit on the real PaddleOCR rec model', () => {
  it('replacing every weight with itself gives bit-identical ORT outputs; zeros change them; the file is untouched', async () => {
    const path = bundledModels().rec;
    const hashBefore = createHash('sha256').update(await readFile(path)).digest('hex');
    const src = await openOnnx(path);
    const rand = mulberry32(7);
    const input = new ort.Tensor('float32', Float32Array.from({ length: 3 * 48 * 160 }, () => rand() * 2 - 1), [1, 3, 48, 160]);
    const base = await runRec(path, input);
    const all = selectWeights(src.tensors, { allFloat: true });
    const same = new Map<string, Float32Array>();
    for (const t of all) same.set(t.name, toFloat32(await src.read(t.name)));
    const identical = await runRec(await editedModelBytes(src, same), input);
    expect(Buffer.from(identical.buffer).equals(Buffer.from(base.buffer))).toBe(true);

    const zeros = new Map(selectWeights(src.tensors).map((t) => [t.name, new Float32Array(t.size)]));
    const zeroed = await runRec(await editedModelBytes(src, zeros), input);
    let maxDiff = 0;
    for (let i = 0; i < base.length; i++) maxDiff = Math.max(maxDiff, Math.abs(zeroed[i] - base[i]));
    expect(maxDiff).toBeGreaterThan(1e-3);

    // Neither the loaded source nor the file changed.
    const first = selectWeights(src.tensors)[0];
    expect(Array.from(toFloat32(await src.read(first.name)))).toEqual(Array.from(same.get(first.name) as Float32Array));
    expect(createHash('sha256').update(await readFile(path)).digest('hex')).toBe(hashBefore);
    await src.close();
  });
});

describe('onnx-edit on fixtures', () => {
  const tmp = suiteTempDir();

  it('writes replacements back in the original dtype and inlines external data', async () => {
    const ext = new Float32Array([1, 2, 3, 4, 5, 6]);
    await writeFile(join(tmp.dir, 'w.bin'), new Uint8Array(ext.buffer));
    const model = identityModel([
      { name: 'h', dims: [2, 2], dataType: DT.FLOAT16, int32Data: [0x3c00, 0x3c00, 0x3c00, 0x3c00] },
      { name: 'b', dims: [2, 2], dataType: DT.BFLOAT16, rawData: new Uint8Array(8) },
      { name: 'd', dims: [1, 2], dataType: DT.DOUBLE, doubleData: [0, 0] },
      { name: 'x', dims: [2, 3], dataType: DT.FLOAT, dataLocation: 1, externalData: [{ key: 'location', value: 'w.bin' }] },
      { name: 'keep', dims: [3, 2], dataType: DT.FLOAT, dataLocation: 1, externalData: [{ key: 'location', value: 'w.bin' }] },
    ]);
    await writeModel(join(tmp.dir, 'm.onnx'), model);
    const src = await openOnnx(join(tmp.dir, 'm.onnx'));
    const hv = Float32Array.of(0.1, -2.7, 1e-7, 70000);
    const bv = Float32Array.of(0.1, -2.7, 3.3, 1e20);
    const dv = Float32Array.of(0.1, -0.25);
    const xv = Float32Array.of(9, 8, 7, 6, 5, 4);
    const edited = await editModel(src, { h: hv, b: bv, d: dv, x: xv });
    const out = join(tmp.dir, 'out', 'edited.onnx');
    await writeModelAtomic(out, edited);
    const back = await openOnnx(out);
    expect(back.tensors.map((t) => t.dtype)).toEqual(['float16', 'bfloat16', 'float64', 'float32', 'float32']);
    // Every tensor of the copy is inline now: the edited file is self-contained.
    expect(back.tensors.every((t) => t.origin.kind === 'onnx-initializer')).toBe(true);
    const t16 = float16Table();
    expect(Array.from(toFloat32(await back.read('h')))).toEqual(Array.from(hv, (v) => t16[float32ToFloat16Bits(v)]));
    const bf = (v: number) => new Float32Array(Uint32Array.of(float32ToBFloat16Bits(v) << 16).buffer)[0];
    expect(Array.from(toFloat32(await back.read('b')))).toEqual(Array.from(bv, bf));
    expect(Array.from(toFloat32(await back.read('d')))).toEqual(Array.from(dv));
    expect(Array.from(toFloat32(await back.read('x')))).toEqual(Array.from(xv));
    expect(Array.from(toFloat32(await back.read('keep')))).toEqual(Array.from(ext));
    // ORT agrees on the edited (external-free) bytes.
    const session = await ort.InferenceSession.create(await readFile(out));
    const res = await session.run({});
    expect(Array.from(res.out_3.data as Float32Array)).toEqual(Array.from(xv));
    expect(Array.from(res.out_4.data as Float32Array)).toEqual(Array.from(ext));
    await session.release();
    // The source model still has its external data and old values.
    expect(src.tensors[3].origin.kind).toBe('onnx-external');
    expect(Array.from(toFloat32(await src.read('x')))).toEqual([1, 2, 3, 4, 5, 6]);
    await src.close();
    await back.close();
  });

  it('Constant nodes with value_floats / value_int attributes are listed, read and editable', async () => {
    const FLOATS = onnx.AttributeProto.AttributeType.FLOATS;
    const INT = onnx.AttributeProto.AttributeType.INT;
    const m = modelOf(17, {
      name: 'g',
      node: [
        { opType: 'Constant', output: ['fs'], attribute: [{ name: 'value_floats', type: FLOATS, floats: [0.5, -1.5, 2] }] },
        { opType: 'Constant', output: ['k'], attribute: [{ name: 'value_int', type: INT, i: 42 }] },
        { opType: 'Identity', input: ['fs'], output: ['y'] },
      ],
      output: [{ name: 'y', type: { tensorType: { elemType: DT.FLOAT, shape: { dim: [{ dimValue: 3 }] } } } }],
    });
    await writeModel(join(tmp.dir, 'lit.onnx'), m);
    const src = await openOnnx(join(tmp.dir, 'lit.onnx'));
    expect(src.tensors.map((t) => [t.name, t.dtype, t.shape])).toEqual([['fs', 'float32', [3]], ['k', 'int64', []]]);
    expect(Array.from(toFloat32(await src.read('fs')))).toEqual([0.5, -1.5, 2]);
    expect(Array.from(toFloat32(await src.read('k')))).toEqual([42]);
    const bytes = await editedModelBytes(src, { fs: Float32Array.of(4, 5, 6) });
    const session = await ort.InferenceSession.create(bytes);
    expect(Array.from((await session.run({})).y.data as Float32Array)).toEqual([4, 5, 6]);
    await session.release();
    await src.close();
  });

  it('rejects unknown names, non-float targets and wrong lengths with typed errors', async () => {
    await writeModel(join(tmp.dir, 'r.onnx'), identityModel([
      { name: 'w', dims: [2, 2], dataType: DT.FLOAT, floatData: [1, 2, 3, 4] },
      { name: 'q', dims: [2, 2], dataType: DT.INT8, int32Data: [1, 2, 3, 4] },
    ]));
    const src = await openOnnx(join(tmp.dir, 'r.onnx'));
    const code = async (r: Record<string, Float32Array>) => ((await editModel(src, r).catch((e: unknown) => e)) as ModelFormatError).code;
    expect(await code({ nope: new Float32Array(4) })).toBe('E_NO_SUCH_TENSOR');
    expect(await code({ q: new Float32Array(4) })).toBe('E_UNSUPPORTED');
    expect(await code({ w: new Float32Array(3) })).toBe('E_SHAPE_MISMATCH');
    await src.close();
  });
});
