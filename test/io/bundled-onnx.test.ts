import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { bundledModels } from '../../src/io/bundled-models.ts';
import { openWeights, selectWeights } from '../../src/io/open-weights.ts';
import { toFloat32 } from '../../src/io/decode.ts';
import type { OnnxWeightSource } from '../../src/io/onnx-weights.ts';
import { encodeModel, identityModel, type ITensorProto } from './fixtures.ts';

/** Independent count straight from the protobuf: Constant nodes with a float `value` tensor. */
function countFloatConstants(src: OnnxWeightSource): number {
  return (src.model.proto.graph?.node ?? []).filter((n) => n.opType === 'Constant' && n.attribute?.[0]?.t?.dataType === 1).length;
}

describe('bundled PaddleOCR models', () => {
  const m = bundledModels();

  it('resolves det, rec, cls and the dictionary inside the installed package', () => {
    for (const p of [m.det, m.rec, m.cls, m.dict]) expect(p).toMatch(/node_modules[\\/]@gutenye[\\/]ocr-models[\\/]assets[\\/]/);
  });

  it.each(['det', 'rec', 'cls'] as const)('%s: every weight comes from a Constant node and the counts match the protobuf', async (k) => {
    const src = (await openWeights(m[k])) as OnnxWeightSource;
    try {
      // Invariant: PaddleOCR keeps weights in Constant nodes, so no tensor is an initializer.
      expect(src.model.proto.graph?.initializer ?? []).toHaveLength(0);
      expect(src.tensors.every((t) => t.origin.kind === 'onnx-constant')).toBe(true);
      const floats = src.tensors.filter((t) => t.dtype === 'float32');
      expect(floats).toHaveLength(countFloatConstants(src));
      const sel = selectWeights(src.tensors);
      const all = selectWeights(src.tensors, { allFloat: true });
      // Default selection is rank >= 2 (conv kernels, FC matrices); allFloat adds the 1-D vectors.
      expect(sel.every((t) => t.shape.length >= 2)).toBe(true);
      expect(all.length).toBeGreaterThan(sel.length);
      expect(all.filter((t) => t.shape.length < 2).length).toBe(all.length - sel.length);
      const params = sel.reduce((a, t) => a + t.size, 0);
      // Plausible sizes: PP-OCRv4 det ≈ 1.1 M weights, rec ≈ 2.7 M, mobile cls ≈ 0.1 M.
      const expected = { det: [1e6, 1.3e6], rec: [2.4e6, 2.9e6], cls: [0.1e6, 0.15e6] }[k];
      expect(params).toBeGreaterThan(expected[0]);
      expect(params).toBeLessThan(expected[1]);
      for (const t of sel.slice(0, 5)) {
        const v = toFloat32(await src.read(t.name));
        expect(v.length).toBe(t.size);
      }
    } finally {
      await src.close();
    }
  });

  it('det: empty Resize-scale constants are listed but never selected as weights', async () => {
    const src = await openWeights(m.det);
    const empty = src.tensors.filter((t) => t.size === 0);
    expect(empty.length).toBeGreaterThan(0);
    const all = new Set(selectWeights(src.tensors, { allFloat: true }).map((t) => t.name));
    expect(empty.some((t) => all.has(t.name))).toBe(false);
    await src.close();
  });

  it('decoded weights equal what onnxruntime decodes from the same Constant protos (floats and int constants of rec)', async () => {
    const src = (await openWeights(m.rec)) as OnnxWeightSource;
    const sel = selectWeights(src.tensors);
    const bias = selectWeights(src.tensors, { allFloat: true }).find((t) => t.shape.length === 1);
    const ints = src.tensors.filter((t) => t.dtype === 'int64' || t.dtype === 'int32').slice(0, 2);
    const picks = [sel[0], sel[sel.length - 1], bias!, ...ints];
    const protos = picks.map((t) => ({ ...(src.entries.get(t.name)?.proto as ITensorProto), name: t.name }));
    const session = await ort.InferenceSession.create(encodeModel(identityModel(protos, { asConstant: true })));
    const out = await session.run({});
    for (const [i, t] of picks.entries()) {
      const raw = await src.read(t.name);
      const theirs = out[`out_${i}`].data as Float32Array | BigInt64Array | Int32Array;
      expect(Buffer.from(raw.bytes).equals(Buffer.from(theirs.buffer, theirs.byteOffset, theirs.byteLength))).toBe(true);
      if (t.dtype === 'float32') expect(Array.from(toFloat32(raw))).toEqual(Array.from(theirs as Float32Array));
    }
    await session.release();
    await src.close();
  });
});
