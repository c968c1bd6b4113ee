/**
 * The model fuzz job: generate the corpus (fuzz/ops.ts one-node models, fuzz/mutate.ts
 * mutants of the bundled models), run every command over each model in worker processes
 * (fuzz/worker.ts), and classify each run:
 *
 * - ok: exit 0 (or 4, "finished with warnings");
 * - refusal: a CoquantError, i.e. exit 1, 2 or 3 with "coquant: error:" (with or without a hint);
 * - crash: exit 70 (internal error), another exit code, or the worker killed by a signal;
 * - hang: no answer within the timeout (the worker is killed);
 * - wrong: `split --at` wrote halves whose head → tail outputs differ from the original's.
 *
 * A hint that names a flag its command does not have is counted too (badHint).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundledModels } from '../src/io/bundled-models.ts';
import { mulberry32 } from '../src/util/rng.ts';
import { MUTATIONS, mutate } from './mutate.ts';
import { gen, generateModel } from './ops.ts';
import type { Job, JobResult } from './worker.ts';

export type Outcome = 'ok' | 'refusal' | 'crash' | 'hang' | 'wrong';
export const COMMANDS = ['profile', 'split', 'quantize --bits', 'quantize --format qdq-int8', 'quantize --format int4', 'distortion', 'bounds'] as const;
export type CommandName = (typeof COMMANDS)[number];

export interface FuzzOptions {
  models: number;
  /** First corpus index (default 0): `--start 6440 --models 6510` re-runs entries 6440–6509. */
  start?: number;
  seed: number;
  workers: number;
  timeoutMs: number;
  /** Share of the corpus that is mutants of the bundled models (default 1/20). */
  mutantShare?: number;
  out: string;
  commands?: readonly CommandName[];
  onProgress?: (done: number, total: number) => void;
}

export interface Incident {
  model: string;
  command: string;
  outcome: Outcome | 'badHint' | 'refusal without hint';
  detail: string;
}

export interface FuzzReport {
  schema: 'coquant.fuzz/1';
  seed: number;
  models: { generated: number; mutants: number; operators: number };
  counts: Record<string, Record<Outcome, number> & { refusalWithoutHint: number; badHint: number }>;
  /** The most frequent refusal messages per command (paths, names and numbers replaced). */
  refusals: Record<string, Record<string, number>>;
  incidents: Incident[];
  seconds: number;
}

function argvFor(cmd: CommandName, model: string, dir: string): string[] {
  switch (cmd) {
    case 'profile': return ['profile', model, '--json', '--bits', '4,8', '--granularity', 'tensor', '--range', 'absmax', '--threads', '1', '--quiet'];
    case 'split': return ['split', model, '--json', '--dim', 'batch=2'];
    case 'quantize --bits': return ['quantize', model, '--bits', '8', '-o', join(dir, 'q8.onnx'), '--json'];
    case 'quantize --format qdq-int8': return ['quantize', model, '--format', 'qdq-int8', '--calib', '2', '-o', join(dir, 'qdq.onnx'), '--json', '--dim', 'batch=2'];
    case 'quantize --format int4': return ['quantize', model, '--format', 'int4', '--calib', '2', '-o', join(dir, 'int4.onnx'), '--json', '--dim', 'batch=2'];
    case 'distortion': return ['distortion', model, '--random', '2', '--bits', '4,8', '--json', '--no-cache', '--out', join(dir, 'distortion'), '--quiet', '--dim', 'batch=2'];
    case 'bounds': return ['bounds', model, '--json', '--bits', '4', '--no-plot', '--out', join(dir, 'bounds')];
  }
}

export function classify(r: JobResult | undefined, signal?: string): { outcome: Outcome; hinted: boolean } {
  if (!r) return { outcome: signal === 'timeout' ? 'hang' : 'crash', hinted: false };
  if (r.wrong) return { outcome: 'wrong', hinted: false };
  if (r.exitCode === 0 || r.exitCode === 4) return { outcome: 'ok', hinted: false };
  if ([1, 2, 3].includes(r.exitCode) && r.stderr.includes('coquant: error:')) return { outcome: 'refusal', hinted: /^ {2}hint: /m.test(r.stderr) };
  return { outcome: 'crash', hinted: false };
}

