import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { METHODS } from '../../src/plan/result.ts';

const run = (args: string[]) => {
  const r = spawnSync(process.execPath, ['bin/coquant.mjs', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe('coquant plan / sweep (CLI)', () => {
  let dir = '';
  let profile = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coquant-plan-cli-'));
    // A real profile of the bundled PP-OCRv4 recognizer (one quantizer is enough for the planner).
    const r = run(['profile', 'rec', '--json', '--quant', 'uniform-symmetric/tensor/absmax', '--bits', '8']);
    expect(r.code).toBe(0);
    profile = join(dir, 'rec-profile.json');
    await import('node:fs/promises').then((fs) => fs.writeFile(profile, r.out));
  });

  it('plan --json prints exactly one document with the documented fields', () => {
    const r = run(['plan', '--preset', 'paper', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    for (const k of ['feasible', 'bits', 'agentHz', 'serverHz', 'delay', 'energy', 'DU', 'DL', 'slack', 'binding', 'method', 'groups']) expect(doc).toHaveProperty(k);
    expect(doc.schema).toBe('coquant.plan/1');
    expect(doc.bits).toBe(10);
    expect(doc.binding).toEqual(['deadline', 'energy']);
    expect(Object.keys(doc.delay)).toEqual(['agent', 'link', 'server', 'total']);
  });

  it('the human summary explains the binding constraint in words', () => {
    const r = run(['plan', '--preset', 'paper']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/The 2 J energy budget and the 3\.5 s deadline bind together/);
    expect(r.out).toMatch(/a faster clock would cost [\d.]+ J/);
  });

  it('an infeasible problem is an answer with a diagnosis (exit 3), not a crash', () => {
    const r = run(['plan', '--preset', 'paper', '--T0', '0.3', '--json']);
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.out);
    expect(doc.feasible).toBe(false);
    expect(doc.diagnosis.minT0).toBeGreaterThan(0.3);
    expect(doc.diagnosis.reason).toMatch(/link and server alone/);
    const bad = run(['plan', '--E0', '-1']);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/constraints\.E0: must be > 0/);
    expect(bad.err).not.toMatch(/at .*\.ts:\d+/);
  });

  it('plans per group on the profile of the bundled recognizer, keeping its tensor names', async () => {
    const r = run(['plan', '--profile', profile, '--per-group', '--T0', '0.006', '--E0', '0.002', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    const prof = JSON.parse(await readFile(profile, 'utf8'));
    expect(doc.feasible).toBe(true);
    expect(doc.groups.map((g: { name: string }) => g.name)).toEqual(prof.groups.filter((g: { params: number }) => g.params > 0).map((g: { name: string }) => g.name));
    expect(doc.solver.exact).toBe(true);
    expect(doc.delay.total).toBeLessThanOrEqual(0.006);
  });

  it('sweep writes CSV, JSON and four SVG plots, with every method at every point', async () => {
    const out = join(dir, 'sweep');
    const r = run(['sweep', '--preset', 'paper', '--per-group', '--T0-range', '2:5:4', '--E0-range', '1:3:3', '--out', out, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.rows).toHaveLength((4 + 3) * METHODS.length);
    const files = await readdir(out);
    expect(files.sort()).toEqual(['bits-vs-E0.svg', 'bits-vs-T0.svg', 'du-vs-E0.svg', 'du-vs-T0.svg', 'sweep.csv', 'sweep.json']);
    const csv = (await readFile(join(out, 'sweep.csv'), 'utf8')).trim().split('\n');
    expect(csv[0]).toBe('axis,T0,E0,method,feasible,DU,DL,bits,bitsMin,bitsMax,agentHz,delay,energy,duRatio,violations');
    expect(csv).toHaveLength(1 + 7 * METHODS.length);
    expect(await readFile(join(out, 'du-vs-T0.svg'), 'utf8')).toMatch(/^<svg/);
  });
});
