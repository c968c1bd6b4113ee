/**
 * Generates a synthetic transformer-like safetensors checkpoint (src/io/synthetic-checkpoint.ts):
 *   node --import tsx scripts/gen-checkpoint.ts --params 1e9 --out .cache/ckpt-1b.safetensors
 * Prints one JSON line describing the result on stdout; progress goes to stderr.
 */
import { Command } from 'commander';
import { isCoquantError } from '../src/errors.ts';
import { generateCheckpoint, type SyntheticDType } from '../src/io/synthetic-checkpoint.ts';
import { progressBar } from '../src/util/progress.ts';

/** The flags: [flags, description, default]. */
const FLAGS: ReadonlyArray<readonly [string, string, string?]> = [
  ['--params <n>', 'target parameter count, e.g. 1e9', '1e9'],
  ['--dtype <dtype>', 'float16 | float32 | bfloat16', 'float16'],
  ['--seed <n>', 'random seed', '1'],
  ['--layers <n>', 'transformer blocks (default grows with --params)'],
  ['--workers <n>', 'worker threads making chunks (default: 2 for large checkpoints)'],
  ['--quiet', 'no progress bar'],
];
const program = new Command('gen-checkpoint')
  .description('write a deterministic synthetic transformer-like safetensors checkpoint')
  .requiredOption('--out <path>', 'output .safetensors file (written atomically)');
for (const [flags, what, dflt] of FLAGS) program.option(flags, what, dflt);
program.parse();

const o = program.opts<{ out: string; params: string; dtype: string; seed: string; layers?: string; workers?: string; quiet?: boolean }>();
const params = Number(o.params);
if (!['float16', 'float32', 'bfloat16'].includes(o.dtype) || !(params >= 1000)) {
  console.error('gen-checkpoint: --dtype must be float16, float32 or bfloat16 and --params at least 1000');
  process.exit(2);
}
const t0 = performance.now();
const bar = progressBar(Math.round(params), 'generating', { quiet: o.quiet });
let last = 0;
try {
  const r = await generateCheckpoint({
    path: o.out,
    params,
    dtype: o.dtype as SyntheticDType,
    seed: Number(o.seed),
    layers: o.layers === undefined ? undefined : Number(o.layers),
    workers: o.workers === undefined ? undefined : Number(o.workers),
    onProgress: (done) => {
      bar.tick(done - last);
      last = done;
    },
  });
  bar.stop();
  const seconds = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ path: r.path, params: r.params, bytes: r.bytes, dtype: r.dtype, seed: r.seed, layers: r.layers, hidden: r.hidden, vocab: r.vocab, tensors: r.tensors.length, workers: r.workers, seconds: Number(seconds.toFixed(2)) }));
} catch (e) {
  bar.stop();
  if (isCoquantError(e)) {
    console.error(`error: ${e.message}`);
    process.exit(e.exitCode);
  }
  throw e;
}
