/** What a model declares about its inputs and outputs, read once from its session metadata. */
import type { InputSpec } from './random-inputs.ts';

/** A model output as its metadata declares it. */
export interface OutputSpec {
  name: string;
  /** False for sequence, map and optional outputs. */
  isTensor: boolean;
  /** onnxruntime's element type name (float32, int64, ...) when `isTensor`. */
  type?: string;
  shape: ReadonlyArray<number | string | undefined>;
}

/** A model's declared inputs and outputs: what tasks and input makers look at. */
export interface ModelSignature {
  inputs: readonly InputSpec[];
  outputs: readonly OutputSpec[];
}
