/**
 * A task says what a model is for, so every command treats it the same way: how to recognise
 * the model from its inputs and outputs, which inputs to feed it by default, how to read its
 * outputs, and how to score a candidate's outputs against the reference model's. The registry
 * (registry.ts) holds one entry per task; a new kind of model is one new file, not an edit in
 * every command (in the manner of transformers.js's task table).
 */
import type { Feed, HostTensor } from '../data/tensor.ts';
import type { ModelSignature } from '../data/model-signature.ts';

export type { ModelSignature, OutputSpec } from '../data/model-signature.ts';

/** A set of inputs to run a model on, with ground truth when the task knows it. */
export interface TaskInputs {
  feeds: Feed[];
  /** Ground truth per output row (flattened over feeds), when known (e.g. the text of a rendered line). */
  labels?: string[];
  /** Human description, e.g. `rendered:16 text lines (seed 1)` or `random:8 (seed 1)`. */
  source: string;
  seed?: number;
}

export interface MakeInputsOptions {
  count: number;
  seed: number;
  /** Sizes for dynamic dimensions (`--dim NAME=VALUE`). */
  dims?: ReadonlyMap<string, number>;
  /** Where a task may write what it rendered (images), for the user to look at. */
  outDir?: string;
  /** Every feed has the same shape (timing runs need this; rendered lines otherwise vary in width). */
  uniformShape?: boolean;
}

/** A task-level quality figure, e.g. CER against the reference model, or mask IoU. */
export interface TaskMetric {
  /** Stable key, e.g. `cer`, `iou`. */
  name: string;
  value: number;
  /** True when larger is better (IoU, accuracy); false for errors (CER, MAE). */
  higherIsBetter: boolean;
}

/** Decoded outputs for a set of feeds: one item per output row (text line, mask, ...). */
export type Decoded = readonly unknown[];

export interface Task {
  /** Registry key, e.g. `ppocr-rec`, `segmentation`, `generic`. */
  readonly id: string;
  /** One line for `--help` and reports. */
  readonly description: string;
  /** Whether this task recognises the model. The generic task recognises every model. */
  matches(model: ModelSignature): boolean;
  /** The inputs commands use by default for this model (calibration, distortion, options). */
  makeInputs(model: ModelSignature, opts: MakeInputsOptions): Promise<TaskInputs>;
  /** The output the task reads (default: the model's first output). */
  outputName?(model: ModelSignature): string;
  /**
   * Turns one run's output into task items (one per batch row). Returns undefined for an output
   * the task does not read (a head's feature, say); absent when the task has no decoding.
   */
  decode?(output: HostTensor): Promise<Decoded | undefined> | Decoded | undefined;
  /**
   * Task metrics of candidate items against reference items (same order), and against the
   * inputs' labels when present. Absent when the task has nothing beyond output distortion.
   */
  score?(reference: Decoded, candidate: Decoded, labels?: readonly string[]): TaskMetric[];
}
