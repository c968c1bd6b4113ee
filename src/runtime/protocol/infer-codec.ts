/**
 * Whole inference messages (request and response) in both encodings of the protocol:
 * plain JSON, or the binary tensor data extension (JSON header, then the raw bytes of each
 * binary tensor in the order the header lists them; `Inference-Header-Content-Length` gives
 * the JSON part's length). Server and client share these functions.
 */
import { isDataType, type DataType } from './datatypes.ts';
import { invalidArg } from './protocol-error.ts';
import type { z } from 'zod';
import { quickInferRequest, quickInferResponse } from './header-quick-check.ts';
import {
  describeZodError, inferRequestSchema, inferResponseSchema, type InferRequestHeader,
} from './schemas.ts';
import {
  fixedByteSize, tensorFromBytes, tensorFromJson, tensorToBytes, tensorToJsonText, type InferTensor,
} from './tensor-codec.ts';

export const HEADER_LENGTH_HEADER = 'inference-header-content-length';

/**
 * Padding before a received body that puts byte `headerLength` of it (the start of the binary
 * tensor part) on an 8-byte boundary, so typed-array views of its tensors need no copy. 0 when
 * the header length is absent, malformed, or longer than the body (the decoder reports that).
 */
export function alignPad(headerLength: string | string[] | undefined, contentLength: number): number {
  const h = Array.isArray(headerLength) ? headerLength[0] : headerLength;
  if (h === undefined || !/^\s*\d{1,15}\s*$/.test(h)) return 0;
  const n = Number(h);
  return n > contentLength ? 0 : (8 - (n % 8)) % 8;
}
export const BINARY_CONTENT_TYPE = 'application/octet-stream';
export const JSON_CONTENT_TYPE = 'application/json';

export type Parameters = Record<string, string | number | boolean | null>;

/** A message ready to send: one buffer plus the header length when it has binary sections. */
export interface EncodedMessage {
  body: Buffer;
  headerLength?: number;
  contentType: string;
}

/** Splits a body into its JSON header and binary tail, validating the header length. */
export function splitMessage(body: Uint8Array, headerLength: string | undefined): { json: unknown; binary: Uint8Array } {
  let jsonEnd = body.length;
  if (headerLength !== undefined) {
    if (!/^\d{1,15}$/.test(headerLength.trim())) {
      throw invalidArg(`Inference-Header-Content-Length '${headerLength.slice(0, 40)}' is not a non-negative integer`, 'header_length');
    }
    jsonEnd = Number(headerLength.trim());
    if (jsonEnd > body.length) {
      throw invalidArg(`Inference-Header-Content-Length is ${jsonEnd} but the body has only ${body.length} bytes`, 'header_length');
    }
  }
  const text = Buffer.from(body.buffer, body.byteOffset, jsonEnd).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw invalidArg(`the ${headerLength === undefined ? 'body' : 'JSON header'} (${jsonEnd} bytes) is not valid JSON: ${why.slice(0, 120)}`, 'json');
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw invalidArg('the JSON document must be an object', 'json');
  }
  return { json, binary: body.subarray(jsonEnd) };
}

/** `json` through zod: the header's definition, and the wording of its errors. */
function checked<T>(schema: z.ZodType<T>, json: unknown, what: string): T {
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw invalidArg(`invalid inference ${what}: ${describeZodError(parsed.error)}`, 'schema');
  return parsed.data;
}

/** Reads `parameters.binary_data_size`; undefined when the tensor carries JSON data. */
function binarySize(params: Parameters | undefined, where: string): number | undefined {
  const v = params?.binary_data_size;
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw invalidArg(`${where}: parameters.binary_data_size must be a non-negative integer`, 'binary_size');
  }
  return v;
}

/** Takes each binary tensor's section off the tail in order; leftovers are an error. */
class BinaryReader {
  private off = 0;
  constructor(private readonly tail: Uint8Array) {}
  take(n: number, where: string): Uint8Array {
    if (this.off + n > this.tail.length) {
      throw invalidArg(`${where}: binary_data_size is ${n} but only ${this.tail.length - this.off} bytes of binary data remain (at byte ${this.off} of the binary part)`, 'binary_size');
    }
    const s = this.tail.subarray(this.off, this.off + n);
    this.off += n;
    return s;
  }
  finish(): void {
    if (this.off !== this.tail.length) {
      throw invalidArg(`the body has ${this.tail.length - this.off} bytes after the last binary tensor that no binary_data_size accounts for`, 'binary_size');
    }
  }
}

