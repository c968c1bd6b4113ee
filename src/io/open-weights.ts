/**
 * One entry point for every weight file: ONNX, a safetensors file, a sharded index, or a
 * folder of shards. Detection is by extension first, then by content (a safetensors file has
 * `{` right after its 8-byte length; anything else is tried as ONNX protobuf).
 */
import { open, stat } from 'node:fs/promises';
import { ModelFormatError } from './errors.ts';
import { openOnnx } from './onnx-weights.ts';
import { openSafetensors } from './safetensors.ts';
import { openSafetensorsDir, openShardedIndex } from './sharded.ts';
import { FLOAT_DTYPES, type TensorInfo, type WeightSource } from './types.ts';

export interface OpenWeightsOptions {
  /** Upper bound on a safetensors JSON header (default 100 MB). */
  maxHeaderBytes?: number;
}

async function sniff(path: string): Promise<'onnx' | 'safetensors'> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(9);
    const { bytesRead } = await fh.read(b, 0, 9, 0);
    return bytesRead === 9 && b[8] === 0x7b ? 'safetensors' : 'onnx';
  } finally {
    await fh.close();
  }
}

export async function openWeights(path: string, opts: OpenWeightsOptions = {}): Promise<WeightSource> {
  let st;
  try {
    st = await stat(path);
  } catch {
    throw new ModelFormatError('E_NOT_FOUND', `${path}: no such file or folder`);
  }
  if (st.isDirectory()) return openSafetensorsDir(path, opts);
  const lower = path.toLowerCase();
  if (lower.endsWith('.index.json')) return openShardedIndex(path, opts);
  if (lower.endsWith('.onnx')) return openOnnx(path);
  if (lower.endsWith('.safetensors')) return openSafetensors(path, opts);
  return (await sniff(path)) === 'safetensors' ? openSafetensors(path, opts) : openOnnx(path);
}

export interface SelectOptions {
  /** Include every float tensor (biases, norms, scalars), not only rank ≥ 2. */
  allFloat?: boolean;
}

/**
 * The weights coquant quantizes: float tensors of rank ≥ 2 (matrices, conv kernels) by
 * default, or every non-empty float tensor with `allFloat`. Integer tensors are never weights.
 */
export function selectWeights(tensors: readonly TensorInfo[], opts: SelectOptions = {}): TensorInfo[] {
  return tensors.filter((t) => FLOAT_DTYPES.has(t.dtype) && t.size > 0 && (opts.allFloat || t.shape.length >= 2));
}
