/**
 * The segmentation task's pieces, against independent computations:
 *  - mask IoU and MAE: hand-computed cases, and fast-check properties against a brute force over
 *    index sets (IoU = |A∩B|/|A∪B| with sets built separately; MAE = L1 norm / n);
 *  - run-length masks: decode(encode(m)) = m for any mask, and the runs add up to w·h;
 *  - scenes: the same seed renders the same bytes, other seeds other scenes, each with a
 *    foreground that is neither empty nor the whole image, and the mask is where the image
 *    differs from the scene drawn without its foreground;
 *  - preprocessing: DIS's x/255 − 0.5 in CHW order, checked pixel by pixel.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Resvg } from '@resvg/resvg-js';
import { decodeMaskRle, encodeMaskRle, renderScene, sceneSpec, sceneSvg } from '../../src/data/scenes.ts';
import { decodeSegOutput, isnetPreprocess, maskIou, maskMae, scoreSegmentation, segmentationTask } from '../../src/tasks/segmentation.ts';
import { taskFor } from '../../src/tasks/registry.ts';

describe('mask metrics', () => {
  it('IoU and MAE on a hand-computed case', () => {
    const a = [0.9, 0.2, 0.7, 0.1];
    const b = [0.6, 0.8, 0.3, 0.0];
    // A = {0, 2}, B = {0, 1}: one common pixel out of three.
    expect(maskIou(a, b)).toBeCloseTo(1 / 3, 12);
    expect(maskMae(a, b)).toBeCloseTo((0.3 + 0.6 + 0.4 + 0.1) / 4, 12);
    expect(maskIou([0, 0.1], [0.2, 0.3])).toBe(1); // both empty: identical masks
    expect(maskIou([1, 0], [0, 1])).toBe(0);
  });

  it('IoU equals |A∩B|/|A∪B| over index sets and MAE the mean L1 difference, for any maps (brute force)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }).chain((n) => fc.tuple(fc.array(fc.float({ min: 0, max: 1, noNaN: true }), { minLength: n, maxLength: n }), fc.array(fc.float({ min: 0, max: 1, noNaN: true }), { minLength: n, maxLength: n }))), ([a, b]) => {
        const A = new Set(a.flatMap((v, i) => (v > 0.5 ? [i] : [])));
        const B = new Set(b.flatMap((v, i) => (v > 0.5 ? [i] : [])));
        const inter = [...A].filter((i) => B.has(i)).length;
        const union = new Set([...A, ...B]).size;
        expect(maskIou(a, b)).toBeCloseTo(union === 0 ? 1 : inter / union, 12);
        expect(maskIou(a, b)).toBe(maskIou(b, a));
        const l1 = a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0);
        expect(maskMae(a, b)).toBeCloseTo(l1 / a.length, 6);
      }),
    );
  });

  it('score: against the reference and against the drawn foreground (RLE labels)', () => {
    const ref = { width: 2, height: 2, prob: Float32Array.from([1, 1, 0, 0]) };
    const cand = { width: 2, height: 2, prob: Float32Array.from([1, 0.4, 0.8, 0]) };
    const truth = encodeMaskRle([1, 1, 1, 0], 2, 2);
    const m = Object.fromEntries(scoreSegmentation([ref], [cand], [truth]).map((x) => [x.name, x.value]));
    expect(m.iouVsFp).toBeCloseTo(1 / 3, 6); // cand {0, 2}, ref {0, 1}
    expect(m.maeVsFp).toBeCloseTo((0 + 0.6 + 0.8 + 0) / 4, 6);
    expect(m.iouVsTruth).toBeCloseTo(2 / 3, 6); // cand {0, 2}, truth {0, 1, 2}
    expect(m.maeVsTruth).toBeCloseTo((0 + 0.6 + 0.2 + 0) / 4, 6);
  });

  it('decodes an [N,1,H,W] map row by row and nothing else', () => {
    const d = decodeSegOutput({ type: 'float32', data: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), dims: [2, 1, 2, 2] })!;
    expect(d.map((x) => [...x.prob])).toEqual([[1, 2, 3, 4], [5, 6, 7, 8]]);
    expect(decodeSegOutput({ type: 'float32', data: new Float32Array(8), dims: [2, 2, 2] })).toBeUndefined();
  });
});

describe('run-length masks', () => {
  it('decode(encode(mask)) is the mask, and the runs cover w·h pixels', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }), fc.infiniteStream(fc.boolean()), (w, h, bits) => {
        const it = bits[Symbol.iterator]();
        const mask = Uint8Array.from({ length: w * h }, () => (it.next().value ? 1 : 0));
        const s = encodeMaskRle(mask, w, h);
        const runs = s.split(':')[2].split(',').map(Number);
        expect(runs.reduce((a, b) => a + b, 0)).toBe(w * h);
        const d = decodeMaskRle(s);
        expect([d.width, d.height]).toEqual([w, h]);
        expect([...d.mask]).toEqual([...mask]);
      }),
    );
    expect(() => decodeMaskRle('rle:2x2:1,1')).toThrow(/covers 2 of/);
    expect(() => decodeMaskRle('mask')).toThrow(/not a run-length mask/);
  });
});

describe('scenes', () => {
  it('are deterministic by seed, differ across seeds, and have a partial foreground', () => {
    const a = renderScene(11, 128);
    const b = renderScene(11, 128);
    expect(Buffer.from(a.rgb).equals(Buffer.from(b.rgb))).toBe(true);
    expect(Buffer.from(a.mask).equals(Buffer.from(b.mask))).toBe(true);
    expect(sceneSpec(11)).toEqual(sceneSpec(11));
    const seen = new Set<string>();
    for (let seed = 1; seed <= 12; seed++) {
      const s = renderScene(seed, 128);
      seen.add(Buffer.from(s.rgb).toString('base64'));
      const fg = s.mask.reduce((x, y) => x + y, 0) / s.mask.length;
      expect(fg).toBeGreaterThan(0.01);
      expect(fg).toBeLessThan(0.7);
    }
    expect(seen.size).toBe(12);
  });

  it('the mask marks the pixels the foreground painted', () => {
    // Independent check: the background drawn alone (the same spec without shapes and text)
    // differs from the scene on (nearly) every mask pixel; edges are anti-aliased, hence 90 %.
    const s = renderScene(5, 256);
    const bare = { ...s.spec, shapes: [], text: { ...s.spec.text, text: '' } };
    const px = new Resvg(sceneSvg(bare, 256, 'image')).render().pixels;
    let inside = 0;
    let differs = 0;
    for (let i = 0; i < 256 * 256; i++) {
      if (!s.mask[i]) continue;
      inside++;
      const d = Math.abs(px[4 * i] - s.rgb[3 * i]) + Math.abs(px[4 * i + 1] - s.rgb[3 * i + 1]) + Math.abs(px[4 * i + 2] - s.rgb[3 * i + 2]);
      if (d > 6) differs++;
    }
    expect(inside).toBeGreaterThan(0);
    expect(differs / inside).toBeGreaterThan(0.9);
  });

  it('preprocesses as DIS does: RGB planes, x/255 − 0.5', () => {
    const rgb = Uint8Array.from([0, 128, 255, 10, 20, 30]); // two pixels
    const x = isnetPreprocess(rgb, 2, 1);
    expect([...x].map((v) => Math.round(v * 1e6) / 1e6)).toEqual([0 - 0.5, 10 / 255 - 0.5, 128 / 255 - 0.5, 20 / 255 - 0.5, 255 / 255 - 0.5, 30 / 255 - 0.5].map((v) => Math.round(v * 1e6) / 1e6));
  });
});

describe('segmentation task recognition', () => {
  const isnet = {
    inputs: [{ name: 'input', type: 'float32', shape: [1, 3, 1024, 1024] }],
    outputs: [{ name: 'output', isTensor: true, type: 'float32', shape: [1, 1, 1024, 1024] }, { name: 'input.656', isTensor: true, type: 'float32', shape: [1, 512, 16, 16] }],
  };
  const det = {
    inputs: [{ name: 'x', type: 'float32', shape: ['n', 3, 'h', 'w'] }],
    outputs: [{ name: 'sigmoid_0.tmp_0', isTensor: true, type: 'float32', shape: ['n', 1, 'h', 'w'] }],
  };
  it('takes ISNet-shaped models and leaves the PP-OCR detector and a split head alone', () => {
    expect(taskFor(isnet).id).toBe('segmentation');
    expect(segmentationTask.outputName!(isnet)).toBe('output');
    expect(taskFor(det).id).not.toBe('segmentation');
    const head = { inputs: isnet.inputs, outputs: [{ name: 'f', isTensor: true, type: 'float32', shape: [1, 64, 512, 512] }] };
    expect(taskFor(head).id).toBe('generic');
  });
});