function decodeTensor(
  t: { name: string; datatype: DataType; shape: number[]; parameters?: Parameters; data?: unknown },
  where: string, reader: BinaryReader,
): InferTensor {
  const size = binarySize(t.parameters, where);
  if (size !== undefined) {
    if (t.data !== undefined) throw invalidArg(`${where}: has both 'data' and parameters.binary_data_size`, 'data');
    const expect = fixedByteSize(t.datatype, t.shape, where);
    if (expect !== undefined && expect !== size) {
      throw invalidArg(`${where}: binary_data_size is ${size} but ${t.datatype} shape [${t.shape.join(',')}] needs ${expect} bytes`, 'binary_size');
    }
    return { name: t.name, datatype: t.datatype, shape: t.shape, data: tensorFromBytes(t.datatype, t.shape, reader.take(size, where), where) };
  }
  if (t.data === undefined) throw invalidArg(`${where}: has neither 'data' nor parameters.binary_data_size`, 'data');
  return { name: t.name, datatype: t.datatype, shape: t.shape, data: tensorFromJson(t.datatype, t.shape, t.data, where) };
}

export interface RequestedOutput {
  name: string;
  /** Whether this output goes back as binary, after applying the request-level default. */
  binary: boolean;
}

export interface DecodedInferRequest {
  id?: string;
  parameters?: Parameters;
  inputs: InferTensor[];
  /** Undefined: return every output (with `binaryDefault`). */
  outputs?: RequestedOutput[];
  binaryDefault: boolean;
}

