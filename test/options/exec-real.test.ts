import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledModels } from '../../src/io/bundled-models.ts';
import { weightGroupsOf, writeMixedFormat } from '../../src/formats/mixed-format.ts';
import { encodeModel } from '../../src/formats/onnx-graph.ts';
import { preoptimize } from '../../src/formats/preoptimize.ts';
import { groupKernels } from '../../src/runtime/options/exec-head.ts';
import { EmulatedDevice } from '../../src/runtime/device-host/emulated-device.ts';
import { detectCpuBandwidth } from '../../src/device/cpu-bandwidth.ts';
import { measureOptions } from '../../src/runtime/options/measure-options.ts';
import { parseOptionsDocument } from '../../src/documents/options-document.ts';
import { createSession, runFeed } from '../../src/ort/session.ts';
import type { Feed } from '../../src/data/tensor.ts';
import { mlpModel, randn } from '../formats/tiny-models.ts';

const recFeed = (seed: number): Feed => ({ x: { type: 'float32', data: randn(3 * 48 * 320, seed, 0.5), dims: [1, 3, 48, 320] } });

describe('mixed-format models of the real PP-OCRv4 recognizer', () => {
  it('each group runs the kernel its format names (integer census per group), and an all-fp32 assignment is the float model exactly', async () => {
    const pre = await preoptimize(readFileSync(bundledModels().rec));
    const groups = weightGroupsOf(pre);
    expect(groups.length).toBe(47);
    const matmuls = groups.filter((g) => g.formats.includes('nbits4'));
    expect(matmuls.length).toBeGreaterThan(5);
    // Every third conv int8, every other MatMul int4, the rest fp32.
    const assignment: Record<string, 'qdq-int8' | 'nbits4'> = {};
    groups.filter((g) => g.op === 'Conv').forEach((g, i) => i % 3 === 0 && (assignment[g.name] = 'qdq-int8'));
    matmuls.forEach((g, i) => i % 2 === 0 && (assignment[g.name] = 'nbits4'));
    const feeds = [recFeed(1)];
    const r = await writeMixedFormat(pre, assignment, { calibration: feeds });
    for (const [g, f] of Object.entries(assignment)) expect(r.applied[g]).toBe(f);
    const kernels = await groupKernels(pre, encodeModel(r.model), r.applied);
    expect(kernels.filter((k) => !k.ok)).toEqual([]);
    expect(kernels.filter((k) => k.integer).length).toBe(Object.keys(assignment).length);
    expect(kernels.find((k) => k.planned === 'nbits4')?.kernel).toBe('MatMulNBits');

    const f32 = await writeMixedFormat(pre, {});
    const a = await createSession(encodeModel(pre));
    const b = await createSession(encodeModel(f32.model));
    const ya = Object.values(await runFeed(a, recFeed(2)))[0].data as Float32Array;
    const yb = Object.values(await runFeed(b, recFeed(2)))[0].data as Float32Array;
    expect(Buffer.from(yb.buffer).equals(Buffer.from(ya.buffer))).toBe(true);
    await a.release();
    await b.release();
  });

  it('refuses unknown groups and formats a group cannot take, with a hint', async () => {
    const pre = await preoptimize(readFileSync(bundledModels().rec));
    await expect(writeMixedFormat(pre, { nope: 'qdq-int8' })).rejects.toThrow(/does not have/);
    const conv = weightGroupsOf(pre).find((g) => g.op === 'Conv')!;
    await expect(writeMixedFormat(pre, { [conv.name]: 'nbits4' })).rejects.toThrow(/cannot take nbits4/);
  });
});

