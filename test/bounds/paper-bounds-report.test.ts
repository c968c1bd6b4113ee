/**
 * `coquant bounds` with the paper's bounds beside ours: the report's new fields against hand
 * computations, `--bound paper|ours` (headline only: every number is always reported), the
 * paper's α from a distortion document (`--alpha max`), Figure 4's four curves, and the errors.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBoundsReport } from '../../src/theory/bounds-report.ts';
import { fig4Spec, FIG4_CURVES } from '../../src/theory/bounds-plot.ts';
import { baReferenceCurve } from '../../src/theory/blahut-arimoto.ts';
import { readAlpha } from '../../src/bounds/inputs.ts';
import { runBounds } from '../../src/app/bounds-command.ts';
import { boundsTable } from '../../src/bounds/table.ts';
import { CoquantError, UsageError } from '../../src/errors.ts';

const groups = [
  { name: 'a', params: 300, lambda: 10, ks: 0.05 },
  { name: 'b', params: 100, lambda: 40, ks: 0.2 },
];
const meanAbs = (300 * 0.1 + 100 * 0.025) / 400;
const quantizers = [
  { label: 'good', family: 'uniform-symmetric', granularity: 'channel', range: 'clip-l1', points: [{ bits: 4, Dp: 0.02, entropyRate: 2.5 }] },
  { label: 'bad', family: 'uniform-symmetric', granularity: 'tensor', range: 'absmax', points: [{ bits: 4, Dp: 0.13 }] },
];
/** Eq. 26 as printed, in units of 1/λ. */
const eq26 = (R: number) => 0.5 * (Math.sqrt(1 + 4 / (2 ** R - 1)) - 1);

const build = (bound?: 'ours' | 'paper') =>
  buildBoundsReport({ source: { kind: 'profile', path: 'x.json' }, groups, quantizers, alpha: { value: 1, source: 'default' }, ...(bound ? { bound } : {}) });

function profileFile(dir: string): string {
  const prof = join(dir, 'p.json');
  writeFileSync(
    prof,
    JSON.stringify({
      schema: 'coquant.profile/1',
      groups,
      distortion: [{ scope: 'model', family: 'uniform-symmetric', granularity: 'tensor', range: 'absmax', bits: 4, l1: 0.05, mse: 0, relL1: 0 }],
    }),
  );
  return prof;
}

