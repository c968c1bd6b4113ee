import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBoundsReport } from '../../src/theory/bounds-report.ts';
import { fromProfile } from '../../src/bounds/inputs.ts';
import { runBounds } from '../../src/app/bounds-command.ts';
import { generateFcModel } from '../../src/synth/fc-model.ts';
import { CoquantError } from '../../src/errors.ts';

const groups = [
  { name: 'a', params: 300, lambda: 10, ks: 0.05 },
  { name: 'b', params: 100, lambda: 40, ks: 0.2 },
];
const quantizers = [
  { label: 'good', family: 'uniform-symmetric', granularity: 'channel', range: 'clip-l1', points: [{ bits: 4, Dp: 0.02, entropyRate: 2.5 }] },
  { label: 'bad', family: 'uniform-symmetric', granularity: 'tensor', range: 'absmax', points: [{ bits: 4, Dp: 0.13 }] },
];

describe('bounds report', () => {
  it('model rows equal the hand-computed mixture Σ (N_g/N)·2^(1−b)·mean|w_g|, and α scales only the output columns', () => {
    const r = buildBoundsReport({ source: { kind: 'profile', path: 'x.json' }, groups, quantizers, alpha: { value: 3, source: 'distortion' } });
    const meanAbs = (300 * 0.1 + 100 * 0.025) / 400;
    for (const row of r.model.rows) {
      expect(row.DU).toBeCloseTo(2 ** (1 - row.bits) * meanAbs, 14);
      expect(row.DL).toBeCloseTo(2 ** -row.bits * meanAbs, 14);
      expect(row.outDU).toBeCloseTo(3 * row.DU, 14);
      expect(row.gap).toBeCloseTo(row.DL, 14);
    }
    expect(r.model.ksWeighted).toBeCloseTo((300 * 0.05 + 100 * 0.2) / 400, 14);
    const good = r.quantizers[0].points[0];
    expect(good.inefficiency).toBeCloseTo(0.02 / (2 ** -3 * meanAbs), 12);
    // bits lost: b − (1 + log2(mean|w|/D_p))
    expect(good.bitsLost).toBeCloseTo(4 - (1 + Math.log2(meanAbs / 0.02)), 12);
    expect(good.DUAtEntropy).toBeCloseTo(2 ** -2.5 * meanAbs, 14);
  });

  it('recommendation numbers are computed from the inputs (change the inputs, the sentence changes)', () => {
    const r1 = buildBoundsReport({ source: { kind: 'profile', path: 'x' }, groups, quantizers, alpha: { value: 1, source: 'default' } });
    const ratio = 0.13 / 0.02;
    expect(r1.recommendations[0]).toBe(
      `good at 4 bits is ${ratio.toFixed(1)}× closer to the bound than bad (D_p/D_U = ${r1.quantizers[0].points[0].inefficiency.toFixed(2)} vs ${r1.quantizers[1].points[0].inefficiency.toFixed(2)}).`,
    );
    const q2 = structuredClone(quantizers);
    q2[1].points[0].Dp = 0.05;
    const r2 = buildBoundsReport({ source: { kind: 'profile', path: 'x' }, groups, quantizers: q2, alpha: { value: 1, source: 'default' } });
    expect(r2.recommendations[0]).toContain(`${(0.05 / 0.02).toFixed(1)}× closer`);
    expect(r1.recommendations.some((s) => s.includes('α = 1'))).toBe(true);
  });

  it('profile input: model-scope entries become series; a malformed profile names the bad field', () => {
    const doc = {
      schema: 'coquant.profile/1',
      groups: [{ name: 'w', params: 10, lambda: 5, ks: 0.1 }],
      distortion: [
        { scope: 'model', family: 'pot', granularity: 'tensor', range: 'absmax', bits: 8, l1: 0.001, mse: 1e-6, relL1: 0.005 },
        { scope: 'model', family: 'pot', granularity: 'tensor', range: 'absmax', bits: 4, l1: 0.01, mse: 1e-4, relL1: 0.05 },
        { scope: 'w', family: 'pot', granularity: 'tensor', range: 'absmax', bits: 4, l1: 0.01, mse: 1e-4, relL1: 0.05 },
      ],
    };
    const d = fromProfile(doc, 'p.json');
    expect(d.quantizers).toHaveLength(1);
    expect(d.quantizers[0].points.map((p) => p.bits)).toEqual([4, 8]);
    const bad = structuredClone(doc) as { groups: { lambda: unknown }[] };
    bad.groups[0].lambda = 'x';
    expect(() => fromProfile(bad, 'p.json')).toThrow(CoquantError);
    expect(() => fromProfile(bad, 'p.json')).toThrow(/p\.json: field groups\.0\.lambda/);
  });

  it('from an FC ONNX model: measures quantizers with entropy rates, and the FC section keeps measured ≤ bound', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coquant-bounds-'));
    const model = join(dir, 'fc.onnx');
    writeFileSync(model, generateFcModel({ widths: [12, 24, 6], seed: 3 }).bytes);
    const { report, files } = await runBounds(model, { bits: '3,4,8', out: join(dir, 'out'), quiet: true });
    expect(files.map((f) => f.split('/').pop())).toEqual(['bounds.json', 'fig4-rd-bounds.svg']);
    expect(readFileSync(files[1], 'utf8')).toMatch(/^<svg/);
    expect(report.quantizers.length).toBe(4);
    for (const q of report.quantizers) for (const p of q.points) expect(p.entropyRate).toBeLessThanOrEqual(p.fixedRate + 1e-9);
    const fc = report.fc!;
    expect('rows' in fc).toBe(true);
    if ('rows' in fc) for (const row of fc.rows) expect(row.measuredMax).toBeLessThanOrEqual(row.bound);
  });

  it('CLI: --json prints exactly one JSON document; a missing input is one clear error line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'coquant-bounds-cli-'));
    const prof = join(dir, 'p.json');
    writeFileSync(
      prof,
      JSON.stringify({
        schema: 'coquant.profile/1',
        groups: groups,
        distortion: [{ scope: 'model', family: 'uniform-symmetric', granularity: 'tensor', range: 'absmax', bits: 4, l1: 0.05, mse: 0, relL1: 0 }],
      }),
    );
    const r = spawnSync(process.execPath, ['bin/coquant.mjs', 'bounds', prof, '--json', '--out', join(dir, 'o'), '--no-plot'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.schema).toBe('coquant.bounds/1');
    expect(doc.model.rows).toHaveLength(15);
    const bad = spawnSync(process.execPath, ['bin/coquant.mjs', 'bounds', join(dir, 'missing.json')], { encoding: 'utf8' });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/missing\.json: cannot read/);
  });
});
