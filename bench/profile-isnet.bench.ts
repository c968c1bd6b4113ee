/**
 * `npm run bench profile-isnet`: the default `coquant profile` (3 integer families × per-tensor absmax
 * and per-channel clip-l1 × bits 2..16, --threads 2) of a real model, ISNet (44 M parameters, fp16,
 * fetched by src/io/isnet-model.ts), against a baseline measured in the same run: the same CLI from
 * the commit before the interval clip search (PROFILE_BASE_COMMIT, default 4009a74), extracted with
 * `git archive` under .cache/bench/profile-base. Runs alternate (base, current) so load changes hit
 * both; the distortion and group tables must be identical. Prints wall and CPU seconds and the
 * load average before and after each run (the machine is shared).
 *
 * Then the projection to 1 B fp32 parameters: a synthetic fp32 checkpoint with one block of a 1 B
 * model's shapes (hidden 2240, MLP 8960, so the same channel lengths, ~64 M parameters, cached in
 * .cache/bench/), profiled with the same defaults; the projection scales its time by 1e9 / params,
 * since the work is linear in the parameters at fixed channel length. PROFILE_BASE_PROXY=1 also
 * runs the baseline on it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isnetModels } from '../src/io/isnet-model.ts';
import { generateCheckpoint } from '../src/io/synthetic-checkpoint.ts';
import { extractTree } from './base-tree.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const baseCommit = process.env.PROFILE_BASE_COMMIT ?? '4009a74';
const reps = Number(process.env.PROFILE_REPS ?? 1);
const baseDir = join(root, '.cache', 'bench', 'profile-base');
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

interface Run {
  wall: number;
  cpu: number;
  tables: string;
}

/** One default profile by the CLI of `dir`, with its wall time and CPU time (all threads, user + system). */
function profile(dir: string, model: string): Run {
  childCpuSeconds();
  const t = performance.now();
  const r = spawnSync(process.execPath, [join(dir, 'bin', 'coquant.mjs'), 'profile', model, '--json', '--quiet', '--threads', '2'], {
    cwd: dir,
    maxBuffer: 1 << 28,
    encoding: 'utf8',
  });
  const wall = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`profile failed in ${dir}: ${r.stderr.slice(-2000)}`);
  const doc = JSON.parse(r.stdout) as { distortion: unknown; groups: unknown };
  return { wall, cpu: childCpuSeconds(), tables: JSON.stringify([doc.distortion, doc.groups]) };
}

// CPU time of waited-for children: cutime + cstime of this process (Linux /proc, clock ticks of 1/100 s).
let lastChildTicks = 0;
function childCpuSeconds(): number {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  const ticks = Number(f[13]) + Number(f[14]); // cutime + cstime (fields 16 and 17, counted after the command name)
  const d = ticks - lastChildTicks;
  lastChildTicks = ticks;
  return d / 100;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function compare(label: string, model: string, withBase: boolean): { wall: number; cpu: number } {
  const base: Run[] = [];
  const cur: Run[] = [];
  let identical = true;
  for (let i = 0; i < reps; i++) {
    if (withBase) {
      const l0 = load();
      base.push(profile(baseDir, model));
      console.log(`  baseline run ${i + 1}: ${base[i].wall.toFixed(1)} s wall, ${base[i].cpu.toFixed(1)} s CPU (load ${l0} -> ${load()})`);
    }
    const l1 = load();
    cur.push(profile(root, model));
    console.log(`  current  run ${i + 1}: ${cur[i].wall.toFixed(1)} s wall, ${cur[i].cpu.toFixed(1)} s CPU (load ${l1} -> ${load()})`);
    if (withBase) identical &&= base[i].tables === cur[i].tables;
  }
  const cw = median(cur.map((r) => r.wall));
  const cc = median(cur.map((r) => r.cpu));
  if (withBase) {
    const bw = median(base.map((r) => r.wall));
    const bc = median(base.map((r) => r.cpu));
    console.log(
      `${label}: baseline ${bw.toFixed(1)} s wall / ${bc.toFixed(1)} s CPU, current ${cw.toFixed(1)} s wall / ${cc.toFixed(1)} s CPU -> ${(bw / cw).toFixed(2)}x wall, ${(bc / cc).toFixed(2)}x CPU; distortion and group tables identical: ${identical}`,
    );
    if (!identical) process.exitCode = 1;
  } else console.log(`${label}: current ${cw.toFixed(1)} s wall / ${cc.toFixed(1)} s CPU`);
  return { wall: cw, cpu: cc };
}

console.log(`load average before: ${load()} on ${availableParallelism()} cores; baseline commit ${baseCommit}`);
extractTree(root, baseCommit, baseDir);
const { medium } = await isnetModels();
compare('ISNet fp16 (44 M params), default profile, --threads 2', medium, true);

// The 1 B fp32 projection from one block of its shapes.
const PROXY = join(root, '.cache', 'bench', 'proxy-1b-block-seed7-f32.safetensors');
const proxyParams = 2240 * 2240 * 12 / 0.94;
if (!existsSync(PROXY)) {
  mkdirSync(dirname(PROXY), { recursive: true });
  await generateCheckpoint({ path: `${PROXY}.partial`, params: proxyParams, layers: 1, dtype: 'float32', seed: 7 });
  renameSync(`${PROXY}.partial`, PROXY);
}
const n = (JSON.parse(execFileSync(process.execPath, [join(root, 'bin', 'coquant.mjs'), 'profile', PROXY, '--json', '--quiet', '--granularity', 'tensor', '--range', 'absmax', '--bits', '8'], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 28 })) as { totals: { params: number } }).totals.params;
const proxy = compare(`1 B-shaped fp32 block (${(n / 1e6).toFixed(1)} M params, channels of 2240 and 8960), default profile, --threads 2`, PROXY, process.env.PROFILE_BASE_PROXY === '1');
// Wall time on a loaded machine includes waiting for a CPU; CPU time over the threads used is what an idle machine would take.
const scale = 1e9 / n;
console.log(
  `projected default profile of 1 B fp32 parameters (${scale.toFixed(1)} x this block): ${((proxy.wall * scale) / 60).toFixed(1)} min at this run's wall rate, ${((proxy.cpu * scale) / 2 / 60).toFixed(1)} min on 2 idle cores (CPU time / 2)`,
);
