/**
 * The halves of a split are written to a new folder, where the original's external-data
 * paths would no longer resolve. Each external initializer is therefore read (through the
 * model reader, which keeps every path inside the model's folder) and stored inline.
 */
import onnxProto from 'onnx-proto';
import type { OnnxModel } from '../../io/onnx-model.ts';
import { enumerateOnnxTensors, readOnnxEntry } from '../../io/onnx-weights.ts';

type Model = onnxProto.onnx.IModelProto;
const EXTERNAL = onnxProto.onnx.TensorProto.DataLocation.EXTERNAL;

export async function inlineExternalData(model: Model, modelDir: string): Promise<Model> {
  const inits = model.graph?.initializer ?? [];
  if (!inits.some((t) => t.dataLocation === EXTERNAL)) return model;
  const wrapper = { path: modelDir, dir: modelDir, proto: model, bytes: new Uint8Array(0) } as unknown as OnnxModel;
  const entries = await enumerateOnnxTensors(wrapper);
  for (const e of entries) {
    if (e.slot.kind !== 'initializer' || e.externalFile === undefined) continue;
    const t = inits[e.slot.index];
    const bytes = await readOnnxEntry(e);
    inits[e.slot.index] = { ...t, rawData: bytes, externalData: [], dataLocation: onnxProto.onnx.TensorProto.DataLocation.DEFAULT };
  }
  return model;
}
