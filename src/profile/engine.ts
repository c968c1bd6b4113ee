/**
 * The profile engine: walks the selected tensors one at a time (memory bounded by one tensor,
 * or one chunk on the 16-bit histogram path), optionally on worker threads, and assembles the
 * `coquant.profile/1` document with per-group and model-level (parameter-weighted) entries.
 */
import { ModelFormatError, openWeights, selectWeights, type TensorInfo, type WeightSource } from '../io/index.ts';
import type { OnnxWeightSource } from '../io/onnx-weights.ts';
import { isSyntheticModel } from '../io/synthetic-marker.ts';
import { configLabel } from '../quant/index.ts';
import { fitExponential, ksExponentialBinned, MAGNITUDE_BINS, magnitudeEdges, type MagnitudeKey } from '../theory/exponential.ts';
import type { ProfileDistortion, ProfileDocument, ProfileGroup } from '../documents/profile-document.ts';
import { type ProfileOptions } from './options.ts';
import { entryList, profileTensor, type Entry, type TensorProfile } from './tensor-profile.ts';
import { profileTensorsInWorkers } from './worker-pool.ts';

export interface ProfileHooks {
  /** Called as elements are processed; `total` is the number of selected parameters. */
  onProgress?: (done: number, total: number, label: string) => void;
}

function granLabel(e: Entry): string {
  const g = e.spec.granularity;
  return g.kind === 'group' ? `group${g.size}` : g.kind;
}

/** Re-keys a 16-bit magnitude histogram to float32 bins, so mixed-dtype models can be merged. */
function toFloat32Bins(t: TensorProfile): Float64Array {
  if (t.magKey === 'float32') return t.magCounts;
  const edges = magnitudeEdges(t.magKey);
  const out = new Float64Array(MAGNITUDE_BINS);
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  for (let i = 0; i < MAGNITUDE_BINS; i++) {
    if (t.magCounts[i] === 0) continue;
    f[0] = edges.lo[i];
    out[(u[0] >>> 16) & 0x7fff] += t.magCounts[i];
  }
  return out;
}

/** Assembles the document from per-tensor results (in tensor order). */
export function assembleDocument(source: Pick<WeightSource, 'path' | 'format'>, opts: ProfileOptions, parts: TensorProfile[]): ProfileDocument {
  const entries = entryList(opts);
  const groups: ProfileGroup[] = [];
  const distortion: ProfileDistortion[] = [];
  let N = 0;
  let sum = 0;
  let sumAbs = 0;
  let sumSq = 0;
  let maxAbs = 0;
  const modelSums = new Float64Array(2 * entries.length);
  for (const t of parts) {
    const meanAbs = t.sumAbs / t.n;
    const lambda = fitExponential(meanAbs);
    const ks = ksExponentialBinned(t.magCounts, magnitudeEdges(t.magKey), lambda);
    const mean = t.sum / t.n;
    groups.push({
      name: t.name,
      shape: t.shape,
      dtype: t.dtype,
      params: t.n,
      meanAbs,
      maxAbs: t.maxAbs,
      std: Math.sqrt(Math.max(0, t.sumSq / t.n - mean * mean)),
      lambda,
      ks: ks.ks,
      ksBound: ks.bound,
    });
    entries.forEach((e, i) => {
      const l1 = t.sums[2 * i] / t.n;
      distortion.push({ scope: t.name, family: e.spec.family, granularity: granLabel(e), range: e.spec.range, bits: e.bits, l1, mse: t.sums[2 * i + 1] / t.n, relL1: meanAbs > 0 ? l1 / meanAbs : 0 });
    });
    for (let i = 0; i < modelSums.length; i++) modelSums[i] += t.sums[i];
    N += t.n;
    sum += t.sum;
    sumAbs += t.sumAbs;
    sumSq += t.sumSq;
    maxAbs = Math.max(maxAbs, t.maxAbs);
  }
  const meanAbs = sumAbs / N;
  const lambda = fitExponential(meanAbs);
  const sameKey = parts.every((t) => t.magKey === parts[0].magKey);
  const key: MagnitudeKey = sameKey ? parts[0].magKey : 'float32';
  const merged = new Float64Array(MAGNITUDE_BINS);
  for (const t of parts) {
    const c = sameKey ? t.magCounts : toFloat32Bins(t);
    for (let i = 0; i < MAGNITUDE_BINS; i++) merged[i] += c[i];
  }
  const ks = ksExponentialBinned(merged, magnitudeEdges(key), lambda);
  const magnitudeHistogram = rebin(merged, magnitudeEdges(key), N, PLOT_BINS);
  const model: ProfileDistortion[] = entries.map((e, i) => {
    const l1 = modelSums[2 * i] / N;
    return { scope: 'model', family: e.spec.family, granularity: granLabel(e), range: e.spec.range, bits: e.bits, l1, mse: modelSums[2 * i + 1] / N, relL1: meanAbs > 0 ? l1 / meanAbs : 0 };
  });
  const mean = sum / N;
  return {
    schema: 'coquant.profile/1',
    model: { path: source.path, format: source.format, selection: opts.allFloat ? 'all-float' : 'weights' },
    totals: { params: N, groups: parts.length, meanAbs, maxAbs, std: Math.sqrt(Math.max(0, sumSq / N - mean * mean)), lambda, ks: ks.ks, ksBound: ks.bound },
    groups,
    distortion: [...model, ...distortion],
    configs: opts.specs.map((s) => configLabel(s)),
    bits: [...opts.bits],
    magnitudeHistogram,
  };
}

