import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { loadRgb, preprocessDet, preprocessRec } from '../../src/data/images.ts';

const solid = (w: number, h: number, rgb: [number, number, number]) =>
  sharp({ create: { width: w, height: h, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } }).png().toBuffer();

describe('image presets', () => {
  it('ppocr-rec: height 48, width from the aspect ratio, BGR order, (x/255−0.5)/0.5, zero right-padding to ≥ 320', async () => {
    const img = await loadRgb(await solid(100, 24, [255, 0, 51])); // ratio 100/24 → width ceil(48·100/24) = 200
    const t = await preprocessRec([img]);
    expect(t.dims).toEqual([1, 3, 48, 320]);
    const d = t.data as Float32Array;
    const at = (c: number, y: number, x: number) => d[c * 48 * 320 + y * 320 + x];
    // channel 0 is blue (51), channel 2 is red (255)
    expect(at(0, 10, 5)).toBeCloseTo((51 / 255 - 0.5) / 0.5, 5);
    expect(at(1, 10, 5)).toBeCloseTo(-1, 5);
    expect(at(2, 10, 199)).toBeCloseTo(1, 5);
    expect(at(2, 10, 200)).toBe(0); // padding
    expect(at(2, 47, 319)).toBe(0);
  });
  it('ppocr-rec batches pad every line to the widest one', async () => {
    const a = await loadRgb(await solid(48, 48, [0, 0, 0]));
    const b = await loadRgb(await solid(480, 48, [0, 0, 0]));
    expect((await preprocessRec([a, b])).dims).toEqual([2, 3, 48, 480]);
  });
  it('ppocr-det: sides are multiples of 32 and values use the ImageNet mean/std', async () => {
    const t = await preprocessDet(await loadRgb(await solid(100, 70, [255, 255, 255])));
    expect(t.dims).toEqual([1, 3, 64, 96]);
    expect((t.data as Float32Array)[0]).toBeCloseTo((1 - 0.485) / 0.229, 5);
  });
  it('reports undecodable input as a typed error', async () => {
    await expect(loadRgb(Buffer.from('not an image'))).rejects.toThrow(/cannot decode image/);
  });
});
