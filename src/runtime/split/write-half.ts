/**
 * Writes one half of a split. A model that keeps its weights in external data gives each half
 * its own data file next to it (`<half>.onnx.data`): the weights the half uses are copied range
 * by range from the original data file, one tensor at a time, so a model over 2 GiB splits
 * without its weights ever being in memory. Other models are written as one self-contained file,
 * external tensors inlined as before.
 */
import { absolutizeExternalData, hasExternalData, writeModelExternal } from '../../io/external-data.ts';
import { serializeModel } from '../../io/onnx-edit.ts';
import type { ModelLike, ModelProto } from '../../io/onnx-model.ts';
import { writeFileAtomic } from '../../util/atomic-write.ts';

type Model = ModelLike;

export interface WrittenHalf {
  path: string;
  /** The half's own external-data file, when the source model had external data. */
  dataPath?: string;
  bytes: number;
}

export async function writeSplitHalf(half: Model, path: string, modelDir: string): Promise<WrittenHalf> {
  const m = half as ModelProto;
  if (!hasExternalData(m)) {
    const bytes = serializeModel(m);
    await writeFileAtomic(path, bytes);
    return { path, bytes: bytes.length };
  }
  await absolutizeExternalData(m, modelDir);
  const r = await writeModelExternal(m, path);
  return { path, ...(r.dataPath ? { dataPath: r.dataPath } : {}), bytes: r.modelBytes + r.dataBytes };
}
