/**
 * safetensors reader: an 8-byte little-endian header length, a JSON header mapping tensor
 * names to dtype, shape and [begin, end) offsets into the data section, then the data.
 * The header is fully validated before any tensor is read; tensors are read one at a time
 * with positioned reads, so memory is bounded by the largest tensor (or chunk), never the file.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ModelFormatError } from './errors.ts';
import { checkChunkElems } from './read-chunks.ts';
import { shapeSize } from './shape.ts';
import { DTYPE_BYTES, FLOAT_DTYPES, type DType, type RawChunk, type RawTensor, type TensorInfo, type WeightSource } from './types.ts';

/** The format's own limit on header size; also keeps a hostile length from allocating. */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export const SAFETENSORS_DTYPES: Readonly<Record<string, DType>> = {
  F32: 'float32',
  F16: 'float16',
  BF16: 'bfloat16',
  F64: 'float64',
  I8: 'int8',
  U8: 'uint8',
  I16: 'int16',
  U16: 'uint16',
  I32: 'int32',
  U32: 'uint32',
  I64: 'int64',
  U64: 'uint64',
  BOOL: 'bool',
};

export const SAFETENSORS_DTYPE_NAME: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(SAFETENSORS_DTYPES).map(([k, v]) => [v, k]),
);

export interface SafetensorsHeader {
  /** Byte offset of the data section within the file (8 + header length). */
  dataStart: number;
  tensors: TensorInfo[];
  metadata: Record<string, string>;
}

async function readExactly(fh: FileHandle, length: number, position: number, where: string): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  if (got !== length) throw new ModelFormatError('E_TRUNCATED', `${where}: file ends at byte ${position + got}, expected ${length} bytes from offset ${position}`);
  return buf;
}

