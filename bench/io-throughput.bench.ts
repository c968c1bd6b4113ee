/**
 * Model-I/O throughput: synthetic checkpoint generation and streamed fp16 → fp32 reading.
 *   npm run bench io-throughput      (IO_BENCH_PARAMS=2e8 by default)
 * Baselines measured in the same run: a naive generator (Math.log Laplace + scalar fp16
 * conversion), raw positioned reads without decoding, and numpy decoding the same file.
 */
import { spawnSync } from 'node:child_process';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeInto } from '../src/io/decode.ts';
import { float32ToFloat16Bits } from '../src/io/encode.ts';
import { openWeights } from '../src/io/open-weights.ts';
import { readChunks } from '../src/io/read-chunks.ts';
import { generateCheckpoint } from '../src/io/synthetic-checkpoint.ts';
import { encodeChunk, fillLaplace, Mulberry } from '../src/io/synthetic-chunk.ts';
import { laplace, mulberry32 } from '../src/util/rng.ts';

const params = Number(process.env.IO_BENCH_PARAMS ?? 2e8);
const path = join('.cache', `bench-io-${params}.safetensors`);
const CHUNK = 1 << 20;
const mps = (n: number, ms: number) => (n / ms / 1e3).toFixed(1);

// 1. Generation kernel in memory: ours vs the naive loop.
const N = 1 << 24;
const buf = new Float32Array(CHUNK);
let t = performance.now();
const rnd = new Mulberry(1);
for (let done = 0; done < N; done += CHUNK) {
  fillLaplace(buf, CHUNK, rnd, 0.02, 0);
  encodeChunk(buf, CHUNK, 'float16');
}
const oursGen = performance.now() - t;
t = performance.now();
const lap = laplace(mulberry32(1), 0.02);
const naive = new Uint16Array(CHUNK);
for (let done = 0; done < N; done += CHUNK) for (let i = 0; i < CHUNK; i++) naive[i] = float32ToFloat16Bits(lap());
const naiveGen = performance.now() - t;
console.log(`generate+encode fp16 in memory: ${mps(N, oursGen)} M/s vs naive ${mps(N, naiveGen)} M/s → ${(naiveGen / oursGen).toFixed(2)}×`);

// 2. End-to-end file generation (includes the disk and fsync).
t = performance.now();
const g = await generateCheckpoint({ path, params, dtype: 'float16', seed: 1 });
const genMs = performance.now() - t;
console.log(`generateCheckpoint ${g.params} params, ${(g.bytes / 1e9).toFixed(2)} GB: ${(genMs / 1000).toFixed(1)} s = ${mps(g.params, genMs)} M params/s`);

// 3. Streamed read + decode to float32 vs raw positioned reads of the same bytes.
const src = await openWeights(path);
const out = new Float32Array(CHUNK);
t = performance.now();
let acc = 0;
for (const info of src.tensors) {
  for await (const c of readChunks(src, info.name, CHUNK)) {
    const n = decodeInto(c.info.dtype, c.bytes, out);
    for (let i = 0; i < n; i += 4096) acc += out[i];
  }
}
const readMs = performance.now() - t;
await src.close();
const fh = await open(path, 'r');
const raw = Buffer.allocUnsafe(CHUNK * 2);
t = performance.now();
for (let pos = 0; ; pos += raw.length) {
  const { bytesRead } = await fh.read(raw, 0, raw.length, pos);
  if (bytesRead === 0) break;
}
const rawMs = performance.now() - t;
await fh.close();
console.log(`readChunks + fp16 decode: ${mps(g.params, readMs)} M params/s (${(g.bytes / readMs / 1e6).toFixed(2)} GB/s); raw reads ${(g.bytes / rawMs / 1e6).toFixed(2)} GB/s → decode overhead ${(readMs / rawMs).toFixed(2)}× raw (checksum ${acc.toFixed(3)})`);

// 4. numpy decoding the same file in the same chunk size, where available.
const py = `
import json,struct,sys,time,numpy as np
p=sys.argv[1]
with open(p,'rb') as f:
    n=struct.unpack('<Q',f.read(8))[0]; h=json.loads(f.read(n))
start=8+n; t=time.perf_counter(); acc=0.0; tot=0
mm=np.memmap(p,dtype=np.uint8,mode='r')
for k,v in h.items():
    if k=='__metadata__': continue
    b,e=v['data_offsets']; C=${CHUNK}*2
    for o in range(start+b,start+e,C):
        x=np.frombuffer(mm[o:min(o+C,start+e)],dtype=np.float16).astype(np.float32); acc+=float(x[::4096].sum()); tot+=x.size
print(json.dumps({'ms':(time.perf_counter()-t)*1e3,'n':tot}))
`;
const r = spawnSync('python3', ['-c', py, path], { encoding: 'utf8' });
if (r.status === 0) {
  const { ms } = JSON.parse(r.stdout) as { ms: number };
  console.log(`numpy chunked fp16 → fp32: ${mps(g.params, ms)} M params/s → ours ${(ms / readMs).toFixed(2)}× numpy`);
} else {
  console.log(`numpy baseline skipped: ${(r.stderr || 'python3 not found').split('\n')[0]}`);
}
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
if (!process.env.IO_BENCH_KEEP) await rm(path, { force: true });
