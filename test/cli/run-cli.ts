/** Runs the real CLI (bin/coquant.mjs) in a child process, for the tests that drive it. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';

export const bin = join(import.meta.dirname, '..', '..', 'bin', 'coquant.mjs');

/** `coquant ARGS…` without blocking the test worker; resolves with the exit code and both streams. */
export function coquantRun(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 400_000 });
    let out = '';
    let err = '';
    p.stdout.on('data', (b) => (out += b));
    p.stderr.on('data', (b) => (err += b));
    p.on('close', (code) => res({ code, out, err }));
  });
}

/** One typed error: `coquant: error:` and at most a hint line (progress and notes aside), never a stack trace. */
export function expectTypedError(r: { code: number | null; err: string }, code: number, pattern: RegExp): void {
  expect(r.code, r.err).toBe(code);
  expect(r.err).toMatch(pattern);
  expect(r.err).not.toMatch(/\n\s+at /);
  const lines = r.err.trim().split('\n').filter((l) => !l.startsWith('note: ') && !/^\[\d+\/\d+\]|^ {6}done in/.test(l));
  expect(lines.length, r.err).toBeLessThanOrEqual(2);
}
