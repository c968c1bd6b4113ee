/**
 * The models a server serves and their protocol metadata (datatype, shape with -1 for symbolic
 * dims), as the onnxruntime workers report it, so requests are validated before they reach
 * onnxruntime.
 */
import { existsSync } from 'node:fs';
import { CoquantError } from '../../errors.ts';
import { fromOrtType, type DataType } from '../protocol/datatypes.ts';
import { invalidArg, notFound, unsupported } from '../protocol/protocol-error.ts';
import type { ModelMetadata } from '../protocol/schemas.ts';
import type { InferTensor } from '../protocol/tensor-codec.ts';
import type { WorkerModelMeta, WorkerValueMeta } from './worker-pool.ts';

export interface ModelSpec {
  name: string;
  path: string;
}

export interface ServedTensorSpec {
  name: string;
  /** Undefined when onnxruntime reports a type the protocol cannot carry. */
  datatype?: DataType;
  ortType: string;
  shape: number[];
}

export interface LoadedModel {
  name: string;
  version: string;
  path: string;
  inputs: ServedTensorSpec[];
  outputs: ServedTensorSpec[];
}

function specOf(m: WorkerValueMeta): ServedTensorSpec {
  if (!m.isTensor) return { name: m.name, ortType: 'non-tensor', shape: [] };
  return { name: m.name, datatype: fromOrtType(m.type), ortType: m.type, shape: m.shape.map((d) => (d >= 0 ? d : -1)) };
}

/** Checks the model files exist before workers try to load them (a clearer error than onnxruntime's). */
export function checkModelFiles(specs: ModelSpec[]): void {
  const names = new Set<string>();
  for (const s of specs) {
    if (names.has(s.name)) throw new CoquantError('E_MODEL_NAME', `two models are named '${s.name}'; give each a distinct --name`, { exitCode: 2 });
    names.add(s.name);
    if (!existsSync(s.path)) throw new CoquantError('E_MODEL_FILE', `model '${s.name}': file ${s.path} does not exist`, { exitCode: 2 });
  }
}

export function describeModel(spec: ModelSpec, meta: WorkerModelMeta): LoadedModel {
  return { name: spec.name, version: '1', path: spec.path, inputs: meta.inputs.map(specOf), outputs: meta.outputs.map(specOf) };
}

export function modelMetadata(m: LoadedModel): ModelMetadata {
  const meta = (t: ServedTensorSpec) => ({ name: t.name, datatype: t.datatype ?? `UNSUPPORTED(${t.ortType})`, shape: t.shape });
  return { name: m.name, versions: [m.version], platform: 'onnxruntime_onnx', inputs: m.inputs.map(meta), outputs: m.outputs.map(meta) };
}

/** Checks the request's inputs against the model's metadata; names the offending tensor. */
export function validateInputs(m: LoadedModel, inputs: InferTensor[]): void {
  const byName = new Map(m.inputs.map((t) => [t.name, t]));
  for (const t of inputs) {
    const spec = byName.get(t.name);
    if (!spec) throw invalidArg(`model '${m.name}' has no input '${t.name}'; its inputs are ${m.inputs.map((x) => `'${x.name}'`).join(', ')}`, 'input_name');
    if (!spec.datatype) throw unsupported(`model '${m.name}' input '${t.name}' has onnxruntime type ${spec.ortType}, which this server cannot feed`);
    if (t.datatype !== spec.datatype) throw invalidArg(`input '${t.name}': datatype ${t.datatype} does not match the model's ${spec.datatype}`, 'datatype');
    const ok = t.shape.length === spec.shape.length && spec.shape.every((d, i) => d === -1 || d === t.shape[i]);
    if (!ok) throw invalidArg(`input '${t.name}': shape [${t.shape.join(',')}] does not match the model's [${spec.shape.join(',')}] (-1 = any size)`, 'shape');
  }
  const given = new Set(inputs.map((t) => t.name));
  const missing = m.inputs.filter((t) => !given.has(t.name));
  if (missing.length) throw invalidArg(`model '${m.name}' needs input${missing.length > 1 ? 's' : ''} ${missing.map((x) => `'${x.name}'`).join(', ')}`, 'input_name');
}

export function validateOutputs(m: LoadedModel, names: string[]): void {
  const known = new Set(m.outputs.map((t) => t.name));
  for (const n of names) {
    if (!known.has(n)) throw invalidArg(`model '${m.name}' has no output '${n}'; its outputs are ${m.outputs.map((x) => `'${x.name}'`).join(', ')}`, 'output_name');
  }
}

export function lookupModel(models: Map<string, LoadedModel>, name: string, version?: string): LoadedModel {
  const m = models.get(name);
  if (!m) throw notFound(`unknown model '${name}'${models.size ? `; this server has ${[...models.keys()].map((k) => `'${k}'`).join(', ')}` : ''}`);
  if (version !== undefined && version !== m.version) throw notFound(`model '${name}' has no version '${version}' (available: ${m.version})`);
  return m;
}
