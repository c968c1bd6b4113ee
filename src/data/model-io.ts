/**
 * What a model's graph declares about its inputs and outputs, read from the ONNX file itself
 * (not from an onnxruntime session, which may fail, or crash, on the very types checked here),
 * and the checks every command that runs a model makes before it does: tensor inputs of a type
 * coquant can synthesise or read from --inputs, and outputs it can compare.
 */
import type onnxProto from 'onnx-proto';
import { CoquantError } from '../errors.ts';
import { dataType, dataTypeOfOnnx } from '../io/data-types.ts';
import { HOST_TENSOR_TYPES } from './tensor.ts';

type ModelProto = onnxProto.onnx.IModelProto;
type TypeProto = onnxProto.onnx.ITypeProto;

/** ONNX element type code → coquant's (and onnxruntime's) type name, from the one data-type table. */
const elemName = (code: number | null | undefined): string | undefined => dataTypeOfOnnx(Number(code ?? 0))?.name;

export interface DeclaredValue {
  name: string;
  /** 'tensor', or the non-tensor kind: sequence, map, optional, sparse, unknown. */
  kind: 'tensor' | 'sequence' | 'map' | 'optional' | 'sparse' | 'unknown';
  /** Element type name for tensors (float32, int64, …); for others, a readable type such as sequence(tensor(float32)). */
  type: string;
}

function describeType(t: TypeProto | null | undefined): DeclaredValue['type'] {
  if (!t) return 'unknown';
  if (t.tensorType) return elemName(t.tensorType.elemType) ?? `element type ${t.tensorType.elemType}`;
  if (t.sequenceType) return `sequence(${inner(t.sequenceType.elemType)})`;
  if (t.optionalType) return `optional(${inner(t.optionalType.elemType)})`;
  if (t.mapType) return `map(${elemName(t.mapType.keyType) ?? '?'}, ${inner(t.mapType.valueType)})`;
  if (t.sparseTensorType) return `sparse_tensor(${elemName(t.sparseTensorType.elemType) ?? '?'})`;
  return 'unknown';
}

const inner = (t: TypeProto | null | undefined): string => (t?.tensorType ? `tensor(${describeType(t)})` : describeType(t));

function kindOf(t: TypeProto | null | undefined): DeclaredValue['kind'] {
  if (t?.tensorType) return 'tensor';
  if (t?.sequenceType) return 'sequence';
  if (t?.optionalType) return 'optional';
  if (t?.mapType) return 'map';
  if (t?.sparseTensorType) return 'sparse';
  return 'unknown';
}

/** Names of the outputs onnxruntime-node can hand back (tensors; not sequences, maps or optionals). */
export function tensorOutputs(model: ModelProto): string[] {
  return declaredIo(model).outputs.filter((o) => o.kind === 'tensor').map((o) => o.name);
}

/** Graph inputs that are not initializers (IR ≥ 4 may list initializers as inputs), and graph outputs. */
export function declaredIo(model: ModelProto): { inputs: DeclaredValue[]; outputs: DeclaredValue[] } {
  const g = model.graph;
  const inits = new Set((g?.initializer ?? []).map((t) => t.name ?? ''));
  const value = (v: onnxProto.onnx.IValueInfoProto): DeclaredValue => ({ name: v.name ?? '', kind: kindOf(v.type), type: describeType(v.type) });
  return { inputs: (g?.input ?? []).filter((v) => !inits.has(v.name ?? '')).map(value), outputs: (g?.output ?? []).map(value) };
}

/**
 * Input element types coquant feeds, synthesised (seeded random values) or read from --inputs:
 * the rows of the data-type table that onnxruntime-node takes and a host tensor holds.
 */
export const FEEDABLE_TYPES: ReadonlySet<string> = new Set(HOST_TENSOR_TYPES.filter((t) => dataType(t)?.ort !== undefined));
/** Input element types coquant makes random values for: every feedable one. */
export const SYNTHESISED_TYPES: ReadonlySet<string> = FEEDABLE_TYPES;

/**
 * The typed error (E_INPUT_TYPE, exit 3) for a tensor input of an element type coquant cannot
 * feed. A type onnxruntime-node has no tensor for (bfloat16) cannot come from --inputs either,
 * so the hint is to export the model with another input type.
 */
export function inputTypeError(input: string, type: string, command = 'coquant'): CoquantError {
  const row = dataType(type);
  const types = 'float16/float32/float64, int8..int64, uint8..uint32 and bool';
  if (row && row.ort === undefined) {
    return new CoquantError('E_INPUT_TYPE', `model input '${input}' takes ${type}, which onnxruntime-node cannot take as an input tensor: ${command} can neither make values for it nor feed them from --inputs`, {
      hint: `export the model with a ${row.float ? 'float32 or float16' : types} input (a Cast to ${type} after it), then run ${command} on that model`,
      exitCode: 3,
    });
  }
  return new CoquantError('E_INPUT_TYPE', `model input '${input}' takes ${type}, which coquant cannot feed to onnxruntime (neither synthesised nor from --inputs)`, {
    hint: `coquant feeds ${types} inputs; export the model with one of those`,
    exitCode: 3,
  });
}

export interface IoCheck {
  /** The command, for messages: 'split', 'quantize --format qdq-int8', … */
  command: string;
  /** True when the command compares the model's outputs (distortion, quantize --format). */
  comparesOutputs: boolean;
  /** True when the user passed --inputs (then synthesis is not needed). */
  userInputs: boolean;
  /** Extra hint for an output coquant cannot compare, e.g. "pick a tensor output with --output NAME". */
  outputHint?: string;
}

/** Throws a typed error (exit code 3) for an input or output the command cannot handle. */
export function checkModelIo(model: ModelProto, c: IoCheck): void {
  const io = declaredIo(model);
  for (const i of io.inputs) {
    if (i.kind !== 'tensor') {
      throw new CoquantError('E_INPUT_TYPE', `model input '${i.name}' has type ${i.type}; coquant feeds tensor inputs only`, { hint: `${c.command} cannot run this model; export it with tensor inputs`, exitCode: 3 });
    }
    if (!FEEDABLE_TYPES.has(i.type)) throw inputTypeError(i.name, i.type, c.command);
  }
  for (const o of io.outputs) {
    const comparable = o.kind === 'tensor' && o.type !== 'string' && !o.type.startsWith('complex');
    // onnxruntime-node cannot return optional values at all (it crashed the process); sequences and maps it cannot hand over as tensors.
    if (o.kind === 'optional' || (c.comparesOutputs && !comparable)) {
      throw new CoquantError('E_OUTPUT_TYPE', `model output '${o.name}' has type ${o.kind === 'tensor' ? `tensor(${o.type})` : o.type}; ${c.command} ${c.comparesOutputs ? 'compares numeric tensor outputs only' : 'cannot fetch it through onnxruntime-node'}`, {
        hint: c.outputHint ?? `cut the model before that output (coquant split MODEL --at TENSOR) and use the head, whose output is a tensor`,
        exitCode: 3,
      });
    }
  }
}
