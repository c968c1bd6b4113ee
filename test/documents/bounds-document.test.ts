import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readBounds, serializeBounds } from '../../src/documents/bounds-document.ts';
import { buildBoundsReport } from '../../src/theory/bounds-report.ts';

const dir = mkdtempSync(join(tmpdir(), 'coquant-boundsdoc-'));

describe('the bounds document', () => {
  it('an all-zero group (λ = ∞) is written as "Infinity" and read back as +∞, with D_U = 0 at every bit-width', async () => {
    // Invariant: write then read keeps every per-group λ and bound (non-finite ones included), so
    // a pruned layer does not turn into null and break a reader.
    const report = buildBoundsReport({
      source: { kind: 'profile', path: 'p.json' },
      groups: [
        { name: 'dense', params: 300, lambda: 12 },
        { name: 'pruned', params: 100, lambda: Infinity },
      ],
      quantizers: [],
      alpha: { value: 2, source: 'distortion' },
    });
    const text = serializeBounds(report);
    expect(text).toContain('"lambda": "Infinity"');
    // null stays for "not measured" (no KS fit, no BA point at that rate), never for a number.
    expect(text).not.toMatch(/"(lambda|DU|DL|DUPaper|gap)": null/);
    const path = join(dir, 'bounds.json');
    writeFileSync(path, text);
    const back = await readBounds(path);
    expect(back.groups.map((g) => g.lambda)).toEqual([12, Infinity]);
    expect(back.groups[1].DU.every((d) => d === 0)).toBe(true);
    expect(back.model.rows).toEqual(report.model.rows.map((r) => expect.objectContaining({ bits: r.bits, DU: r.DU, DL: r.DL })));
  });

  it('a document of the wrong kind or with a wrong field is a typed error naming the field', async () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, JSON.stringify({ schema: 'coquant.bounds/1', source: { kind: 'model', path: 'm' }, alpha: { value: 1 }, bound: { headline: 'ours' }, model: { params: 1, groups: 1, lambdaEff: 1, rows: [] }, groups: [{ name: 'g', params: 'many', lambda: 1, bits: [], DL: [], DU: [] }] }));
    await expect(readBounds(path)).rejects.toMatchObject({ code: 'E_BAD_BOUNDS', message: expect.stringContaining('groups.0.params') });
  });
});
