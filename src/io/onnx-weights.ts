/**
 * Enumerates an ONNX model's tensors from graph initializers and `Constant` nodes (PaddleOCR
 * exports keep every weight in Constant nodes, named after the node's output), validates each
 * one's byte count and location up front, and serves its bytes as a WeightSource.
 */
import { open, stat } from 'node:fs/promises';
import { ModelFormatError } from './errors.ts';
import { loadOnnxModel, onnx, type OnnxModel, type TensorProto } from './onnx-model.ts';
import { resolveInside } from './safe-path.ts';
import { DTYPE_BYTES, FLOAT_DTYPES, type DType, type RawChunk, type RawTensor, type TensorInfo, type WeightSource } from './types.ts';
import { chunksFromRead } from './read-chunks.ts';
import { DATA_TYPES } from './data-types.ts';
import { shapeSize } from './shape.ts';

/** ONNX data_type → our dtype, from the data-type table. STRING and UNDEFINED have no fixed element size and are absent. */
export const ONNX_DTYPES: Readonly<Record<number, DType>> = Object.fromEntries(
  DATA_TYPES.filter((r) => r.name !== 'string').map((r) => [r.onnx, r.name as DType]),
);

export const ONNX_DTYPE_CODE: Readonly<Record<DType, number>> = Object.fromEntries(
  Object.entries(ONNX_DTYPES).map(([k, v]) => [v, Number(k)]),
) as Record<DType, number>;

/** Where a tensor sits in the ModelProto, so an editor can find it again in a decoded copy. */
export type OnnxSlot =
  | { kind: 'initializer'; index: number }
  | { kind: 'constant'; nodeIndex: number; attrIndex: number; attr: 'value' | 'value_float' | 'value_floats' | 'value_int' | 'value_ints' };

export interface OnnxTensorEntry {
  info: TensorInfo;
  slot: OnnxSlot;
  /** The TensorProto (for `value` constants and initializers) or undefined for scalar/list attributes. */
  proto?: TensorProto;
  /** Inline bytes producer for scalar/list Constant attributes (value_float(s), value_int(s)). */
  literal?: Uint8Array;
  /** Resolved external data file, absolute real path. */
  externalFile?: string;
  externalOffset?: number;
}

type LongLike = { toNumber(): number; high: number; low: number; unsigned?: boolean };

/** Long or number → safe non-negative integer, or undefined when it is not one. */
function toCount(x: number | LongLike | null | undefined): number | undefined {
  if (x === null || x === undefined) return undefined;
  let n: number;
  if (typeof x === 'number') n = x;
  else {
    if (!x.unsigned && x.high < 0) return undefined;
    if (x.high >>> 0 >= 0x200000) return undefined; // ≥ 2^53
    n = x.toNumber();
  }
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}


function typedValueCount(t: TensorProto, dtype: DType): number {
  switch (dtype) {
    case 'float32':
    case 'complex64':
      return t.floatData?.length ?? 0;
    case 'float64':
    case 'complex128':
      return t.doubleData?.length ?? 0;
    case 'int64':
      return t.int64Data?.length ?? 0;
    case 'uint32':
    case 'uint64':
      return t.uint64Data?.length ?? 0;
    default:
      return t.int32Data?.length ?? 0;
  }
}

