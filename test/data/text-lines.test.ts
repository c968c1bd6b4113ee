import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderTextLines, textLineStrings } from '../../src/data/text-lines.ts';
import { loadPpocrCharset } from '../../src/ocr/dictionary.ts';
import { loadRgb } from '../../src/data/images.ts';

describe('renderTextLines', () => {
  it('is deterministic from the seed (identical PNG bytes) and differs across seeds', async () => {
    const a = await renderTextLines({ count: 4, seed: 7 });
    const b = await renderTextLines({ count: 4, seed: 7 });
    const c = await renderTextLines({ count: 4, seed: 8 });
    expect(a.lines.map((l) => l.text)).toEqual(b.lines.map((l) => l.text));
    a.lines.forEach((l, i) => expect(Buffer.compare(l.png, b.lines[i].png)).toBe(0));
    expect(a.lines.map((l) => l.png.toString('hex')).join()).not.toBe(c.lines.map((l) => l.png.toString('hex')).join());
  });

  it('draws only characters the PP-OCR dictionary holds', async () => {
    const cs = new Set((await loadPpocrCharset()).chars);
    for (const s of textLineStrings(300, 1)) for (const ch of s) expect(cs.has(ch), `${JSON.stringify(ch)} in ${s}`).toBe(true);
  });

  it('writes PNGs whose pixels contain ink, and a labels document', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'coquant-lines-'));
    try {
      const { lines, labelsPath } = await renderTextLines({ count: 3, seed: 2, outDir: dir });
      const doc = JSON.parse(await readFile(labelsPath!, 'utf8'));
      expect(doc.schema).toBe('coquant.labels/1');
      expect(Object.keys(doc.labels)).toEqual(lines.map((l) => l.file));
      const img = await loadRgb(join(dir, lines[0].file));
      expect(img.height).toBe(64);
      expect(img.width).toBe(lines[0].width);
      let dark = 0;
      for (let i = 0; i < img.data.length; i += 3) if (img.data[i] + img.data[i + 1] + img.data[i + 2] < 200) dark++;
      expect(dark).toBeGreaterThan(100); // the text was actually drawn with a loaded font
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
