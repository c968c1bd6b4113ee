/**
 * The distortion engine (SPEC §2, issue 3): for each quantizer config and bit-width, write
 * fake-quantized weights into an in-memory copy of the model, run the calibration inputs
 * through onnxruntime for full precision and quantized, and measure D_p, D_o, relative L2
 * and task quality; then fit D_o ≈ α·D_p per config.
 *
 * Speed: the full-precision outputs are cached on disk; the weights are read once; while one
 * quantized model runs on onnxruntime's threads, the next one is quantized and serialised on
 * the JS thread (a one-deep pipeline).
 */
import { createHash } from 'node:crypto';
import { selectWeights } from '../io/open-weights.ts';
import { toFloat32 } from '../io/decode.ts';
import { fakeQuantize } from '../quant/fake-quantize.ts';
import { isFp8 } from '../quant/validate.ts';
import { configLabel, type QuantConfig } from '../quant/types.ts';
import type { QuantSpec } from '../quant/spec.ts';
import { fitAlpha } from '../theory/alpha-fit.ts';
import { CoquantError } from '../errors.ts';
import { asFloat32 } from '../data/tensor.ts';
import { createSession, defaultThreads, runFeed, type Session, onnxruntimeVersion } from '../ort/session.ts';
import { openPatchableModel } from './patcher.ts';
import { fpCacheKey, readFpCache, writeFpCache, type CachedOutput } from './fp-cache.ts';
import { OutputDiff } from '../tasks/output-distortion.ts';
import type { Decoded, Task, TaskInputs } from '../tasks/task.ts';
import type { DistortionConfigResult, DistortionDocument, DistortionFit, DistortionPoint, DistortionQuality } from '../documents/distortion-document.ts';

/** The inputs a distortion run uses: a task's inputs (see src/tasks/task.ts). */
export type CalibrationSet = TaskInputs;

export interface DistortionOptions {
  modelPath: string;
  calibration: CalibrationSet;
  schemes: QuantSpec[];
  bits: number[];
  /** The model's task: its decoding and metrics give task-level quality beside D_o (see src/tasks/registry.ts). */
  task?: Task;
  /** Quantize every float tensor, not only rank ≥ 2. */
  allFloat?: boolean;
  /** Output to compare (default: the model's first output). */
  output?: string;
  /** Folder for the full-precision cache; null disables it. */
  cacheDir?: string | null;
  /** onnxruntime intra-op threads (default: cores − 1 when pipelined, all cores otherwise). */
  threads?: number;
  /** Quantize the next model while the current one runs (default true; false is the benchmark baseline). */
  pipeline?: boolean;
  /** Called after each measured point. */
  onPoint?: (p: DistortionPoint, done: number, total: number) => void;
}

interface Job {
  scheme: QuantSpec;
  cfg: QuantConfig;
}

interface Prepared {
  job: Job;
  session: Session;
  Dp: number;
  DpMse: number;
  started: number;
}


