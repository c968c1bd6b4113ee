/**
 * Builds the calibration set for a distortion run from the user's choice: image files, .npy
 * tensors, seeded random inputs, or text lines rendered on the fly (with known labels).
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { CoquantError, UsageError } from '../errors.ts';
import { loadRgb, preprocessDet, preprocessRec, type ImagePreset } from '../data/images.ts';
import { readNpy, toFloat32Tensor } from '../data/npy.ts';
import type { InputSpec } from '../data/random-inputs.ts';
import type { LabelsDocument } from '../data/text-lines.ts';
import type { Feed, HostTensor } from '../data/tensor.ts';
import type { CalibrationSet } from '../distortion/engine.ts';

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg']);

/** Picks an image preset from the model's first input: [N,3,48,W] is PP-OCR rec, other [N,3,H,W] det. */
export function guessPreset(spec: InputSpec | undefined): ImagePreset | undefined {
  if (!spec || spec.shape.length !== 4 || spec.shape[1] !== 3) return undefined;
  return spec.shape[2] === 48 ? 'ppocr-rec' : 'ppocr-det';
}

async function preprocess(preset: ImagePreset, src: string | Buffer): Promise<HostTensor> {
  const img = await loadRgb(src);
  return preset === 'ppocr-rec' ? preprocessRec([img]) : preprocessDet(img);
}

function singleImageInput(specs: readonly InputSpec[]): string {
  if (specs.length !== 1) throw new UsageError(`image inputs need a model with one input; this one has ${specs.length}`, 'use --npy or --random');
  return specs[0].name;
}

/** Reads a labels file: a coquant.labels/1 document or a plain `{ "file.png": "text" }` map. */
export async function readLabels(path: string): Promise<Record<string, string>> {
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new CoquantError('E_LABELS', `cannot read labels ${path}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  const map = (doc as Partial<LabelsDocument>)?.labels ?? doc;
  if (!map || typeof map !== 'object' || Array.isArray(map) || Object.values(map).some((v) => typeof v !== 'string')) {
    throw new CoquantError('E_LABELS', `${path}: labels must map image file names to strings`, { hint: '{"schema":"coquant.labels/1","labels":{"a.png":"EXIT 3"}}' });
  }
  return map as Record<string, string>;
}

export async function imageCalibration(dir: string, specs: readonly InputSpec[], preset: ImagePreset, labelsPath?: string, limit?: number): Promise<CalibrationSet> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((f) => IMAGE_EXT.has(extname(f).toLowerCase())).sort();
  } catch {
    throw new UsageError(`cannot list --inputs folder ${dir}`);
  }
  if (limit !== undefined) names = names.slice(0, limit);
  if (names.length === 0) throw new UsageError(`no .png/.jpg images in ${dir}`);
  const input = singleImageInput(specs);
  const feeds: Feed[] = [];
  for (const n of names) feeds.push({ [input]: await preprocess(preset, join(dir, n)) });
  let labels: string[] | undefined;
  if (labelsPath) {
    const map = await readLabels(labelsPath);
    const missing = names.filter((n) => map[n] === undefined);
    if (missing.length) throw new CoquantError('E_LABELS', `${labelsPath}: no label for ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ` and ${missing.length - 3} more` : ''}`);
    labels = names.map((n) => map[n]);
  }
  return { feeds, labels, source: `images:${names.length} from ${dir} (${preset})` };
}

export async function npyCalibration(files: readonly string[], specs: readonly InputSpec[]): Promise<CalibrationSet> {
  if (specs.length !== 1) throw new UsageError(`--npy feeds one input, but the model has ${specs.length}`, 'use --random with --dim for multi-input models');
  const feeds: Feed[] = [];
  for (const f of files) {
    let t = await readNpy(f);
    if (specs[0].type === 'float32') t = toFloat32Tensor(t);
    else if (t.type !== specs[0].type) throw new CoquantError('E_NPY', `${f}: holds ${t.type} but input '${specs[0].name}' takes ${specs[0].type}`);
    feeds.push({ [specs[0].name]: t });
  }
  return { feeds, source: `npy:${files.map((f) => basename(f)).join(',')}` };
}
