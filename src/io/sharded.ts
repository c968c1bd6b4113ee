/**
 * Sharded safetensors checkpoints: a `*.safetensors.index.json` whose `weight_map` names the
 * shard holding each tensor, or a folder of `*.safetensors` files. Shard names are resolved
 * inside the index's folder only.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ModelFormatError } from './errors.ts';
import { resolveInside } from './safe-path.ts';
import { SafetensorsFile, safetensorsSource } from './safetensors.ts';
import type { WeightSource } from './types.ts';

/** Index files are small; a cap keeps a hostile one from being read whole. */
const MAX_INDEX_BYTES = 64 * 1024 * 1024;

async function openAll(path: string, shardPaths: string[], opts: { maxHeaderBytes?: number }): Promise<SafetensorsFile[]> {
  const files: SafetensorsFile[] = [];
  try {
    for (const p of shardPaths) files.push(await SafetensorsFile.open(p, opts));
  } catch (e) {
    await Promise.all(files.map((f) => f.close()));
    throw e;
  }
  if (files.length === 0) throw new ModelFormatError('E_EMPTY_MODEL', `${path}: no safetensors shards`);
  return files;
}

export async function openShardedIndex(indexPath: string, opts: { maxHeaderBytes?: number } = {}): Promise<WeightSource> {
  const abs = resolve(indexPath);
  const size = (await stat(abs)).size;
  if (size > MAX_INDEX_BYTES) throw new ModelFormatError('E_HEADER_TOO_LARGE', `${indexPath}: index is ${size} bytes, over the ${MAX_INDEX_BYTES}-byte limit`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(abs, 'utf8'));
  } catch (e) {
    throw new ModelFormatError('E_BAD_HEADER', `${indexPath}: not valid JSON: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  const map = (parsed as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) {
    throw new ModelFormatError('E_BAD_HEADER', `${indexPath}: no 'weight_map' object`);
  }
  const shardOf = new Map<string, string>();
  for (const [name, shard] of Object.entries(map)) {
    if (typeof shard !== 'string') throw new ModelFormatError('E_BAD_HEADER', `${indexPath}: weight_map entry '${name}' is not a file name`);
    shardOf.set(name, shard);
  }
  const dir = dirname(abs);
  const shardNames = [...new Set(shardOf.values())];
  const real = new Map<string, string>();
  for (const s of shardNames) real.set(s, await resolveInside(dir, s, `${indexPath}: shard`));
  const files = await openAll(abs, [...new Set(real.values())], opts);
  const source = safetensorsSource(abs, files);
  // Every mapped tensor must really be in the shard the index names.
  const fileByName = new Map<string, string>();
  for (const f of files) for (const t of f.header.tensors) fileByName.set(t.name, f.path);
  for (const [name, shard] of shardOf) {
    if (fileByName.get(name) !== real.get(shard)) {
      await source.close();
      throw new ModelFormatError('E_NO_SUCH_TENSOR', `${indexPath}: weight_map puts tensor '${name}' in '${shard}', which does not hold it`);
    }
  }
  return source;
}

/** A folder: its single `*.safetensors.index.json`, else all `*.safetensors` files in name order. */
export async function openSafetensorsDir(dir: string, opts: { maxHeaderBytes?: number } = {}): Promise<WeightSource> {
  const names = (await readdir(dir)).sort();
  const indexes = names.filter((n) => n.endsWith('.safetensors.index.json'));
  if (indexes.length > 1) throw new ModelFormatError('E_BAD_HEADER', `${dir}: several index files (${indexes.join(', ')}); pass one of them`);
  if (indexes.length === 1) return openShardedIndex(join(dir, indexes[0]), opts);
  const shards = names.filter((n) => n.endsWith('.safetensors'));
  if (shards.length === 0) throw new ModelFormatError('E_NOT_FOUND', `${dir}: no .safetensors files or index in this folder`);
  const real = [];
  for (const s of shards) real.push(await resolveInside(dir, s, `${dir}: shard`));
  return safetensorsSource(resolve(dir), await openAll(dir, real, opts));
}
