/**
 * Cache of full-precision outputs, keyed by a hash of (model bytes, calibration inputs,
 * compared output, onnxruntime version), so repeated runs over the same model and inputs
 * skip the reference forward passes. A corrupt or mismatching file is treated as a miss.
 * File layout: "CQFP1\n", uint32 LE header length, JSON header, float32 LE payload.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.ts';
import type { Feed } from '../data/tensor.ts';

const MAGIC = 'CQFP1\n';

export interface CachedOutput {
  dims: number[];
  data: Float32Array;
}

export function fpCacheKey(modelBytes: Uint8Array, feeds: readonly Feed[], output: string, runtimeVersion: string): string {
  const h = createHash('sha256');
  h.update('coquant.fp-cache/1\0');
  h.update(createHash('sha256').update(modelBytes).digest());
  h.update(`${output}\0${runtimeVersion}\0${feeds.length}\0`);
  for (const f of feeds) {
    for (const name of Object.keys(f).sort()) {
      const t = f[name];
      h.update(`${name}\0${t.type}\0${t.dims.join(',')}\0`);
      h.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    }
  }
  return h.digest('hex').slice(0, 32);
}

export function fpCachePath(dir: string, key: string): string {
  return join(dir, `fp-${key}.bin`);
}

export async function readFpCache(dir: string, key: string): Promise<CachedOutput[] | undefined> {
  let buf: Buffer;
  try {
    buf = await readFile(fpCachePath(dir, key));
  } catch {
    return undefined;
  }
  try {
    if (buf.subarray(0, MAGIC.length).toString('latin1') !== MAGIC) return undefined;
    const hl = buf.readUInt32LE(MAGIC.length);
    const start = MAGIC.length + 4;
    const header = JSON.parse(buf.subarray(start, start + hl).toString('utf8')) as { key: string; entries: { dims: number[]; length: number }[] };
    if (header.key !== key) return undefined;
    let off = start + hl;
    const out: CachedOutput[] = [];
    for (const e of header.entries) {
      const bytes = e.length * 4;
      if (off + bytes > buf.length) return undefined;
      const data = new Float32Array(e.length);
      new Uint8Array(data.buffer).set(buf.subarray(off, off + bytes));
      out.push({ dims: e.dims, data });
      off += bytes;
    }
    return off === buf.length ? out : undefined;
  } catch {
    return undefined;
  }
}

export async function writeFpCache(dir: string, key: string, outputs: readonly CachedOutput[]): Promise<void> {
  const header = Buffer.from(JSON.stringify({ key, entries: outputs.map((o) => ({ dims: o.dims, length: o.data.length })) }), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length);
  const chunks: Uint8Array[] = [Buffer.from(MAGIC, 'latin1'), len, header];
  for (const o of outputs) chunks.push(new Uint8Array(o.data.buffer, o.data.byteOffset, o.data.byteLength));
  await writeFileAtomic(fpCachePath(dir, key), chunks);
}