/** Encodes the typed-field values of `t` as little-endian bytes (ONNX packs fp16/bf16/int8 into int32_data). */
function typedToBytes(t: TensorProto, dtype: DType, size: number): Uint8Array {
  const out = new Uint8Array(size * DTYPE_BYTES[dtype]);
  const ab = out.buffer;
  switch (dtype) {
    case 'float32':
    case 'complex64':
      new Float32Array(ab).set(t.floatData ?? []);
      break;
    case 'float64':
    case 'complex128':
      new Float64Array(ab).set(t.doubleData ?? []);
      break;
    case 'int64': {
      const dst = new BigInt64Array(ab);
      (t.int64Data ?? []).forEach((v, i) => (dst[i] = BigInt(typeof v === 'number' ? v : v.toString())));
      break;
    }
    case 'uint32':
      new Uint32Array(ab).set((t.uint64Data ?? []).map((v) => Number(typeof v === 'number' ? v : v.toString())));
      break;
    case 'uint64': {
      const dst = new BigUint64Array(ab);
      (t.uint64Data ?? []).forEach((v, i) => (dst[i] = BigInt.asUintN(64, BigInt(typeof v === 'number' ? v : v.toString()))));
      break;
    }
    case 'float16':
    case 'bfloat16':
    case 'uint16':
      new Uint16Array(ab).set(t.int32Data ?? []);
      break;
    case 'int16':
      new Int16Array(ab).set(t.int32Data ?? []);
      break;
    case 'int32':
      new Int32Array(ab).set(t.int32Data ?? []);
      break;
    case 'int8':
      new Int8Array(ab).set(t.int32Data ?? []);
      break;
    case 'uint8':
    case 'bool':
      out.set(t.int32Data ?? []);
      break;
  }
  return out;
}

function externalField(t: TensorProto, key: string): string | undefined {
  return t.externalData?.find((e) => e.key === key)?.value ?? undefined;
}

/** Describes one TensorProto; validates dtype, shape and the byte count of its storage. */
async function describe(
  model: OnnxModel,
  t: TensorProto,
  name: string,
  slot: OnnxSlot,
  constNode: string | undefined,
): Promise<OnnxTensorEntry> {
  const where = `tensor '${name}'`;
  const dtype = ONNX_DTYPES[t.dataType ?? 0];
  if (dtype === undefined) {
    throw new ModelFormatError('E_UNKNOWN_DTYPE', `${where}: unknown or unsupported ONNX data_type ${t.dataType ?? 0}`, 'coquant reads fixed-size numeric tensors');
  }
  const shape: number[] = [];
  for (const d of t.dims ?? []) {
    const n = toCount(d as number | LongLike);
    if (n === undefined) throw new ModelFormatError('E_SHAPE_MISMATCH', `${where}: dimension ${String(d)} is negative or too large`, 'the file is corrupt or its exporter is broken; export the model again');
    shape.push(n);
  }
  const size = shapeSize(shape);
  if (size === undefined) throw new ModelFormatError('E_SHAPE_MISMATCH', `${where}: shape [${shape.join(', ')}] has too many elements`, 'the file is corrupt or its exporter is broken; export the model again');
  const byteLength = size * DTYPE_BYTES[dtype];
  if (t.segment) throw new ModelFormatError('E_UNSUPPORTED', `${where}: segmented tensors are not supported`);
  const info: TensorInfo = {
    name,
    shape,
    dtype,
    size,
    byteLength,
    origin: constNode !== undefined ? { kind: 'onnx-constant', node: constNode } : { kind: 'onnx-initializer' },
  };
  const entry: OnnxTensorEntry = { info, slot, proto: t };
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    const location = externalField(t, 'location');
    if (!location) throw new ModelFormatError('E_BAD_HEADER', `${where}: external data without a 'location' entry`);
    const parseField = (key: string, dflt: number | undefined): number | undefined => {
      const v = externalField(t, key);
      if (v === undefined) return dflt;
      if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) {
        throw new ModelFormatError('E_BAD_HEADER', `${where}: external data ${key} '${v}' is not a non-negative integer`);
      }
      return Number(v);
    };
    const offset = parseField('offset', 0) as number;
    const length = parseField('length', undefined);
    const file = await resolveInside(model.dir, location, where);
    const fileSize = (await stat(file)).size;
    if (offset > fileSize) {
      throw new ModelFormatError('E_OUT_OF_RANGE', `${where}: external offset ${offset} lies past the end of '${location}' (${fileSize} bytes)`);
    }
    const len = length ?? fileSize - offset;
    if (len !== byteLength) {
      throw new ModelFormatError(
        'E_SHAPE_MISMATCH',
        `${where}: external data holds ${len} bytes but shape [${shape.join(', ')}] of ${dtype} needs ${byteLength}`,
      );
    }
    if (offset + len > fileSize) {
      throw new ModelFormatError('E_OUT_OF_RANGE', `${where}: external bytes ${offset}..${offset + len} lie past the end of '${location}' (${fileSize} bytes)`);
    }
    entry.externalFile = file;
    entry.externalOffset = offset;
    info.origin = { kind: 'onnx-external', file, offset };
    return entry;
  }
  const raw = t.rawData;
  if (raw && raw.length > 0) {
    if (raw.length !== byteLength) {
      throw new ModelFormatError('E_SHAPE_MISMATCH', `${where}: raw_data holds ${raw.length} bytes but shape [${shape.join(', ')}] of ${dtype} needs ${byteLength}`, 'the file is corrupt or its exporter is broken; export the model again');
    }
    return entry;
  }
  const perElem = dtype === 'complex64' || dtype === 'complex128' ? 2 : 1;
  const have = typedValueCount(t, dtype);
  if (have !== size * perElem) {
    throw new ModelFormatError('E_SHAPE_MISMATCH', `${where}: holds ${have} values but shape [${shape.join(', ')}] needs ${size * perElem}`, 'the file is corrupt or its exporter is broken; export the model again');
  }
  return entry;
}

