import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'coquant.mjs');
const example = join(import.meta.dirname, '..', '..', 'docs', 'examples', 'gpu.options.json');
const dir = mkdtempSync(join(tmpdir(), 'coquant-plan-options-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const coquant = (...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const oneLine = (r: { err: string }) => {
  expect(r.err).not.toMatch(/\n\s+at /);
  expect(r.err.trim().split('\n').length).toBeLessThanOrEqual(2);
};

describe('coquant plan --options (executable plans from a hand-written document)', () => {
  it('--json prints one coquant.exec-plan/1 document that meets its budgets and keeps the tie', () => {
    const r = coquant('plan', '--options', example, '--T0', '0.003', '--E0', '0.5', '--deadline-quantile', '0.95', '--memory-bytes', '12000000', '--json');
    expect(r.code, r.err).toBe(0);
    const p = JSON.parse(r.out);
    expect(p.schema).toBe('coquant.exec-plan/1');
    expect(p.feasible).toBe(true);
    expect(p.solver.exact).toBe(true);
    expect(p.predicted.totalQuantileS).toBeLessThanOrEqual(0.003);
    expect(p.predicted.headWeightBytes).toBeLessThanOrEqual(12e6);
    expect(p.formats['block1.mlp.fc1']).toBe(p.formats['block1.mlp.fc2']);
  });

  it('an impossible deadline is an answer (exit 3) with the least T0 that would do', () => {
    const r = coquant('plan', '--options', example, '--T0', '0.0005', '--E0', '0.5');
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/no plan: the deadline is too tight.*T0 ≥ 1\.\d+ ms/);
  });

  it('missing budgets, a broken document and a non-document are one clear line each', () => {
    let r = coquant('plan', '--options', example);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/needs --T0 and --E0/);
    oneLine(r);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ schema: 'coquant.options/1', model: { source: 'x' }, device: { name: 'd', clocksHz: [1e9] }, overheadS: [0, 0], distortion: { metric: 'm' }, groups: [{ name: 'g', params: 1, options: [{ format: 'fp32', latencyS: [0.001], bytes: 4, deltaDo: 0 }] }] }));
    r = coquant('plan', '--options', bad, '--T0', '1', '--E0', '1');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/overheadS has 2 entries for 1 clocks/);
    oneLine(r);
    const junk = join(dir, 'junk.json');
    writeFileSync(junk, '{"schema": "coquant.options/1", "gr');
    r = coquant('plan', '--options', junk, '--T0', '1', '--E0', '1');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/cannot read options document/);
    oneLine(r);
  });
});