describe('the emulated robot device', () => {
  let dev: EmulatedDevice;
  const rec = bundledModels().rec;
  beforeAll(async () => {
    dev = await EmulatedDevice.start({ fMaxHz: 1e9, fullSpeedShare: 0.25 });
    await dev.load('rec', rec);
  });
  afterAll(async () => dev?.close());

  // Invariant: the emulated clock changes measured run time for real, in the right direction and
  // roughly in proportion. The bounds leave room for a loaded CI machine: a full core competes
  // with other work (so its fastest run is taken), a throttled share much less.
  it('its clock really changes the run time: a quarter core is ≥ 2× slower than a full one, half the clock ≥ 1.35× slower again', async () => {
    const time = async (pick: 'min' | 'median') => {
      await dev.run('rec', recFeed(3));
      const t: number[] = [];
      for (let i = 0; i < 7; i++) t.push((await dev.run('rec', recFeed(3))).computeMs);
      t.sort((x, y) => x - y);
      return pick === 'min' ? t[0] : t[3];
    };
    await dev.setFullCore();
    const full = await time('min');
    await dev.setClock(1e9);
    const quarter = await time('median');
    await dev.setClock(0.5e9);
    const eighth = await time('median');
    expect(dev.emulation.kind).toBe(detectCpuBandwidth() ?? 'time-dilation');
    expect(quarter / full).toBeGreaterThan(2);
    // Ideally 2×; 1.50 was measured once while the whole suite ran on 2 cores, so the bound is 1.35
    // (a clock that did nothing would give about 1).
    expect(eighth / quarter).toBeGreaterThan(1.35);
  });

  it('clocks outside (0, fMax] and unknown models are typed errors', async () => {
    await expect(dev.setClock(2e9)).rejects.toMatchObject({ code: 'E_CLOCK' });
    await expect(dev.run('nope', recFeed(1))).rejects.toThrow(/no session 'nope'/);
  });
});

describe('coquant.options/1 measured on a small real model', () => {
  it('has every group and format, fp32 as the zero-distortion reference, latencies per clock, and validates', async () => {
    const m = mlpModel(256, 512, 128, 5);
    const feeds: Feed[] = [1, 2, 3].map((s) => ({ x: { type: 'float32', data: randn(4 * 256, s), dims: [4, 256] } }));
    const dev = await EmulatedDevice.start({ fMaxHz: 1e9, fullSpeedShare: 0.5 });
    try {
      const { doc } = await measureOptions({ model: m.bytes, source: 'mlp', feeds, device: dev, deviceName: 'test', clocksHz: [0.5e9, 1e9], runs: 4, server: false });
      parseOptionsDocument(JSON.parse(JSON.stringify(doc)));
      expect(doc.groups.map((g) => g.name).sort()).toEqual(['W1', 'W2']);
      for (const g of doc.groups) {
        expect(g.options.map((o) => o.format)).toEqual(['fp32', 'qdq-int8', 'nbits4', 'nbits8']);
        expect(g.options[0].deltaDo).toBe(0);
        // int4 stores fewer bytes than int8, which stores fewer than fp32; int4 distorts more than int8.
        const [f32, i8, i4] = g.options;
        expect(i4.bytes).toBeLessThan(i8.bytes);
        expect(i8.bytes).toBeLessThan(f32.bytes);
        expect(i4.Dp!).toBeGreaterThan(i8.Dp!);
        expect(i4.deltaDo).toBeGreaterThan(0);
        for (const o of g.options) expect(o.latencyS.every((t) => t > 0), `${g.name} ${o.format} ${o.latencyS}`).toBe(true);
      }
      expect(doc.device.clocksHz).toEqual([0.5e9, 1e9]);
      expect(doc.device.emulation).toMatch(/cgroup|time-dilation/);
    } finally {
      await dev.close();
    }
  });
});

describe('a board with real clock control', () => {
  it('sets the clock through cpufreq instead of emulating it, and says so', async () => {
    const { fakeSysfs } = await import('../device/fake-sysfs.ts');
    const { CpufreqDvfs } = await import('../../src/device/cpufreq.ts');
    const p = 'devices/system/cpu/cpufreq/policy0';
    const fs = fakeSysfs({
      [`${p}/scaling_cur_freq`]: '1500000', [`${p}/cpuinfo_min_freq`]: '400000', [`${p}/cpuinfo_max_freq`]: '1500000',
      [`${p}/scaling_available_frequencies`]: '400000 800000 1200000 1500000', [`${p}/scaling_governor`]: 'schedutil',
      [`${p}/scaling_available_governors`]: 'userspace schedutil', [`${p}/scaling_setspeed`]: '1500000', [`${p}/scaling_max_freq`]: '1500000',
    });
    const dev = await EmulatedDevice.start({ fMaxHz: 1.5e9, fullSpeedShare: 0.25, dvfs: new CpufreqDvfs(fs.root) });
    try {
      expect(dev.emulation.kind).toBe('dvfs');
      expect(await dev.setClock(1e9)).toBe(0.8e9); // snapped down to an available step
      expect(fs.read(`${p}/scaling_setspeed`)).toBe('800000');
      expect(fs.read(`${p}/scaling_governor`)).toBe('userspace');
    } finally {
      await dev.close();
    }
  });
});
