import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runCalibration } from '../../src/app/calibrate-command.ts';
import { writeFcModel } from '../../src/synth/fc-model.ts';
import { CpufreqDvfs } from '../../src/device/cpufreq.ts';
import { parseDeviceProfile, planOnTable, applyDeviceProfile, type DeviceProfile } from '../../src/plan/device-profile.ts';
import { loadSystem } from '../../src/app/load-system.ts';
import { solveMethod } from '../../src/plan/baselines.ts';
import type { PowerMeter } from '../../src/device/types.ts';
import { fakeSysfs } from '../device/fake-sysfs.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'coquant-calibrate-'));
const fast = { warmup: 1, minReps: 3, maxReps: 6, maxSeconds: 1, intraOpThreads: 1 };
let fcPath: string;

beforeAll(async () => {
  fcPath = join(dir, 'fc.onnx');
  await writeFcModel(fcPath, { widths: [256, 512, 512, 64], seed: 3, style: 'matmul' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A cpufreq policy with the userspace governor available, currently on schedutil. */
function cpufreqTree() {
  const p = 'devices/system/cpu/cpufreq/policy0';
  return fakeSysfs({
    [`${p}/scaling_governor`]: 'schedutil',
    [`${p}/scaling_available_governors`]: 'performance schedutil userspace',
    [`${p}/scaling_setspeed`]: '<unsupported>',
    [`${p}/scaling_cur_freq`]: '1800000',
    [`${p}/cpuinfo_min_freq`]: '600000',
    [`${p}/cpuinfo_max_freq`]: '2400000',
    [`${p}/scaling_min_freq`]: '600000',
    [`${p}/scaling_max_freq`]: '2200000',
    [`${p}/scaling_available_frequencies`]: '600000 1200000 1800000 2400000',
  });
}

describe('coquant calibrate on real models', () => {
  it('measures the PP-OCRv4 rec model as fp32 and qdq-int8 and writes a valid coquant.device/1 profile', async () => {
    const r = await runCalibration({ ...fast, formats: ['fp32', 'qdq-int8'], calibrationLines: 2, sysRoot: null });
    const p = r.profile;
    // Round trip through JSON and the reader's zod schema: what calibrate writes, plan reads.
    const back = parseDeviceProfile(JSON.parse(JSON.stringify(p)), 'test');
    expect(back.rows.map((x) => `${x.format}:${x.bits}`)).toEqual(['fp32:32', 'qdq-int8:8']);
    for (const row of p.rows) {
      expect(row.p10S).toBeLessThanOrEqual(row.medianS);
      expect(row.medianS).toBeLessThanOrEqual(row.p90S);
      expect(row.reps).toBeGreaterThanOrEqual(3);
      expect(row.hz).toBeNull();
    }
    expect(p.subModel.params).toBeGreaterThan(1e6);
    expect(p.measured.clockControl).toBe(false);
    expect(p.measured.powerMeter).toBe(false);
    expect(p.measured.notes.join(' ')).toMatch(/no clock control/);
    // The pure fit is the closed-form least squares through the origin on the two rows.
    const N = p.subModel.params;
    const f = p.host.nominalHz!;
    const xs = p.rows.map((x) => (x.bits * N) / f);
    const c = (xs[0]! * p.rows[0]!.medianS + xs[1]! * p.rows[1]!.medianS) / (xs[0]! ** 2 + xs[1]! ** 2);
    expect(p.fit!.cyclesPerParamBit / c).toBeCloseTo(1, 10);
    expect(p.fit!.heldOut.points).toHaveLength(2);
    writeFileSync(join(dir, 'rec-device.json'), JSON.stringify(p));
  }, 60_000);

  it('sweeps clock levels through a writable fake cpufreq tree, records energy from the meter, and restores the original settings', async () => {
    const fs = cpufreqTree();
    let joules = 0;
    const meter: PowerMeter = { kind: 'test-counter', where: 'memory', channels: ['all'], sample: () => ({ joules: (joules += 0.25), atMs: Date.now() }) };
    const writes: string[] = [];
    const dvfs = new CpufreqDvfs(fs.root);
    const spy = { kind: dvfs.kind, where: dvfs.where, read: () => dvfs.read(), setFrequency: (hz: number) => (writes.push(String(hz)), dvfs.setFrequency(hz)) };
    const r = await runCalibration({ ...fast, modelPath: fcPath, formats: ['fp32', 'int4'], bits: [4, 8], sysRoot: fs.root, dvfs: spy, meter, maxLevels: 2 });
    const p = r.profile;
    // Two levels (lowest and highest step) × three models.
    expect(new Set(p.rows.map((x) => x.hz))).toEqual(new Set([600e6, 2400e6]));
    expect(p.rows).toHaveLength(6);
    expect(writes).toEqual(['600000000', '2400000000']);
    // Each timed run brackets two meter samples 0.25 J apart: exactly 0.25 J per inference.
    for (const row of p.rows) expect(row.joules).toBeCloseTo(0.25, 12);
    expect(p.fit!.kappa).not.toBeNull();
    expect(p.measured.clockControl).toBe(true);
    // Restored: governor back to schedutil, max cap back to 2.2 GHz.
    expect(fs.read('devices/system/cpu/cpufreq/policy0/scaling_governor')).toBe('schedutil');
    expect(fs.read('devices/system/cpu/cpufreq/policy0/scaling_max_freq')).toBe('2200000');
    expect(p.measured.notes.join(' ')).toMatch(/clock restored/);
  }, 60_000);

  it('restores the clock even when measuring fails midway', async () => {
    const fs = cpufreqTree();
    const bad = join(dir, 'bad.onnx');
    writeFileSync(bad, readFileSync(fcPath));
    const dvfs = new CpufreqDvfs(fs.root);
    let calls = 0;
    const failing = { kind: dvfs.kind, where: dvfs.where, read: () => dvfs.read(), setFrequency: (hz: number) => { if (++calls === 2) throw new Error('driver refused'); return dvfs.setFrequency(hz); } };
    await expect(runCalibration({ ...fast, modelPath: bad, formats: ['fp32'], sysRoot: fs.root, dvfs: failing, maxLevels: 2 })).rejects.toThrow(/driver refused/);
    expect(fs.read('devices/system/cpu/cpufreq/policy0/scaling_governor')).toBe('schedutil');
    expect(fs.read('devices/system/cpu/cpufreq/policy0/scaling_max_freq')).toBe('2200000');
  }, 60_000);
});

describe('plan --device-profile', () => {
  const profile = (): DeviceProfile => JSON.parse(readFileSync(join(dir, 'rec-device.json'), 'utf8'));

  it('(a) replaces the agent cycle coefficient and clock with the fitted ones: agent cycles change accordingly', async () => {
    const base = await loadSystem({ preset: 'paper' });
    const withDp = await loadSystem({ preset: 'paper', deviceProfile: join(dir, 'rec-device.json') });
    const dp = profile();
    expect(withDp.problem.agent.cyclesPerParamBit).toBe(dp.fit!.cyclesPerParamBit);
    expect(withDp.problem.agent.levels).toEqual([dp.host.nominalHz]);
    expect(withDp.problem.agent.kappa).toBe(base.problem.agent.kappa); // not measured: kept
    const r0 = solveMethod(base.problem, 'fixed8');
    const r1 = solveMethod(withDp.problem, 'fixed8');
    const agentParams = base.problem.cuts[0]!.groups.reduce((s, g) => s + g.params, 0);
    // Agent delay = c·b·N/f with the profile's c and clock.
    expect(r1.delay!.agent).toBeCloseTo((dp.fit!.cyclesPerParamBit * 8 * agentParams) / dp.host.nominalHz!, 6);
    expect(r1.delay!.agent).not.toBeCloseTo(r0.delay!.agent, 6);
    expect(withDp.notes.join(' ')).toMatch(/kappa not measured/);
  });

  it('(b) plans on the measured table when it covers the allowed bits and the sub-model, and says so', async () => {
    const dp = profile();
    const sysPath = join(dir, 'sys.json');
    const N = dp.subModel.params;
    writeFileSync(sysPath, JSON.stringify({ model: { alpha: 1, serverParams: 0, groups: [{ name: 'rec', params: N, lambda: 20 }] }, bits: [8, 32], constraints: { T0: 10, E0: 100 } }));
    const loaded = await loadSystem({ preset: 'paper', system: sysPath, deviceProfile: join(dir, 'rec-device.json') });
    const why: string[] = [];
    const plan = planOnTable(loaded.problem, dp, why)!;
    expect(why).toEqual([]);
    // Generous budgets: the best distortion is the highest measured bit-width (fp32, 32 bits), at its measured delay.
    expect(plan.bits).toBe(32);
    expect(plan.delay!.agent).toBe(dp.rows.find((r) => r.format === 'fp32')!.medianS);
    expect(plan.notes[0]).toMatch(/measured table/);
    // A deadline between the two rows' latencies forces the faster row, if it is the faster one.
    const [fp, q] = [dp.rows[0]!.medianS, dp.rows[1]!.medianS];
    if (q < fp) {
      const tight = planOnTable({ ...loaded.problem, T0: (q + fp) / 2 }, dp, [])!;
      expect(tight.bits).toBe(8);
      expect(tight.delay!.total).toBeLessThanOrEqual((q + fp) / 2);
    }
    // Bits not in the table: the table is declined with the reason, and the CLI falls back to the linear model.
    const why2: string[] = [];
    expect(planOnTable({ ...loaded.problem, bits: [4, 8] }, dp, why2)).toBeNull();
    expect(why2[0]).toMatch(/no measured rows/);
    const { stdout } = await run(process.execPath, ['bin/coquant.mjs', 'plan', '--preset', 'paper', '--system', sysPath, '--device-profile', join(dir, 'rec-device.json'), '--json'], { cwd: process.cwd() });
    const doc = JSON.parse(stdout);
    expect(doc.delayModel).toBe('measured-table');
    expect(doc.notes.join(' ')).toMatch(/measured table/);
  }, 60_000);

  it('rejects a malformed profile naming the field', () => {
    const dp = profile();
    expect(() => parseDeviceProfile({ ...dp, rows: [{ ...dp.rows[0], medianS: -1 }] }, 'x.json')).toThrow(/rows\.0\.medianS/);
    expect(() => applyDeviceProfile({}, { ...dp, fit: null }, [])).toThrow(/no fitted model/);
  });
});
