/**
 * Streaming a tensor in bounded slices. Sources that can do positioned reads (safetensors)
 * implement `readChunks` natively; for the rest, this slices one full `read`.
 */
import { ModelFormatError } from './errors.ts';
import { DTYPE_BYTES, type RawChunk, type RawTensor, type TensorInfo, type WeightSource } from './types.ts';

export function checkChunkElems(chunkElems: number): void {
  if (!Number.isSafeInteger(chunkElems) || chunkElems < 1) {
    throw new RangeError(`chunkElems must be a positive integer, got ${chunkElems}`);
  }
}

export async function* chunksFromRead(read: (name: string) => Promise<RawTensor>, info: TensorInfo, chunkElems: number): AsyncIterable<RawChunk> {
  checkChunkElems(chunkElems);
  const { bytes } = await read(info.name);
  const eb = DTYPE_BYTES[info.dtype];
  for (let start = 0; start < info.size; start += chunkElems) {
    const count = Math.min(chunkElems, info.size - start);
    yield { info, start, count, bytes: bytes.subarray(start * eb, (start + count) * eb) };
  }
}

/** Streams tensor `name` of `source` in chunks of at most `chunkElems` elements. */
export function readChunks(source: WeightSource, name: string, chunkElems: number): AsyncIterable<RawChunk> {
  if (source.readChunks) return source.readChunks(name, chunkElems);
  const info = source.tensors.find((t) => t.name === name);
  if (!info) throw new ModelFormatError('E_NO_SUCH_TENSOR', `${source.path}: no tensor named '${name}'`);
  return chunksFromRead((n) => source.read(n), info, chunkElems);
}
