/**
 * ONNX external data (onnx/docs/ExternalData.md): a TensorProto with data_location = EXTERNAL
 * and external_data entries `location` (a path relative to the model file's folder), `offset`
 * and `length` (bytes). The protobuf graph then stays small however large the weights are, which
 * is the only way past protobuf's 2 GiB message limit.
 *
 * Conventions here:
 *  - Writing: every tensor of at least `threshold` bytes goes to one data file next to the model,
 *    named `<model file>.data`; tensors over 1 MiB start at a multiple of 64 KiB (the allocation
 *    granularity onnx and onnxruntime align to so the data can be memory-mapped), smaller ones
 *    follow each other unpadded. The data file is written one tensor at a time through a
 *    temporary sibling and renamed into place with the model, so an error leaves no half-written
 *    output.
 *  - In memory, a loaded model's external tensors carry an absolute `location` (see
 *    `absolutizeExternalData`), so copies made by the format writers still find their bytes.
 *    `ortLoadable` turns them back into relative paths for onnxruntime, which refuses paths that
 *    escape the model folder.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ModelFormatError } from './errors.ts';
import { ONNX_MAX_BYTES, onnx, type ModelProto, type TensorProto } from './onnx-model.ts';
import { resolveInside } from './safe-path.ts';

const EXTERNAL = onnx.TensorProto.DataLocation.EXTERNAL;
const DEFAULT = onnx.TensorProto.DataLocation.DEFAULT;

/** Tensors over this many bytes start at a multiple of `ALLOCATION_GRANULARITY` (onnx's own defaults). */
export const ALIGN_THRESHOLD = 1 << 20;
export const ALLOCATION_GRANULARITY = 1 << 16;
/** Tensors smaller than this stay inline in the protobuf (onnx's `size_threshold` default). */
export const DEFAULT_EXTERNAL_THRESHOLD = 1024;
/** Copy chunk when an external tensor is moved from one data file to another. */
const COPY_CHUNK = 16 << 20;

export interface ExternalRef {
  location: string;
  offset: number;
  length: number;
}

export function isExternal(t: TensorProto): boolean {
  return t.dataLocation === EXTERNAL;
}

/** location/offset/length of an external tensor (length absent = to the end of the file: resolved by the reader). */
export function externalRef(t: TensorProto): ExternalRef {
  const get = (k: string) => t.externalData?.find((e) => e.key === k)?.value ?? undefined;
  const location = get('location');
  if (!location) throw new ModelFormatError('E_BAD_HEADER', `tensor '${t.name ?? ''}': external data without a 'location' entry`);
  const num = (k: string, d: number): number => {
    const v = get(k);
    if (v === undefined) return d;
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new ModelFormatError('E_BAD_HEADER', `tensor '${t.name ?? ''}': external data ${k} '${v}' is not a non-negative integer`);
    return Number(v);
  };
  return { location, offset: num('offset', 0), length: num('length', -1) };
}

export function setExternalRef(t: TensorProto, ref: ExternalRef): void {
  t.rawData = new Uint8Array(0);
  t.floatData = [];
  t.int32Data = [];
  t.int64Data = [];
  t.doubleData = [];
  t.uint64Data = [];
  t.dataLocation = EXTERNAL;
  t.externalData = [
    { key: 'location', value: ref.location },
    { key: 'offset', value: String(ref.offset) },
    { key: 'length', value: String(ref.length) },
  ];
}

/** Every TensorProto of the main graph that can hold weights: initializers and Constant `value` tensors. */
export function graphTensors(m: ModelProto): TensorProto[] {
  const out: TensorProto[] = [...(m.graph?.initializer ?? [])];
  for (const n of m.graph?.node ?? []) for (const a of n.attribute ?? []) if (a.name === 'value' && a.t) out.push(a.t);
  return out;
}

export function hasExternalData(m: ModelProto): boolean {
  return graphTensors(m).some(isExternal);
}

/**
 * Rewrites each external tensor's location to the absolute path of its file, after checking it
 * stays inside `dir` (the model's folder) and that offset + length lie inside the file.
 */
