/**
 * Shared by the profile benches (profile-isnet, profile-scale): one `coquant profile` run by the CLI
 * of a tree in a child process, timed in wall and CPU seconds (user + system of every thread), the
 * load average around it, and the verdict line against an idle-core goal. The machine is shared, so
 * the CPU time is the figure to read: on C idle cores a run takes about CPU / C (the projection).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';

export const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');

export interface ProfileRun {
  wall: number;
  cpu: number;
  /** The distortion and group tables, as JSON: equal strings = bit-identical tables. */
  tables: string;
  params: number;
  loadBefore: string;
  loadAfter: string;
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

/** One profile of `model` by the CLI of `dir` (default flags, --threads `threads`, plus `extra`). */
export function profileRun(dir: string, model: string, threads = 2, extra: string[] = []): ProfileRun {
  childCpuSeconds();
  const loadBefore = load();
  const t = performance.now();
  const r = spawnSync(process.execPath, [join(dir, 'bin', 'coquant.mjs'), 'profile', model, '--json', '--quiet', '--threads', String(threads), ...extra], {
    cwd: dir,
    maxBuffer: 1 << 28,
    encoding: 'utf8',
  });
  const wall = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`profile failed in ${dir}: ${r.stderr.slice(-2000)}`);
  const doc = JSON.parse(r.stdout) as { distortion: unknown; groups: unknown; totals: { params: number } };
  return { wall, cpu: childCpuSeconds(), tables: JSON.stringify([doc.distortion, doc.groups]), params: doc.totals.params, loadBefore, loadAfter: load() };
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** "MET" / "NOT MET" line for a goal on the idle-core projection, with the measured wall and load beside it. */
export function verdict(goal: string, projected: number, limit: number, unit: string, detail: string): string {
  return `VERDICT ${goal}: ${projected.toFixed(1)} ${unit} projected on 2 idle cores (limit ${limit} ${unit}) -> ${projected <= limit ? 'MET' : 'NOT MET'}; ${detail}`;
}
