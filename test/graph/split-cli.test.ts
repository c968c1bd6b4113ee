import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundledModels } from '../../src/io/bundled-models.ts';
import { createSession, releaseSession, runFeed } from '../../src/ort/session.ts';
import { featureFeed } from '../../src/runtime/split/feature-wire.ts';
import { featureWireBytes, type FeatureFormat } from '../../src/formats/feature-format.ts';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'coquant.mjs');
const dir = mkdtempSync(join(tmpdir(), 'coquant-split-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function coquant(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((res) => {
    execFile(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 240_000, maxBuffer: 64 << 20 }, (e, out, err) => res({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out, err }));
  });
}

const det = bundledModels().det;
const dims = ['--dim', 'x:2=64', '--dim', 'x:3=64'];

describe('coquant split on the PP-OCR detector: set cuts, tensor lists and link formats', () => {
  it('lists set cuts, writes one with an int8 link, and the written halves run', async () => {
    const list = await coquant('split', det, ...dims, '--json');
    expect(list.code, list.err).toBe(0);
    const doc = JSON.parse(list.out) as { setCuts: { name: string; tensors: { name: string; dims: number[] }[] }[]; windows: { cut: string }[] };
    const set = doc.setCuts.find((c) => c.tensors.length >= 3)!;
    expect(set).toBeDefined();
    expect(doc.windows.length).toBeGreaterThan(5);
    // The same cut given as its tensor list, with the int8 link.
    const out = join(dir, 'int8');
    const r = await coquant('split', det, ...dims, '--at', set.tensors.map((t) => t.name).join(','), '--link', 'int8', '--out', out, '--json');
    expect(r.code, r.err).toBe(0);
    const s = JSON.parse(r.out) as { head: string; tail: string; link: Record<string, FeatureFormat>; linkBytes: number; featureBytes: number };
    expect(existsSync(s.head) && existsSync(s.tail)).toBe(true);
    expect(Object.values(s.link).every((f) => f === 'int8')).toBe(true);
    expect(s.linkBytes).toBe(set.tensors.reduce((a, t) => a + featureWireBytes('int8', t.dims), 0));
    expect(s.linkBytes).toBeLessThan(s.featureBytes / 3);
    const head = await createSession(s.head, { intraOpThreads: 1 });
    const tail = await createSession(s.tail, { intraOpThreads: 1 });
    const x = { type: 'float32' as const, dims: [1, 3, 64, 64], data: Float32Array.from({ length: 3 * 64 * 64 }, (_, i) => Math.sin(i * 0.05)) };
    const y = await runFeed(tail, featureFeed(await runFeed(head, { x }), s.link));
    expect(Object.values(y)[0].dims).toEqual([1, 1, 64, 64]);
    await releaseSession(head);
    await releaseSession(tail);
  }, 120_000);

  it('a bad tensor list or link format is one clear line', async () => {
    const bad = await coquant('split', det, ...dims, '--at', 'conv2d_469.tmp_0', '--out', join(dir, 'bad'));
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/the tail also reads/);
    expect(bad.err).not.toMatch(/\n\s+at /);
    const fmt = await coquant('split', det, ...dims, '--at', 'p2o.ConvTranspose.3', '--link', 'int4', '--out', join(dir, 'bad'));
    expect(fmt.code).toBe(2);
    expect(fmt.err).toMatch(/unknown link format 'int4'/);
    expect(existsSync(join(dir, 'bad'))).toBe(false);
  }, 120_000);
});
