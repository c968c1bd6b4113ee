/**
 * Jetson INA3221 power rails. Two sysfs layouts exist:
 *  - hwmon (L4T 34+ / Orin): /sys/bus/i2c/drivers/ina3221/<bus>-<addr>/hwmon/hwmonN/
 *    in[1-3]_label, in[1-3]_input (bus mV), curr[1-3]_input (mA);
 *  - iio (L4T 32, ina3221x driver): /sys/bus/i2c/drivers/ina3221x/<bus>-<addr>/iio:deviceN/
 *    rail_name_[0-2], in_power[0-2]_input (mW).
 * The meter reads instantaneous watts and integrates energy with the trapezoid rule between
 * samples. When a total-input rail (VDD_IN, POM_5V_IN) exists only it is used, so sub-rails are
 * not counted twice; otherwise all rails are summed.
 */
import { exists, list, readInt, readText, sysPath, SysfsError } from './sysfs.ts';
import type { EnergySample, PowerMeter } from './types.ts';

interface Rail { name: string; watts: () => number }

const TOTAL_RAILS = ['VDD_IN', 'POM_5V_IN', '5V_IN'];

function hwmonRails(root: string): Rail[] {
  const rails: Rail[] = [];
  const drv = sysPath(root, 'bus', 'i2c', 'drivers', 'ina3221');
  for (const dev of list(drv).filter((d) => /^\d+-[0-9a-f]{4}$/.test(d))) {
    const hw = sysPath(drv, dev, 'hwmon');
    for (const h of list(hw).filter((d) => /^hwmon\d+$/.test(d))) {
      const dir = sysPath(hw, h);
      for (let ch = 1; ch <= 3; ch++) {
        const v = sysPath(dir, `in${ch}_input`);
        const c = sysPath(dir, `curr${ch}_input`);
        if (!exists(v) || !exists(c)) continue;
        const label = exists(sysPath(dir, `in${ch}_label`)) ? readText(sysPath(dir, `in${ch}_label`)) : `${dev}/ch${ch}`;
        if (label === 'NC') continue;
        rails.push({ name: label, watts: () => (readInt(v) * readInt(c)) / 1e6 });
      }
    }
  }
  return rails;
}

function iioRails(root: string): Rail[] {
  const rails: Rail[] = [];
  const drv = sysPath(root, 'bus', 'i2c', 'drivers', 'ina3221x');
  for (const dev of list(drv).filter((d) => /^\d+-[0-9a-f]{4}$/.test(d))) {
    for (const io of list(sysPath(drv, dev)).filter((d) => /^iio:device\d+$/.test(d))) {
      const dir = sysPath(drv, dev, io);
      for (let ch = 0; ch <= 2; ch++) {
        const p = sysPath(dir, `in_power${ch}_input`);
        if (!exists(p)) continue;
        const name = exists(sysPath(dir, `rail_name_${ch}`)) ? readText(sysPath(dir, `rail_name_${ch}`)) : `${dev}/ch${ch}`;
        rails.push({ name, watts: () => readInt(p) / 1e3 });
      }
    }
  }
  return rails;
}

export class Ina3221Meter implements PowerMeter {
  readonly kind: string;
  readonly where: string;
  readonly channels: string[];
  private readonly rails: Rail[];
  private last?: { w: number; t: number };
  private joules = 0;

  constructor(root = '/sys', opts: { rails?: string[]; now?: () => number } = {}) {
    let all = hwmonRails(root);
    this.kind = 'jetson-ina3221-hwmon';
    this.where = sysPath(root, 'bus/i2c/drivers/ina3221');
    if (all.length === 0) {
      all = iioRails(root);
      this.kind = 'jetson-ina3221-iio';
      this.where = sysPath(root, 'bus/i2c/drivers/ina3221x');
    }
    if (all.length === 0) throw new SysfsError('E_NO_INA3221', `no INA3221 rails under ${sysPath(root, 'bus/i2c/drivers')}`);
    let chosen = all;
    if (opts.rails) {
      chosen = all.filter((r) => opts.rails!.includes(r.name));
      const missing = opts.rails.filter((n) => !all.some((r) => r.name === n));
      if (missing.length) throw new SysfsError('E_NO_RAIL', `INA3221 has no rail ${missing.join(', ')} (rails: ${all.map((r) => r.name).join(', ')})`);
    } else {
      const total = all.find((r) => TOTAL_RAILS.includes(r.name));
      if (total) chosen = [total];
    }
    this.rails = chosen;
    this.channels = chosen.map((r) => r.name);
    this.now = opts.now ?? (() => performance.now());
  }

  private readonly now: () => number;

  sample(): EnergySample {
    const t = this.now();
    let w = 0;
    for (const r of this.rails) w += r.watts();
    if (this.last) this.joules += ((this.last.w + w) / 2) * ((t - this.last.t) / 1000);
    this.last = { w, t };
    return { joules: this.joules, watts: w, atMs: t };
  }
}
