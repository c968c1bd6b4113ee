/**
 * Salient-object / background segmentation (ISNet, U²-Net and their kin): one RGB image batch
 * [N,3,H,W] in, a foreground probability map [N,1,H,W] out (ISNet's `output`, already through
 * its Sigmoid). Inputs are seeded synthetic scenes with a known foreground (data/scenes.ts),
 * preprocessed as DIS's own inference does: RGB, values x/255 − 0.5 (mean 0.5, std 1.0).
 * Decoding is the probability map itself; quality is mask IoU (map > 0.5) and MAE against the
 * reference model, and against the drawn foreground when the labels carry it.
 */
import { CoquantError } from '../errors.ts';
import { decodeMaskRle, encodeMaskRle, renderScene } from '../data/scenes.ts';
import type { Feed, HostTensor } from '../data/tensor.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { join } from 'node:path';
import type { Decoded, MakeInputsOptions, ModelSignature, Task, TaskInputs, TaskMetric } from './task.ts';

/** One decoded output row: the foreground probability of every pixel, row-major. */
export interface SegMask {
  width: number;
  height: number;
  prob: Float32Array;
}

/** A pixel is foreground when its probability exceeds this. */
export const MASK_THRESHOLD = 0.5;
/** DIS normalisation: x/255 − mean, divided by std (1.0). */
export const ISNET_MEAN = 0.5;

/** IoU of two binary masks given as per-pixel values, each thresholded at `t`: |A∩B| / |A∪B|, 1 when both are empty. */
export function maskIou(a: ArrayLike<number>, b: ArrayLike<number>, t = MASK_THRESHOLD): number {
  if (a.length !== b.length) throw new RangeError(`mask sizes differ: ${a.length} vs ${b.length}`);
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] > t;
    const y = b[i] > t;
    if (x && y) inter++;
    if (x || y) union++;
  }
  return union === 0 ? 1 : inter / union;
}

