/**
 * Reads a model file for a command and makes its default calibration inputs: whatever the
 * model's task makes (rendered text lines for a PP-OCR recognizer; seeded random inputs,
 * shaped by --dim, for a model no task recognises), or the user's `--inputs`, checked as
 * src/tasks/checked-inputs.ts describes.
 */
import { readFile } from 'node:fs/promises';
import { UsageError } from '../errors.ts';
import type { Task, TaskInputs } from '../tasks/task.ts';
import { taskFor } from '../tasks/registry.ts';
import { parseDimFlags, type InputSpec } from '../data/random-inputs.ts';
import { checkedSignature, commandInputs } from '../tasks/checked-inputs.ts';

export interface ModelInputsOptions {
  /** `--inputs` paths (the task's inputs otherwise). */
  inputs?: readonly string[];
  /** The command, for messages. */
  command?: string;
  /** Whether the command compares the model's outputs (then every output must be a numeric tensor). */
  comparesOutputs?: boolean;
}

export async function modelWithInputs(model: string, count: number, seed: number, dimFlags: readonly string[], o: ModelInputsOptions = {}): Promise<{ bytes: Uint8Array; calibration: TaskInputs; specs: readonly InputSpec[]; task: Task }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(model);
  } catch {
    throw new UsageError(`${model}: no such file`);
  }
  const signature = await checkedSignature(model, o.command ?? 'coquant', o.comparesOutputs ?? false);
  const task = taskFor(signature);
  const dims = parseDimFlags(dimFlags);
  const calibration = await commandInputs({
    model,
    command: o.command ?? 'coquant',
    specs: signature.inputs,
    inputs: o.inputs,
    make: () => task.makeInputs(signature, { count, seed, dims }),
    seed,
    comparesOutputs: o.comparesOutputs ?? false,
    hasDim: true,
  });
  return { bytes, calibration, specs: signature.inputs, task };
}
