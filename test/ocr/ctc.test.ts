import { describe, expect, it } from 'vitest';
import { charsetFromDictionary, ctcGreedyDecode, ctcGreedyDecodeBatch } from '../../src/ocr/ctc.ts';
import { loadPpocrCharset } from '../../src/ocr/dictionary.ts';
import { bundledModels } from '../../src/io/bundled-models.ts';
import { corpusCer, exactMatchRate } from '../../src/ocr/cer.ts';
import { renderTextLines } from '../../src/data/text-lines.ts';
import { loadRgb, preprocessRec } from '../../src/data/images.ts';
import { createSession, outputNames, runFeed } from '../../src/ort/session.ts';

/** One-hot probability rows for a class sequence. */
function oneHot(seq: number[], classes: number): Float32Array {
  const p = new Float32Array(seq.length * classes);
  seq.forEach((c, t) => (p[t * classes + c] = 0.9));
  return p;
}

describe('CTC greedy decoding', () => {
  const cs = charsetFromDictionary('a\nb\nc\n');
  it('puts blank at 0, dictionary lines at 1..K and a space at K+1', () => {
    expect(cs.chars).toEqual(['', 'a', 'b', 'c', ' ']);
  });
  it('collapses repeats, drops blanks, and keeps a repeat separated by a blank', () => {
    // a a _ a b b _ _ space c  →  "aab c"
    const seq = [1, 1, 0, 1, 2, 2, 0, 0, 4, 3];
    expect(ctcGreedyDecode(oneHot(seq, 5), seq.length, 5, cs).text).toBe('aab c');
    expect(ctcGreedyDecode(oneHot([0, 0], 5), 2, 5, cs)).toEqual({ text: '', confidence: 0 });
  });
  it('rejects a class count that does not match the dictionary', () => {
    expect(() => ctcGreedyDecode(oneHot([1], 6), 1, 6, cs)).toThrow(/6 classes/);
  });
  it('decodes each row of a batch independently', () => {
    const a = oneHot([1, 0, 2], 5);
    const b = oneHot([3, 3, 4], 5);
    const both = new Float32Array([...a, ...b]);
    expect(ctcGreedyDecodeBatch(both, [2, 3, 5], cs).map((d) => d.text)).toEqual(['ab', 'c ']);
  });
});

describe('PP-OCRv4 rec reads rendered text lines (real model)', () => {
  it('the ppocr_keys_v1 charset matches the model (6625 classes) and full precision reads the lines with low CER', async () => {
    const charset = await loadPpocrCharset();
    expect(charset.chars.length).toBe(6625);
    const { lines } = await renderTextLines({ count: 8, seed: 11 });
    const session = await createSession(bundledModels().rec, { intraOpThreads: 2 });
    const texts: string[] = [];
    for (const l of lines) {
      const x = await preprocessRec([await loadRgb(l.png)]);
      const out = (await runFeed(session, { x }))[outputNames(session)[0]];
      expect(out.dims[2]).toBe(charset.chars.length);
      texts.push(ctcGreedyDecodeBatch(out.data as Float32Array, out.dims, charset)[0].text.trim());
    }
    await session.release();
    const labels = lines.map((l) => l.text);
    const c = corpusCer(texts, labels);
    console.log(`[ctc] full-precision CER on 8 rendered lines: ${c.toFixed(4)}, exact match ${exactMatchRate(texts, labels)}`);
    expect(c).toBeLessThan(0.05);
    expect(exactMatchRate(texts, labels)).toBeGreaterThanOrEqual(0.75);
  });
});
