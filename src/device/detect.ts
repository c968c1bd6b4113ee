/**
 * Finds what this machine offers: a DVFS adapter (Jetson GPU devfreq + cpufreq, or plain
 * cpufreq) and a power meter (INA3221 on Jetson, RAPL on x86). Missing pieces are not errors:
 * they come back as notes the agent logs once before carrying on with the plan's device model.
 */
import { CpufreqDvfs, cpufreqPolicies } from './cpufreq.ts';
import { Ina3221Meter } from './ina3221.ts';
import { JetsonGpuDvfs, findJetsonGpuDevfreq } from './jetson-gpu-dvfs.ts';
import { RaplMeter } from './rapl.ts';
import { exists, readText, sysPath } from './sysfs.ts';
import type { DvfsAdapter, PowerMeter } from './types.ts';

export interface DetectedDevice {
  /** CPU clock control. */
  dvfs?: DvfsAdapter;
  /** GPU clock control (Jetson). */
  gpuDvfs?: DvfsAdapter;
  power?: PowerMeter;
  jetsonModel?: string;
  notes: string[];
}

function attempt<T>(make: () => T, notes: string[], what: string): T | undefined {
  try {
    return make();
  } catch (e) {
    notes.push(`${what}: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
}

export function detectDevice(root = '/sys'): DetectedDevice {
  const notes: string[] = [];
  const out: DetectedDevice = { notes };
  const modelFile = sysPath(root, 'firmware', 'devicetree', 'base', 'model');
  if (exists(modelFile)) {
    const m = readText(modelFile).replace(/\0/g, '');
    if (/jetson/i.test(m)) out.jetsonModel = m;
  }
  if (cpufreqPolicies(root).length) out.dvfs = attempt(() => new CpufreqDvfs(root), notes, 'cpufreq');
  else notes.push(`no CPU frequency control (no cpufreq under ${sysPath(root, 'devices/system/cpu')}): clocks stay as the OS sets them`);
  if (findJetsonGpuDevfreq(root)) out.gpuDvfs = attempt(() => new JetsonGpuDvfs(root), notes, 'Jetson GPU devfreq');
  const ina = exists(sysPath(root, 'bus/i2c/drivers/ina3221')) || exists(sysPath(root, 'bus/i2c/drivers/ina3221x'));
  if (ina) out.power = attempt(() => new Ina3221Meter(root), notes, 'INA3221');
  if (!out.power && exists(sysPath(root, 'class/powercap'))) out.power = attempt(() => new RaplMeter(root), notes, 'RAPL');
  if (!out.power) notes.push('no power meter (neither Jetson INA3221 rails nor RAPL powercap): energy comes from the plan\'s device model');
  return out;
}
