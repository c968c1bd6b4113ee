/**
 * The models a server serves: one onnxruntime-node session per ONNX file, with the protocol
 * metadata (datatype, shape with -1 for symbolic dims) derived from the session so requests
 * can be validated before they reach onnxruntime.
 */
import { existsSync } from 'node:fs';
import ort from 'onnxruntime-node';
import { CoquantError } from '../../errors.ts';
import { fromOrtType, toOrtType, type DataType, type NumericArray } from '../protocol/datatypes.ts';
import { invalidArg, notFound, unsupported } from '../protocol/protocol-error.ts';
import type { ModelMetadata } from '../protocol/schemas.ts';
import { textOf, bytesOf, type InferTensor } from '../protocol/tensor-codec.ts';

export interface ModelSpec {
  name: string;
  path: string;
}

export interface TensorSpec {
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
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  session: ort.InferenceSession;
}

function specOf(m: ort.InferenceSession.ValueMetadata): TensorSpec {
  if (!m.isTensor) return { name: m.name, ortType: 'non-tensor', shape: [] };
  return {
    name: m.name,
    datatype: fromOrtType(m.type),
    ortType: m.type,
    shape: m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)),
  };
}

export async function loadModel(spec: ModelSpec, opts: { intraOpThreads?: number } = {}): Promise<LoadedModel> {
  if (!existsSync(spec.path)) {
    throw new CoquantError('E_MODEL_FILE', `model '${spec.name}': file ${spec.path} does not exist`, { exitCode: 2 });
  }
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(spec.path, {
      intraOpNumThreads: opts.intraOpThreads ?? 0,
      graphOptimizationLevel: 'all',
    });
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new CoquantError('E_MODEL_LOAD', `model '${spec.name}': onnxruntime cannot load ${spec.path}: ${why.split('\n')[0]}`, { exitCode: 2 });
  }
  return {
    name: spec.name, version: '1', path: spec.path, session,
    inputs: session.inputMetadata.map(specOf),
    outputs: session.outputMetadata.map(specOf),
  };
}

export function modelMetadata(m: LoadedModel): ModelMetadata {
  const meta = (t: TensorSpec) => ({ name: t.name, datatype: t.datatype ?? `UNSUPPORTED(${t.ortType})`, shape: t.shape });
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

function toOrtTensor(t: InferTensor): ort.Tensor {
  const type = toOrtType(t.datatype);
  if (!type) throw unsupported(`input '${t.name}': datatype ${t.datatype} has no onnxruntime-node tensor type`);
  if (t.datatype === 'BYTES') return new ort.Tensor('string', (t.data as Uint8Array[]).map(textOf), t.shape);
  return new ort.Tensor(type as 'float32', t.data as Float32Array, t.shape);
}

function fromOrtTensor(name: string, v: ort.Tensor): InferTensor {
  const dt = fromOrtType(v.type);
  if (!dt) throw unsupported(`output '${name}' has onnxruntime type ${v.type}, which the protocol cannot carry`);
  const shape = v.dims.map(Number);
  if (dt === 'BYTES') return { name, datatype: dt, shape, data: (v.data as string[]).map(bytesOf) };
  return { name, datatype: dt, shape, data: v.data as NumericArray };
}

/** Runs the model on validated inputs and returns the named outputs in the order asked. */
export async function runModel(m: LoadedModel, inputs: InferTensor[], outputNames: string[]): Promise<InferTensor[]> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const t of inputs) feeds[t.name] = toOrtTensor(t);
  let res: ort.InferenceSession.ReturnType;
  try {
    res = await m.session.run(feeds, outputNames);
  } catch (e) {
    // Inputs passed the metadata checks, so a failure here depends on their values or sizes
    // (e.g. an image too narrow for a convolution): the caller's argument, not a server fault.
    const why = e instanceof Error ? e.message : String(e);
    throw invalidArg(`model '${m.name}': onnxruntime rejected the inputs: ${why.split('\n')[0]!.slice(0, 300)}`, 'model_run');
  }
  return outputNames.map((n) => fromOrtTensor(n, res[n] as ort.Tensor));
}

export function lookupModel(models: Map<string, LoadedModel>, name: string, version?: string): LoadedModel {
  const m = models.get(name);
  if (!m) throw notFound(`unknown model '${name}'${models.size ? `; this server has ${[...models.keys()].map((k) => `'${k}'`).join(', ')}` : ''}`);
  if (version !== undefined && version !== m.version) throw notFound(`model '${name}' has no version '${version}' (available: ${m.version})`);
  return m;
}
