/**
 * DVFS and power-meter adapters against fake sysfs trees: the values they read, the files
 * they write (and in which order), RAPL wrap-around against an independently summed counter,
 * INA3221 energy against the closed-form integral of a linear power ramp, and error paths.
 */
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CpufreqDvfs } from '../../src/device/cpufreq.ts';
import { detectDevice } from '../../src/device/detect.ts';
import { Ina3221Meter } from '../../src/device/ina3221.ts';
import { JetsonGpuDvfs } from '../../src/device/jetson-gpu-dvfs.ts';
import { RaplMeter } from '../../src/device/rapl.ts';
import { SysfsError } from '../../src/device/sysfs.ts';
import { snapDown } from '../../src/device/types.ts';
import { mulberry32 } from '../../src/util/rng.ts';
import { fakeSysfs } from './fake-sysfs.ts';

function cpufreqTree(governors: string, withAvail = true) {
  const files: Record<string, string> = {};
  for (const p of ['policy0', 'policy4']) {
    const d = `devices/system/cpu/cpufreq/${p}`;
    Object.assign(files, {
      [`${d}/cpuinfo_min_freq`]: '115200', [`${d}/cpuinfo_max_freq`]: '2201600', [`${d}/scaling_cur_freq`]: '1113600',
      [`${d}/scaling_governor`]: 'schedutil', [`${d}/scaling_available_governors`]: governors,
      [`${d}/scaling_setspeed`]: '<unsupported>', [`${d}/scaling_max_freq`]: '2201600', [`${d}/scaling_min_freq`]: '115200',
    });
    if (withAvail) files[`${d}/scaling_available_frequencies`] = '115200 729600 1113600 1497600 2201600';
  }
  return fakeSysfs(files);
}

describe('cpufreq', () => {
  it('reads kHz files as Hz and sets the clock via userspace + scaling_setspeed on every policy', () => {
    const fs = cpufreqTree('ondemand userspace performance schedutil');
    const d = new CpufreqDvfs(fs.root);
    expect(d.read()).toEqual({ currentHz: 1113600000, minHz: 115200000, maxHz: 2201600000, availableHz: [115200000, 729600000, 1113600000, 1497600000, 2201600000], governor: 'schedutil' });
    expect(d.setFrequency(1.2e9)).toBe(1113600000); // snaps down: never above the planned clock
    for (const p of ['policy0', 'policy4']) {
      expect(fs.read(`devices/system/cpu/cpufreq/${p}/scaling_governor`)).toBe('userspace');
      expect(fs.read(`devices/system/cpu/cpufreq/${p}/scaling_setspeed`)).toBe('1113600');
      expect(fs.read(`devices/system/cpu/cpufreq/${p}/scaling_max_freq`)).toBe('2201600');
    }
  });

  it('clamps scaling_max_freq when no userspace governor exists', () => {
    const fs = cpufreqTree('performance powersave', false);
    const d = new CpufreqDvfs(fs.root);
    expect(d.setFrequency(1.5e9)).toBe(1.5e9);
    expect(fs.read('devices/system/cpu/cpufreq/policy0/scaling_max_freq')).toBe('1500000');
    expect(fs.read('devices/system/cpu/cpufreq/policy0/scaling_governor')).toBe('schedutil');
    expect(d.setFrequency(1e12)).toBe(2201600000); // clamped to the hardware range
    expect(d.setFrequency(1)).toBe(115200000);
  });

  it.skipIf(process.getuid?.() === 0)('reports a permission error naming the file', () => {
    const fs = cpufreqTree('performance');
    chmodSync(join(fs.root, 'devices/system/cpu/cpufreq/policy0/scaling_max_freq'), 0o444);
    expect(() => new CpufreqDvfs(fs.root).setFrequency(1e9)).toThrow(/permission denied to write .*policy0\/scaling_max_freq/);
  });

  it('rejects garbage in a sysfs file with a clear error', () => {
    const fs = cpufreqTree('performance');
    fs.write('devices/system/cpu/cpufreq/policy0/scaling_cur_freq', 'fast');
    expect(() => new CpufreqDvfs(fs.root).read()).toThrow(/scaling_cur_freq holds 'fast'/);
  });

  it('snapDown picks the largest step not above the target', () => {
    const r = mulberry32(5);
    const steps = [100, 200, 350, 800];
    for (let i = 0; i < 200; i++) {
      const hz = r() * 1000;
      const got = snapDown(hz, steps, 100, 800);
      const brute = Math.max(...steps.filter((s) => s <= Math.max(hz, 100)));
      expect(got).toBe(brute);
    }
  });
});

