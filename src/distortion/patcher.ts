/**
 * In-memory copies of an ONNX model with some float tensors replaced (initializers and
 * Constant nodes). The file on disk is never touched: we patch the decoded ModelProto that
 * the weight source holds and serialise it to bytes for onnxruntime.
 * TODO(integration): switch to src/io/onnx-edit.ts once that module lands.
 */
import onnxProto from 'onnx-proto';
import { openOnnx, type OnnxWeightSource } from '../io/onnx-weights.ts';
import { fromFloat32 } from '../io/encode.ts';
import { CoquantError } from '../errors.ts';

const { onnx } = onnxProto;

export interface PatchableModel {
  source: OnnxWeightSource;
  /** The original model bytes (for hashing and the full-precision session). */
  bytes: Uint8Array;
  /** Serialises the model with `replacements` (tensor name → new values) applied. */
  build(replacements: ReadonlyMap<string, Float32Array>): Uint8Array;
}

export async function openPatchableModel(path: string): Promise<PatchableModel> {
  const source = await openOnnx(path);
  const { proto, bytes } = source.model;
  const build = (replacements: ReadonlyMap<string, Float32Array>): Uint8Array => {
    for (const [name, values] of replacements) {
      const e = source.entries.get(name);
      if (!e) throw new CoquantError('E_NO_SUCH_TENSOR', `${path}: no tensor named '${name}' to replace`);
      if (values.length !== e.info.size) throw new CoquantError('E_SHAPE_MISMATCH', `tensor '${name}': ${values.length} replacement values for ${e.info.size} elements`);
      const g = proto.graph!;
      if (e.slot.kind === 'initializer' || e.slot.attr === 'value') {
        const t = e.slot.kind === 'initializer' ? g.initializer![e.slot.index] : g.node![e.slot.nodeIndex].attribute![e.slot.attrIndex].t!;
        t.rawData = fromFloat32(values, e.info.dtype);
        t.floatData = [];
        t.doubleData = [];
        t.int32Data = [];
        t.externalData = [];
        t.dataLocation = onnx.TensorProto.DataLocation.DEFAULT;
      } else {
        const a = g.node![e.slot.nodeIndex].attribute![e.slot.attrIndex];
        if (e.slot.attr === 'value_float') a.f = values[0];
        else if (e.slot.attr === 'value_floats') a.floats = Array.from(values);
        else throw new CoquantError('E_UNSUPPORTED', `tensor '${name}' is an integer Constant attribute and cannot hold float values`);
      }
    }
    return onnx.ModelProto.encode(proto).finish();
  };
  return { source, bytes, build };
}
