import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cer, corpusCer, exactMatchRate, levenshtein } from '../../src/ocr/cer.ts';

/** Textbook recursive edit distance (exponential without memo; fine for strings of length ≤ 6). */
function bruteLevenshtein(a: string[], b: string[]): number {
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  return Math.min(
    bruteLevenshtein(a.slice(1), b) + 1,
    bruteLevenshtein(a, b.slice(1)) + 1,
    bruteLevenshtein(a.slice(1), b.slice(1)) + (a[0] === b[0] ? 0 : 1),
  );
}

const short = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '字', ' '), maxLength: 6 });

describe('levenshtein', () => {
  it('equals the recursive definition on all small strings (brute force)', () => {
    fc.assert(fc.property(short, short, (a, b) => levenshtein(a, b) === bruteLevenshtein(Array.from(a), Array.from(b))), { numRuns: 400 });
  });
  it('is a metric: symmetric, zero iff equal, triangle inequality', () => {
    fc.assert(
      fc.property(short, short, short, (a, b, c) => {
        expect(levenshtein(a, b)).toBe(levenshtein(b, a));
        expect(levenshtein(a, b) === 0).toBe(a === b);
        expect(levenshtein(a, c)).toBeLessThanOrEqual(levenshtein(a, b) + levenshtein(b, c));
      }),
      { numRuns: 200 },
    );
  });
  it('counts code points, not UTF-16 units', () => {
    expect(levenshtein('😀a', 'a')).toBe(1);
    expect(cer('😀', '😀x')).toBe(0.5);
  });
});

describe('cer', () => {
  it('is edits over reference length, and corpus CER pools edits and characters', () => {
    expect(cer('EXIT 3', 'EXIT 3')).toBe(0);
    expect(cer('EXlT 3', 'EXIT 3')).toBeCloseTo(1 / 6, 12);
    expect(cer('', '')).toBe(0);
    expect(cer('x', '')).toBe(1);
    // (1 edit over 6 chars) + (2 edits over 2 chars) = 3 / 8, not the mean of 1/6 and 1.
    expect(corpusCer(['EXlT 3', ''], ['EXIT 3', 'AB'])).toBeCloseTo(3 / 8, 12);
    expect(exactMatchRate(['a', 'b', 'c'], ['a', 'x', 'c'])).toBeCloseTo(2 / 3, 12);
  });
});