const PLOT_BINS = 80;

/** Re-bins the fine magnitude bins onto `bins` equal-width bins up to the 99.9th percentile. */
function rebin(counts: Float64Array, edges: { lo: Float64Array; hi: Float64Array }, n: number, bins: number): { edges: number[]; counts: number[]; overflow: number } {
  let cum = 0;
  let top = 0;
  for (let i = 0; i < counts.length; i++) {
    cum += counts[i];
    if (counts[i] > 0) top = edges.hi[i];
    if (cum >= 0.999 * n) break;
  }
  if (!(top > 0)) top = 1;
  const out = new Array<number>(bins).fill(0);
  let overflow = 0;
  for (let i = 0; i < counts.length; i++) {
    if (counts[i] === 0) continue;
    const mid = (edges.lo[i] + edges.hi[i]) / 2;
    if (mid > top) overflow += counts[i];
    else out[Math.min(bins - 1, Math.floor((mid / top) * bins))] += counts[i];
  }
  return { edges: Array.from({ length: bins + 1 }, (_, k) => (k * top) / bins), counts: out, overflow };
}

/** Profiles an already-open source. */
export async function profileSource(source: WeightSource, opts: ProfileOptions, hooks: ProfileHooks = {}): Promise<ProfileDocument> {
  const t0 = performance.now();
  const selected: TensorInfo[] = selectWeights(source.tensors, { allFloat: opts.allFloat });
  if (selected.length === 0) {
    throw new ModelFormatError('E_EMPTY_MODEL', `${source.path}: no weight tensors to profile (float tensors of rank ≥ 2)`, opts.allFloat ? undefined : 'add --all-float to include biases and norms');
  }
  const total = selected.reduce((a, t) => a + t.size, 0);
  let done = 0;
  const tick = (label: string) => (n: number) => {
    done += n;
    hooks.onProgress?.(done, total, label);
  };
  let parts: TensorProfile[];
  if (opts.threads > 1 && selected.length > 1) {
    parts = await profileTensorsInWorkers(source.path, selected, opts, (name, n) => tick(name)(n));
  } else {
    parts = [];
    for (const info of selected) parts.push(await profileTensor(source, info, opts, tick(info.name)));
  }
  const doc = assembleDocument(source, opts, parts);
  if (source.format === 'onnx' && isSyntheticModel((source as OnnxWeightSource).model.proto)) doc.model.weights = 'synthetic';
  const paths: Record<string, number> = {};
  for (const p of parts) paths[p.path] = (paths[p.path] ?? 0) + 1;
  doc.run = { seconds: (performance.now() - t0) / 1000, threads: opts.threads, tensorPaths: paths, chunkElems: opts.chunkElems };
  return doc;
}

/** Opens `path`, profiles it, closes it. */
export async function profileModel(path: string, opts: ProfileOptions, hooks: ProfileHooks = {}): Promise<ProfileDocument> {
  const source = await openWeights(path);
  try {
    return await profileSource(source, opts, hooks);
  } finally {
    await source.close();
  }
}
