/**
 * `npm run bench clip`: the per-channel clip-l1 search (issues 2 and 3).
 *
 * 1. End to end, the default `coquant profile rec --json --quiet` (3 integer families × per-tensor
 *    absmax and per-channel clip-l1 × bits 2..16) at --threads 1 and 2, against a baseline measured
 *    in the same run: the same CLI from the commit before the clip-search work (CLIP_BASE_COMMIT,
 *    default 6d6c8a1), extracted with `git archive` under .cache/bench/clip-base. Runs are
 *    interleaved (base, current) so load changes hit both. The distortion tables must be identical.
 * 2. On the rec model's channels, each variant in its own process (CPU time of the measured sections): the plain search (every candidate
 *    fully evaluated, same kernels) against the interval search with the scalar and with the
 *    WebAssembly SIMD kernels, and `fakeQuantize` with per-channel clip-l1 (what
 *    `coquant distortion --range clip-l1` runs per bit-width).
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundledModels, openWeights, selectWeights, toFloat32 } from '../src/io/index.ts';
import { fakeQuantize } from '../src/quant/fake-quantize.ts';
import { chooseLevels, chooseLevelsPlain, prepareSlice } from '../src/quant/range-search.ts';
import { setSimd } from '../src/quant/simd-kernels.ts';
import { forEachSlice } from '../src/quant/slices.ts';
import type { QuantFamily } from '../src/quant/types.ts';
import { extractTree } from './base-tree.ts';
import { median, profileRun, type ProfileRun } from './profile-run.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const baseCommit = process.env.CLIP_BASE_COMMIT ?? '6d6c8a1';
const reps = Number(process.env.CLIP_REPS ?? 1);
const baseDir = join(root, '.cache', 'bench', 'clip-base');

function prepareBase(): void {
  extractTree(root, baseCommit, baseDir);
}

// In process: the same kernels with and without pruning, on every channel of the rec model. Each
// variant runs in its own child process: sharing one JIT let one variant's type feedback slow the other.
if (process.argv[2] === '--variant') {
  const [family, mode] = [process.argv[3] as QuantFamily, process.argv[4]];
  if (mode === 'scalar') setSimd(false); // the same search with the scalar kernels instead of the WebAssembly SIMD ones
  const src = await openWeights(bundledModels().rec);
  // CPU time (user + system) of the measured sections: the machine is shared, so wall time is mostly waiting.
  const cpuMs = (t0: NodeJS.CpuUsage) => {
    const d = process.cpuUsage(t0);
    return (d.user + d.system) / 1000;
  };
  let ms = 0;
  for (const t of selectWeights(src.tensors, { allFloat: false })) {
    const v = toFloat32(await src.read(t.name));
    if (mode === 'fakeQuantize') {
      // The implementation under test comes from the tree named by argv[5] (baseline or current).
      const fq = ((await import(pathToFileURL(join(process.argv[5], 'src', 'quant', 'fake-quantize.ts')).href)) as { fakeQuantize: typeof fakeQuantize }).fakeQuantize;
      const t0 = process.cpuUsage();
      fq(v, t.shape, { family, bits: 4, granularity: { kind: 'channel' }, range: 'clip-l1' });
      ms += cpuMs(t0);
      continue;
    }
    forEachSlice(v.length, t.shape, { kind: 'channel' }, (s, e) => {
      const prep = prepareSlice(v, s, e);
      const t0 = process.cpuUsage();
      for (let bits = 2; bits <= 16; bits++) {
        if (mode === 'plain') chooseLevelsPlain(family, bits, 'clip-l1', v, null, s, e, prep.bounds);
        else chooseLevels(family, bits, 'clip-l1', v, null, s, e, prep.bounds, prep.sorted, prep.prefix);
      }
      ms += cpuMs(t0);
    });
  }
  await src.close();
  console.log(JSON.stringify({ seconds: ms / 1000 }));
  process.exit(0);
}

console.log(`load average before: ${loadavg().map((x) => x.toFixed(2)).join(' ')} on ${availableParallelism()} cores; baseline commit ${baseCommit}`);
prepareBase();
for (const threads of [1, 2]) {
  const base: ProfileRun[] = [];
  const cur: ProfileRun[] = [];
  for (let r = 0; r < reps; r++) {
    base.push(profileRun(baseDir, 'rec', threads));
    cur.push(profileRun(root, 'rec', threads));
  }
  const identical = cur.every((c, i) => c.tables === base[i].tables);
  const [bw, bc, cw, cc] = [median(base.map((r) => r.wall)), median(base.map((r) => r.cpu)), median(cur.map((r) => r.wall)), median(cur.map((r) => r.cpu))];
  console.log(
    `profile rec (defaults), --threads ${threads}: baseline ${bw.toFixed(2)} s wall / ${bc.toFixed(2)} s CPU, current ${cw.toFixed(2)} s wall / ${cc.toFixed(2)} s CPU -> ${(bw / cw).toFixed(2)}x wall, ${(bc / cc).toFixed(2)}x CPU (load ${cur[cur.length - 1].loadAfter}); distortion and group tables identical: ${identical}`,
  );
}

function variant(family: QuantFamily, mode: string, tree = root): number {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--variant', family, mode, tree], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout).seconds;
}
for (const family of ['uniform-symmetric', 'uniform-asymmetric', 'pot'] as QuantFamily[]) {
  const plain = variant(family, 'plain');
  const scalar = variant(family, 'scalar');
  const fast = variant(family, 'pruned');
  console.log(
    `${family.padEnd(19)} channel clip-l1, bits 2..16 one at a time, CPU: plain search ${plain.toFixed(2)} s, interval search with scalar kernels ${scalar.toFixed(2)} s, with SIMD kernels ${fast.toFixed(2)} s -> ${(plain / fast).toFixed(2)}x plain, ${(scalar / fast).toFixed(2)}x scalar`,
  );
}
const fqBase = variant('uniform-symmetric', 'fakeQuantize', baseDir);
const fqCur = variant('uniform-symmetric', 'fakeQuantize');
console.log(`fakeQuantize uniform-symmetric/channel/clip-l1, 4 bits, all rec weights (the quantizing step of one distortion bit-width), CPU: baseline ${fqBase.toFixed(2)} s, current ${fqCur.toFixed(2)} s -> ${(fqBase / fqCur).toFixed(2)}x`);