describe('Jetson GPU devfreq', () => {
  it('finds the Orin node and pins min/max in an order that keeps min ≤ max', () => {
    const d = 'devices/platform/17000000.ga10b/devfreq/17000000.ga10b';
    const fs = fakeSysfs({
      [`${d}/available_frequencies`]: '306000000 408000000 510000000 612000000 714000000 816000000 918000000',
      [`${d}/cur_freq`]: '918000000', [`${d}/min_freq`]: '306000000', [`${d}/max_freq`]: '918000000', [`${d}/governor`]: 'nvhost_podgov',
    });
    const g = new JetsonGpuDvfs(fs.root);
    expect(g.read().maxHz).toBe(918e6);
    expect(g.setFrequency(700e6)).toBe(612e6);
    expect([fs.read(`${d}/min_freq`), fs.read(`${d}/max_freq`)]).toEqual(['612000000', '612000000']);
    expect(g.setFrequency(400e6)).toBe(306e6);
    expect([fs.read(`${d}/min_freq`), fs.read(`${d}/max_freq`)]).toEqual(['306000000', '306000000']);
  });
});

describe('RAPL', () => {
  it('sums top-level zones only and unfolds counter wrap-around', () => {
    const fs = fakeSysfs({
      'class/powercap/intel-rapl:0/name': 'package-0', 'class/powercap/intel-rapl:0/energy_uj': '900', 'class/powercap/intel-rapl:0/max_energy_range_uj': '1000',
      'class/powercap/intel-rapl:0:0/name': 'core', 'class/powercap/intel-rapl:0:0/energy_uj': '5', 'class/powercap/intel-rapl:0:0/max_energy_range_uj': '1000',
      'class/powercap/intel-rapl:1/name': 'package-1', 'class/powercap/intel-rapl:1/energy_uj': '0', 'class/powercap/intel-rapl:1/max_energy_range_uj': '1000',
    });
    const m = new RaplMeter(fs.root);
    expect(m.channels).toEqual(['package-0', 'package-1']);
    // Independent bookkeeping: advance each counter by known increments mod the range.
    const r = mulberry32(3);
    const c = [900, 0];
    let truth = 0;
    for (let step = 0; step < 50; step++) {
      for (let z = 0; z < 2; z++) {
        const inc = Math.floor(r() * 400);
        truth += inc;
        c[z] = c[z]! + inc > 1000 ? c[z]! + inc - 1000 : c[z]! + inc;
        fs.write(`class/powercap/intel-rapl:${z}/energy_uj`, String(c[z]));
      }
      expect(m.sample().joules).toBeCloseTo(truth / 1e6, 12);
    }
  });

  it.skipIf(process.getuid?.() === 0)('explains root-only energy counters', () => {
    const fs = fakeSysfs({ 'class/powercap/intel-rapl:0/energy_uj': '1', 'class/powercap/intel-rapl:0/max_energy_range_uj': '10' });
    chmodSync(join(fs.root, 'class/powercap/intel-rapl:0/energy_uj'), 0o000);
    expect(() => new RaplMeter(fs.root)).toThrow(/permission denied to read/);
  });
});

