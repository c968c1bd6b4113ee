/**
 * onnxruntime failures become one-line coquant errors naming the operator and the node, and
 * onnxruntime's own `[E:onnxruntime…]` log lines stay off stderr unless --verbose. The messages
 * parsed here come from real onnxruntime runs on small generated models, not from copies.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildModel } from '../../fuzz/onnx-build.ts';
import { describeOrtFailure, parseOrtMessage } from '../../src/ort/ort-errors.ts';
import { createSession, runFeed } from '../../src/ort/session.ts';
import { isCoquantError } from '../../src/errors.ts';

const run = promisify(execFile);

const cumsum = buildModel({
  opset: 14,
  inputs: [{ name: 'x', type: 'float32', shape: [3] }, { name: 'ax', type: 'int64', shape: [] }],
  outputs: [{ name: 'y', type: 'float32', shape: [3] }],
  nodes: [{ op: 'CumSum', inputs: ['x', 'ax'], outputs: ['y'], name: 'running_sum' }],
});
const badFeed = { x: { type: 'float32' as const, data: new Float32Array(3), dims: [3] }, ax: { type: 'int64' as const, data: BigInt64Array.from([8n]), dims: [] } };

async function messageOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected a failure');
}

describe('onnxruntime messages → operator, node, readable detail', () => {
  it('a failed kernel: the CumSum node and its axis complaint, without source paths or C++ signatures', async () => {
    const s = await ort.InferenceSession.create(cumsum, { logSeverityLevel: 4 });
    const raw = await messageOf(s.run({ x: new ort.Tensor('float32', new Float32Array(3), [3]), ax: new ort.Tensor('int64', BigInt64Array.from([8n]), []) }));
    await s.release();
    expect(raw).toContain('onnxruntime_src'); // the raw message has the internals the parser removes
    const f = parseOrtMessage(raw);
    expect(f).toEqual({ op: 'CumSum', node: 'running_sum', detail: 'axis 8 is not in valid range [-1,0]' });
    expect(describeOrtFailure(f)).toBe("CumSum node 'running_sum': axis 8 is not in valid range [-1,0]");
  });

  it('a refused graph: the operator and node of a type error', async () => {
    const m = buildModel({ opset: 14, inputs: [{ name: 'x', type: 'int8', shape: [3] }], outputs: [{ name: 'y', type: 'int8', shape: [3] }], nodes: [{ op: 'Softmax', inputs: ['x'], outputs: ['y'], name: 'sm' }] });
    const raw = await messageOf(ort.InferenceSession.create(m, { logSeverityLevel: 4 }));
    const f = parseOrtMessage(raw);
    expect(f.op).toBe('Softmax');
    expect(f.node).toBe('sm');
    expect(f.detail).toMatch(/tensor\(int8\)/);
    expect(describeOrtFailure(f)).not.toMatch(/\n|onnxruntime_src/);
  });

  it('session.ts throws typed one-line errors: E_ORT_RUN for a run, E_ORT_LOAD (exit 3) for a load', async () => {
    const s = await createSession(cumsum, { label: 'cumsum.onnx' });
    let err: unknown;
    try {
      await runFeed(s, badFeed);
    } catch (e) {
      err = e;
    }
    await s.release();
    expect(isCoquantError(err) && err.code).toBe('E_ORT_RUN');
    expect((err as Error).message).toBe("inference with inputs x[3], ax[] failed in onnxruntime: CumSum node 'running_sum': axis 8 is not in valid range [-1,0]");
    const bad = buildModel({ opset: 14, inputs: [{ name: 'x', type: 'float32', shape: [3] }], outputs: [{ name: 'y', type: 'float32', shape: [3] }], nodes: [{ op: 'Gather', inputs: ['x', 'missing'], outputs: ['y'] }] });
    let load: unknown;
    try {
      await createSession(bad, { label: 'bad.onnx' });
    } catch (e) {
      load = e;
    }
    expect(isCoquantError(load) && [load.code, load.exitCode]).toEqual(['E_ORT_LOAD', 3]);
    expect((load as Error).message).toMatch(/^onnxruntime cannot load bad\.onnx: .*'missing'/);
  });

  it("onnxruntime's native error log reaches stderr only with COQUANT_VERBOSE (coquant --verbose)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coquant-ortlog-'));
    const model = join(dir, 'cumsum.onnx');
    writeFileSync(model, cumsum);
    const script = join(dir, 'run.mts');
    const session = new URL('../../src/ort/session.ts', import.meta.url).href;
    writeFileSync(
      script,
      `import { createSession, runFeed } from '${session}';
const s = await createSession(${JSON.stringify(model)});
try { await runFeed(s, { x: { type: 'float32', data: new Float32Array(3), dims: [3] }, ax: { type: 'int64', data: BigInt64Array.from([8n]), dims: [] } }); } catch (e) { console.log((e as Error).message); }
`,
    );
    const quiet = await run(process.execPath, ['--import', 'tsx', script]);
    expect(quiet.stdout).toContain("CumSum node 'running_sum'");
    expect(quiet.stderr).not.toContain('[E:onnxruntime');
    const loud = await run(process.execPath, ['--import', 'tsx', script], { env: { ...process.env, COQUANT_VERBOSE: '1' } });
    expect(loud.stderr).toContain('[E:onnxruntime');
  }, 60_000);
});
