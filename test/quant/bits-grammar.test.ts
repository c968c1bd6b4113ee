import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseBits } from '../../src/quant/spec.ts';
import { parseBitsArg } from '../../src/app/plan-flags.ts';

/** Writes a set of integers as the shortest comma list of runs, e.g. [2,3,4,8] → "2-4,8". */
function asRuns(xs: number[]): string {
  const s = [...new Set(xs)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < s.length; ) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j] + 1) j++;
    parts.push(i === j ? `${s[i]}` : `${s[i]}-${s[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

describe('the one --bits grammar', () => {
  // Invariant: any set of bit-widths written as runs, or as a plain list, parses back to itself (sorted, unique).
  it('round-trips every set written as runs or as a list, for the quantizers and the planner alike', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 2, max: 16 }), { minLength: 1, maxLength: 12 }), (xs) => {
        const want = [...new Set(xs)].sort((a, b) => a - b);
        expect(parseBits(asRuns(xs))).toEqual(want);
        expect(parseBits(xs.join(','))).toEqual(want);
        expect(parseBitsArg(asRuns(xs))).toEqual(want);
      }),
    );
  });

  it('keeps each command’s range and says what is wrong', () => {
    expect(parseBitsArg('1,24,32')).toEqual([1, 24, 32]);
    expect(() => parseBits('1-4')).toThrow(/outside 2\.\.16/);
    expect(() => parseBits('8-4')).toThrow(/range is empty/);
    expect(() => parseBits('four')).toThrow(/cannot read/);
    expect(parseBits('2:4')).toEqual([2, 3, 4]);
  });
});
