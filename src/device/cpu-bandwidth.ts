/**
 * An emulated agent clock that really changes run time: the agent's process runs under Linux
 * CPU bandwidth control (cgroup v1 `cpu.cfs_quota_us`/`cpu.cfs_period_us`, or v2 `cpu.max`), so
 * a clock of f on a device whose top clock fMax is emulated as `fullSpeedShare` of one core
 * gets `fullSpeedShare · f / fMax` of a core. Without cgroup access (not root, not Linux) the
 * fallback is a documented time dilation: the host measures at full speed and stretches every
 * measured duration by the same factor, and every record says which emulation was used.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoquantError } from '../errors.ts';

/** 'dvfs': a real clock (cpufreq or Jetson devfreq); the others emulate one on a fixed-clock CPU. */
export type ClockEmulationKind = 'dvfs' | 'cgroup-v1' | 'cgroup-v2' | 'time-dilation';

export interface ClockEmulation {
  kind: ClockEmulationKind;
  /** Share of one core the device gets at its top clock (0.25 = a device 4× slower than this machine). */
  fullSpeedShare: number;
  /** CFS period in µs (short periods keep short inferences from being throttled in one long stall). */
  periodUs: number;
  /** The cgroup directory, when one is used. */
  where?: string;
}

const V1_ROOT = '/sys/fs/cgroup/cpu';
const V2_ROOT = '/sys/fs/cgroup';
/** 4 ms: measured here, a 25% quota then slows the recognizer 3.7× with p90/p50 ≈ 1.2; 100 ms periods let short runs through unthrottled and stall others by 75 ms. */
export const DEFAULT_PERIOD_US = 4000;
const MIN_QUOTA_US = 1000;

function writable(p: string): boolean {
  try {
    writeFileSync(join(p, 'cgroup.procs'), '', { flag: 'a' });
    return true;
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Which bandwidth control this machine offers to this process, if any. */
export function detectCpuBandwidth(): 'cgroup-v1' | 'cgroup-v2' | null {
  if (process.platform !== 'linux') return null;
  if (existsSync(join(V1_ROOT, 'cpu.cfs_quota_us')) && writable(V1_ROOT)) return 'cgroup-v1';
  if (existsSync(join(V2_ROOT, 'cgroup.controllers')) && readFileSync(join(V2_ROOT, 'cgroup.controllers'), 'utf8').includes('cpu') && writable(V2_ROOT)) return 'cgroup-v2';
  return null;
}

/**
 * One cgroup holding the emulated device's process. `setShare` changes its bandwidth at once;
 * `close` moves the process back and removes the group.
 */
export class CpuBandwidthGroup {
  private constructor(
    readonly kind: 'cgroup-v1' | 'cgroup-v2',
    readonly dir: string,
    readonly periodUs: number,
  ) {}

  static create(name: string, periodUs = DEFAULT_PERIOD_US): CpuBandwidthGroup {
    const kind = detectCpuBandwidth();
    if (!kind) throw new CoquantError('E_NO_CGROUP', 'CPU bandwidth control is not available to this process', { hint: 'run as root on Linux with the cgroup cpu controller, or use --clock-emulation dilation' });
    const root = kind === 'cgroup-v1' ? V1_ROOT : V2_ROOT;
    // Groups left by a process that was killed before it could remove its own: the kernel lets
    // only empty groups be removed, so live ones stay.
    for (const d of readdirSync(root)) {
      const owner = /^coquant-agent-(\d+)-/.exec(d);
      if (!owner || d === name || alive(Number(owner[1]))) continue;
      try {
        rmdirSync(join(root, d));
      } catch {
        /* in use */
      }
    }
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    const g = new CpuBandwidthGroup(kind, dir, periodUs);
    g.setShare(1);
    return g;
  }

  /** Bandwidth as a share of one core (> 0). Shares below the kernel's 1 ms minimum quota stretch the period. */
  setShare(share: number): void {
    if (!(share > 0)) throw new CoquantError('E_CLOCK', `CPU share must be positive, got ${share}`);
    let period = this.periodUs;
    let quota = Math.round(share * period);
    if (quota < MIN_QUOTA_US) {
      quota = MIN_QUOTA_US;
      period = Math.round(MIN_QUOTA_US / share);
    }
    if (this.kind === 'cgroup-v1') {
      // Order matters: the kernel rejects a quota/period pair whose ratio exceeds the parent's.
      writeFileSync(join(this.dir, 'cpu.cfs_quota_us'), '-1');
      writeFileSync(join(this.dir, 'cpu.cfs_period_us'), String(period));
      writeFileSync(join(this.dir, 'cpu.cfs_quota_us'), String(quota));
    } else {
      writeFileSync(join(this.dir, 'cpu.max'), `${quota} ${period}`);
    }
  }

  add(pid: number): void {
    writeFileSync(join(this.dir, 'cgroup.procs'), String(pid));
  }

  /** Removes the group; processes still in it must have exited or be moved first. */
  close(pids: number[] = []): void {
    const root = this.kind === 'cgroup-v1' ? V1_ROOT : V2_ROOT;
    for (const p of pids) {
      try {
        writeFileSync(join(root, 'cgroup.procs'), String(p));
      } catch {
        /* already gone */
      }
    }
    try {
      rmdirSync(this.dir);
    } catch {
      /* still busy or already removed */
    }
  }
}
