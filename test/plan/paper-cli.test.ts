/** `plan` with the paper's formulation: flags, the do-objective usage error, and the JSON design fields. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const run = (args: string[]) => {
  const r = spawnSync(process.execPath, ['bin/coquant.mjs', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe("coquant plan: the paper's P1 beside ours", () => {
  it('--objective do without --options is a usage error that points to --options', () => {
    const r = run(['plan', '--preset', 'paper-blip2', '--objective', 'do']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--objective do .*plan --options FILE/);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(run(['plan', '--objective', 'nope']).err).toMatch(/unknown objective/);
    expect(run(['plan', '--bound', 'nope']).err).toMatch(/--bound nope: expected ours or paper/);
    expect(run(['plan', '--energy', 'all']).err).toMatch(/--energy all: expected agent or total/);
  });

  it("--objective gap --energy total on paper-blip2: the paper's P1 with its constants, the design in the JSON", () => {
    const r = run(['plan', '--preset', 'paper-blip2', '--objective', 'gap', '--energy', 'total', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.design).toEqual({ objective: 'gap', bound: 'paper', energyScope: 'total', workload: { agent: 'flops', server: 'flops' } });
    expect(doc.bits).toBe(7);
    expect(doc.energy.total).toBeCloseTo(doc.energy.agent + doc.energy.server, 12);
    expect(doc.energy.total).toBeLessThanOrEqual(2 * (1 + 1e-9));
    expect(doc.serverHz).toBeLessThan(10e9);
    expect(doc.objective).toBeCloseTo(doc.DU - doc.DL, 15);
    const paper = JSON.parse(run(['plan', '--preset', 'paper-blip2', '--objective', 'gap', '--energy', 'total', '--method', 'paper', '--json']).out);
    expect(paper.feasible).toBe(false);
    expect(paper.bits).toBe(8);
  });

  it('the summary names the objective, the energy scope and the delay model; every method runs', () => {
    const r = run(['plan', '--preset', 'paper-git', '--objective', 'gap', '--energy', 'total']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/minimises D\^U − D\^L \(the paper's P1 objective\)/);
    expect(r.out).toMatch(/E0 limits agent \+ link \+ server \(the paper's Eq\. 9\); delay model FLOPs/);
    expect(r.out).toMatch(/energy: agent [\d.]+ J \+ link 0 J \+ server [\d.]+ J = 2 J/);
    for (const m of ['feasible-random', 'ppo', 'maxclock']) {
      const x = run(['plan', '--preset', 'paper-git', '--method', m, '--seed', '5', '--ppo-steps', '1024', '--json']);
      expect([0, 3]).toContain(x.code);
      expect(JSON.parse(x.out).method).toBe(m);
    }
  });
});