export async function absolutizeExternalData(m: ModelProto, dir: string): Promise<number> {
  let n = 0;
  const sizes = new Map<string, number>();
  for (const t of graphTensors(m)) {
    if (!isExternal(t)) continue;
    const ref = externalRef(t);
    const file = isAbsolute(ref.location) ? ref.location : await resolveInside(dir, ref.location, `tensor '${t.name ?? ''}'`);
    let size = sizes.get(file);
    if (size === undefined) sizes.set(file, (size = (await stat(file)).size));
    const length = ref.length < 0 ? size - ref.offset : ref.length;
    if (ref.offset + length > size) {
      throw new ModelFormatError('E_OUT_OF_RANGE', `tensor '${t.name ?? ''}': external bytes ${ref.offset}..${ref.offset + length} lie past the end of '${ref.location}' (${size} bytes)`);
    }
    setExternalRef(t, { location: file, offset: ref.offset, length });
    n++;
  }
  return n;
}

/** Synchronous read of an external tensor's bytes (its location must be absolute: see absolutizeExternalData). */
export function readExternalSync(t: TensorProto): Uint8Array {
  const ref = externalRef(t);
  if (!isAbsolute(ref.location)) throw new ModelFormatError('E_EXTERNAL_DATA', `tensor '${t.name ?? ''}': external location '${ref.location}' was not resolved against the model folder`, 'load the model with loadOnnxForEdit');
  const out = new Uint8Array(ref.length);
  const fd = openSync(ref.location, 'r');
  try {
    let done = 0;
    while (done < ref.length) {
      const k = readSync(fd, out, done, Math.min(COPY_CHUNK, ref.length - done), ref.offset + done);
      if (k <= 0) throw new ModelFormatError('E_TRUNCATED', `tensor '${t.name ?? ''}': '${ref.location}' ended after ${done} of ${ref.length} bytes`);
      done += k;
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

/** Appends tensors to one data file, aligned as onnx does; write through a temporary sibling, then `commit`. */
export class ExternalDataWriter {
  private fh?: FileHandle;
  private pos = 0;
  private readonly tmp: string;

  constructor(
    /** Absolute path of the data file. */
    readonly path: string,
  ) {
    this.tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  }

  /** The location string a model next to the data file records. */
  get location(): string {
    return basename(this.path);
  }

  get bytesWritten(): number {
    return this.pos;
  }

  private async handle(): Promise<FileHandle> {
    if (!this.fh) {
      await mkdir(dirname(this.path), { recursive: true });
      this.fh = await open(this.tmp, 'w');
    }
    return this.fh;
  }

  private async start(length: number): Promise<number> {
    const fh = await this.handle();
    if (length > ALIGN_THRESHOLD && this.pos % ALLOCATION_GRANULARITY !== 0) {
      const pad = ALLOCATION_GRANULARITY - (this.pos % ALLOCATION_GRANULARITY);
      await fh.write(new Uint8Array(pad), 0, pad, this.pos);
      this.pos += pad;
    }
    return this.pos;
  }

  /** Writes `bytes` as one tensor; returns its reference. */
  async append(bytes: Uint8Array): Promise<ExternalRef> {
    const offset = await this.start(bytes.length);
    await this.fh!.write(bytes, 0, bytes.length, offset);
    this.pos += bytes.length;
    return { location: this.location, offset, length: bytes.length };
  }

  /** Copies `length` bytes at `offset` of another file as one tensor, in 16 MiB pieces. */
  async copyFrom(file: string, offset: number, length: number): Promise<ExternalRef> {
    const start = await this.start(length);
    const src = await open(file, 'r');
    const buf = new Uint8Array(Math.min(COPY_CHUNK, Math.max(1, length)));
    try {
      let done = 0;
      while (done < length) {
        const { bytesRead } = await src.read(buf, 0, Math.min(buf.length, length - done), offset + done);
        if (bytesRead <= 0) throw new ModelFormatError('E_TRUNCATED', `'${file}' ended after ${done} of ${length} bytes at offset ${offset}`);
        await this.fh!.write(buf, 0, bytesRead, start + done);
        done += bytesRead;
      }
    } finally {
      await src.close();
    }
    this.pos = start + length;
    return { location: this.location, offset: start, length };
  }

  /** fsyncs and renames the data file into place (an empty writer writes nothing). */
  async commit(): Promise<void> {
    if (!this.fh) return;
    await this.fh.sync();
    await this.fh.close();
    this.fh = undefined;
    await rename(this.tmp, this.path);
  }

  async abort(): Promise<void> {
    await this.fh?.close().catch(() => undefined);
    this.fh = undefined;
    await rm(this.tmp, { force: true });
  }
}

export interface ExternalWriteOptions {
  /** Tensors of at least this many bytes go to the data file (default 1024). */
  threshold?: number;
  /** Data file path (default `<model path>.data`). */
  dataPath?: string;
  /**
   * Bytes to store instead of tensor `t`'s own (same dtype and shape), or undefined to keep them:
   * lets a caller rewrite weights one at a time while they stream to the data file.
   */
  replace?: (t: TensorProto) => Uint8Array | undefined;
}

export interface ExternalWriteResult {
  modelPath: string;
  dataPath?: string;
  modelBytes: number;
  dataBytes: number;
  externalTensors: number;
}

/**
 * Writes `m` as `path` plus one data file: tensors already external are copied from their
 * (absolute) source file range, large inline tensors are moved out, one at a time, so the fp32
 * weights are never all in memory. `m` itself is not modified. Both files appear atomically;
 * the data file first, so a model never points at a missing file.
 */
export async function writeModelExternal(m: ModelProto, path: string, o: ExternalWriteOptions = {}): Promise<ExternalWriteResult> {
  const modelPath = resolve(path);
  const threshold = o.threshold ?? DEFAULT_EXTERNAL_THRESHOLD;
  const writer = new ExternalDataWriter(resolve(o.dataPath ?? `${modelPath}.data`));
  if (dirname(writer.path) !== dirname(modelPath) && !writer.path.startsWith(dirname(modelPath) + sep)) {
    throw new ModelFormatError('E_EXTERNAL_DATA', `data file ${writer.path} must lie inside the model's folder ${dirname(modelPath)}`);
  }
  const location = relative(dirname(modelPath), writer.path);
  // A shallow copy whose tensors are new objects: the caller's message keeps its own references.
  const copy = shallowTensorCopy(m);
  const original = graphTensors(m);
  const tensors = graphTensors(copy);
  let count = 0;
  try {
    for (let i = 0; i < tensors.length; i++) {
      const t = tensors[i];
      const src = original[i];
      let ref: ExternalRef | undefined;
      const swapped = o.replace?.(src);
      if (swapped) {
        if (swapped.length >= threshold) ref = await writer.append(swapped);
        else {
          t.rawData = swapped;
          markInline(t);
        }
      } else if (isExternal(src)) {
        const r = externalRef(src);
        if (!isAbsolute(r.location)) throw new ModelFormatError('E_EXTERNAL_DATA', `tensor '${src.name ?? ''}': external location '${r.location}' was not resolved against its model folder`);
        ref = await writer.copyFrom(r.location, r.offset, r.length);
      } else if ((src.rawData?.length ?? 0) >= threshold) {
        ref = await writer.append(src.rawData!);
      }
      if (ref) {
        setExternalRef(t, { ...ref, location });
        count++;
      }
    }
    const bytes = onnx.ModelProto.encode(copy).finish();
    if (bytes.length > ONNX_MAX_BYTES) throw new ModelFormatError('E_TOO_LARGE', `the model's graph alone is ${bytes.length} bytes, over the 2 GiB protobuf limit`);
    await writer.commit();
    const { writeFileAtomic } = await import('../util/atomic-write.ts');
    await writeFileAtomic(modelPath, bytes);
    return { modelPath, ...(count > 0 ? { dataPath: writer.path } : {}), modelBytes: bytes.length, dataBytes: writer.bytesWritten, externalTensors: count };
  } catch (e) {
    await writer.abort();
    throw e;
  }
}

/** A copy of `m` sharing everything but its TensorProto objects (and the lists and nodes holding them). */
function shallowTensorCopy(m: ModelProto): ModelProto {
  const g = m.graph!;
  const node = (g.node ?? []).map((n) =>
    (n.attribute ?? []).some((a) => a.t)
      ? onnx.NodeProto.create({ ...n, attribute: (n.attribute ?? []).map((a) => (a.t ? onnx.AttributeProto.create({ ...a, t: onnx.TensorProto.create({ ...a.t }) }) : a)) })
      : n,
  );
  const graph = onnx.GraphProto.create({ ...g, node, initializer: (g.initializer ?? []).map((t) => onnx.TensorProto.create({ ...t })) });
  return onnx.ModelProto.create({ ...m, graph });
}

/**
 * Protobuf bytes onnxruntime can load from memory, and the folder it must resolve external data
 * against (pass it as `externalDataDir` to createSession). Absolute locations become relative to
 * the one folder every data file lies in; a model without external data returns dir undefined.
 */
export function ortLoadable(m: ModelProto): { bytes: Uint8Array; dir?: string } {
  const ext = graphTensors(m).filter(isExternal);
  if (ext.length === 0) return { bytes: encodeChecked(m) };
  const dirs = new Set(ext.map((t) => dirname(externalRef(t).location)));
  if (dirs.size !== 1 || ext.some((t) => !isAbsolute(externalRef(t).location))) {
    throw new ModelFormatError('E_EXTERNAL_DATA', `the model's external data lies in ${dirs.size} folders or has unresolved locations; onnxruntime resolves it against one folder`);
  }
  const dir = [...dirs][0];
  const saved = ext.map((t) => externalRef(t));
  try {
    ext.forEach((t, i) => setExternalRef(t, { ...saved[i], location: basename(saved[i].location) }));
    return { bytes: encodeChecked(m), dir };
  } finally {
    ext.forEach((t, i) => setExternalRef(t, saved[i]));
  }
}

function encodeChecked(m: ModelProto): Uint8Array {
  const bytes = onnx.ModelProto.encode(m).finish();
  if (bytes.length > ONNX_MAX_BYTES) {
    throw new ModelFormatError('E_TOO_LARGE', `the model is ${bytes.length} bytes, over the 2 GiB protobuf limit`, 'keep weights in external data for models this large');
  }
  return bytes;
}

/** Bytes of all inline tensor data: decides whether a model must be written with external data. */
export function inlineTensorBytes(m: ModelProto): number {
  return graphTensors(m).reduce((s, t) => s + (isExternal(t) ? 0 : t.rawData?.length ?? 0), 0);
}

/** Marks an inline tensor DEFAULT after its bytes were set (used by editors). */
export function markInline(t: TensorProto): void {
  t.externalData = [];
  t.dataLocation = DEFAULT;
}

/**
 * Reads every external tensor of `m` into its raw_data (locations resolved against `dir`), so the
 * model can be handed to onnxruntime as self-contained bytes. Only for models under the 2 GiB
 * protobuf limit: callers that must handle larger ones write with `writeModelExternal` instead.
 */
export async function inlineExternalData<M extends ModelProto>(m: M, dir: string): Promise<M> {
  await absolutizeExternalData(m, dir);
  let total = inlineTensorBytes(m);
  for (const t of graphTensors(m)) {
    if (!isExternal(t)) continue;
    const ref = externalRef(t);
    total += ref.length;
    if (total > ONNX_MAX_BYTES) {
      throw new ModelFormatError('E_TOO_LARGE', `the model's weights are over 2 GiB, so they cannot be held inline in one ONNX protobuf`, 'this command needs a model under 2 GiB; split it first (coquant split) and use the head');
    }
    t.rawData = readExternalSync(t);
    markInline(t);
  }
  return m;
}

/** A model file's bytes, with its external data inlined (models under 2 GiB). */
export async function inlinedModelBytes(path: string, bytes: Uint8Array): Promise<Uint8Array> {
  const m = onnx.ModelProto.decode(bytes);
  if (!hasExternalData(m)) return bytes;
  return encodeChecked(await inlineExternalData(m, dirname(resolve(path))));
}