/** Scalar/list Constant attributes (value_float, value_floats, value_int, value_ints) as tensors. */
function literalEntry(a: onnxProto_AttributeLike, name: string, node: string, slot: OnnxSlot): OnnxTensorEntry | undefined {
  let dtype: DType;
  let bytes: Uint8Array;
  let shape: number[];
  switch (a.name) {
    case 'value_float':
      dtype = 'float32';
      shape = [];
      bytes = new Uint8Array(Float32Array.of(a.f ?? 0).buffer);
      break;
    case 'value_floats':
      dtype = 'float32';
      shape = [a.floats?.length ?? 0];
      bytes = new Uint8Array(Float32Array.from(a.floats ?? []).buffer);
      break;
    case 'value_int':
      dtype = 'int64';
      shape = [];
      bytes = new Uint8Array(BigInt64Array.of(BigInt(String(a.i ?? 0))).buffer);
      break;
    case 'value_ints':
      dtype = 'int64';
      shape = [a.ints?.length ?? 0];
      bytes = new Uint8Array(BigInt64Array.from((a.ints ?? []).map((v) => BigInt(String(v)))).buffer);
      break;
    default:
      return undefined; // sparse_value and strings are not weights
  }
  const size = shape.length === 0 ? 1 : shape[0];
  return {
    info: { name, shape, dtype, size, byteLength: bytes.length, origin: { kind: 'onnx-constant', node } },
    slot,
    literal: bytes,
  };
}

type onnxProto_AttributeLike = {
  name?: string | null;
  t?: TensorProto | null;
  f?: number | null;
  floats?: number[] | null;
  i?: number | LongLike | null;
  ints?: (number | LongLike)[] | null;
};

/** All tensors of the main graph, initializers first then Constant nodes in node order. */
export async function enumerateOnnxTensors(model: OnnxModel): Promise<OnnxTensorEntry[]> {
  const g = model.proto.graph;
  if (!g) throw new ModelFormatError('E_EMPTY_MODEL', `${model.path}: ONNX model has no graph`);
  const entries: OnnxTensorEntry[] = [];
  const seen = new Set<string>();
  const add = (e: OnnxTensorEntry) => {
    if (seen.has(e.info.name)) throw new ModelFormatError('E_DUPLICATE_NAME', `${model.path}: two tensors are both named '${e.info.name}'`);
    seen.add(e.info.name);
    entries.push(e);
  };
  for (const [index, t] of (g.initializer ?? []).entries()) {
    const name = t.name ?? '';
    if (!name) throw new ModelFormatError('E_BAD_HEADER', `${model.path}: initializer #${index} has no name`);
    add(await describe(model, t, name, { kind: 'initializer', index }, undefined));
  }
  for (const [nodeIndex, n] of (g.node ?? []).entries()) {
    if (n.opType !== 'Constant' || !['', 'ai.onnx'].includes(n.domain ?? '')) continue;
    const out = n.output?.[0];
    if (!out) throw new ModelFormatError('E_BAD_HEADER', `${model.path}: Constant node #${nodeIndex} '${n.name ?? ''}' has no output`);
    const nodeName = n.name || out;
    for (const [attrIndex, a] of (n.attribute ?? []).entries()) {
      if (a.name === 'value' && a.t) {
        add(await describe(model, a.t, out, { kind: 'constant', nodeIndex, attrIndex, attr: 'value' }, nodeName));
        break;
      }
      const attr = a.name as 'value_float' | 'value_floats' | 'value_int' | 'value_ints';
      const lit = literalEntry(a as onnxProto_AttributeLike, out, nodeName, { kind: 'constant', nodeIndex, attrIndex, attr });
      if (lit) {
        add(lit);
        break;
      }
    }
  }
  return entries;
}

