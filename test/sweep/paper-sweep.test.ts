/** `sweep` on the paper presets: the Figures 5-8 axes for every method, Table I, and what is not reproduced. */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { METHODS } from '../../src/plan/result.ts';

const run = (args: string[]) => {
  const r = spawnSync(process.execPath, ['bin/coquant.mjs', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe('coquant sweep on the paper presets', () => {
  it("paper-git with the paper's P1: both axes, every method, gap plots, Table I and the CIDEr note", async () => {
    const out = await mkdtemp(join(tmpdir(), 'coquant-paper-sweep-'));
    const r = run(['sweep', '--preset', 'paper-git', '--objective', 'gap', '--energy', 'total', '--T0-range', '1:3:3', '--E0-range', '1:3:3', '--ppo-steps', '1024', '--out', out]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/3 deadlines at E0 = 2 J, 3 energy budgets at T0 = 2 s, 9 methods/);
    expect(r.out).toMatch(/minimise D\^U − D\^L \(the paper's bound\); E0 limits agent \+ link \+ server/);
    expect(r.out).toMatch(/Table I .*fixed clock profiles/);
    expect(r.out).toMatch(/^low \(0\.667\/3\.33 GHz\)/m);
    expect(r.out).toMatch(/^joint design \(exact\)/m);
    expect(r.out).toMatch(/not reproduced: the paper's Figures 5-8 plot CIDEr/);
    const files = (await readdir(out)).sort();
    expect(files).toEqual(['bits-vs-E0.svg', 'bits-vs-T0.svg', 'du-vs-E0.svg', 'du-vs-T0.svg', 'gap-vs-E0.svg', 'gap-vs-T0.svg', 'sweep.csv', 'sweep.json']);
    const doc = JSON.parse(await readFile(join(out, 'sweep.json'), 'utf8'));
    expect(doc.rows).toHaveLength(6 * METHODS.length);
    expect(doc).toMatchObject({ objective: 'gap', bound: 'paper', energyScope: 'total', preset: 'paper-git' });
    expect(doc.notReproduced).toMatch(/CIDEr/);
    expect(doc.table1.columns).toHaveLength(6);
    const stats = Object.fromEntries(doc.stats.map((s: { method: string }) => [s.method, s]));
    expect(stats.exact.infeasible).toBe(0);
    // The server at 10 GHz alone needs 12.4 J: the fixed-maximum-frequency design never fits E0 ≤ 3 J.
    expect(stats.maxclock.infeasible).toBe(6);
    for (const m of METHODS) if (stats[m].maxObjRatio !== null) expect(stats[m].maxObjRatio).toBeGreaterThanOrEqual(1 - 1e-9);
    expect(await readFile(join(out, 'du-vs-T0.svg'), 'utf8')).toMatch(/^<svg/);
  });
});
