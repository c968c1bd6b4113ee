/**
 * `npm run bench profile-isnet`: the default `coquant profile` (3 integer families × per-tensor absmax
 * and per-channel clip-l1 × bits 2..16, --threads 2) of a real model, ISNet (44 M parameters, fp16,
 * fetched by src/io/isnet-model.ts), against a baseline measured in the same run: the same CLI from
 * an older commit (PROFILE_BASE_COMMIT, default 059d620: the interval clip search before the
 * WebAssembly SIMD kernels; 4009a74 is the plain search before it), extracted with `git archive`
 * under .cache/bench/profile-base. Runs alternate (base, current; PROFILE_REPS of each) so load
 * changes hit both; the distortion and group tables must be identical (exit 1 otherwise). Prints
 * wall and CPU seconds and the load average around each run (the machine is shared), then the
 * verdict against issue 14's goal of 20 s on this 2-core machine, projected from CPU time (CPU / 2).
 *
 * The 1 B fp32 projection of the same defaults is `npm run bench profile-scale`.
 */
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isnetModels } from '../src/io/isnet-model.ts';
import { extractTree } from './base-tree.ts';
import { load, median, profileRun, verdict, type ProfileRun } from './profile-run.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const baseCommit = process.env.PROFILE_BASE_COMMIT ?? '059d620';
const reps = Number(process.env.PROFILE_REPS ?? 1);
const baseDir = join(root, '.cache', 'bench', 'profile-base');
const show = (r: ProfileRun) => `${r.wall.toFixed(1)} s wall, ${r.cpu.toFixed(1)} s CPU (load ${r.loadBefore} -> ${r.loadAfter})`;

console.log(`load average before: ${load()} on ${availableParallelism()} cores; baseline commit ${baseCommit}`);
extractTree(root, baseCommit, baseDir);
const { medium } = await isnetModels();
const base: ProfileRun[] = [];
const cur: ProfileRun[] = [];
for (let i = 0; i < reps; i++) {
  base.push(profileRun(baseDir, medium));
  console.log(`  baseline run ${i + 1}: ${show(base[i])}`);
  cur.push(profileRun(root, medium));
  console.log(`  current  run ${i + 1}: ${show(cur[i])}`);
}
const identical = cur.every((r, i) => r.tables === base[i].tables);
const [bw, bc, cw, cc] = [median(base.map((r) => r.wall)), median(base.map((r) => r.cpu)), median(cur.map((r) => r.wall)), median(cur.map((r) => r.cpu))];
console.log(
  `ISNet fp16 (${(cur[0].params / 1e6).toFixed(1)} M params), default profile, --threads 2: baseline ${bw.toFixed(1)} s wall / ${bc.toFixed(1)} s CPU, current ${cw.toFixed(1)} s wall / ${cc.toFixed(1)} s CPU -> ${(bw / cw).toFixed(2)}x wall, ${(bc / cc).toFixed(2)}x CPU; distortion and group tables identical: ${identical}`,
);
console.log(verdict('issue 14, ISNet default profile <= 20 s', cc / 2, 20, 's', `${cc.toFixed(1)} s CPU / 2; measured ${cw.toFixed(1)} s wall at load ${cur[cur.length - 1].loadAfter}; tables identical to ${baseCommit}: ${identical}`));
if (!identical) process.exitCode = 1;
