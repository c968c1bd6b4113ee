/** Public surface of the model-I/O layer; other layers import from here. */
export * from './types.ts';
export * from './errors.ts';
export { openWeights, selectWeights, type OpenWeightsOptions, type SelectOptions } from './open-weights.ts';
export { readChunks } from './read-chunks.ts';
export { toFloat32, decodeInto, assertFinite, float16Table } from './decode.ts';
export { fromFloat32, float32ToFloat16Bits, float32ToBFloat16Bits } from './encode.ts';
export { bundledModels, type BundledModels } from './bundled-models.ts';
export { loadOnnxModel, type OnnxModel } from './onnx-model.ts';
export { openOnnx, type OnnxWeightSource } from './onnx-weights.ts';
export { openSafetensors, SafetensorsFile } from './safetensors.ts';
export { editModel, editedModelBytes, serializeModel, writeModelAtomic, type Replacements } from './onnx-edit.ts';
export { writeSafetensors, writeSafetensorsStream, safetensorsHeader, type SafetensorsEntrySpec } from './safetensors-write.ts';
export { generateCheckpoint, checkpointLayout, type GenerateCheckpointOptions, type GeneratedCheckpoint } from './synthetic-checkpoint.ts';
