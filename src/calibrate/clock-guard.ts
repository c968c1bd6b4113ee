/**
 * Restores the CPU clock settings a calibration changed. For Linux cpufreq it snapshots the
 * writable attributes of every policy (governor, min/max caps, userspace set-speed) and writes
 * them back, so a sweep leaves the machine exactly as it found it; for any other DVFS adapter it
 * sets the clock that was current before the sweep.
 */
import { cpufreqPolicies } from '../device/cpufreq.ts';
import { exists, readText, sysPath, writeText } from '../device/sysfs.ts';
import type { DvfsAdapter } from '../device/types.ts';

interface PolicySnapshot {
  dir: string;
  governor: string;
  minKhz: string | null;
  maxKhz: string | null;
  setspeedKhz: string | null;
}

const readOpt = (p: string): string | null => {
  if (!exists(p)) return null;
  try {
    const t = readText(p);
    return /^\d+$/.test(t) ? t : null;
  } catch {
    return null;
  }
};

export interface ClockGuard {
  /** Clock (Hz) read before anything was changed. */
  originalHz: number;
  /** Writes the original settings back; collects (does not throw) failures. */
  restore(): string[];
}

export function guardClock(dvfs: DvfsAdapter, sysRoot: string | null): ClockGuard {
  const originalHz = dvfs.read().currentHz;
  const snaps: PolicySnapshot[] = [];
  if (dvfs.kind === 'linux-cpufreq' && sysRoot !== null) {
    for (const dir of cpufreqPolicies(sysRoot)) {
      snaps.push({
        dir,
        governor: readText(sysPath(dir, 'scaling_governor')),
        minKhz: readOpt(sysPath(dir, 'scaling_min_freq')),
        maxKhz: readOpt(sysPath(dir, 'scaling_max_freq')),
        setspeedKhz: readOpt(sysPath(dir, 'scaling_setspeed')),
      });
    }
  }
  return {
    originalHz,
    restore() {
      const errors: string[] = [];
      const attempt = (f: () => void) => {
        try {
          f();
        } catch (e) {
          errors.push(e instanceof Error ? e.message : String(e));
        }
      };
      if (snaps.length === 0) {
        attempt(() => void dvfs.setFrequency(originalHz));
        return errors;
      }
      for (const s of snaps) {
        // Caps first (max before min so min ≤ max holds throughout), then governor, then set-speed.
        if (s.maxKhz !== null) attempt(() => writeText(sysPath(s.dir, 'scaling_max_freq'), s.maxKhz!));
        if (s.minKhz !== null) attempt(() => writeText(sysPath(s.dir, 'scaling_min_freq'), s.minKhz!));
        if (readText(sysPath(s.dir, 'scaling_governor')) !== s.governor) attempt(() => writeText(sysPath(s.dir, 'scaling_governor'), s.governor));
        if (s.governor === 'userspace' && s.setspeedKhz !== null) attempt(() => writeText(sysPath(s.dir, 'scaling_setspeed'), s.setspeedKhz!));
      }
      return errors;
    },
  };
}