function isIntArray(x: unknown): x is number[] {
  return Array.isArray(x) && x.every((v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0);
}

/** Parses and validates the header of an open file of `fileSize` bytes. */
export async function readSafetensorsHeader(fh: FileHandle, fileSize: number, file: string, maxHeaderBytes = MAX_HEADER_BYTES): Promise<SafetensorsHeader> {
  if (fileSize < 8) {
    throw new ModelFormatError('E_TRUNCATED', `${file}: ${fileSize} bytes is shorter than the 8-byte safetensors header length`);
  }
  const lenBuf = await readExactly(fh, 8, 0, file);
  const headerLen = lenBuf.readBigUInt64LE(0);
  if (headerLen > BigInt(maxHeaderBytes)) {
    throw new ModelFormatError('E_HEADER_TOO_LARGE', `${file}: header length ${headerLen} at byte offset 0 exceeds the ${maxHeaderBytes}-byte limit`, 'not a safetensors file, or a corrupt one');
  }
  const hl = Number(headerLen);
  if (8 + hl > fileSize) {
    throw new ModelFormatError('E_HEADER_TOO_LARGE', `${file}: header length ${hl} at byte offset 0 runs past the end of the ${fileSize}-byte file`, 'the file is truncated or not safetensors');
  }
  const headerBytes = await readExactly(fh, hl, 8, file);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (e) {
    const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new ModelFormatError('E_BAD_HEADER', `${file}: header (bytes 8..${8 + hl}) is not valid UTF-8 JSON: ${why}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ModelFormatError('E_BAD_HEADER', `${file}: header is JSON but not an object`);
  }
  const dataStart = 8 + hl;
  const dataSize = fileSize - dataStart;
  const metadata: Record<string, string> = {};
  const tensors: TensorInfo[] = [];
  for (const [name, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof v === 'object' && v !== null) {
        for (const [k, mv] of Object.entries(v)) if (typeof mv === 'string') metadata[k] = mv;
      }
      continue;
    }
    const where = `${file}: tensor '${name}'`;
    if (typeof v !== 'object' || v === null) throw new ModelFormatError('E_BAD_HEADER', `${where}: header entry is not an object`);
    const { dtype: dt, shape, data_offsets: offs } = v as Record<string, unknown>;
    const dtype = typeof dt === 'string' ? SAFETENSORS_DTYPES[dt] : undefined;
    if (dtype === undefined) throw new ModelFormatError('E_UNKNOWN_DTYPE', `${where}: unknown dtype ${JSON.stringify(dt)}`, `supported: ${Object.keys(SAFETENSORS_DTYPES).join(', ')}`);
    if (!isIntArray(shape)) throw new ModelFormatError('E_BAD_HEADER', `${where}: shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
    if (!isIntArray(offs) || offs.length !== 2) throw new ModelFormatError('E_BAD_HEADER', `${where}: data_offsets ${JSON.stringify(offs)} is not [begin, end]`);
    const [begin, end] = offs;
    if (begin > end) throw new ModelFormatError('E_OUT_OF_RANGE', `${where}: data_offsets [${begin}, ${end}] end before they begin`);
    const size = shapeSize(shape);
    const byteLength = size === undefined ? undefined : size * DTYPE_BYTES[dtype];
    if (size === undefined || byteLength !== end - begin) {
      throw new ModelFormatError('E_SHAPE_MISMATCH', `${where}: shape [${shape.join(', ')}] of ${dt} needs ${byteLength ?? 'too many'} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`);
    }
    tensors.push({ name, shape: [...shape], dtype, size, byteLength, origin: { kind: 'safetensors', file, offset: dataStart + begin } });
  }
  // File order, then no two non-empty ranges may share a byte.
  tensors.sort((a, b) => (a.origin as { offset: number }).offset - (b.origin as { offset: number }).offset);
  let prev: TensorInfo | undefined;
  for (const t of tensors) {
    if (t.byteLength === 0) continue;
    const off = (t.origin as { offset: number }).offset;
    if (prev && off < (prev.origin as { offset: number }).offset + prev.byteLength) {
      throw new ModelFormatError('E_OVERLAP', `${file}: tensor '${t.name}' at byte offset ${off} overlaps tensor '${prev.name}' (bytes ${(prev.origin as { offset: number }).offset}..${(prev.origin as { offset: number }).offset + prev.byteLength})`);
    }
    prev = t;
  }
  // Past-the-end data: a well-formed contiguous layout that is cut short is a truncated file;
  // anything else is a corrupt offset.
  let expected = dataStart;
  let contiguous = true;
  for (const t of tensors) {
    const off = (t.origin as { offset: number }).offset;
    if (off !== expected) contiguous = false;
    expected = off + t.byteLength;
    if (off + t.byteLength > fileSize) {
      const [begin, end] = [off - dataStart, off - dataStart + t.byteLength];
      if (contiguous) {
        throw new ModelFormatError('E_TRUNCATED', `${file}: truncated: tensor '${t.name}' needs file bytes ${off}..${off + t.byteLength} but the file ends at byte ${fileSize}`, 'the download or copy was probably cut short');
      }
      throw new ModelFormatError('E_OUT_OF_RANGE', `${file}: tensor '${t.name}': data_offsets [${begin}, ${end}] (file bytes ${off}..${off + t.byteLength}) lie past the end of the ${dataSize}-byte data section`);
    }
  }
  return { dataStart, tensors, metadata };
}

/** A safetensors file kept open for positioned reads. */
export class SafetensorsFile {
  private constructor(
    readonly path: string,
    readonly size: number,
    readonly header: SafetensorsHeader,
    private readonly fh: FileHandle,
  ) {}

  static async open(path: string, opts: { maxHeaderBytes?: number } = {}): Promise<SafetensorsFile> {
    const abs = resolve(path);
    let fh: FileHandle;
    try {
      fh = await open(abs, 'r');
    } catch {
      throw new ModelFormatError('E_NOT_FOUND', `${path}: no such file`);
    }
    try {
      const size = (await fh.stat()).size;
      const header = await readSafetensorsHeader(fh, size, abs, opts.maxHeaderBytes);
      return new SafetensorsFile(abs, size, header, fh);
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  /** Reads `count` elements of `info` starting at element `start`. */
  async readRange(info: TensorInfo, start: number, count: number): Promise<Uint8Array> {
    const eb = DTYPE_BYTES[info.dtype];
    const off = (info.origin as { offset: number }).offset + start * eb;
    const buf = await readExactly(this.fh, count * eb, off, `${this.path}: tensor '${info.name}'`);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
  }

  async read(info: TensorInfo): Promise<RawTensor> {
    return { info, bytes: await this.readRange(info, 0, info.size) };
  }

  /** Streams one tensor; the next chunk's read is issued before the current one is yielded. */
  async *chunks(info: TensorInfo, chunkElems: number): AsyncIterable<RawChunk> {
    checkChunkElems(chunkElems);
    const starts: number[] = [];
    for (let s = 0; s < info.size; s += chunkElems) starts.push(s);
    const fetch = (s: number) => this.readRange(info, s, Math.min(chunkElems, info.size - s));
    let pending = starts.length > 0 ? fetch(starts[0]) : undefined;
    for (let i = 0; i < starts.length; i++) {
      const bytes = await (pending as Promise<Uint8Array>);
      pending = i + 1 < starts.length ? fetch(starts[i + 1]) : undefined;
      // Keep a rejected prefetch from surfacing as an unhandled rejection if the consumer stops early.
      pending?.catch(() => undefined);
      const count = Math.min(chunkElems, info.size - starts[i]);
      yield { info, start: starts[i], count, bytes };
    }
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

/** One or more safetensors files presented as one WeightSource (sharded checkpoints). */
export function safetensorsSource(path: string, files: SafetensorsFile[]): WeightSource {
  try {
    return buildSource(path, files);
  } catch (e) {
    for (const f of files) void f.close().catch(() => undefined);
    throw e;
  }
}

function buildSource(path: string, files: SafetensorsFile[]): WeightSource {
  if (!files.some((f) => f.header.tensors.some((t) => FLOAT_DTYPES.has(t.dtype) && t.size > 0))) {
    throw new ModelFormatError('E_EMPTY_MODEL', `${path}: no float tensors in this checkpoint`);
  }
  const byName = new Map<string, { file: SafetensorsFile; info: TensorInfo }>();
  const tensors: TensorInfo[] = [];
  for (const file of files) {
    for (const info of file.header.tensors) {
      const prev = byName.get(info.name);
      if (prev) throw new ModelFormatError('E_DUPLICATE_NAME', `tensor '${info.name}' appears in both ${prev.file.path} and ${file.path}`);
      byName.set(info.name, { file, info });
      tensors.push(info);
    }
  }
  const get = (name: string) => {
    const e = byName.get(name);
    if (!e) throw new ModelFormatError('E_NO_SUCH_TENSOR', `${path}: no tensor named '${name}'`);
    return e;
  };
  return {
    path,
    format: 'safetensors',
    tensors,
    read: async (name) => {
      const e = get(name);
      return e.file.read(e.info);
    },
    readChunks(name, chunkElems) {
      const e = get(name);
      return e.file.chunks(e.info, chunkElems);
    },
    async close() {
      await Promise.all(files.map((f) => f.close()));
    },
  };
}

export async function openSafetensors(path: string, opts: { maxHeaderBytes?: number } = {}): Promise<WeightSource> {
  const f = await SafetensorsFile.open(path, opts);
  return safetensorsSource(f.path, [f]);
}
