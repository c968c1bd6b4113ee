/**
 * When coquant stores qdq-int8 weights in 7 bits. Invariants: x86 without a VNNI/AMX flag (or
 * with unreadable flags) saturates and gets 7-bit weights, anything else keeps 8; the default
 * follows this host; an explicit choice wins; and the written weights really stay within the
 * chosen range (±63 or ±127), with the simulation (fake scheme) at the same bits.
 */
import { describe, expect, it } from 'vitest';
import { u8s8Saturates, hostU8s8Saturates } from '../../src/device/cpu-features.ts';
import { quantizeToFormat } from '../../src/formats/index.ts';
import { DT, decodeModel } from '../../src/formats/onnx-graph.ts';
import { convModel, randn } from '../formats/tiny-models.ts';

describe('u8·s8 saturation by CPU', () => {
  it('x86 saturates unless it has VNNI or AMX', () => {
    expect(u8s8Saturates('x64', ['fpu', 'sse4_2', 'avx', 'avx2', 'fma'])).toBe(true);
    expect(u8s8Saturates('x64', ['avx2', 'avx512f', 'avx512bw'])).toBe(true); // AVX-512 without VNNI: still VPMADDUBSW
    expect(u8s8Saturates('x64', ['avx2', 'avx512f', 'avx512_vnni'])).toBe(false);
    expect(u8s8Saturates('x64', ['avx2', 'avx_vnni'])).toBe(false);
    expect(u8s8Saturates('x64', ['avx2', 'amx_int8'])).toBe(false);
    expect(u8s8Saturates('x64', undefined)).toBe(true);
    expect(u8s8Saturates('arm64', undefined)).toBe(false);
  });
});

describe('qdq-int8 weight range follows the CPU', () => {
  const calib = Array.from({ length: 4 }, (_, i) => ({ x: { type: 'float32' as const, data: randn(3 * 16 * 16, 10 + i), dims: [1, 3, 16, 16] } }));
  const maxAbsInt8 = (bytes: Uint8Array) => {
    let m = 0;
    for (const t of decodeModel(bytes).graph!.initializer!) {
      if (t.dataType !== DT.INT8 || (t.dims?.length ?? 0) !== 4) continue;
      for (const v of new Int8Array(t.rawData!.buffer, t.rawData!.byteOffset, t.rawData!.length)) m = Math.max(m, Math.abs(v));
    }
    return m;
  };
  const run = async (choice: boolean | undefined) => {
    const warnings: string[] = [];
    const r = await quantizeToFormat({ modelBytes: convModel(5), format: 'qdq-int8', calibration: calib, evaluation: calib, reduceRange: choice, onWarning: (m) => warnings.push(m) });
    return { ...r, warnings };
  };

  it('7-bit and 8-bit weights within their range; the simulation loses the same bit', async () => {
    const seven = await run(true);
    const eight = await run(false);
    expect(maxAbsInt8(seven.bytes)).toBe(63); // absmax per channel maps to the top code
    expect(maxAbsInt8(eight.bytes)).toBe(127);
    // One bit less doubles the step, so the simulated (weight-only) error roughly doubles too;
    // a simulation left at 8 bits for 7-bit weights would give a ratio of 1.
    const ratio = seven.report.distortion!.fakeVsFp32.relL2! / eight.report.distortion!.fakeVsFp32.relL2!;
    expect(ratio).toBeGreaterThan(1.5);
    expect(ratio).toBeLessThan(3);
    expect(seven.warnings.concat(eight.warnings).some((w) => w.includes('7 bits'))).toBe(false);
  });

  it('by default, this host decides, and says so when it reduces the range', async () => {
    const auto = await run(undefined);
    const explicit = await run(hostU8s8Saturates());
    expect(Buffer.from(auto.bytes).equals(Buffer.from(explicit.bytes))).toBe(true);
    expect(auto.warnings.some((w) => w.includes('7 bits'))).toBe(hostU8s8Saturates());
  });
});
