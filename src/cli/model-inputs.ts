/**
 * Reads a model file for a command and makes its default calibration inputs: rendered text
 * lines for a PP-OCR recognizer, seeded random inputs (shaped by --dim) for anything else.
 */
import { readFile } from 'node:fs/promises';
import { UsageError } from '../errors.ts';
import { guessPreset, randomCalibration, renderedCalibration } from '../distortion/calibration.ts';
import type { CalibrationSet } from '../distortion/engine.ts';
import { parseDimFlags, type InputSpec } from '../data/random-inputs.ts';
import { createSession, inputSpecs } from '../ort/session.ts';

export async function modelWithInputs(model: string, count: number, seed: number, dimFlags: readonly string[]): Promise<{ bytes: Uint8Array; calibration: CalibrationSet; specs: InputSpec[] }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(model);
  } catch {
    throw new UsageError(`${model}: no such file`);
  }
  const session = await createSession(bytes, { label: model });
  const specs = inputSpecs(session);
  await session.release();
  const rec = specs.length === 1 && guessPreset(specs[0]) === 'ppocr-rec';
  const calibration = rec ? await renderedCalibration(count, seed, specs) : randomCalibration(count, seed, specs, parseDimFlags(dimFlags));
  return { bytes, calibration, specs };
}
