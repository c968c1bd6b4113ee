/**
 * A small seeded sample of the reliability jobs (the full runs are `npm run fuzz`, see
 * docs/reliability.md). Invariants: over generated one-node models and mutants of the bundled
 * models, no command crashes, hangs or splits wrongly, and no hint names a flag its command
 * lacks; over fast-check requests to a real `coquant serve`, no 5xx other than 501/503.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classify, runModelFuzz } from '../../fuzz/models.ts';
import { runServerFuzz } from '../../fuzz/server-fuzz.ts';

describe('fuzz sample', () => {
  it('classifies results as the job does: exit codes, hints, signals and timeouts', () => {
    const r = (exitCode: number, stderr: string) => ({ id: 0, exitCode, stdout: '', stderr, ms: 1 });
    expect(classify(r(0, ''))).toEqual({ outcome: 'ok', hinted: false });
    expect(classify(r(3, 'coquant: error: x\n  hint: y\n'))).toEqual({ outcome: 'refusal', hinted: true });
    expect(classify(r(2, 'coquant: error: x\n')).hinted).toBe(false);
    expect(classify(r(70, 'coquant: internal error: x')).outcome).toBe('crash');
    expect(classify(r(1, 'Error: raw')).outcome).toBe('crash');
    expect(classify(undefined, 'SIGSEGV').outcome).toBe('crash');
    expect(classify(undefined, 'timeout').outcome).toBe('hang');
    expect(classify({ ...r(0, ''), wrong: 'differs' }).outcome).toBe('wrong');
  });

  it('24 models through every command: no crash, hang or wrong split, no hint with a missing flag', async () => {
    const report = await runModelFuzz({ models: 24, seed: 7, workers: 1, timeoutMs: 60_000, out: mkdtempSync(join(tmpdir(), 'coquant-fuzz-')), mutantShare: 0.125 });
    expect(report.models.mutants).toBeGreaterThan(0);
    const totals = Object.values(report.counts).reduce((a, k) => ({ ok: a.ok + k.ok, bad: a.bad + k.crash + k.hang + k.wrong, badHint: a.badHint + k.badHint }), { ok: 0, bad: 0, badHint: 0 });
    expect(report.incidents.filter((i) => i.outcome !== 'badHint'), JSON.stringify(report.incidents, null, 1)).toEqual([]);
    expect(totals.bad).toBe(0);
    expect(totals.badHint).toBe(0);
    expect(totals.ok).toBeGreaterThan(10); // the sample is not all refusals
  }, 120_000);

  it('2,000 fast-check requests to coquant serve: no 5xx', async () => {
    const r = await runServerFuzz({ requests: 2000, seed: 3, concurrency: 8, warmup: 500 });
    expect(r.requests).toBe(2000);
    expect(r.examples5xx).toEqual([]);
    expect(r.status5xx).toBe(0);
    expect(r.byStatus['200']).toBeGreaterThan(0);
    expect(r.byStatus['400']).toBeGreaterThan(0);
  }, 120_000);
});