/** Mean absolute difference of two maps (DIS's MAE when one of them is the ground truth). */
export function maskMae(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`mask sizes differ: ${a.length} vs ${b.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return a.length ? s / a.length : 0;
}

/** HWC RGB bytes → CHW float32, x/255 − 0.5, as DIS's inference normalises. */
export function isnetPreprocess(rgb: Uint8Array, width: number, height: number): Float32Array {
  const n = width * height;
  if (rgb.length !== 3 * n) throw new RangeError(`image has ${rgb.length} bytes, expected ${3 * n}`);
  const x = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) x[c * n + i] = rgb[3 * i + c] / 255 - ISNET_MEAN;
  return x;
}

/** The scene seed of item `i` for inputs seeded with `seed`. */
export const sceneSeed = (seed: number, i: number): number => (Math.imul(seed, 0x9e3779b1) + i * 7919 + 1) >>> 0;

const fixed = (d: number | string | undefined, dims: ReadonlyMap<string, number> | undefined, dflt: number): number =>
  typeof d === 'number' && d > 0 ? d : (typeof d === 'string' && dims?.get(d)) || dflt;

function segOutput(m: ModelSignature): string | undefined {
  const byName = m.outputs.find((o) => o.name === 'output' && o.isTensor);
  const is1ch = (o: ModelSignature['outputs'][number]) => o.isTensor && o.type === 'float32' && o.shape.length === 4 && o.shape[1] === 1;
  if (byName && is1ch(byName)) return byName.name;
  return m.outputs.find(is1ch)?.name;
}

/** Renders `count` scenes at the model's input size, with their foreground masks as RLE labels. */
export async function renderedScenes(m: ModelSignature, opts: MakeInputsOptions): Promise<TaskInputs> {
  const spec = m.inputs[0]!;
  if (!Number.isInteger(opts.count) || opts.count < 1 || opts.count > 10_000) throw new CoquantError('E_RENDER_COUNT', `cannot render ${opts.count} scenes; choose 1..10000`);
  const height = fixed(spec.shape[2], opts.dims, 1024);
  const width = fixed(spec.shape[3], opts.dims, height);
  if (width !== height) throw new CoquantError('E_SCENE_SIZE', `scenes are square; the model input is ${width}×${height}`, { hint: 'set equal sizes with --dim' });
  const feeds: Feed[] = [];
  const labels: string[] = [];
  const files: Record<string, string> = {};
  for (let i = 0; i < opts.count; i++) {
    const sc = renderScene(sceneSeed(opts.seed, i), width);
    feeds.push({ [spec.name]: { type: 'float32', data: isnetPreprocess(sc.rgb, width, height), dims: [1, 3, height, width] } });
    labels.push(encodeMaskRle(sc.mask, width, height));
    if (opts.outDir) {
      const file = `scene-${String(i).padStart(3, '0')}.png`;
      await writeFileAtomic(join(opts.outDir, file), sc.png);
      files[file] = labels[i];
    }
  }
  if (opts.outDir) await writeFileAtomic(join(opts.outDir, 'labels.json'), JSON.stringify({ schema: 'coquant.labels/1', seed: opts.seed, labels: files }) + '\n');
  return { feeds, labels, source: `scenes:${opts.count} synthetic ${width}×${height} scenes with known foreground (seed ${opts.seed})`, seed: opts.seed };
}

/** [N,1,H,W] float map → one SegMask per batch row; undefined for any other output. */
export function decodeSegOutput(out: HostTensor): SegMask[] | undefined {
  if (out.type !== 'float32' || out.dims.length !== 4 || out.dims[1] !== 1) return undefined;
  const [n, , h, w] = out.dims;
  const data = out.data as Float32Array;
  return Array.from({ length: n }, (_, i) => ({ width: w, height: h, prob: data.subarray(i * h * w, (i + 1) * h * w) }));
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

export function scoreSegmentation(reference: readonly SegMask[], candidate: readonly SegMask[], labels?: readonly string[]): TaskMetric[] {
  if (reference.length !== candidate.length) throw new RangeError(`${reference.length} reference masks but ${candidate.length} candidates`);
  const metrics: TaskMetric[] = [
    { name: 'iouVsFp', value: mean(candidate.map((c, i) => maskIou(c.prob, reference[i].prob))), higherIsBetter: true },
    { name: 'maeVsFp', value: mean(candidate.map((c, i) => maskMae(c.prob, reference[i].prob))), higherIsBetter: false },
  ];
  if (labels && labels.length === candidate.length) {
    const truth = labels.map((l) => decodeMaskRle(l).mask);
    metrics.push({ name: 'iouVsTruth', value: mean(candidate.map((c, i) => maskIou(c.prob, truth[i]))), higherIsBetter: true });
    metrics.push({ name: 'maeVsTruth', value: mean(candidate.map((c, i) => maskMae(c.prob, truth[i]))), higherIsBetter: false });
  }
  return metrics;
}

export const segmentationTask: Task = {
  id: 'segmentation',
  description: 'salient-object segmentation (ISNet): synthetic scenes with a known foreground in, a mask out, scored by IoU and MAE',
  matches: (m: ModelSignature) => {
    const i = m.inputs[0];
    if (m.inputs.length !== 1 || !i || i.type !== 'float32' || i.shape.length !== 4 || i.shape[1] !== 3) return false;
    const o = segOutput(m);
    if (!o) return false;
    const os = m.outputs.find((x) => x.name === o)!.shape;
    // A fixed square input and a per-pixel map of the same size. PP-OCR's detector (dynamic
    // sizes, a text-probability map) stays with its own or the generic task.
    return typeof i.shape[2] === 'number' && i.shape[2] === i.shape[3] && os[2] === i.shape[2] && os[3] === i.shape[3];
  },
  makeInputs: renderedScenes,
  outputName: (m) => segOutput(m) ?? m.outputs[0]!.name,
  decode: (out) => decodeSegOutput(out),
  score: (reference: Decoded, candidate: Decoded, labels?: readonly string[]) => scoreSegmentation(reference as SegMask[], candidate as SegMask[], labels),
};
