/**
 * The checks every model-running command makes before any work (src/tasks/checked-inputs.ts),
 * on small generated models: typed errors (code and exit code) for outputs and inputs coquant
 * cannot handle, valid inputs for index/axis inputs, fixed zero-length dims, and a model that
 * fails on the synthesised inputs reported as the user's problem with flags that exist.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildModel, type ModelSpec } from '../../fuzz/onnx-build.ts';
import { randomInputs } from '../../src/data/random-inputs.ts';
import { isCoquantError } from '../../src/errors.ts';
import { checkedSignature, commandInputs } from '../../src/tasks/checked-inputs.ts';

const dir = mkdtempSync(join(tmpdir(), 'coquant-checks-'));
const W = { name: 'w', type: 'float32', dims: [4, 4], values: Array.from({ length: 16 }, (_, i) => (i % 5 === 0 ? 1 : 0.1)) };
const X = { name: 'x', type: 'float32', shape: [2, 4] };

function file(name: string, spec: Omit<ModelSpec, 'opset'> & { opset?: number }): string {
  const p = join(dir, `${name}.onnx`);
  writeFileSync(p, buildModel({ opset: 15, ...spec }));
  return p;
}

async function check(model: string, comparesOutputs: boolean): Promise<{ code?: string; exitCode?: number; message?: string; hint?: string; feeds?: number }> {
  try {
    const sig = await checkedSignature(model, 'test', comparesOutputs);
    const made = await commandInputs({ model, command: 'test', specs: sig.inputs, make: async () => ({ feeds: randomInputs(sig.inputs, { count: 2, seed: 1 }), source: 'random:2' }), seed: 1, comparesOutputs, hasDim: true });
    return { feeds: made.feeds.length };
  } catch (e) {
    if (!isCoquantError(e)) throw e;
    return { code: e.code, exitCode: e.exitCode, message: e.message, hint: e.hint };
  }
}

describe('checks before a model runs', () => {
  it('an optional output is refused on every command; a sequence output where outputs are compared', async () => {
    const opt = file('optional', { inputs: [X], outputs: [{ name: 'y', type: 'float32', wrap: 'optional' }], initializers: [W], nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['h'] }, { op: 'Optional', inputs: ['h'], outputs: ['y'] }] });
    expect(await check(opt, false)).toMatchObject({ code: 'E_OUTPUT_TYPE', exitCode: 3 });
    const seq = file('sequence', { inputs: [X], outputs: [{ name: 'y', type: 'float32', wrap: 'sequence' }], initializers: [W], nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['h'] }, { op: 'SequenceConstruct', inputs: ['h', 'x'], outputs: ['y'] }] });
    const r = await check(seq, true);
    expect(r).toMatchObject({ code: 'E_OUTPUT_TYPE', exitCode: 3 });
    expect(r.message).toContain('sequence(tensor(float32))');
    expect(r.hint).toContain('coquant split MODEL --at');
    expect(await check(seq, false)).toEqual({ feeds: 2 });
  });

  it('float16 inputs are synthesised and run; bfloat16 and string inputs are E_INPUT_TYPE (exit 3); uint8 inputs are synthesised', async () => {
    const f16 = file('in-float16', { inputs: [{ name: 'x', type: 'float16', shape: [2, 4] }], outputs: [{ name: 'y', type: 'float16' }], initializers: [{ ...W, type: 'float16' }], nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }] });
    expect(await check(f16, true)).toEqual({ feeds: 2 });
    for (const t of ['bfloat16', 'string']) {
      const m = file(`in-${t}`, { inputs: [{ name: 'x', type: t, shape: [2] }], outputs: [{ name: 'y', type: t }], nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }] });
      const r = await check(m, true);
      expect(r).toMatchObject({ code: 'E_INPUT_TYPE', exitCode: 3 });
      expect(r.message).toContain(`takes ${t}`);
      expect(r.message).toContain('--inputs');
    }
    const u8 = file('in-uint8', { inputs: [{ name: 'x', type: 'uint8', shape: [2, 4] }], outputs: [{ name: 'y', type: 'float32' }], initializers: [W], nodes: [{ op: 'Cast', inputs: ['x'], outputs: ['c'], attrs: { to: 1 } }, { op: 'MatMul', inputs: ['c', 'w'], outputs: ['y'] }] });
    expect(await check(u8, true)).toEqual({ feeds: 2 });
  });

  it('a CumSum axis input and a fixed zero-length axes input need no flag', async () => {
    const cs = file('cumsum', { opset: 14, inputs: [X, { name: 'ax', type: 'int64', shape: [] }], outputs: [{ name: 'y', type: 'float32' }], initializers: [W], nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['h'] }, { op: 'CumSum', inputs: ['h', 'ax'], outputs: ['y'] }] });
    expect(await check(cs, true)).toEqual({ feeds: 2 });
    const zero = file('zero-axes', { opset: 13, inputs: [X, { name: 'axes', type: 'int64', shape: [0] }], outputs: [{ name: 'y', type: 'float32' }], initializers: [W], nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['h'] }, { op: 'ReduceSum', inputs: ['h', 'axes'], outputs: ['y'] }] });
    expect(await check(zero, true)).toEqual({ feeds: 2 });
  });

  it('a model that fails on the synthesised inputs is E_INPUTS_REJECTED naming the node, with --inputs and --dim', async () => {
    // The shape reaches Reshape through Abs, so no rule applies and the random values are invalid.
    const m = file('indirect-shape', { opset: 14, inputs: [X, { name: 's', type: 'int64', shape: [3] }], outputs: [{ name: 'y', type: 'float32' }], nodes: [{ op: 'Abs', inputs: ['s'], outputs: ['a'] }, { op: 'Reshape', inputs: ['x', 'a'], outputs: ['y'], name: 'reshape_it' }] });
    const r = await check(m, true);
    expect(r).toMatchObject({ code: 'E_INPUTS_REJECTED', exitCode: 1 });
    expect(r.message).toMatch(/itself fails on coquant's random inputs \(x\[2x4\], s\[3\]\): Reshape node 'reshape_it': /);
    expect(r.message).not.toMatch(/onnxruntime_src|\n/);
    expect(r.hint).toContain('--inputs');
    expect(r.hint).toContain('--dim');
  });
});
