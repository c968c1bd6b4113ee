/**
 * PP-OCR text-line recognition: the model takes one [N,3,48,W] image batch and emits CTC
 * scores [N,T,classes] (or, for a tail that ends in ArgMax, class indices [N,T]). Inputs are
 * text lines coquant renders itself with known labels; outputs are greedy-decoded with the
 * package's dictionary; quality is CER and exact-match accuracy.
 */
import { loadRgb, preprocessRec } from '../data/images.ts';
import { renderTextLines } from '../data/text-lines.ts';
import type { Feed, HostTensor } from '../data/tensor.ts';
import type { InputSpec } from '../data/random-inputs.ts';
import { corpusCer, exactMatchRate } from '../ocr/cer.ts';
import { ctcDecodeIndices, ctcGreedyDecodeBatch, type CtcCharset } from '../ocr/ctc.ts';
import { loadPpocrCharset } from '../ocr/dictionary.ts';
import type { Decoded, MakeInputsOptions, ModelSignature, Task, TaskInputs, TaskMetric } from './task.ts';

/** [N,3,48,W] float input: PP-OCR's recognizer geometry. */
export function isRecInput(spec: InputSpec | undefined): boolean {
  return !!spec && spec.type === 'float32' && spec.shape.length === 4 && spec.shape[1] === 3 && spec.shape[2] === 48;
}

/** Renders `count` labelled lines and preprocesses them as the recognizer expects. */
export async function renderedLines(inputName: string, opts: MakeInputsOptions): Promise<TaskInputs> {
  const { lines } = await renderTextLines({ count: opts.count, seed: opts.seed, outDir: opts.outDir });
  const feeds: Feed[] = [];
  for (const l of lines) {
    const img = await loadRgb(l.png);
    feeds.push({ [inputName]: await preprocessRec([img], opts.uniformShape ? { minWidth: 320, maxWidth: 320 } : {}) });
  }
  return { feeds, labels: lines.map((l) => l.text), source: `rendered:${opts.count} text lines (seed ${opts.seed})`, seed: opts.seed };
}

let charset: Promise<CtcCharset> | undefined;
/** The dictionary is read once per process, on first decode. */
const sharedCharset = () => (charset ??= loadPpocrCharset());

/**
 * CTC scores [N,T,classes] or ArgMax indices [N,T] to text, trimmed of the space the model may
 * emit first; undefined for any other output (it is not the recognizer's head).
 */
export function decodeRecOutput(out: HostTensor, cs: CtcCharset): string[] | undefined {
  if (out.type === 'int64' || out.type === 'int32') {
    if (out.dims.length !== 2) return undefined;
    const [n, t] = out.dims;
    const rows: string[] = [];
    for (let i = 0; i < n; i++) rows.push(ctcDecodeIndices((out.data as ArrayLike<number | bigint> & { subarray(a: number, b: number): ArrayLike<number | bigint> }).subarray(i * t, (i + 1) * t), cs).trim());
    return rows;
  }
  if (out.type !== 'float32' || out.dims.length !== 3 || out.dims[2] !== cs.chars.length) return undefined;
  return ctcGreedyDecodeBatch(out.data as Float32Array, out.dims, cs).map((d) => d.text.trim());
}

export const ppocrRecTask: Task = {
  id: 'ppocr-rec',
  description: 'PP-OCR text-line recognition: rendered labelled lines in, CTC-decoded text out, scored by CER',
  matches: (m: ModelSignature) => m.inputs.length === 1 && isRecInput(m.inputs[0]),
  makeInputs: (m, opts) => renderedLines(m.inputs[0]!.name, opts),
  decode: async (out) => decodeRecOutput(out, await sharedCharset()),
  score(reference: Decoded, candidate: Decoded, labels?: readonly string[]): TaskMetric[] {
    const ref = reference as readonly string[];
    const cand = candidate as readonly string[];
    const metrics: TaskMetric[] = [{ name: 'cerVsFp', value: corpusCer(cand, ref), higherIsBetter: false }];
    if (labels && labels.length === cand.length) {
      metrics.push({ name: 'accuracy', value: exactMatchRate(cand, labels), higherIsBetter: true });
      metrics.push({ name: 'cerVsLabels', value: corpusCer(cand, labels), higherIsBetter: false });
    }
    return metrics;
  },
};
