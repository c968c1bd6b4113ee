/**
 * Jetson GPU clock through devfreq (values in Hz). The GPU node is named after its unit:
 * 17000000.ga10b (Orin), 17000000.gv11b (Xavier), 17000000.gp10b (TX2), 57000000.gpu (Nano/TX1).
 * A clock is pinned by writing min_freq and max_freq, ordered so min ≤ max holds at every step.
 * The CPU side of a Jetson is ordinary cpufreq (CpufreqDvfs); nvpmodel power modes live in
 * /etc/nvpmodel.conf, outside sysfs, and bound what these files accept.
 */
import { exists, list, readInt, readIntList, readText, sysPath, writeText, SysfsError } from './sysfs.ts';
import { snapDown, type DvfsAdapter, type DvfsState } from './types.ts';

export const JETSON_GPU_DEVFREQ = ['17000000.ga10b', '17000000.gv11b', '17000000.gp10b', '57000000.gpu'];

export function findJetsonGpuDevfreq(root: string): string | undefined {
  const cls = sysPath(root, 'class', 'devfreq');
  for (const name of list(cls)) if (JETSON_GPU_DEVFREQ.includes(name)) return sysPath(cls, name);
  for (const name of JETSON_GPU_DEVFREQ) {
    for (const p of [sysPath(root, 'devices', name, 'devfreq', name), sysPath(root, 'devices', 'platform', name, 'devfreq', name), sysPath(root, 'devices', 'gpu.0', 'devfreq', name)]) {
      if (exists(sysPath(p, 'cur_freq'))) return p;
    }
  }
  return undefined;
}

export class JetsonGpuDvfs implements DvfsAdapter {
  readonly kind = 'jetson-gpu-devfreq';
  readonly where: string;

  constructor(root = '/sys') {
    const p = findJetsonGpuDevfreq(root);
    if (!p) throw new SysfsError('E_NO_DEVFREQ', `no Jetson GPU devfreq node under ${root} (looked for ${JETSON_GPU_DEVFREQ.join(', ')})`);
    this.where = p;
  }

  read(): DvfsState {
    const f = (n: string) => sysPath(this.where, n);
    const avail = exists(f('available_frequencies')) ? readIntList(f('available_frequencies')).sort((a, b) => a - b) : [];
    return {
      currentHz: readInt(f('cur_freq')),
      minHz: avail[0] ?? readInt(f('min_freq')),
      maxHz: avail[avail.length - 1] ?? readInt(f('max_freq')),
      availableHz: avail,
      governor: exists(f('governor')) ? readText(f('governor')) : 'unknown',
    };
  }

  setFrequency(hz: number): number {
    const s = this.read();
    const target = snapDown(hz, s.availableHz, s.minHz, s.maxHz);
    const v = String(target);
    const curMin = readInt(sysPath(this.where, 'min_freq'));
    if (target >= curMin) {
      writeText(sysPath(this.where, 'max_freq'), v);
      writeText(sysPath(this.where, 'min_freq'), v);
    } else {
      writeText(sysPath(this.where, 'min_freq'), v);
      writeText(sysPath(this.where, 'max_freq'), v);
    }
    return target;
  }
}
