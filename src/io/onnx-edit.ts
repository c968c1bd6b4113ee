/**
 * Patched copies of an ONNX model: chosen float weights (initializers, external-data
 * initializers, Constant nodes) are replaced by new values, written back in the tensor's own
 * dtype (fp16 stays fp16). The copy is decoded afresh from the original bytes, so the loaded
 * model and the file on disk are never touched. External data is inlined in the copy, which
 * makes it self-contained for `ort.InferenceSession.create(bytes)`.
 */
import { writeFileAtomic } from '../util/atomic-write.ts';
import { fromFloat32 } from './encode.ts';
import { ModelFormatError } from './errors.ts';
import { ONNX_MAX_BYTES, onnx, type ModelProto, type TensorProto } from './onnx-model.ts';
import { readOnnxEntry, type OnnxSlot, type OnnxWeightSource } from './onnx-weights.ts';
import { FLOAT_DTYPES } from './types.ts';

export type Replacements = ReadonlyMap<string, Float32Array> | Readonly<Record<string, Float32Array>>;

function asMap(r: Replacements): ReadonlyMap<string, Float32Array> {
  return r instanceof Map ? r : new Map(Object.entries(r as Record<string, Float32Array>));
}

type AttrLike = { name?: string | null; t?: TensorProto | null; f?: number | null; floats?: number[] | null };

function locate(copy: ModelProto, slot: OnnxSlot): { tensor?: TensorProto; attr?: AttrLike } {
  const g = copy.graph;
  if (slot.kind === 'initializer') return { tensor: g?.initializer?.[slot.index] };
  const attr = g?.node?.[slot.nodeIndex]?.attribute?.[slot.attrIndex] as AttrLike | undefined;
  if (!attr) return {};
  return slot.attr === 'value' ? { tensor: attr.t ?? undefined, attr } : { attr };
}

function setInline(t: TensorProto, bytes: Uint8Array): void {
  t.rawData = bytes;
  t.floatData = [];
  t.int32Data = [];
  t.doubleData = [];
  t.int64Data = [];
  t.uint64Data = [];
  t.externalData = [];
  t.dataLocation = onnx.TensorProto.DataLocation.DEFAULT;
}

/**
 * A fresh ModelProto with `replacements` (tensor name → values, row-major, same element count)
 * applied. Unknown names, non-float targets and length mismatches are typed errors.
 */
export async function editModel(source: OnnxWeightSource, replacements: Replacements): Promise<ModelProto> {
  const repl = asMap(replacements);
  for (const [name, values] of repl) {
    const e = source.entries.get(name);
    if (!e) throw new ModelFormatError('E_NO_SUCH_TENSOR', `${source.path}: cannot replace '${name}': no such tensor`);
    if (!FLOAT_DTYPES.has(e.info.dtype)) throw new ModelFormatError('E_UNSUPPORTED', `tensor '${name}' is ${e.info.dtype}, not a float weight; it cannot be replaced`);
    if (values.length !== e.info.size) {
      throw new ModelFormatError('E_SHAPE_MISMATCH', `tensor '${name}': replacement has ${values.length} values, shape [${e.info.shape.join(', ')}] needs ${e.info.size}`);
    }
  }
  const copy = onnx.ModelProto.decode(source.model.bytes);
  for (const e of source.entries.values()) {
    const values = repl.get(e.info.name);
    if (values === undefined && e.externalFile === undefined) continue;
    const { tensor, attr } = locate(copy, e.slot);
    if (tensor) {
      setInline(tensor, values === undefined ? await readOnnxEntry(e) : fromFloat32(values, e.info.dtype));
    } else if (attr && values !== undefined) {
      // value_float / value_floats Constant attributes are float32 literals.
      if (e.slot.kind === 'constant' && e.slot.attr === 'value_float') attr.f = values[0];
      else attr.floats = Array.from(values);
    }
  }
  return copy;
}

/** Protobuf bytes of a model, refusing anything over the 2 GiB protobuf limit. */
export function serializeModel(model: ModelProto): Uint8Array {
  const bytes = onnx.ModelProto.encode(model).finish();
  if (bytes.length > ONNX_MAX_BYTES) {
    throw new ModelFormatError('E_TOO_LARGE', `the edited model is ${bytes.length} bytes, over the 2 GiB protobuf limit`, 'keep weights in external data for models this large');
  }
  return bytes;
}

/** `editModel` then `serializeModel`: bytes ready for `ort.InferenceSession.create(bytes)`. */
export async function editedModelBytes(source: OnnxWeightSource, replacements: Replacements): Promise<Uint8Array> {
  return serializeModel(await editModel(source, replacements));
}

/** Writes a model (proto or already-serialised bytes) atomically: old file or complete new one. */
export async function writeModelAtomic(path: string, model: ModelProto | Uint8Array): Promise<void> {
  await writeFileAtomic(path, model instanceof Uint8Array ? model : serializeModel(model));
}
