/**
 * Streaming, atomic safetensors writer. The header (names, dtypes, shapes, offsets) is known
 * up front; tensor bytes are then pulled chunk by chunk from a producer, so writing a
 * multi-gigabyte checkpoint needs memory for one chunk only. Output goes to a temporary
 * sibling that is fsynced and renamed, so readers never see a half-written file.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { shapeSize } from './shape.ts';
import { SAFETENSORS_DTYPE_NAME } from './safetensors.ts';
import { DTYPE_BYTES, type DType } from './types.ts';

export interface SafetensorsEntrySpec {
  name: string;
  dtype: DType;
  shape: number[];
}

export type ChunkProducer = (spec: SafetensorsEntrySpec, index: number) => AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/** The 8-byte length + JSON header (space-padded to a multiple of 8), and each tensor's byte length. */
export function safetensorsHeader(specs: readonly SafetensorsEntrySpec[], metadata?: Record<string, string>): { header: Uint8Array; byteLengths: number[] } {
  const obj: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) obj.__metadata__ = metadata;
  let offset = 0;
  const byteLengths: number[] = [];
  for (const s of specs) {
    const dt = SAFETENSORS_DTYPE_NAME[s.dtype];
    if (!dt) throw new Error(`safetensors cannot store dtype ${s.dtype} (tensor '${s.name}')`);
    if (s.name === '__metadata__' || s.name in obj) throw new Error(`duplicate or reserved tensor name '${s.name}'`);
    const size = shapeSize(s.shape);
    if (size === undefined || s.shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new Error(`tensor '${s.name}': bad shape [${s.shape.join(', ')}]`);
    const n = size * DTYPE_BYTES[s.dtype];
    obj[s.name] = { dtype: dt, shape: s.shape, data_offsets: [offset, offset + n] };
    byteLengths.push(n);
    offset += n;
  }
  let json = JSON.stringify(obj);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const jsonBytes = Buffer.from(json, 'utf8');
  const header = new Uint8Array(8 + jsonBytes.length);
  new DataView(header.buffer).setBigUint64(0, BigInt(jsonBytes.length), true);
  header.set(jsonBytes, 8);
  return { header, byteLengths };
}

/**
 * Writes `specs` to `path`, pulling each tensor's bytes from `produce`. The producer must yield
 * exactly the tensor's byte length; one write is kept in flight while the next chunk is made.
 * Returns the file size.
 */
export async function writeSafetensorsStream(
  path: string,
  specs: readonly SafetensorsEntrySpec[],
  produce: ChunkProducer,
  opts: { metadata?: Record<string, string> } = {},
): Promise<number> {
  const { header, byteLengths } = safetensorsHeader(specs, opts.metadata);
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fh = await open(tmp, 'w');
  let pos = 0;
  let inFlight: Promise<unknown> | undefined;
  const write = async (chunk: Uint8Array) => {
    if (inFlight) await inFlight;
    const at = pos;
    pos += chunk.length;
    inFlight = fh.write(chunk, 0, chunk.length, at);
  };
  try {
    await write(header);
    for (const [i, spec] of specs.entries()) {
      let got = 0;
      for await (const chunk of produce(spec, i)) {
        got += chunk.length;
        if (got > byteLengths[i]) throw new Error(`producer gave more than ${byteLengths[i]} bytes for tensor '${spec.name}'`);
        await write(chunk);
      }
      if (got !== byteLengths[i]) throw new Error(`producer gave ${got} of ${byteLengths[i]} bytes for tensor '${spec.name}'`);
    }
    if (inFlight) await inFlight;
    await fh.sync();
    await fh.close();
    await rename(tmp, path);
    return pos;
  } catch (e) {
    await (inFlight ?? Promise.resolve()).catch(() => undefined);
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Convenience for small in-memory tensors (tests, fixtures). `bytes` are little-endian elements. */
export async function writeSafetensors(
  path: string,
  tensors: readonly (SafetensorsEntrySpec & { bytes: Uint8Array })[],
  opts: { metadata?: Record<string, string> } = {},
): Promise<number> {
  return writeSafetensorsStream(path, tensors, (_s, i) => [tensors[i].bytes], opts);
}
