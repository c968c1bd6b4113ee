/**
 * Fuzz worker: a child process that runs coquant commands in-process, one job at a time, as
 * the parent (fuzz/run.ts) sends them over IPC, and reports the exit code, stdout and stderr of
 * each. Running in-process keeps 10,000+ models affordable; a crash of onnxruntime takes this
 * process down, and the parent records that as a crash and starts a new worker.
 */
import * as ort from 'onnxruntime-node';
import { main, buildProgram } from '../src/cli/main.ts';
import type { Command } from 'commander';

export interface Job {
  id: number;
  argv: string[];
  /** After a successful `split --at`: check head → tail against the original on these files. */
  verifySplit?: { model: string; head: string; tail: string };
}

export interface JobResult {
  id: number;
  exitCode: number;
  stdout: string;
  stderr: string;
  ms: number;
  /** Set when verifySplit found different outputs (or could not run the halves). */
  wrong?: string;
  /** Flags a hint names that the command it names does not have. */
  badHintFlags?: string[];
}

const program = buildProgram();
const flagsOf = new Map<string, Set<string>>(program.commands.map((c: Command) => [c.name(), new Set([...c.options.map((o) => o.long ?? ''), ...program.options.map((o) => o.long ?? '')])]));

/** Flags in a hint that do not exist on the command they belong to ("coquant X …" names X; otherwise the running command). */
export function unknownHintFlags(hint: string, command: string): string[] {
  const bad: string[] = [];
  const parts = hint.split(/(?=coquant [a-z]+)/);
  for (const p of parts) {
    const m = /^coquant ([a-z]+)/.exec(p);
    const cmd = m ? m[1] : command;
    const known = flagsOf.get(cmd);
    if (!known) continue;
    for (const f of p.match(/--[a-z][a-z0-9-]*/g) ?? []) if (!known.has(f) && !(f.startsWith('--no-') && known.has(`--${f.slice(5)}`))) bad.push(`${cmd} ${f}`);
  }
  return bad;
}

async function capture(argv: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const ow = process.stdout.write.bind(process.stdout);
  const ew = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((c: string | Uint8Array) => {
    if (stdout.length < 1 << 20) stdout += typeof c === 'string' ? c : Buffer.from(c).toString();
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((c: string | Uint8Array) => {
    if (stderr.length < 1 << 16) stderr += typeof c === 'string' ? c : Buffer.from(c).toString();
    return true;
  }) as typeof process.stderr.write;
  process.exitCode = 0;
  try {
    await main(['node', 'coquant', ...argv]);
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
  }
  const exitCode = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { exitCode, stdout, stderr };
}

function sameTensor(a: ort.Tensor, b: ort.Tensor): boolean {
  if (a.type !== b.type || a.dims.join() !== b.dims.join()) return false;
  const x = a.data as ArrayLike<number | bigint>;
  const y = b.data as ArrayLike<number | bigint>;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i] && !(Number.isNaN(Number(x[i])) && Number.isNaN(Number(y[i])))) return false;
  return true;
}

/** Runs the original, then head → tail, on the inputs split measured with; any difference is "wrong". */
async function verifySplit(v: NonNullable<Job['verifySplit']>, feed: Record<string, ort.Tensor>): Promise<string | undefined> {
  const opts: ort.InferenceSession.SessionOptions = { logSeverityLevel: 4, intraOpNumThreads: 1, graphOptimizationLevel: 'disabled' };
  const [full, head, tail] = [await ort.InferenceSession.create(v.model, opts), await ort.InferenceSession.create(v.head, opts), await ort.InferenceSession.create(v.tail, opts)];
  try {
    const pick = (s: ort.InferenceSession, pool: Record<string, ort.Tensor>) => Object.fromEntries(s.inputNames.map((n) => [n, pool[n]]));
    let want: ort.InferenceSession.OnnxValueMapType;
    try {
      want = await full.run(feed);
    } catch {
      return undefined; // the original does not run on this sample: nothing to compare
    }
    const mid = await head.run(pick(head, feed));
    const got = await tail.run(pick(tail, { ...feed, ...mid }));
    for (const n of tail.outputNames) {
      if (!want[n]) return `tail output ${n} is not an output of the original`;
      if (!sameTensor(want[n] as ort.Tensor, got[n] as ort.Tensor)) return `output ${n} differs between the original and head → tail`;
    }
    return undefined;
  } finally {
    await Promise.all([full.release(), head.release(), tail.release()]);
  }
}

async function sampleFeed(model: string): Promise<Record<string, ort.Tensor>> {
  const [{ readSignature, toOrtFeed }, { randomInputs }, { repairFeeds }, { parseOnnxModel }, { readFile }, { mulberry32 }, { sampleDims }] = await Promise.all([
    import('../src/ort/session.ts'),
    import('../src/data/random-inputs.ts'),
    import('../src/data/input-roles.ts'),
    import('../src/io/onnx-model.ts'),
    import('node:fs/promises'),
    import('../src/util/rng.ts'),
    import('../src/runtime/split/split-model.ts'),
  ]);
  const sig = await readSignature(model, model);
  const feed = randomInputs(sig.inputs, { count: 1, seed: 1, dims: sampleDims(sig.inputs, new Map()) });
  return toOrtFeed(repairFeeds(parseOnnxModel(await readFile(model), model), feed, mulberry32(7))[0]);
}

process.on('message', async (job: Job) => {
  const t0 = performance.now();
  let r: JobResult;
  try {
    const c = await capture(job.argv);
    r = { id: job.id, ...c, ms: 0 };
    const hint = /^ {2}hint: (.*)$/m.exec(c.stderr)?.[1];
    if (hint) {
      const bad = unknownHintFlags(hint, job.argv[0]);
      if (bad.length) r.badHintFlags = bad;
    }
    if (job.verifySplit && c.exitCode === 0) {
      try {
        r.wrong = await verifySplit(job.verifySplit, await sampleFeed(job.verifySplit.model));
      } catch (e) {
        r.wrong = `running the halves failed: ${(e as Error).message.split('\n')[0].slice(0, 200)}`;
      }
    }
  } catch (e) {
    r = { id: job.id, exitCode: 70, stdout: '', stderr: `worker: ${(e as Error).stack ?? String(e)}`, ms: 0 };
  }
  r.ms = performance.now() - t0;
  process.send!(r);
});
process.send!({ ready: true });
