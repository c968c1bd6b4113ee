/**
 * End to end through the CLI: a hostile file makes `coquant profile` exit non-zero with one
 * clear error line naming the problem, nothing on stdout, no stack trace, and no hang.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bundledModels } from '../../src/io/bundled-models.ts';
import { writeSafetensors } from '../../src/io/safetensors-write.ts';
import { rawSafetensors, tempDir } from './fixtures.ts';

function profile(file: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/coquant.mjs', 'profile', file, '--json'], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('hostile files through `coquant profile`', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    await writeFile(join(dir, 'huge.safetensors'), rawSafetensors({}, new Uint8Array(16), 2n ** 60n));
    await writeFile(join(dir, 'cut.onnx'), (await readFile(bundledModels().cls)).subarray(0, 200_000));
    const v = Float32Array.from({ length: 16 }, (_, i) => i / 16);
    v[5] = Number.POSITIVE_INFINITY;
    await writeSafetensors(join(dir, 'inf.safetensors'), [{ name: 'layer.w', dtype: 'float32', shape: [4, 4], bytes: new Uint8Array(v.buffer) }]);
  });
  afterAll(async () => cleanup());

  it.each([
    ['huge.safetensors', 'E_HEADER_TOO_LARGE', /header length 1152921504606846976/],
    ['cut.onnx', 'E_TRUNCATED', /byte offset \d+/],
    ['inf.safetensors', 'E_NON_FINITE', /tensor 'layer\.w': element 5 \[1, 1\] is \+Inf/],
  ])('%s → exit code 3, %s, one error line, no stack', (file, _code, pattern) => {
    const r = profile(join(dir, file));
    expect(r.status).toBe(3);
    expect(r.stdout).toBe('');
    const errorLines = r.stderr.split('\n').filter((l) => l.startsWith('coquant: error:'));
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toMatch(pattern);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});