class WorkerSlot {
  private child?: ChildProcess;
  private ready?: Promise<void>;
  private jobs = 0;

  private start(): void {
    const here = fileURLToPath(new URL('./worker.ts', import.meta.url));
    const child = fork(here, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'ignore', 'ipc'], env: { ...process.env, COQUANT_FUZZ: '1' } });
    this.child = child;
    this.jobs = 0;
    this.ready = new Promise((res, rej) => {
      child.once('message', () => res());
      child.once('exit', (code) => rej(new Error(`fuzz worker exited during start-up (${code})`)));
    });
  }

  async run(job: Job, timeoutMs: number): Promise<{ result?: JobResult; signal?: string }> {
    if (!this.child || this.jobs >= 400) {
      this.child?.kill('SIGKILL');
      this.start();
    }
    await this.ready;
    this.jobs++;
    const child = this.child!;
    return new Promise((res) => {
      const done = (v: { result?: JobResult; signal?: string }) => {
        clearTimeout(timer);
        child.off('message', onMsg);
        child.off('exit', onExit);
        res(v);
      };
      const onMsg = (m: JobResult) => {
        if (m.id === job.id) done({ result: m });
      };
      const onExit = (code: number | null, sig: string | null) => {
        this.child = undefined;
        done({ signal: sig ?? `exit ${code}` });
      };
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        this.child = undefined;
        done({ signal: 'timeout' });
      }, timeoutMs);
      child.on('message', onMsg);
      child.once('exit', onExit);
      child.send(job);
    });
  }

  close(): void {
    this.child?.kill('SIGKILL');
  }
}

interface CorpusEntry {
  id: string;
  bytes: Uint8Array;
}

function* corpus(o: FuzzOptions): Generator<CorpusEntry> {
  const share = o.mutantShare ?? 0.05;
  const mutants = Math.round(o.models * share);
  const bundled = bundledModels();
  const real = [readFileSync(bundled.cls), readFileSync(bundled.det), readFileSync(bundled.rec)];
  for (let n = o.start ?? 0; n < o.models; n++) {
    const r = mulberry32((o.seed * 1_000_003 + n) >>> 0);
    if (n % Math.max(1, Math.round(1 / share)) === 0 && n / Math.round(1 / share) < mutants) {
      const g = gen(r);
      // Mostly the small classifier; the large models only for truncations and flips, which fail fast.
      const kind = g.pick(MUTATIONS);
      const which = kind === 'truncate' || kind === 'flip' ? g.pick([0, 0, 1, 2]) : 0;
      yield { id: `mutant:${['cls', 'det', 'rec'][which]}:${kind}#${n}`, bytes: mutate(real[which], kind, g) };
    } else {
      const m = generateModel(n, r);
      yield { id: m.id, bytes: m.bytes };
    }
  }
}

