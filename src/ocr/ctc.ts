/**
 * CTC greedy decoding for PaddleOCR recognition heads. The class axis follows the PaddleOCR
 * convention (CTCLabelDecode with use_space_char): index 0 is the CTC blank, indices
 * 1..K are the dictionary lines in file order, and index K+1 is a space character.
 * For ppocr_keys_v1.txt (6623 lines) that gives the 6625 classes the PP-OCRv4 rec model emits.
 */
import { CoquantError } from '../errors.ts';

export interface CtcCharset {
  /** Class index → character; entry 0 (blank) is the empty string. */
  readonly chars: readonly string[];
}

/** Builds the class table from dictionary text (one character per line; CR/LF tolerated). */
export function charsetFromDictionary(text: string, opts: { spaceChar?: boolean } = {}): CtcCharset {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  // A trailing newline yields one empty last element that is not a dictionary entry.
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const chars = ['', ...lines];
  if (opts.spaceChar ?? true) chars.push(' ');
  return { chars };
}

export interface CtcDecoded {
  text: string;
  /** Mean of the winning class probability over the emitted (non-blank, non-repeat) steps; 0 when empty. */
  confidence: number;
}

/**
 * Greedy decoding of one sequence: argmax per time step, collapse runs of the same class,
 * drop the blank. `probs` is row-major [steps, classes].
 */
export function ctcGreedyDecode(probs: Float32Array | number[], steps: number, classes: number, charset: CtcCharset): CtcDecoded {
  if (classes !== charset.chars.length) {
    throw new CoquantError(
      'E_CTC_CLASSES',
      `model output has ${classes} classes but the dictionary gives ${charset.chars.length} (blank + lines + space)`,
      { hint: 'use the dictionary that matches the recognition model' },
    );
  }
  if (probs.length < steps * classes) {
    throw new CoquantError('E_CTC_SHAPE', `output holds ${probs.length} values, fewer than steps×classes = ${steps * classes}`);
  }
  let text = '';
  let confSum = 0;
  let emitted = 0;
  let prev = -1;
  for (let t = 0; t < steps; t++) {
    const base = t * classes;
    let best = 0;
    let bestP = probs[base];
    for (let c = 1; c < classes; c++) {
      const p = probs[base + c];
      if (p > bestP) {
        bestP = p;
        best = c;
      }
    }
    if (best !== 0 && best !== prev) {
      text += charset.chars[best];
      confSum += bestP;
      emitted++;
    }
    prev = best;
  }
  return { text, confidence: emitted ? confSum / emitted : 0 };
}

/** Decodes every sequence of a [batch, steps, classes] output. */
export function ctcGreedyDecodeBatch(probs: Float32Array, dims: readonly number[], charset: CtcCharset): CtcDecoded[] {
  if (dims.length !== 3) throw new CoquantError('E_CTC_SHAPE', `CTC decoding needs a [batch, steps, classes] output, got [${dims.join(', ')}]`);
  const [batch, steps, classes] = dims;
  const out: CtcDecoded[] = [];
  const stride = steps * classes;
  for (let b = 0; b < batch; b++) out.push(ctcGreedyDecode(probs.subarray(b * stride, (b + 1) * stride), steps, classes, charset));
  return out;
}

/**
 * Greedy decoding from per-step class indices (the argmax already taken, e.g. by an ArgMax node
 * at the end of the model, so a server returns 40 indices instead of 40 × 6625 scores).
 * Same result as ctcGreedyDecode on the scores: collapse runs, drop the blank.
 */
export function ctcDecodeIndices(indices: ArrayLike<number | bigint>, charset: CtcCharset): string {
  let text = '';
  let prev = -1;
  for (let t = 0; t < indices.length; t++) {
    const c = Number(indices[t]);
    if (c < 0 || c >= charset.chars.length) throw new CoquantError('E_CTC_CLASSES', `class index ${c} is outside the dictionary's ${charset.chars.length} classes`);
    if (c !== 0 && c !== prev) text += charset.chars[c];
    prev = c;
  }
  return text;
}
