/**
 * Linux RAPL energy through powercap sysfs: /sys/class/powercap/intel-rapl:N/energy_uj is a
 * µJ counter that wraps to 0 after max_energy_range_uj. Only top-level zones (packages, psys)
 * are summed; their subzones (intel-rapl:N:M: core, uncore, dram) are parts of the same energy.
 */
import { list, readInt, readText, sysPath, exists, SysfsError } from './sysfs.ts';
import type { EnergySample, PowerMeter } from './types.ts';

interface Zone { path: string; name: string; maxRange: number; last: number; total: number }

export class RaplMeter implements PowerMeter {
  readonly kind = 'linux-rapl';
  readonly where: string;
  readonly channels: string[];
  private readonly zones: Zone[];

  constructor(root = '/sys', now: () => number = () => performance.now()) {
    const base = sysPath(root, 'class', 'powercap');
    const dirs = list(base).filter((d) => /^(intel-rapl|amd-rapl):\d+$/.test(d) && exists(sysPath(base, d, 'energy_uj')));
    if (dirs.length === 0) throw new SysfsError('E_NO_RAPL', `no RAPL zones under ${base}`);
    this.zones = dirs.map((d) => {
      const path = sysPath(base, d);
      return {
        path,
        name: exists(sysPath(path, 'name')) ? readText(sysPath(path, 'name')) : d,
        maxRange: readInt(sysPath(path, 'max_energy_range_uj')),
        last: readInt(sysPath(path, 'energy_uj')),
        total: 0,
      };
    });
    this.where = base;
    this.channels = this.zones.map((z) => z.name);
    this.now = now;
  }

  private readonly now: () => number;

  /** Joules since construction; call at least once per wrap period (minutes at full load). */
  sample(): EnergySample {
    let uj = 0;
    for (const z of this.zones) {
      const cur = readInt(sysPath(z.path, 'energy_uj'));
      const delta = cur >= z.last ? cur - z.last : cur + (z.maxRange - z.last);
      z.total += delta;
      z.last = cur;
      uj += z.total;
    }
    return { joules: uj / 1e6, atMs: this.now() };
  }
}
