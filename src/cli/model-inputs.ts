/**
 * Reads a model file for a command and makes its default calibration inputs: whatever the
 * model's task makes (rendered text lines for a PP-OCR recognizer; seeded random inputs,
 * shaped by --dim, for a model no task recognises).
 */
import { readFile } from 'node:fs/promises';
import { UsageError } from '../errors.ts';
import type { Task, TaskInputs } from '../tasks/task.ts';
import { taskFor } from '../tasks/registry.ts';
import { parseDimFlags, type InputSpec } from '../data/random-inputs.ts';
import { readSignature } from '../ort/session.ts';

export async function modelWithInputs(model: string, count: number, seed: number, dimFlags: readonly string[]): Promise<{ bytes: Uint8Array; calibration: TaskInputs; specs: readonly InputSpec[]; task: Task }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(model);
  } catch {
    throw new UsageError(`${model}: no such file`);
  }
  const signature = await readSignature(model, model); // by path: external data resolves next to the file
  const task = taskFor(signature);
  const calibration = await task.makeInputs(signature, { count, seed, dims: parseDimFlags(dimFlags) });
  return { bytes, calibration, specs: signature.inputs, task };
}
