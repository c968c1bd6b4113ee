/**
 * Linux cpufreq DVFS through sysfs (values there are kHz; this API speaks Hz). Setting a clock
 * prefers the `userspace` governor + `scaling_setspeed`; when that governor is not offered
 * (e.g. intel_pstate, or most Jetson kernels) it clamps `scaling_max_freq` instead, which caps
 * the clock while the current governor keeps scaling below it.
 */
import { exists, list, readInt, readIntList, readText, sysPath, writeText, SysfsError } from './sysfs.ts';
import { snapDown, type DvfsAdapter, type DvfsState } from './types.ts';

/** The policy directories (one per group of CPUs sharing a clock). */
export function cpufreqPolicies(root: string): string[] {
  const base = sysPath(root, 'devices', 'system', 'cpu', 'cpufreq');
  const policies = list(base).filter((d) => /^policy\d+$/.test(d)).map((d) => sysPath(base, d));
  if (policies.length) return policies;
  const cpus = sysPath(root, 'devices', 'system', 'cpu');
  return list(cpus).filter((d) => /^cpu\d+$/.test(d)).map((d) => sysPath(cpus, d, 'cpufreq')).filter((p) => exists(sysPath(p, 'scaling_governor')));
}

export class CpufreqDvfs implements DvfsAdapter {
  readonly kind = 'linux-cpufreq';
  readonly where: string;
  private readonly policies: string[];

  constructor(root = '/sys') {
    this.policies = cpufreqPolicies(root);
    if (this.policies.length === 0) throw new SysfsError('E_NO_CPUFREQ', `no cpufreq policies under ${sysPath(root, 'devices/system/cpu')}`);
    this.where = this.policies.join(', ');
  }

  /** State of the first policy (all policies are driven to the same clock). */
  read(): DvfsState {
    const p = this.policies[0]!;
    const avail = sysPath(p, 'scaling_available_frequencies');
    return {
      currentHz: readInt(sysPath(p, 'scaling_cur_freq')) * 1000,
      minHz: readInt(sysPath(p, 'cpuinfo_min_freq')) * 1000,
      maxHz: readInt(sysPath(p, 'cpuinfo_max_freq')) * 1000,
      availableHz: exists(avail) ? readIntList(avail).map((k) => k * 1000).sort((a, b) => a - b) : [],
      governor: readText(sysPath(p, 'scaling_governor')),
    };
  }

  setFrequency(hz: number): number {
    const s = this.read();
    const target = snapDown(hz, s.availableHz, s.minHz, s.maxHz);
    const khz = String(Math.round(target / 1000));
    for (const p of this.policies) {
      const govs = exists(sysPath(p, 'scaling_available_governors')) ? readText(sysPath(p, 'scaling_available_governors')).split(/\s+/) : [];
      if (govs.includes('userspace') && exists(sysPath(p, 'scaling_setspeed'))) {
        if (readText(sysPath(p, 'scaling_governor')) !== 'userspace') writeText(sysPath(p, 'scaling_governor'), 'userspace');
        writeText(sysPath(p, 'scaling_setspeed'), khz);
      } else {
        writeText(sysPath(p, 'scaling_max_freq'), khz);
      }
    }
    return target;
  }
}