describe("bounds report: the paper's bounds beside ours", () => {
  it("model rows carry the paper's D^U (Eq. 26), the exact D(R) and D_BA, mixed over groups like ours", () => {
    const r = build();
    const ref = baReferenceCurve();
    for (const row of r.model.rows) {
      const R = row.bits - 1;
      expect(row.DUPaper).toBeCloseTo(eq26(R) * meanAbs, 12);
      expect(row.gapPaper).toBeCloseTo(row.DUPaper - row.DL, 14);
      expect(row.outDUPaper).toBe(row.DUPaper);
      expect(row.Dexact).toBeCloseTo(-Math.log1p(-(2 ** -(R + 1))) * meanAbs, 14);
      const refRow = ref.rows.find((p) => p.rate === R);
      if (R <= 8) expect(row.DBA).toBeCloseTo(refRow!.D * meanAbs, 14);
      else expect(row.DBA).toBeNull();
      expect(row.DL).toBeLessThan(row.Dexact);
      expect(row.Dexact).toBeLessThan(row.DU);
      expect(row.DU).toBeLessThan(row.DUPaper);
    }
    expect(r.model.ba.rows.length).toBe(ref.rows.length);
    for (const [i, p] of r.model.ba.rows.entries()) {
      expect(p.lo).toBeLessThanOrEqual(p.D);
      expect(p.hi).toBeGreaterThanOrEqual(p.D);
      expect(p.D).toBeCloseTo(ref.rows[i].D * meanAbs, 14);
    }
    for (const g of r.groups) for (const [i, b] of g.bits.entries()) expect(g.DUPaper[i] * g.lambda).toBeCloseTo(eq26(b - 1), 12);
  });

  it("quantizer points: D^U, ratios and the rates R^L, R_U, R^U at D_p invert the distortion formulas", () => {
    const r = build();
    const p = r.quantizers[0].points[0];
    const lam = 1 / meanAbs;
    expect(p.DUPaper).toBeCloseTo(eq26(3) * meanAbs, 12);
    expect(p.inefficiencyPaper).toBeCloseTo(0.02 / p.DUPaper, 14);
    expect(p.inefficiencyPaper).toBeLessThan(p.inefficiency);
    // R^L(D_p): the D_L at that rate is D_p; likewise ours and the paper's at theirs.
    expect(2 ** -p.RL / (2 * lam)).toBeCloseTo(0.02, 12);
    expect(2 ** -p.RU / lam).toBeCloseTo(0.02, 12);
    expect(eq26(p.RUPaper) / lam).toBeCloseTo(0.02, 10);
    expect(p.RL).toBeLessThan(p.RU);
    expect(p.RU).toBeLessThan(p.RUPaper);
    expect(p.bitsLostPaper).toBeCloseTo(3 - p.RUPaper, 12);
    expect(p.DUPaperAtEntropy).toBeCloseTo(eq26(2.5) * meanAbs, 12);
    expect(p.Dexact).toBeCloseTo(-Math.log1p(-(2 ** -4)) * meanAbs, 14);
  });

  it('--bound picks the headline only: the numbers are identical, the recommendations and table name the bound', () => {
    const ours = build();
    const paper = build('paper');
    expect(ours.bound.headline).toBe('ours');
    expect(paper.bound.headline).toBe('paper');
    expect(paper.model.rows).toEqual(ours.model.rows);
    expect(paper.quantizers).toEqual(ours.quantizers);
    const pi = paper.quantizers.map((q) => q.points[0].inefficiencyPaper);
    expect(paper.recommendations[0]).toBe(
      `good at 4 bits is ${(pi[1] / pi[0]).toFixed(1)}× closer to the bound than bad (D_p/D^U (paper) = ${pi[0].toFixed(2)} vs ${pi[1].toFixed(2)}).`,
    );
    expect(ours.recommendations[0]).toContain('(D_p/D_U = ');
    expect(boundsTable(paper)).toMatch(/D\^U paper\*/);
    expect(boundsTable(ours)).toMatch(/D_U ours\*/);
    expect(boundsTable(ours)).toMatch(/D_BA/);
  });

  it('Figure 4 draws all four curves, the headline thicker; the paper curve starts after R = 0', () => {
    for (const headline of ['ours', 'paper'] as const) {
      const spec = fig4Spec(build(headline)) as unknown as { layer: { data: { values: { curve: string; rate: number; w: number }[] } }[] };
      const curves = spec.layer[0].data.values;
      expect(new Set(curves.map((c) => c.curve))).toEqual(new Set(Object.values(FIG4_CURVES)));
      const paperPts = curves.filter((c) => c.curve === FIG4_CURVES.paper);
      expect(Math.min(...paperPts.map((c) => c.rate))).toBe(0.25);
      const thick = new Set(curves.filter((c) => c.w === 3).map((c) => c.curve));
      expect([...thick]).toEqual([FIG4_CURVES[headline]]);
    }
  });

  it("α: the paper's α (fit.alphaMax) is read beside least squares; --alpha max uses it; older documents fail with a hint", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coquant-alpha-'));
    const withMax = join(dir, 'd.json');
    writeFileSync(withMax, JSON.stringify({ fit: { alpha: 0.002, alphaMax: 0.0035, r2: 0.9, config: 'u/t/a' } }));
    const old = join(dir, 'old.json');
    writeFileSync(old, JSON.stringify({ fit: { alpha: 0.002 } }));
    const lsq = await readAlpha(withMax);
    expect(lsq).toMatchObject({ value: 0.002, rule: 'least-squares', leastSquares: 0.002, maxRatio: 0.0035 });
    const mx = await readAlpha(withMax, 'max-ratio');
    expect(mx.value).toBe(0.0035);
    const rep = buildBoundsReport({ source: { kind: 'profile', path: 'x' }, groups, quantizers, alpha: mx });
    expect(rep.alpha.note).toMatch(/the paper's α \(largest measured D_o\/D_p\)/);
    expect(rep.alpha.note).toMatch(/least-squares α = 0\.0020/);
    expect(rep.model.rows[0].outDU).toBeCloseTo(0.0035 * rep.model.rows[0].DU, 16);
    expect(buildBoundsReport({ source: { kind: 'profile', path: 'x' }, groups, quantizers, alpha: lsq }).alpha.note).toMatch(/the paper's α \(largest D_o\/D_p\) = 0\.0035/);
    expect((await readAlpha(old)).maxRatio).toBeUndefined();
    await expect(readAlpha(old, 'max-ratio')).rejects.toThrow(CoquantError);
    await expect(readAlpha(old, 'max-ratio')).rejects.toMatchObject({ code: 'E_BAD_DISTORTION', hint: expect.stringMatching(/re-run `coquant distortion --json`/) });
  });

  it('bad --bound / --alpha are usage errors with hints', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coquant-bound-flag-'));
    const prof = profileFile(dir);
    await expect(runBounds(prof, { bound: 'tight', plot: false })).rejects.toThrow(UsageError);
    await expect(runBounds(prof, { bound: 'tight', plot: false })).rejects.toMatchObject({ hint: expect.stringMatching(/paper/) });
    await expect(runBounds(prof, { alpha: 'mean', plot: false })).rejects.toThrow(/--alpha must be lsq or max/);
    await expect(runBounds(prof, { alpha: 'max', plot: false })).rejects.toThrow(/--alpha needs --distortion/);
  });

  it('CLI: --bound paper --json is one document with the headline, and the SVG is written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'coquant-bounds-paper-'));
    const prof = profileFile(dir);
    const r = spawnSync(process.execPath, ['bin/coquant.mjs', 'bounds', prof, '--bound', 'paper', '--json', '--out', join(dir, 'o')], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.bound.headline).toBe('paper');
    expect(doc.model.rows[0].DUPaper).toBeGreaterThan(doc.model.rows[0].DU);
    expect(readFileSync(join(dir, 'o', 'fig4-rd-bounds.svg'), 'utf8')).toMatch(/^<svg/);
    const bad = spawnSync(process.execPath, ['bin/coquant.mjs', 'bounds', prof, '--bound', 'nope', '--no-plot'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--bound must be one of ours, paper/);
  });
});