export async function runModelFuzz(o: FuzzOptions): Promise<FuzzReport> {
  const t0 = performance.now();
  const commands = o.commands ?? COMMANDS;
  const counts: FuzzReport['counts'] = Object.fromEntries(commands.map((c) => [c, { ok: 0, refusal: 0, crash: 0, hang: 0, wrong: 0, refusalWithoutHint: 0, badHint: 0 }]));
  const incidents: Incident[] = [];
  const refusals: FuzzReport['refusals'] = Object.fromEntries(commands.map((c) => [c, {}]));
  const slots = Array.from({ length: o.workers }, () => new WorkerSlot());
  const root = resolve(o.out);
  mkdirSync(join(root, 'keep'), { recursive: true });
  let jobId = 0;
  let done = 0;
  let mutants = 0;
  const ops = new Set<string>();
  const it = corpus(o);
  const next = (): CorpusEntry | undefined => {
    const v = it.next();
    return v.done ? undefined : v.value;
  };
  const record = (entry: CorpusEntry, path: string, cmd: string, res: { result?: JobResult; signal?: string }) => {
    const c = classify(res.result, res.signal);
    const k = counts[cmd];
    k[c.outcome]++;
    if (c.outcome === 'refusal' && !c.hinted) k.refusalWithoutHint++;
    if (c.outcome === 'refusal') {
      const line = /coquant: error: (.*)/.exec(res.result!.stderr)?.[1] ?? '';
      const key = line.replace(/\/[^\s:]+/g, 'PATH').replace(/'[^']*'/g, "'…'").replace(/\d+/g, 'N').slice(0, 110);
      refusals[cmd][key] = (refusals[cmd][key] ?? 0) + 1;
    }
    if (res.result?.badHintFlags) {
      k.badHint++;
      if (incidents.length < 500) incidents.push({ model: entry.id, command: cmd, outcome: 'badHint', detail: `${res.result.badHintFlags.join(', ')}: ${res.result.stderr.trim().slice(0, 300)}` });
    }
    // A refusal without a hint is a goal missed too: its model is kept and named, like a crash.
    const unhinted = c.outcome === 'refusal' && !c.hinted;
    if (c.outcome === 'crash' || c.outcome === 'hang' || c.outcome === 'wrong' || unhinted) {
      const kept = join(root, 'keep', `${entry.id.replace(/[^A-Za-z0-9@#._-]+/g, '_')}.onnx`);
      writeFileSync(kept, entry.bytes);
      if (incidents.length < 500) incidents.push({ model: `${entry.id} (${kept})`, command: cmd, outcome: unhinted ? 'refusal without hint' : c.outcome, detail: res.result ? (res.result.wrong ?? res.result.stderr.trim().slice(0, 400)) : (res.signal ?? '') });
    }
    void path;
  };
  await Promise.all(
    slots.map(async (slot, w) => {
      const dir = join(root, `w${w}`);
      for (let entry = next(); entry; entry = next()) {
        if (entry.id.startsWith('mutant:')) mutants++;
        else ops.add(entry.id.split('@')[0]);
        rmSync(dir, { recursive: true, force: true });
        mkdirSync(dir, { recursive: true });
        const path = join(dir, 'model.onnx');
        writeFileSync(path, entry.bytes);
        for (const cmd of commands) {
          const res = await slot.run({ id: jobId++, argv: argvFor(cmd, path, dir) }, o.timeoutMs);
          record(entry, path, cmd, res);
          if (cmd === 'split' && res.result?.exitCode === 0) {
            let cuts: Array<{ name: string }> = [];
            try {
              const doc = JSON.parse(res.result.stdout) as { cuts?: Array<{ name: string }>; setCuts?: Array<{ name: string }> };
              cuts = [...(doc.cuts ?? []), ...(doc.setCuts ?? [])];
            } catch {
              // not JSON: counted as ok above; nothing to cut
            }
            if (cuts.length > 0) {
              const at = cuts[Math.floor(cuts.length / 2)].name;
              const halves = join(dir, 'halves');
              const r2 = await slot.run({ id: jobId++, argv: ['split', path, '--at', at, '--out', halves], verifySplit: { model: path, head: join(halves, 'model.head.onnx'), tail: join(halves, 'model.tail.onnx') } }, o.timeoutMs);
              record(entry, path, 'split', r2);
            }
          }
        }
        o.onProgress?.(++done, o.models);
      }
    }),
  );
  for (const s of slots) s.close();
  for (const c of Object.keys(refusals)) refusals[c] = Object.fromEntries(Object.entries(refusals[c]).sort((a, b) => b[1] - a[1]).slice(0, 12));
  return { schema: 'coquant.fuzz/1', seed: o.seed, models: { generated: o.models - (o.start ?? 0) - mutants, mutants, operators: ops.size }, counts, refusals, incidents, seconds: (performance.now() - t0) / 1000 };
}
