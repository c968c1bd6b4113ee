import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundledModels } from '../../src/io/bundled-models.ts';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'coquant.mjs');
const dir = mkdtempSync(join(tmpdir(), 'coquant-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The same, without blocking the test worker (vitest's RPC to it times out after 60 s of a blocked thread). */
function coquantAsync(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((res) => {
    execFile(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 240_000, maxBuffer: 64 << 20 }, (e, out, err) => {
      res({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out, err });
    });
  });
}

function coquant(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A user error is one or two lines on stderr (message + hint), never a stack trace. */
function expectCleanError(r: { code: number | null; err: string }, code: number, pattern: RegExp) {
  expect(r.code).toBe(code);
  expect(r.err).toMatch(pattern);
  expect(r.err).not.toMatch(/\n\s+at /);
  expect(r.err.trim().split('\n').length).toBeLessThanOrEqual(2);
}

describe('coquant demo (the README command) end to end', () => {
  it('plans, splits, serves and runs the agent on the real model, and writes the report', async () => {
    const out = join(dir, 'demo');
    const r = await coquantAsync('demo', '--lines', '4', '--out', out);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/co-inference: accuracy/);
    for (const f of ['report.html', 'plan.json', 'options.json', 'system.json', 'head.onnx', 'tail.onnx', 'profile.json', 'distortion.json', 'bounds.json']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    const demo = JSON.parse(readFileSync(join(out, 'demo.json'), 'utf8'));
    // Every sign is accounted for and answered by the edge server; the plan is feasible, certified,
    // executable, and the head it wrote runs the integer kernels it names.
    expect(demo.plan.records).toHaveLength(4);
    expect(demo.plan.paths.edge).toBe(4);
    expect(demo.plan.plan.feasible).toBe(true);
    expect(demo.plan.plan.simulation).toBe(false);
    expect(demo.plan.plan.solver.exact).toBe(true);
    expect(demo.plan.plan.predicted.totalQuantileS).toBeLessThanOrEqual(demo.constraints.T0 * (1 + 1e-9));
    expect(demo.plan.kernels.every((k: { ok: boolean }) => k.ok)).toBe(true);
    expect(demo.local.accuracy).toBe(1);
    expect(demo.plan.accuracy).toBeGreaterThanOrEqual(0.75);
    // The emulated robot clock is recorded with every run.
    expect(demo.device.emulation).toMatch(/cgroup|time-dilation/);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toMatch(/<svg/);
    expect(html).toMatch(/predicted against measured/);
  }, 400_000); // about 60 s on a quiet machine; well over the default 120 s under load (and beside demo --inputs)
});

describe('command errors are one clear line', () => {
  const rec = bundledModels().rec;
  it('quantize needs exactly one of --plan/--bits, and rejects an infeasible plan', () => {
    expectCleanError(coquant('quantize', rec), 2, /exactly one of --plan or --bits/);
    const plan = join(dir, 'bad-plan.json');
    writeFileSync(plan, JSON.stringify({ schema: 'coquant.plan/1', feasible: false, bits: null, groups: null }));
    expectCleanError(coquant('quantize', rec, '--plan', plan), 1, /infeasible plan/);
    expectCleanError(coquant('quantize', rec, '--bits', '1'), 2, /--bits must be an integer from 2 to 16/);
  });
  it('split names a tensor that is not a cut, and a missing dynamic dimension', () => {
    expectCleanError(coquant('split', rec), 2, /dynamic dimension 'p2o.DynamicDimension.1'/);
    expectCleanError(coquant('split', rec, '--dim', 'p2o.DynamicDimension.1=320', '--at', 'no_such_tensor'), 2, /no tensor named 'no_such_tensor'/);
  });
  it('agent refuses a fallback it cannot honour', () => {
    const plan = join(dir, 'p.json');
    writeFileSync(plan, '{}');
    expectCleanError(coquant('agent', '--server', 'http://127.0.0.1:9', '--head', rec, '--plan', plan, '--render', '1'), 2, /--fallback local needs --full/);
  });
});
