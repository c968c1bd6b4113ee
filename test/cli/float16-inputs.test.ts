/**
 * Models with float16 inputs through the real CLI: coquant synthesises seeded float16 values
 * (and takes them from --inputs), so split, quantize, distortion and calibrate run them; a
 * bfloat16 input, which onnxruntime-node has no tensor for, is a typed error (exit 3) naming
 * --inputs. The models are generated ONNX files run by onnxruntime-node.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { buildModel } from '../../fuzz/onnx-build.ts';
import { floatToHalf } from '../../src/data/half.ts';
import { coquantRun } from './run-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'coquant-f16-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));


const W = (name: string, type: string) => ({ name, type, dims: [8, 8], values: Array.from({ length: 64 }, (_, i) => Math.sin(i + name.length)) });
const chain = (x: string) => [
  { op: 'MatMul', inputs: [x, 'w1'], outputs: ['h'] },
  { op: 'Relu', inputs: ['h'], outputs: ['r'] },
  { op: 'MatMul', inputs: ['r', 'w2'], outputs: ['y'] },
];
/** float16 input cast to float32 weights, and a model float16 throughout. */
const cast16 = join(dir, 'cast16.onnx');
writeFileSync(cast16, buildModel({ opset: 15, inputs: [{ name: 'x', type: 'float16', shape: [2, 8] }], outputs: [{ name: 'y', type: 'float32', shape: [2, 8] }], initializers: [W('w1', 'float32'), W('w2', 'float32')], nodes: [{ op: 'Cast', inputs: ['x'], outputs: ['c'], attrs: { to: 1 } }, ...chain('c')] }));
const all16 = join(dir, 'all16.onnx');
writeFileSync(all16, buildModel({ opset: 15, inputs: [{ name: 'x', type: 'float16', shape: [2, 8] }], outputs: [{ name: 'y', type: 'float16', shape: [2, 8] }], initializers: [W('w1', 'float16'), W('w2', 'float16')], nodes: chain('x') }));
const bf16 = join(dir, 'bf16.onnx');
writeFileSync(bf16, buildModel({ opset: 15, inputs: [{ name: 'x', type: 'bfloat16', shape: [2, 8] }], outputs: [{ name: 'y', type: 'float32', shape: [2, 8] }], initializers: [W('w1', 'float32')], nodes: [{ op: 'Cast', inputs: ['x'], outputs: ['c'], attrs: { to: 1 } }, { op: 'MatMul', inputs: ['c', 'w1'], outputs: ['y'] }] }));
/** An ONNX TensorProto of float16 values, as --inputs reads it. */
const pb = join(dir, 'x16.pb');
writeFileSync(pb, onnxProto.onnx.TensorProto.encode({ name: 'x', dataType: 10, dims: [2, 8], rawData: new Uint8Array(Uint16Array.from({ length: 16 }, (_, i) => floatToHalf(i / 4 - 2)).buffer) }).finish());

describe('float16 model inputs through the CLI', () => {
  for (const [label, model] of [['cast to float32', cast16], ['float16 throughout', all16]] as const) {
    it(`split, quantize --bits 8 and distortion run a model with a float16 input (${label})`, async () => {
      const s = await coquantRun('split', model, '--json');
      expect(s.code, s.err).toBe(0);
      expect(JSON.parse(s.out).cuts.length).toBeGreaterThan(0);
      const at = await coquantRun('split', model, '--at', 'h', '--out', join(dir, `split-${label}`));
      expect(at.code, at.err).toBe(0);
      expect(at.out).toMatch(/h float(16|32)\[2,8\]/);
      const withFile = await coquantRun('split', model, '--json', '--inputs', pb);
      expect(withFile.code, withFile.err).toBe(0);
      const q = await coquantRun('quantize', model, '--bits', '8', '-o', join(dir, `q8-${label}.onnx`));
      expect(q.code, q.err).toBe(0);
      const d = await coquantRun('distortion', model, '--random', '2', '--bits', '4,8', '--json', '--quiet', '--out', join(dir, `d-${label}`));
      expect(d.code, d.err).toBe(0);
      const doc = JSON.parse(d.out);
      expect(JSON.stringify(doc)).not.toMatch(/NaN|null/);
    }, 240_000);
  }

  it('quantize --format qdq-int8 and int4, and calibrate, run the float16-input model', async () => {
    for (const f of ['qdq-int8', 'int4']) {
      const out = join(dir, `${f}.onnx`);
      const r = await coquantRun('quantize', cast16, '--format', f, '-o', out);
      expect(r.code, r.err).toBe(0);
      expect(existsSync(out)).toBe(true);
      expect(r.err + r.out).toMatch(/output distortion vs fp32: \{"meanAbs":[0-9.e-]+/);
    }
    const c = await coquantRun('calibrate', cast16, '--out', join(dir, 'device.json'));
    expect(c.code, c.err).toBe(0);
  }, 240_000);

  it('options measures the float16-input model (its round-trip probe casts the input before reducing it)', async () => {
    // Regression: the probe declared a float32 ReduceMean of the raw input, which onnxruntime refused for float16.
    const out = join(dir, 'f16.options.json');
    const r = await coquantRun('options', cast16, '-o', out, '--runs', '3', '--calib', '2');
    expect(r.code, r.err).toBe(0);
    expect(existsSync(out)).toBe(true);
  }, 240_000);

  it('a bfloat16 input is E_INPUT_TYPE (exit 3) naming --inputs, before onnxruntime is asked to load it', async () => {
    for (const args of [['split', bf16], ['options', bf16, '-o', join(dir, 'bf.json')]]) {
      const r = await coquantRun(...args);
      expect(r.code).toBe(3);
      expect(r.err).toMatch(/^coquant: error: model input 'x' takes bfloat16, .*--inputs/);
      expect(r.err).toMatch(/\n {2}hint: export the model with a float32 or float16 input/);
      expect(r.err).not.toMatch(/\n\s+at |Unsupported data type/);
    }
  }, 120_000);
});
