/**
 * `npm run bench profile-scale`, two parts:
 *
 * 1. Issue 14: the default `coquant profile` (3 integer families × per-tensor absmax and per-channel
 *    clip-l1 × bits 2..16, --threads 2) projected to 1 B fp32 parameters. A synthetic fp32 checkpoint
 *    with one block of a 1 B model's shapes (hidden 2240, MLP 8960, so the same channel lengths,
 *    ~64 M parameters, cached in .cache/bench/) is profiled with the defaults; the work is linear in
 *    the parameters at fixed channel length, so the projection scales its CPU time by 1e9 / params
 *    and divides by the 2 cores. Prints the verdict against the goal of 10 min. PROFILE_BASE_PROXY=1
 *    also runs the CLI of PROFILE_BASE_COMMIT (default 059d620) on it and checks the tables are identical.
 * 2. Issue 2 (skipped with PROFILE_SCALE_SKIP_ABSMAX=1): coquant profile on a generated
 *    ~1e9-parameter fp16 checkpoint (≥ 2 GB, cached in .cache/bench/), 3 integer families × 15
 *    bit-widths, per-tensor absmax, plus the exponential fits — wall time and peak RSS of the real CLI
 *    in a child process — and a numpy baseline doing the same quantize-and-L1 work on the same tensors
 *    in the same run. Throughput is params × configs / s; the ratio is coquant over numpy.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCheckpoint } from '../src/io/synthetic-checkpoint.ts';
import type { ProfileDocument } from '../src/documents/profile-document.ts';
import { extractTree } from './base-tree.ts';
import { load, profileRun, verdict } from './profile-run.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SEED = 20240601;
const CKPT = join(root, '.cache', 'bench', `synthetic-1e9-seed${SEED}-f16.safetensors`);
const CONFIGS = 45; // 3 families × bits 2..16
const NUMPY_BUDGET_S = Number(process.env.NUMPY_BUDGET_S ?? 40);

async function ensureCheckpoint(): Promise<void> {
  if (existsSync(CKPT) && statSync(CKPT).size > 2e9) return;
  await mkdir(dirname(CKPT), { recursive: true });
  const t0 = performance.now();
  let last = 0;
  await generateCheckpoint({
    path: `${CKPT}.partial`,
    params: 1e9,
    dtype: 'float16',
    seed: SEED,
    onProgress: (d, t) => {
      if (d - last >= t / 10 || d === t) {
        last = d;
        console.log(`  generating checkpoint: ${Math.round((100 * d) / t)}%`);
      }
    },
  });
  await rename(`${CKPT}.partial`, CKPT);
  console.log(`  generated ${CKPT} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

interface Timed {
  wall: number;
  rssMB: number;
  stdout: string;
}

/** Runs a command under /usr/bin/time -v when present (wall + max RSS); else wall only. */
function timed(cmd: string, args: string[]): Timed {
  const hasTime = existsSync('/usr/bin/time');
  const t0 = performance.now();
  const r = hasTime
    ? spawnSync('/usr/bin/time', ['-v', cmd, ...args], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 30 })
    : spawnSync(cmd, args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 30 });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr ?? '');
  return { wall, rssMB: m ? Number(m[1]) / 1024 : NaN, stdout: r.stdout };
}

