/**
 * `coquant distortion` minus option parsing: picks the calibration inputs, measures D_o against D_p
 * for every configuration and bit-width, writes distortion.json and Fig. 3, prints JSON or a table.
 */
import { serializeDistortion } from '../documents/distortion-document.ts';
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import { bundledModels } from '../io/bundled-models.ts';
import { parseBits, parseFamily, parseGranularity, parseRangeRule, type QuantSpec } from '../quant/spec.ts';
import { parseDimFlags } from '../data/random-inputs.ts';
import type { ImagePreset } from '../data/images.ts';
import { taskFor } from '../tasks/registry.ts';
import { renderVegaLiteSvg } from '../report/render-svg.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { progressBar } from '../util/progress.ts';
import { guessPreset, imageCalibration, npyCalibration } from './image-inputs.ts';
import { runDistortion, type CalibrationSet } from '../distortion/engine.ts';
import { checkedSignature, commandInputs } from '../tasks/checked-inputs.ts';
import { formatTable } from '../distortion/table.ts';
import { figure3Spec } from '../distortion/plot.ts';

const list = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/** The flags of `coquant distortion`, as commander hands them over. */
export interface DistortionCliOptions {
  inputs?: string;
  npy?: string[];
  random?: string;
  render?: string;
  labels?: string;
  families: string;
  bits: string;
  granularity: string;
  range: string;
  dim: string[];
  seed: string;
  preset?: string;
  allFloat?: boolean;
  output?: string;
  threads?: string;
  cache: boolean;
  json?: boolean;
  out: string;
  quiet?: boolean;
}

function positiveInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${flag} needs a positive integer, got '${v}'`);
  return n;
}

/** Cartesian product of the listed families × granularities × ranges (fp8 ignores nothing: it has its own levels). */
export function schemesFrom(families: string, granularities: string, ranges: string): QuantSpec[] {
  const out: QuantSpec[] = [];
  for (const f of list(families)) for (const g of list(granularities)) for (const r of list(ranges)) out.push({ family: parseFamily(f), granularity: parseGranularity(g), range: parseRangeRule(r) });
  if (out.length === 0) throw new UsageError('no quantizer configurations given', 'e.g. --families uniform-symmetric --granularity tensor,channel');
  return out;
}

/** True for a folder with .png/.jpg files (image calibration); false for tensor files and test-data folders. */
async function holdsImages(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory() && (await readdir(path)).some((f) => /\.(png|jpe?g)$/i.test(f));
  } catch {
    return false;
  }
}

export async function runDistortionCli(modelArg: string | undefined, opts: DistortionCliOptions): Promise<void> {
  const model = resolve(modelArg ?? bundledModels().rec);
  const schemes = schemesFrom(opts.families, opts.granularity, opts.range);
  const bits = parseBits(opts.bits);
  const seed = Number(opts.seed);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new UsageError(`--seed needs a non-negative integer, got '${opts.seed}'`);
  const sources = [opts.inputs, opts.npy, opts.random, opts.render].filter((x) => x !== undefined).length;
  if (sources > 1) throw new UsageError('choose one calibration source: --inputs, --npy, --random or --render');
  if (opts.labels && !opts.inputs) throw new UsageError('--labels goes with --inputs (rendered lines carry their own labels)');
  const threads = opts.threads ? positiveInt(opts.threads, '--threads') : undefined;

  // Inspect the model once: its signature picks the task (inputs to render, outputs to decode).
  // Checked from the file before any session: types onnxruntime cannot feed (bfloat16) get a typed error naming --inputs.
  const signature = await checkedSignature(model, 'distortion', true);
  const specs = signature.inputs;
  const task = taskFor(signature);
  const guessed = guessPreset(specs[0]);
  const preset = (opts.preset ?? guessed) as ImagePreset | undefined;
  if (opts.preset && opts.preset !== 'ppocr-rec' && opts.preset !== 'ppocr-det') throw new UsageError(`unknown --preset '${opts.preset}'`, 'use ppocr-rec or ppocr-det');

  // Every source goes through the same checks before any work: declared types, valid index/shape
  // inputs, and one run of the original model on the first sample (src/tasks/checked-inputs.ts).
  const checked = (make: () => Promise<CalibrationSet>, files?: string[]) =>
    commandInputs({ model, command: 'distortion', specs, inputs: files, make, seed, comparesOutputs: true, hasDim: true }) as Promise<CalibrationSet>;
  let calib: CalibrationSet;
  if (opts.inputs && !(await holdsImages(opts.inputs))) {
    if (opts.labels) throw new UsageError('--labels goes with --inputs image folders');
    calib = await checked(async () => ({ feeds: [], source: '' }), [opts.inputs]);
  } else if (opts.inputs) {
    if (!preset) throw new UsageError('cannot tell how to preprocess images for this model', 'give --preset ppocr-rec or ppocr-det, or pass tensors: --inputs FILE.npz|FILE.npy|test_data_set folder');
    calib = await checked(() => imageCalibration(opts.inputs!, specs, preset, opts.labels));
  } else if (opts.npy) {
    calib = await checked(() => npyCalibration(opts.npy!, specs));
  } else if (opts.random) {
    calib = await checked(() => taskFor(signature, 'generic').makeInputs(signature, { count: positiveInt(opts.random!, '--random'), seed, dims: parseDimFlags(opts.dim) }));
  } else if (opts.render || task.id !== 'generic') {
    if (opts.render && task.id === 'generic') throw new UsageError('--render draws inputs for a task coquant recognises, and this model has none', 'use --random N (with --dim for dynamic sizes), --npy FILES or --inputs DIR');
    calib = await checked(() => task.makeInputs(signature, { count: opts.render ? positiveInt(opts.render!, '--render') : 16, seed, outDir: join(opts.out, 'lines'), dims: parseDimFlags(opts.dim) }));
  } else {
    throw new UsageError('no calibration inputs for this model', 'give --inputs DIR, --npy FILES or --random N (with --dim for dynamic sizes)');
  }

  const total = schemes.reduce((a, s) => a + (s.family.startsWith('fp8') ? 1 : bits.length), 0);
  const bar = progressBar(total, 'distortion', { quiet: opts.quiet });
  let doc;
  try {
    doc = await runDistortion({
      modelPath: model,
      calibration: calib,
      schemes,
      bits,
      task,
      allFloat: opts.allFloat,
      output: opts.output,
      cacheDir: opts.cache ? '.cache/distortion' : null,
      threads,
      onPoint: (p) => bar.tick(1, `${p.family}/${p.granularity}/${p.range} ${p.bits}b`),
    });
  } finally {
    bar.stop();
  }

  const json = serializeDistortion(doc);
  await writeFileAtomic(join(opts.out, 'distortion.json'), json);
  const svg = await renderVegaLiteSvg(figure3Spec(doc.configs, `D_o and α·D_p vs bit-width (${doc.inputs.samples} inputs)`));
  await writeFileAtomic(join(opts.out, 'fig3-distortion.svg'), svg);
  if (opts.json) {
    process.stdout.write(json);
  } else {
    process.stdout.write(formatTable(doc));
    process.stdout.write(`wrote ${join(opts.out, 'distortion.json')} and ${join(opts.out, 'fig3-distortion.svg')}\n`);
  }
}