describe('INA3221', () => {
  const hw = 'bus/i2c/drivers/ina3221/1-0040/hwmon/hwmon3';
  it('hwmon layout: uses the VDD_IN total rail, W = mV·mA/1e6, energy = trapezoid integral (exact for a linear ramp)', () => {
    const fs = fakeSysfs({
      [`${hw}/in1_label`]: 'VDD_IN', [`${hw}/in1_input`]: '5000', [`${hw}/curr1_input`]: '1000',
      [`${hw}/in2_label`]: 'VDD_CPU_GPU_CV', [`${hw}/in2_input`]: '5000', [`${hw}/curr2_input`]: '400',
      [`${hw}/in3_label`]: 'VDD_SOC', [`${hw}/in3_input`]: '5000', [`${hw}/curr3_input`]: '300',
    });
    let t = 0;
    const m = new Ina3221Meter(fs.root, { now: () => t });
    expect(m.kind).toBe('jetson-ina3221-hwmon');
    expect(m.channels).toEqual(['VDD_IN']);
    // P(t) = 5 W + 1 W/s · t over 10 s, sampled every 0.5 s: ∫ = 50 + 50 = 100 J.
    let last = m.sample();
    for (let k = 1; k <= 20; k++) {
      t = k * 500;
      fs.write(`${hw}/curr1_input`, String(1000 + 200 * (t / 1000)));
      last = m.sample();
    }
    expect(last.watts).toBeCloseTo(15, 12);
    expect(last.joules).toBeCloseTo(100, 9);
  });

  it('sums chosen rails, and reads the older iio layout in mW', () => {
    const fs = fakeSysfs({
      [`${hw}/in1_label`]: 'VDD_GPU_SOC', [`${hw}/in1_input`]: '5000', [`${hw}/curr1_input`]: '200',
      [`${hw}/in2_label`]: 'VDD_CPU_CV', [`${hw}/in2_input`]: '5000', [`${hw}/curr2_input`]: '100',
    });
    expect(new Ina3221Meter(fs.root).sample().watts).toBeCloseTo(1.5, 12);
    expect(() => new Ina3221Meter(fs.root, { rails: ['VDD_DDR'] })).toThrow(/no rail VDD_DDR/);
    const iio = 'bus/i2c/drivers/ina3221x/0-0040/iio:device0';
    const fs2 = fakeSysfs({ [`${iio}/rail_name_0`]: 'POM_5V_IN', [`${iio}/in_power0_input`]: '3200', [`${iio}/rail_name_1`]: 'POM_5V_GPU', [`${iio}/in_power1_input`]: '900' });
    const m2 = new Ina3221Meter(fs2.root);
    expect(m2.kind).toBe('jetson-ina3221-iio');
    expect(m2.channels).toEqual(['POM_5V_IN']);
    expect(m2.sample().watts).toBeCloseTo(3.2, 12);
  });
});

describe('detectDevice', () => {
  it('on a machine with neither DVFS nor a power meter returns only notes', () => {
    const fs = fakeSysfs({ 'kernel/uevent_seqnum': '1' });
    const d = detectDevice(fs.root);
    expect(d.dvfs).toBeUndefined();
    expect(d.power).toBeUndefined();
    expect(d.notes.join('\n')).toMatch(/no CPU frequency control[\s\S]*no power meter/);
  });

  it('finds a Jetson: model string, cpufreq, GPU devfreq and INA3221', () => {
    const fs = cpufreqTree('userspace');
    const g = 'class/devfreq/17000000.ga10b';
    fs.write('firmware/devicetree/base/model', 'NVIDIA Jetson AGX Orin Developer Kit\0');
    for (const [k, v] of Object.entries({ available_frequencies: '306000000 918000000', cur_freq: '918000000', min_freq: '306000000', max_freq: '918000000', governor: 'nvhost_podgov' })) fs.write(`${g}/${k}`, v);
    const hw = 'bus/i2c/drivers/ina3221/1-0040/hwmon/hwmon1';
    fs.write(`${hw}/in1_label`, 'VDD_IN'); fs.write(`${hw}/in1_input`, '5000'); fs.write(`${hw}/curr1_input`, '1000');
    const d = detectDevice(fs.root);
    expect(d.jetsonModel).toBe('NVIDIA Jetson AGX Orin Developer Kit');
    expect(d.dvfs?.kind).toBe('linux-cpufreq');
    expect(d.gpuDvfs?.kind).toBe('jetson-gpu-devfreq');
    expect(d.power?.kind).toBe('jetson-ina3221-hwmon');
    expect(d.notes).toEqual([]);
  });

  it('this machine: never throws', () => {
    expect(() => detectDevice('/sys')).not.toThrow();
    expect(new SysfsError('E', 'x')).toBeInstanceOf(Error);
  });
});