// Part 1: the 1 B fp32 projection of the default profile, from one block of its shapes.
{
  console.log(`load average before: ${load()} on ${availableParallelism()} cores`);
  const PROXY = join(root, '.cache', 'bench', 'proxy-1b-block-seed7-f32.safetensors');
  if (!existsSync(PROXY)) {
    mkdirSync(dirname(PROXY), { recursive: true });
    await generateCheckpoint({ path: `${PROXY}.partial`, params: (2240 * 2240 * 12) / 0.94, layers: 1, dtype: 'float32', seed: 7 });
    renameSync(`${PROXY}.partial`, PROXY);
  }
  let base: ReturnType<typeof profileRun> | undefined;
  const baseCommit = process.env.PROFILE_BASE_COMMIT ?? '059d620';
  if (process.env.PROFILE_BASE_PROXY === '1') {
    const baseDir = join(root, '.cache', 'bench', 'profile-scale-base');
    extractTree(root, baseCommit, baseDir);
    base = profileRun(baseDir, PROXY);
    console.log(`  baseline (${baseCommit}): ${base.wall.toFixed(1)} s wall, ${base.cpu.toFixed(1)} s CPU (load ${base.loadBefore} -> ${base.loadAfter})`);
  }
  const cur = profileRun(root, PROXY);
  console.log(`  current: ${cur.wall.toFixed(1)} s wall, ${cur.cpu.toFixed(1)} s CPU (load ${cur.loadBefore} -> ${cur.loadAfter})`);
  const same = base ? `; tables identical to ${baseCommit}: ${base.tables === cur.tables} (${(base.cpu / cur.cpu).toFixed(2)}x less CPU)` : '';
  if (base && base.tables !== cur.tables) process.exitCode = 1;
  const scale = 1e9 / cur.params;
  console.log(`1 B-shaped fp32 block (${(cur.params / 1e6).toFixed(1)} M params, channels of 2240 and 8960), default profile, --threads 2: ${cur.cpu.toFixed(1)} s CPU${same}`);
  console.log(
    verdict(
      'issue 14, default profile of 1 B fp32 params <= 10 min',
      (cur.cpu * scale) / 2 / 60,
      10,
      'min',
      `${scale.toFixed(1)} x this block's ${cur.cpu.toFixed(1)} s CPU / 2 cores; ${((cur.wall * scale) / 60).toFixed(1)} min at this run's wall rate (load ${cur.loadAfter})`,
    ),
  );
}
if (process.env.PROFILE_SCALE_SKIP_ABSMAX === '1') process.exit(process.exitCode ?? 0);

await ensureCheckpoint();
const sizeGB = statSync(CKPT).size / 1e9;
console.log(`checkpoint: ${CKPT} (${sizeGB.toFixed(2)} GB)`);
// Warm the page cache once so both sides read from memory, as they would on a second run.
spawnSync('cat', [CKPT], { stdio: ['ignore', 'ignore', 'ignore'] });

const results: Array<{ threads: number; t: Timed; doc: ProfileDocument }> = [];
for (const threads of [1, 2]) {
  const args = ['bin/coquant.mjs', 'profile', CKPT, '--json', '--quiet', '--granularity', 'tensor', '--range', 'absmax', '--bits', '2-16', '--threads', String(threads)];
  const t = timed(process.execPath, args);
  const doc = JSON.parse(t.stdout) as ProfileDocument;
  results.push({ threads, t, doc });
  const rate = (doc.totals.params * CONFIGS) / t.wall;
  console.log(`coquant --threads ${threads}: ${doc.totals.params.toExponential(3)} params × ${CONFIGS} configs in ${t.wall.toFixed(1)} s wall, peak RSS ${t.rssMB.toFixed(0)} MB → ${(rate / 1e9).toFixed(2)} G params·configs/s`);
}

const py = spawnSync('python3', ['-c', 'import numpy; print(numpy.__version__)'], { encoding: 'utf8' });
if (py.status !== 0) {
  console.log('numpy baseline skipped: python3 with numpy is not available here');
} else {
  const t = timed('python3', [join(root, 'bench', 'profile_numpy_baseline.py'), CKPT, String(NUMPY_BUDGET_S)]);
  const np = JSON.parse(t.stdout) as { numpy: string; seconds: number; params: number; tensors: Array<{ name: string; params: number; l1: Record<string, number> }> };
  const npRate = (np.params * CONFIGS) / np.seconds;
  console.log(`numpy ${np.numpy}: ${np.params.toExponential(3)} params × ${CONFIGS} configs (${np.tensors.length} tensors) in ${np.seconds.toFixed(1)} s → ${(npRate / 1e9).toFixed(3)} G params·configs/s`);
  for (const { threads, t: ct, doc } of results) {
    console.log(`ratio coquant(--threads ${threads}, whole wall incl. startup and fits) / numpy: ${(((doc.totals.params * CONFIGS) / ct.wall) / npRate).toFixed(1)}×`);
  }
  // Same numbers? numpy computes in float32, coquant in float64: agreement to ~1e-4 relative is expected.
  let worst = 0;
  const doc = results[0].doc;
  for (const tn of np.tensors) {
    for (const [k, v] of Object.entries(tn.l1)) {
      const [family, bits] = k.split('/');
      const d = doc.distortion.find((x) => x.scope === tn.name && x.family === family && x.bits === Number(bits));
      if (d && v > 0) worst = Math.max(worst, Math.abs(d.l1 - v) / v);
    }
  }
  console.log(`agreement with numpy on ${np.tensors.length} tensors: worst relative L1 difference ${worst.toExponential(2)}`);
}
