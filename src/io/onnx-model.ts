/**
 * Loads an ONNX ModelProto with onnx-proto and turns protobuf's failures into typed errors
 * with the byte offset where decoding stopped. ONNX's protobuf container cannot exceed 2 GiB,
 * so holding the file in memory is bounded; large weights live in external data files.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import onnxProto from 'onnx-proto';
import { ModelFormatError } from './errors.ts';

export const { onnx } = onnxProto;
export type ModelProto = onnxProto.onnx.ModelProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
/** Message types for graph readers outside io (they import them here, not from onnx-proto). */
export type ModelLike = onnxProto.onnx.IModelProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;
export type GraphProto = onnxProto.onnx.IGraphProto;

/** Protobuf messages are capped at 2 GiB; anything larger cannot be a valid ONNX file. */
export const ONNX_MAX_BYTES = 2 ** 31 - 1;

export interface OnnxModel {
  /** Absolute path of the model file. */
  path: string;
  /** Folder external data is resolved against. */
  dir: string;
  proto: ModelProto;
  /** The file's bytes, kept so editors can decode an independent copy. Never mutate. */
  bytes: Uint8Array;
}

/** Decodes bytes as a ModelProto; `where` names the file in messages. */
export function parseOnnxModel(bytes: Uint8Array, where: string): ModelProto {
  if (bytes.length === 0) throw new ModelFormatError('E_NOT_ONNX', `${where}: not an ONNX model (the file is empty)`);
  let proto: ModelProto;
  try {
    proto = onnx.ModelProto.decode(bytes);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const range = /index out of range: (\d+) \+ (\d+) > (\d+)/.exec(msg);
    if (range) {
      throw new ModelFormatError(
        'E_TRUNCATED',
        `${where}: not an ONNX model or truncated: a field at byte offset ${range[1]} needs ${range[2]} bytes but the file ends at ${range[3]}`,
        'the download or copy was probably cut short; fetch the file again',
      );
    }
    const off = /offset (\d+)/.exec(msg);
    const at = off ? ` at byte offset ${off[1]}` : '';
    throw new ModelFormatError('E_NOT_ONNX', `${where}: not an ONNX model: protobuf decoding failed${at} (${msg.replace(/ at offset \d+/, '')})`);
  }
  if (!proto.graph) {
    const looksOnnx = Number(proto.irVersion ?? 0) > 0 || (proto.opsetImport?.length ?? 0) > 0;
    if (!looksOnnx) throw new ModelFormatError('E_NOT_ONNX', `${where}: not an ONNX model (no ir_version, opset or graph)`);
    throw new ModelFormatError('E_EMPTY_MODEL', `${where}: ONNX model has no graph`);
  }
  return proto;
}

export async function loadOnnxModel(path: string): Promise<OnnxModel> {
  const abs = resolve(path);
  let size: number;
  try {
    size = (await stat(abs)).size;
  } catch {
    throw new ModelFormatError('E_NOT_FOUND', `${path}: no such file`);
  }
  if (size > ONNX_MAX_BYTES) {
    throw new ModelFormatError('E_TOO_LARGE', `${path}: ${size} bytes is over the 2 GiB protobuf limit, so it is not a valid ONNX file`, 'store large weights as external data');
  }
  const bytes = await readFile(abs);
  return { path: abs, dir: dirname(abs), proto: parseOnnxModel(bytes, path), bytes };
}
