/** The docs/theory.md comparison table (src/theory/bounds-table.ts), at the test resolution. */
import { describe, expect, it } from 'vitest';
import { boundsComparisonTable, boundsTableMarkdown } from '../../src/theory/bounds-table.ts';

describe('bounds comparison table, b = 2..8', () => {
  const rows = boundsComparisonTable(undefined, 32);

  it('has one row per b with R = b − 1, ordered D_L < D_BA < D_U (ours) < D^U (paper)', () => {
    expect(rows.map((r) => r.bits)).toEqual([2, 3, 4, 5, 6, 7, 8]);
    for (const r of rows) {
      expect(r.rate).toBe(r.bits - 1);
      expect(r.DBALo).toBeLessThanOrEqual(r.Dexact);
      expect(r.DBAHi).toBeGreaterThanOrEqual(r.Dexact);
      expect(r.DL).toBeLessThanOrEqual(r.DBAHi);
      expect(r.DBAHi).toBeLessThan(r.DU);
      expect(r.DU).toBeLessThan(r.DUPaper);
    }
  });

  it('prints as a Markdown table with the paper-formulation.md values in its first rows', () => {
    const md = boundsTableMarkdown(rows);
    const lines = md.trim().split('\n');
    expect(lines).toHaveLength(2 + 7);
    expect(lines[2]).toMatch(/^\| 2 \| 1 \| 0\.61803 \| 0\.50000 \| 0\.2876\d \|/);
    expect(lines[3]).toMatch(/^\| 3 \| 2 \| 0\.26376 \| 0\.25000 \|/);
  });
});
