import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('coquant distortion CLI', () => {
  it('--json prints exactly one JSON document on stdout, with per-config fits and a top-level fit.alpha', async () => {
    const out = await mkdtemp(join(tmpdir(), 'coquant-cli-'));
    try {
      const r = spawnSync(process.execPath, ['bin/coquant.mjs', 'distortion', '--render', '2', '--bits', '4,8', '--no-cache', '--json', '--out', out, '--threads', '2'], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(r.status, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout); // throws if anything else is on stdout
      expect(doc.schema).toBe('coquant.distortion/1');
      expect(typeof doc.fit.alpha).toBe('number');
      expect(doc.configs[0].points.map((p: { bits: number }) => p.bits)).toEqual([4, 8]);
      for (const k of ['bits', 'family', 'granularity', 'range', 'Dp', 'Do', 'relL2', 'quality']) expect(doc.configs[0].points[0]).toHaveProperty(k);
      expect(doc.configs[0].fit).toHaveProperty('r2');
      expect(doc.configs[0].fit).toHaveProperty('maxRelErr');
      expect(await readFile(join(out, 'fig3-distortion.svg'), 'utf8')).toMatch(/^<svg/);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it('a user mistake is one clear line and exit code 2, not a stack trace', () => {
    const r = spawnSync(process.execPath, ['bin/coquant.mjs', 'distortion', '--random', '2', '--render', '2'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/choose one calibration source/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