/** Bytes of one entry: inline raw_data, typed fields, a literal attribute, or a positioned external read. */
export async function readOnnxEntry(e: OnnxTensorEntry): Promise<Uint8Array> {
  const { info } = e;
  if (e.literal) return e.literal.slice();
  if (e.externalFile !== undefined) {
    const fh = await open(e.externalFile, 'r');
    try {
      const buf = Buffer.allocUnsafe(info.byteLength);
      let got = 0;
      while (got < info.byteLength) {
        const { bytesRead } = await fh.read(buf, got, info.byteLength - got, (e.externalOffset ?? 0) + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      if (got !== info.byteLength) {
        throw new ModelFormatError('E_TRUNCATED', `tensor '${info.name}': external file ended after ${got} of ${info.byteLength} bytes at offset ${(e.externalOffset ?? 0) + got}`);
      }
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
    } finally {
      await fh.close();
    }
  }
  const t = e.proto as TensorProto;
  if (t.rawData && t.rawData.length > 0) return new Uint8Array(t.rawData); // copy: callers may mutate
  return typedToBytes(t, info.dtype, info.size);
}

/** A WeightSource over a loaded ONNX model. `entries` and `model` are exposed for onnx-edit. */
export interface OnnxWeightSource extends WeightSource {
  readonly format: 'onnx';
  readonly model: OnnxModel;
  readonly entries: ReadonlyMap<string, OnnxTensorEntry>;
}

export function onnxWeightSource(model: OnnxModel, list: OnnxTensorEntry[]): OnnxWeightSource {
  const entries = new Map(list.map((e) => [e.info.name, e]));
  const tensors = list.map((e) => e.info);
  const get = (name: string): OnnxTensorEntry => {
    const e = entries.get(name);
    if (!e) throw new ModelFormatError('E_NO_SUCH_TENSOR', `${model.path}: no tensor named '${name}'`);
    return e;
  };
  const read = async (name: string): Promise<RawTensor> => {
    const e = get(name);
    return { info: e.info, bytes: await readOnnxEntry(e) };
  };
  return {
    path: model.path,
    format: 'onnx',
    model,
    entries,
    tensors,
    read,
    readChunks(name: string, chunkElems: number): AsyncIterable<RawChunk> {
      return chunksFromRead(read, get(name).info, chunkElems);
    },
    async close() {},
  };
}

/** Opens an ONNX file as a WeightSource. A graph with no float tensor at all is E_EMPTY_MODEL. */
export async function openOnnx(path: string): Promise<OnnxWeightSource> {
  const model = await loadOnnxModel(path);
  const list = await enumerateOnnxTensors(model);
  if (!list.some((e) => FLOAT_DTYPES.has(e.info.dtype) && e.info.size > 0)) {
    throw new ModelFormatError('E_EMPTY_MODEL', `${path}: ONNX model holds no float weights (no initializers or Constant nodes with float data)`, 'there is nothing to profile or quantize: coquant acts on float weights stored in the model');
  }
  return onnxWeightSource(model, list);
}
