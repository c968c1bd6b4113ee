import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DT, encodeModel, makeNode, makeTensor, onnx } from '../../src/formats/onnx-graph.ts';
import { randn } from '../formats/tiny-models.ts';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'coquant.mjs');
const dir = mkdtempSync(join(tmpdir(), 'coquant-zero-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const coquant = (...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

/** y = (x·W1)·W2 with W1 all zeros (a pruned layer) and W2 random. */
function zeroLayerModel(): Uint8Array {
  const vi = (name: string, d: number) => onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: DT.FLOAT, shape: { dim: [{ dimValue: 1 }, { dimValue: d }] } } } });
  const graph = onnx.GraphProto.create({
    name: 'zero',
    node: [makeNode('MatMul', ['x', 'W1'], ['h'], 'mm1'), makeNode('MatMul', ['h', 'W2'], ['y'], 'mm2')],
    input: [vi('x', 64)],
    output: [vi('y', 16)],
    initializer: [makeTensor('W1', DT.FLOAT, [64, 32], new Float32Array(64 * 32)), makeTensor('W2', DT.FLOAT, [32, 16], randn(32 * 16, 3))],
  });
  return encodeModel(onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph }));
}

describe('a model with an all-zero weight tensor (regression: λ = ∞ was written as null and rejected)', () => {
  it('profiles, plans from the profile and bounds it, each with exit 0', () => {
    const model = join(dir, 'zero.onnx');
    writeFileSync(model, zeroLayerModel());
    const prof = coquant('profile', model, '--json', '--bits', '4,8');
    expect(prof.code, prof.err).toBe(0);
    const doc = JSON.parse(prof.out);
    // λ = +∞ is written in the documented encoding (src/documents/json-numbers.ts), not as null.
    expect(doc.groups.find((g: { name: string }) => g.name === 'W1').lambda).toBe('Infinity');
    const path = join(dir, 'zero.profile.json');
    writeFileSync(path, prof.out);
    const plan = coquant('plan', '--profile', path, '--json');
    expect(plan.code === 0 || plan.code === 3, plan.err).toBe(true);
    expect(JSON.parse(plan.out).schema).toBe('coquant.plan/1');
    const bounds = coquant('bounds', path, '--json');
    expect(bounds.code, bounds.err).toBe(0);
    // Profiles written before the encoding hold null for λ = +∞; they still read.
    const legacy = join(dir, 'legacy.profile.json');
    writeFileSync(legacy, prof.out.replace('"Infinity"', 'null'));
    expect(coquant('bounds', legacy, '--json').code).toBe(0);
  });
});
