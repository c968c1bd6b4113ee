/**
 * In-memory copies of an ONNX model with some float tensors replaced (initializers and
 * Constant nodes), through src/io/onnx-edit.ts. The file on disk is never touched; each copy
 * is serialised to bytes for onnxruntime.
 */
import { openOnnx, type OnnxWeightSource } from '../io/onnx-weights.ts';
import { editedModelBytes } from '../io/onnx-edit.ts';

export interface PatchableModel {
  source: OnnxWeightSource;
  /** The original model bytes (for hashing and the full-precision session). */
  bytes: Uint8Array;
  /** Serialises the model with `replacements` (tensor name → new values) applied. */
  build(replacements: ReadonlyMap<string, Float32Array>): Promise<Uint8Array>;
}

export async function openPatchableModel(path: string): Promise<PatchableModel> {
  const source = await openOnnx(path);
  return { source, bytes: source.model.bytes, build: (r) => editedModelBytes(source, r) };
}
