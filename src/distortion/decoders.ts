/**
 * Task decoders: turn a model output into text so distortion can be judged at task level.
 * Only models the tool knows get one (PP-OCR recognition: CTC greedy over ppocr_keys_v1).
 */
import type { HostTensor } from '../data/tensor.ts';
import { ctcGreedyDecodeBatch, type CtcCharset } from '../ocr/ctc.ts';

export interface OutputDecoder {
  name: string;
  /** One string per batch row of the output. */
  decode(output: HostTensor): string[];
}

/** CTC greedy decoding; texts are trimmed of surrounding spaces (the model may emit a leading space). */
export function ctcDecoder(charset: CtcCharset): OutputDecoder {
  return {
    name: 'ctc-greedy',
    decode(out) {
      return ctcGreedyDecodeBatch(out.data as Float32Array, out.dims, charset).map((d) => d.text.trim());
    },
  };
}

/** Whether an output looks like a CTC head for this charset: [batch, steps, classes] with matching classes. */
export function looksLikeCtc(shape: ReadonlyArray<number | string | undefined>, charset: CtcCharset): boolean {
  return shape.length === 3 && shape[2] === charset.chars.length;
}