export async function runDistortion(o: DistortionOptions): Promise<DistortionDocument> {
  const t0 = performance.now();
  // Pipelined, one core runs onnxruntime while the JS thread quantizes the next model, so ORT
  // gets all cores but one; measured faster than two intra-op threads on the 2-core target.
  const threads = o.threads ?? (o.pipeline === false ? defaultThreads() : Math.max(1, defaultThreads() - 1));
  const { feeds } = o.calibration;
  if (feeds.length === 0) throw new CoquantError('E_NO_INPUTS', 'no calibration inputs', { hint: 'give --inputs, --npy, --random N or --render N' });
  if (o.schemes.length === 0 || o.bits.length === 0) throw new CoquantError('E_USAGE', 'no quantizer configurations or bit-widths to measure');

  const model = await openPatchableModel(o.modelPath);
  const infos = selectWeights(model.source.tensors, { allFloat: o.allFloat });
  if (infos.length === 0) throw new CoquantError('E_NO_WEIGHTS', `${o.modelPath}: no float tensors of rank ≥ 2 to quantize`, { hint: 'add --all-float to include biases and norms', exitCode: 3 });
  const weights: { info: (typeof infos)[number]; values: Float32Array }[] = [];
  let params = 0;
  let absSum = 0;
  for (const info of infos) {
    const values = toFloat32(await model.source.read(info.name));
    for (let i = 0; i < values.length; i++) absSum += Math.abs(values[i]);
    params += values.length;
    weights.push({ info, values });
  }
  const meanAbs = params ? absSum / params : 0;

  // Full-precision reference, from the cache when possible.
  const fpSession = await createSession(model.bytes, { intraOpThreads: threads, label: o.modelPath });
  const output = o.output ?? fpSession.outputNames[0];
  if (!fpSession.outputNames.includes(output)) {
    throw new CoquantError('E_NO_SUCH_OUTPUT', `model has no output '${output}'`, { hint: `outputs: ${fpSession.outputNames.join(', ')}` });
  }
  const cacheKey = fpCacheKey(model.bytes, feeds, output, onnxruntimeVersion());
  let fpCache: 'hit' | 'miss' | 'off' = 'off';
  let ref: CachedOutput[] | undefined;
  if (o.cacheDir) {
    ref = await readFpCache(o.cacheDir, cacheKey);
    fpCache = ref && ref.length === feeds.length ? 'hit' : 'miss';
    if (fpCache === 'miss') ref = undefined;
  }
  if (!ref) {
    ref = [];
    for (const f of feeds) {
      const out = (await runFeed(fpSession, f, [output]))[output];
      ref.push({ dims: out.dims, data: asFloat32(out) });
    }
    if (o.cacheDir) await writeFpCache(o.cacheDir, cacheKey, ref);
  }
  await fpSession.release();

  const taskDecode = o.task?.decode?.bind(o.task);
  const decode = async (outs: readonly { dims: number[]; data: Float32Array }[]): Promise<Decoded | undefined> => {
    if (!taskDecode || !o.task?.score) return undefined;
    const items: unknown[] = [];
    for (const r of outs) {
      const d = await taskDecode({ type: 'float32', data: r.data, dims: r.dims });
      if (!d) return undefined;
      items.push(...d);
    }
    return items;
  };
  const fpTexts = await decode(ref);
  const labels = o.calibration.labels;
  if (labels && fpTexts && labels.length !== fpTexts.length) {
    throw new CoquantError('E_LABELS', `${labels.length} labels for ${fpTexts.length} decoded rows`, { hint: 'give one label per calibration image' });
  }

  const jobs: Job[] = [];
  for (const scheme of o.schemes) {
    const bitsList = isFp8(scheme.family) ? [8] : o.bits;
    for (const bits of bitsList) jobs.push({ scheme, cfg: { ...scheme, bits } });
  }

  const prepare = async (job: Job): Promise<Prepared> => {
    const started = performance.now();
    const repl = new Map<string, Float32Array>();
    let errAbs = 0;
    let errSq = 0;
    for (const w of weights) {
      const q = fakeQuantize(w.values, w.info.shape, job.cfg, { name: w.info.name }).values;
      for (let i = 0; i < q.length; i++) {
        const d = w.values[i] - q[i];
        errAbs += Math.abs(d);
        errSq += d * d;
      }
      repl.set(w.info.name, q);
    }
    const bytes = await model.build(repl);
    const session = await createSession(bytes, { intraOpThreads: threads, label: `${o.modelPath} quantized ${configLabel(job.scheme)} ${job.cfg.bits}b` });
    return { job, session, Dp: errAbs / params, DpMse: errSq / params, started };
  };

  const evaluate = async (p: Prepared): Promise<DistortionPoint> => {
    const diff = new OutputDiff();
    const outs: CachedOutput[] = [];
    for (let k = 0; k < feeds.length; k++) {
      const out = (await runFeed(p.session, feeds[k], [output]))[output];
      const data = asFloat32(out);
      diff.add(ref![k].data, data);
      if (taskDecode) outs.push({ dims: out.dims, data });
    }
    await p.session.release();
    let quality: DistortionQuality | undefined;
    const texts = await decode(outs);
    if (texts && fpTexts) quality = Object.fromEntries(o.task!.score!(fpTexts, texts, labels).map((m) => [m.name, m.value]));
    const { cfg } = p.job;
    const g = cfg.granularity;
    return {
      bits: cfg.bits,
      family: cfg.family,
      granularity: g.kind === 'group' ? `group${g.size}` : g.kind,
      range: cfg.range,
      Dp: p.Dp,
      DpMse: p.DpMse,
      DpRel: meanAbs > 0 ? p.Dp / meanAbs : 0,
      ...diff.result(),
      ...(quality ? { quality } : {}),
      seconds: (performance.now() - p.started) / 1000,
    };
  };

  const points: DistortionPoint[] = [];
  let next: Promise<Prepared> | undefined = jobs.length ? prepare(jobs[0]) : undefined;
  for (let k = 0; k < jobs.length; k++) {
    const cur = await next!;
    if (o.pipeline === false) {
      const point = await evaluate(cur);
      points.push(point);
      o.onPoint?.(point, k + 1, jobs.length);
      next = k + 1 < jobs.length ? prepare(jobs[k + 1]) : undefined;
      continue;
    }
    const evaluating = evaluate(cur);
    // Let the first inference start on onnxruntime's threads before the JS thread gets busy.
    await new Promise((r) => setImmediate(r));
    next = k + 1 < jobs.length ? prepare(jobs[k + 1]) : undefined;
    // Surface a failure of the prepared-next promise only when we get to it.
    next?.catch(() => undefined);
    const point = await evaluating;
    points.push(point);
    o.onPoint?.(point, k + 1, jobs.length);
  }

  const configs: DistortionConfigResult[] = o.schemes.map((s) => {
    const label = configLabel(s);
    const pts = points.filter((p) => p.family === s.family && p.range === s.range && p.granularity === (s.granularity.kind === 'group' ? `group${s.granularity.size}` : s.granularity.kind));
    const usable = pts.filter((p) => p.Do !== null && Number.isFinite(p.Do) && p.Dp > 0);
    const af = fitAlpha(usable.map((p) => p.Dp), usable.map((p) => p.Do!));
    const fit: DistortionFit = { ...af, config: label, bits: usable.map((p) => p.bits), ...(af.alphaMaxIndex >= 0 ? { alphaMaxBits: usable[af.alphaMaxIndex].bits } : {}) };
    return { config: label, family: s.family, granularity: pts[0]?.granularity ?? '', range: s.range, points: pts, fit };
  });

  const fpQuality = fpTexts
    ? {
        ...(labels ? Object.fromEntries(o.task!.score!(fpTexts, fpTexts, labels).filter((m) => m.name !== 'cerVsFp').map((m) => [m.name, m.value])) : {}),
        ...(fpTexts.every((t) => typeof t === 'string') ? { texts: fpTexts as string[] } : {}),
      }
    : undefined;
  return {
    schema: 'coquant.distortion/1',
    model: {
      path: o.modelPath,
      sha256: createHash('sha256').update(model.bytes).digest('hex'),
      weights: weights.length,
      params,
      meanAbs,
      selection: o.allFloat ? 'all-float' : 'weights',
    },
    inputs: {
      source: o.calibration.source,
      samples: feeds.length,
      rows: ref.reduce((a, r) => a + (r.dims[0] ?? 1), 0),
      ...(o.calibration.seed !== undefined ? { seed: o.calibration.seed } : {}),
      labels: Boolean(labels),
    },
    output,
    ...(fpQuality ? { fullPrecision: fpQuality } : {}),
    configs,
    fit: configs[0].fit,
    run: { seconds: (performance.now() - t0) / 1000, threads, fpCache, cacheKey, onnxruntime: onnxruntimeVersion() },
  };
}