function boolParam(params: Parameters | undefined, key: string, where: string): boolean | undefined {
  const v = params?.[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw invalidArg(`${where}: parameters.${key} must be a boolean`, 'parameters');
  return v;
}

export function decodeInferRequest(body: Uint8Array, headerLength: string | undefined): DecodedInferRequest {
  const { json, binary } = splitMessage(body, headerLength);
  const req: InferRequestHeader = quickInferRequest(json) ?? checked(inferRequestSchema, json, 'request');
  const reader = new BinaryReader(binary);
  const seen = new Set<string>();
  const inputs = req.inputs.map((t, i) => {
    const where = `input '${t.name}' (inputs[${i}])`;
    if (seen.has(t.name)) throw invalidArg(`${where}: input given twice`, 'duplicate');
    seen.add(t.name);
    return decodeTensor(t as Parameters & typeof t, where, reader);
  });
  reader.finish();
  const binaryDefault = boolParam(req.parameters as Parameters | undefined, 'binary_data_output', 'request') ?? false;
  const outs = new Set<string>();
  const outputs = req.outputs?.map((o, i) => {
    const where = `output '${o.name}' (outputs[${i}])`;
    if (outs.has(o.name)) throw invalidArg(`${where}: output requested twice`, 'duplicate');
    outs.add(o.name);
    return { name: o.name, binary: boolParam(o.parameters as Parameters | undefined, 'binary_data', where) ?? binaryDefault };
  });
  return { id: req.id, parameters: req.parameters as Parameters | undefined, inputs, outputs, binaryDefault };
}

/**
 * A message as the list of pieces it is made of (JSON header, then the binary sections as views
 * of the tensors' own memory), so a sender can write them one after another instead of first
 * copying megabytes into one buffer.
 */
export interface EncodedParts {
  chunks: Uint8Array[];
  byteLength: number;
  headerLength?: number;
  contentType: string;
}

function assembleParts(head: string, sections: Uint8Array[]): EncodedParts {
  const headBuf = Buffer.from(head, 'utf8');
  if (sections.length === 0) return { chunks: [headBuf], byteLength: headBuf.length, contentType: JSON_CONTENT_TYPE };
  let byteLength = headBuf.length;
  for (const s of sections) byteLength += s.length;
  return { chunks: [headBuf, ...sections], byteLength, headerLength: headBuf.length, contentType: BINARY_CONTENT_TYPE };
}

/** The pieces joined into one buffer (one copy; no copy when there is a single piece). */
export function joinParts(p: EncodedParts): EncodedMessage {
  const body = p.chunks.length === 1 && Buffer.isBuffer(p.chunks[0]) ? p.chunks[0] : Buffer.concat(p.chunks, p.byteLength);
  return p.headerLength === undefined ? { body, contentType: p.contentType } : { body, headerLength: p.headerLength, contentType: p.contentType };
}

/** Encodes tensors as JSON objects; binary ones get binary_data_size and add a section. */
function encodeTensors(tensors: Array<InferTensor & { binary: boolean; parameters?: Parameters }>, sections: Uint8Array[]): string {
  const parts: string[] = [];
  for (const t of tensors) {
    // FP16/BF16 have no JSON form: they always travel as binary.
    const binary = t.binary || t.datatype === 'FP16' || t.datatype === 'BF16';
    const params: Parameters = { ...(t.parameters ?? {}) };
    if (binary) {
      const bytes = tensorToBytes(t.datatype, t.data);
      sections.push(bytes);
      params.binary_data_size = bytes.length;
    }
    const obj: Record<string, unknown> = { name: t.name, datatype: t.datatype, shape: t.shape };
    if (Object.keys(params).length > 0) obj.parameters = params;
    const s = JSON.stringify(obj);
    parts.push(binary ? s : `${s.slice(0, -1)},"data":${tensorToJsonText(t.datatype, t.data)}}`);
  }
  return `[${parts.join(',')}]`;
}

export interface EncodeRequestOptions {
  id?: string;
  parameters?: Parameters;
  /** Outputs to return; omitted means all. `binary` overrides `binaryOutputs` per output. */
  outputs?: Array<{ name: string; binary?: boolean }>;
  binaryInputs?: boolean;
  binaryOutputs?: boolean;
}

export function encodeInferRequest(inputs: InferTensor[], opts: EncodeRequestOptions = {}): EncodedMessage {
  return joinParts(encodeInferRequestParts(inputs, opts));
}

/** encodeInferRequest without the final copy: the binary sections are views of the inputs' data. */
export function encodeInferRequestParts(inputs: InferTensor[], opts: EncodeRequestOptions = {}): EncodedParts {
  const binaryInputs = opts.binaryInputs ?? true;
  const binaryOutputs = opts.binaryOutputs ?? true;
  const sections: Uint8Array[] = [];
  const inputsJson = encodeTensors(inputs.map((t) => ({ ...t, binary: binaryInputs })), sections);
  const head: Record<string, unknown> = {};
  if (opts.id !== undefined) head.id = opts.id;
  const params: Parameters = { ...(opts.parameters ?? {}) };
  if (binaryOutputs) params.binary_data_output = true;
  if (Object.keys(params).length > 0) head.parameters = params;
  if (opts.outputs) {
    head.outputs = opts.outputs.map((o) => ({ name: o.name, parameters: { binary_data: o.binary ?? binaryOutputs } }));
  }
  const headText = JSON.stringify(head);
  const text = `${headText.slice(0, -1)}${headText.length > 2 ? ',' : ''}"inputs":${inputsJson}}`;
  return assembleParts(text, sections);
}

export interface InferResponseHead {
  model_name: string;
  model_version?: string;
  id?: string;
  parameters?: Parameters;
}

export function encodeInferResponse(head: InferResponseHead, outputs: Array<InferTensor & { binary: boolean }>): EncodedMessage {
  return joinParts(encodeInferResponseParts(head, outputs));
}

/** encodeInferResponse without the final copy: the binary sections are views of the outputs' data. */
export function encodeInferResponseParts(head: InferResponseHead, outputs: Array<InferTensor & { binary: boolean }>): EncodedParts {
  const sections: Uint8Array[] = [];
  const outputsJson = encodeTensors(outputs, sections);
  const headText = JSON.stringify(head);
  return assembleParts(`${headText.slice(0, -1)},"outputs":${outputsJson}}`, sections);
}

export interface DecodedInferResponse extends InferResponseHead {
  outputs: InferTensor[];
}

export function decodeInferResponse(body: Uint8Array, headerLength: string | undefined): DecodedInferResponse {
  const { json, binary } = splitMessage(body, headerLength);
  const r = quickInferResponse(json) ?? checked(inferResponseSchema, json, 'response');
  const reader = new BinaryReader(binary);
  const outputs = r.outputs.map((t, i) => {
    if (!isDataType(t.datatype)) throw invalidArg(`outputs[${i}]: unknown datatype`, 'datatype');
    return decodeTensor(t as typeof t & { parameters?: Parameters }, `output '${t.name}' (outputs[${i}])`, reader);
  });
  reader.finish();
  return {
    model_name: r.model_name, model_version: r.model_version, id: r.id,
    parameters: r.parameters as Parameters | undefined, outputs,
  };
}
