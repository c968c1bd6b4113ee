import { describe, expect, it } from 'vitest';
import { attributeTrace, originByName, parseTrace } from '../../src/runtime/options/kernel-trace.ts';

const g = {
  nodes: new Set(['p2o.Conv.0', 'p2o.Add.7', 'p2o.Conv.2', 'p2o.MatMul.12']),
  producer: new Map([['batch_norm_2.tmp_2', 'p2o.Conv.0'], ['p2o.Add.7', 'p2o.Add.7']]),
};
const ev = (name: string, op: string, ts: number, dur: number) => ({ cat: 'Node', name: `${name}_kernel_time`, ts, dur, args: { op_name: op } });
const run = (ts: number, dur: number) => ({ cat: 'Session', name: 'model_run', ts, dur });

describe('onnxruntime profiler attribution', () => {
  it('names: exact, fused prefixes (_token_, /…/, _MatMulNBits) and NCHWc kernels named after their output tensor', () => {
    expect(originByName('p2o.Conv.2', g)).toBe('p2o.Conv.2');
    expect(originByName('p2o.Conv.2_token_9', g)).toBe('p2o.Conv.2');
    expect(originByName('p2o.MatMul.12/MatmulTransposeFusion/', g)).toBe('p2o.MatMul.12');
    expect(originByName('p2o.MatMul.12_MatMulNBits', g)).toBe('p2o.MatMul.12');
    expect(originByName('batch_norm_2.tmp_2_nchwc', g)).toBe('p2o.Conv.0');
    expect(originByName('fused p2o.Conv.2', g)).toBe('p2o.Conv.2');
    expect(originByName('reorder_token_3', g)).toBeNull();
  });

  it('splits runs by model_run, gives boundary kernels to the adjacent weight kernel, and averages per run (hand-computed)', () => {
    const events = [
      run(0, 100),
      ev('x_QuantizeLinear', 'QuantizeLinear', 1, 4), // → next anchor p2o.Conv.0
      ev('p2o.Conv.0_token_2', 'QLinearConv', 6, 20),
      ev('batch_norm_2.tmp_2_DequantizeLinear', 'DequantizeLinear', 27, 3), // → previous anchor p2o.Conv.0
      ev('p2o.Add.7', 'Add', 31, 5),
      ev('ReorderInput', 'ReorderInput', 37, 2), // → next anchor p2o.Conv.2
      ev('conv_out_nchwc', 'Conv', 40, 30), // unknown name: goes to the previous kernel's origin
      run(200, 100),
      ev('x_QuantizeLinear', 'QuantizeLinear', 201, 6),
      ev('p2o.Conv.0_token_2', 'QLinearConv', 208, 22),
      ev('p2o.Conv.2', 'Conv', 240, 40),
    ];
    const t = parseTrace(events);
    expect(t.runs.map((r) => r.length)).toEqual([6, 3]);
    expect(t.runUs).toEqual([100, 100]);
    const a = attributeTrace(t, g);
    // Conv.0: run 1 = 4 + 20 + 3, run 2 = 6 + 22 → mean 27.5
    expect(a.byOrigin.get('p2o.Conv.0')).toBeCloseTo(27.5, 12);
    // The ReorderInput looks ahead for a recognised weight kernel: none in run 1 (the next Conv's name is unknown),
    // so it and the unknown Conv fall back to the previous origin: Add.7 = (5 + 2 + 30) / 2 runs.
    expect(a.byOrigin.get('p2o.Add.7')).toBeCloseTo(18.5, 12);
    expect(a.byOrigin.get('p2o.Conv.2')).toBeCloseTo(20, 12);
    expect(a.kernelUs).toBeCloseTo((4 + 20 + 3 + 5 + 2 + 30 + 6 + 22 + 40) / 2, 12);
  });
});
