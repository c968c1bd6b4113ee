/**
 * The inference request and response headers checked by hand, for the common document: known
 * keys only, with the types schemas.ts asks for. Right after a megabyte body has gone through
 * the caches, zod's walk of the same 150-byte header took 50 µs per request on the server (5 µs
 * with warm caches); this touches a few properties. Anything it does not accept outright (an
 * unknown key, a wrong type) returns undefined and goes to zod, which stays the definition and
 * words the error. So this may only ever accept what zod accepts, with the same result (the
 * property test in test/runtime/header-quick-check.test.ts checks exactly that).
 */
import { isDataType } from './datatypes.ts';
import type { InferRequestHeader, InferResponseHeader } from './schemas.ts';

type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Own keys of `o` all within `allowed` (and none that JSON.parse turns into a prototype trap). */
function keysWithin(o: Obj, allowed: readonly string[]): boolean {
  for (const k in o) {
    if (!Object.hasOwn(o, k) || !allowed.includes(k)) return false;
  }
  return !Object.hasOwn(o, '__proto__');
}

function isParameters(v: unknown): boolean {
  if (!isObject(v) || Object.hasOwn(v, '__proto__')) return false;
  for (const k in v) {
    const x = v[k];
    if (!(x === null || typeof x === 'string' || typeof x === 'boolean' || (typeof x === 'number' && Number.isFinite(x)))) return false;
  }
  return true;
}

function isShape(v: unknown): boolean {
  if (!Array.isArray(v) || v.length > 64) return false;
  for (const d of v) if (!(typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) return false;
  return true;
}

const optional = (v: unknown, check: (x: unknown) => boolean): boolean => v === undefined || check(v);
const isString = (v: unknown): boolean => typeof v === 'string';
const isName = (v: unknown): boolean => typeof v === 'string' && v.length > 0;

const TENSOR_KEYS = ['name', 'shape', 'datatype', 'parameters', 'data'] as const;

function isTensor(v: unknown, name: (x: unknown) => boolean): boolean {
  return isObject(v) && keysWithin(v, TENSOR_KEYS) && name(v.name) && isShape(v.shape) && isDataType(v.datatype)
    && optional(v.parameters, isParameters);
}

function everyOf(v: unknown, check: (x: unknown) => boolean, min: number): boolean {
  if (!Array.isArray(v) || v.length < min) return false;
  for (const x of v) if (!check(x)) return false;
  return true;
}

const REQUEST_KEYS = ['id', 'parameters', 'inputs', 'outputs'] as const;
const OUTPUT_REQUEST_KEYS = ['name', 'parameters'] as const;
const isOutputRequest = (v: unknown): boolean => isObject(v) && keysWithin(v, OUTPUT_REQUEST_KEYS) && isName(v.name) && optional(v.parameters, isParameters);
const isInput = (v: unknown): boolean => isTensor(v, isName);

/** `json` as an inference request header when it is a plain one; undefined: ask zod. */
export function quickInferRequest(json: unknown): InferRequestHeader | undefined {
  if (!isObject(json) || !keysWithin(json, REQUEST_KEYS)) return undefined;
  const ok = optional(json.id, isString) && optional(json.parameters, isParameters) && everyOf(json.inputs, isInput, 1)
    && optional(json.outputs, (o) => everyOf(o, isOutputRequest, 0));
  return ok ? (json as InferRequestHeader) : undefined;
}

const RESPONSE_KEYS = ['model_name', 'model_version', 'id', 'parameters', 'outputs'] as const;
const isOutput = (v: unknown): boolean => isTensor(v, isString);

/** `json` as an inference response header when it is a plain one; undefined: ask zod. */
export function quickInferResponse(json: unknown): InferResponseHeader | undefined {
  if (!isObject(json) || !keysWithin(json, RESPONSE_KEYS)) return undefined;
  const ok = isString(json.model_name) && optional(json.model_version, isString) && optional(json.id, isString)
    && optional(json.parameters, isParameters) && everyOf(json.outputs, isOutput, 0);
  return ok ? (json as InferResponseHeader) : undefined;
}
