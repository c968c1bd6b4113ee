/**
 * `agent` and `demo` take tensor `--inputs` like the other commands, through the real CLI: the
 * agent runs a float16-input head on the user's .pb tensors against a `coquant serve` tail; the
 * demo reads its signs from tensors, labelled with the full-precision model's texts. Bad inputs
 * are one-line typed errors whose hints name flags these commands have.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '../../fuzz/onnx-build.ts';
import { floatToHalf } from '../../src/data/half.ts';
import { loadRgb, preprocessRec } from '../../src/data/images.ts';
import { renderTextLines } from '../../src/data/text-lines.ts';
import { bin, coquantRun, expectTypedError } from './run-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'coquant-agent-inputs-'));



const tensorPb = (path: string, type: 'float16' | 'float32', dims: number[], values: ArrayLike<number>) => {
  const raw = type === 'float16' ? new Uint8Array(Uint16Array.from(values, floatToHalf).buffer) : new Uint8Array(Float32Array.from(values).buffer);
  writeFileSync(path, onnxProto.onnx.TensorProto.encode({ name: 'x', dataType: type === 'float16' ? 10 : 1, dims, rawData: raw }).finish());
};

describe('agent --inputs (tensors)', () => {
  const model = join(dir, 'm16.onnx');
  const plan = join(dir, 'plan.json');
  let server: ChildProcess;
  let url = '';
  beforeAll(async () => {
    const W = (name: string) => ({ name, type: 'float32', dims: [8, 8], values: Array.from({ length: 64 }, (_, i) => Math.cos(i + name.length)) });
    writeFileSync(model, buildModel({ opset: 15, inputs: [{ name: 'x', type: 'float16', shape: [2, 8] }], outputs: [{ name: 'y', type: 'float32', shape: [2, 8] }], initializers: [W('w1'), W('w2')], nodes: [
      { op: 'Cast', inputs: ['x'], outputs: ['c'], attrs: { to: 1 } }, { op: 'MatMul', inputs: ['c', 'w1'], outputs: ['h'] }, { op: 'Relu', inputs: ['h'], outputs: ['r'] }, { op: 'MatMul', inputs: ['r', 'w2'], outputs: ['y'] }] }));
    const s = await coquantRun('split', model, '--at', 'h', '--out', dir);
    expect(s.code, s.err).toBe(0);
    writeFileSync(plan, JSON.stringify({ schema: 'coquant.exec-plan/1', feasible: true, cut: 'h', formats: {}, energyModel: { kappa: 1e-27, txPowerW: 0.8 } }));
    for (let k = 0; k < 2; k++) tensorPb(join(dir, `x${k}.pb`), 'float16', [2, 8], Array.from({ length: 16 }, (_, i) => i / 4 - 2 + k));
    tensorPb(join(dir, 'wrong.pb'), 'float32', [2, 7], new Float32Array(14));
    server = spawn(process.execPath, [bin, 'serve', join(dir, 'm16.tail.onnx'), '--name', 'tail', '--port', '0', '--log-level', 'silent'], { stdio: ['ignore', 'pipe', 'pipe'] });
    url = await new Promise<string>((res, rej) => {
      let text = '';
      const read = (b: Buffer) => {
        text += b;
        const m = /listening on (http:\/\/[\d.:]+)/.exec(text);
        if (m) res(m[1]);
      };
      server.stdout!.on('data', read);
      server.stderr!.on('data', read);
      server.on('exit', (c) => rej(new Error(`serve exited with ${c}`)));
    });
  }, 120_000);
  afterAll(() => {
    server?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the head on the given tensors and the tail on the server, one record per tensor', async () => {
    const out = join(dir, 'records.jsonl');
    const r = await coquantRun('agent', '--server', url, '--head', join(dir, 'm16.head.onnx'), '--full', model, '--plan', plan, '--inputs', join(dir, 'x0.pb'), join(dir, 'x1.pb'), '--out', out);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/2\/2 inputs answered \(2 by the edge, 0 locally\)/);
    const records = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(records.map((x) => [x.status, x.path, x.outputs.y.dims])).toEqual([['ok', 'edge', [2, 8]], ['ok', 'edge', [2, 8]]]);
  }, 120_000);

  it('a tensor of the wrong shape, --labels with tensors, and no input source are typed errors naming its flags', async () => {
    const head = join(dir, 'm16.head.onnx');
    const base = ['agent', '--server', url, '--head', head, '--full', model, '--plan', plan];
    expectTypedError(await coquantRun(...base, '--inputs', join(dir, 'wrong.pb')), 1, /wrong\.pb: the array for input 'x' has size 7 on axis 1, but the model fixes it at 8\n {2}hint: give an array of shape \[2, 8\]/);
    expectTypedError(await coquantRun(...base, '--inputs', join(dir, 'x0.pb'), '--labels', join(dir, 'none.json')), 2, /--labels goes with --inputs FOLDER of text-line images/);
    expectTypedError(await coquantRun(...base), 2, /give exactly one of --inputs PATH… or --render N/);
  }, 120_000);
});

describe('demo --inputs (tensors)', () => {
  const signs: string[] = [];
  const texts: string[] = [];
  beforeAll(async () => {
    const { lines } = await renderTextLines({ count: 2, seed: 7, outDir: join(dir, 'png') });
    for (const [i, l] of lines.entries()) {
      const t = await preprocessRec([await loadRgb(l.png)], { minWidth: 320, maxWidth: 320 });
      const p = join(dir, `sign${i}.pb`);
      tensorPb(p, 'float32', t.dims, t.data as Float32Array);
      signs.push(p);
      texts.push(l.text);
    }
    tensorPb(join(dir, 'narrow.pb'), 'float32', [1, 3, 48, 100], new Float32Array(3 * 48 * 100));
  });

  it('refuses a sign of another size and --lines with --inputs, before any work', async () => {
    expectTypedError(await coquantRun('demo', '--inputs', join(dir, 'narrow.pb'), '--out', join(dir, 'demo-bad')), 1, /narrow\.pb: the array for input 'x' has size 100 on axis 3, but the model fixes it at 320\n {2}hint: give an array of shape \[1, 3, 48, 320\]/);
    expectTypedError(await coquantRun('demo', '--inputs', signs[0], '--lines', '3'), 2, /give --lines N \(rendered signs\) or --inputs PATH… \(your own\), not both/);
  }, 120_000);

  it('reads the signs from tensors, labelled with the full-precision texts, and runs the whole pipeline', async () => {
    const out = join(dir, 'demo');
    // Coarser and fewer measurements than the README command (tested in demo-and-commands): this test
    // is about the inputs, and the two flags halve its time.
    const r = await coquantRun('demo', '--inputs', ...signs, '--out', out, '--sensitivity-blocks', '4', '--clocks-ghz', '1,1.5');
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/reading the signs from --inputs .*sign0\.pb/);
    const doc = JSON.parse(readFileSync(join(out, 'demo.json'), 'utf8'));
    expect(doc.labels).toEqual(doc.local.texts);
    expect(doc.labels).toEqual(texts); // the recognizer reads these rendered signs correctly at full precision
    expect(doc.plan.records).toHaveLength(2);
    // Blocks tie their layers; every plan (the baselines with formats fixed per layer included) keeps each tie on one format.
    const options = JSON.parse(readFileSync(join(out, 'options.json'), 'utf8'));
    expect(options.ties.length).toBeGreaterThan(0);
    expect(options.device.clocksHz).toEqual([1e9, 1.5e9]);
    for (const run of [doc.plan, ...doc.baselines] as Array<{ name: string; plan: { formats: Record<string, string> } }>) {
      for (const tie of options.ties as string[][]) {
        const f = run.plan.formats;
        expect(new Set(tie.filter((n) => f[n] !== undefined).map((n) => f[n])).size, run.name).toBeLessThanOrEqual(1);
      }
    }
  }, 400_000);
});
