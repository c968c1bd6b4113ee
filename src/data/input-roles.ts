/**
 * Inputs a graph uses as an index, an axis, a shape or a count get values that are valid by
 * construction, instead of random ones. A random `axis` input of CumSum or random `indices` of
 * Gather make the original model fail; these rules replace such values after the random draw
 * (so every other input keeps the documented seed stream):
 *
 * - indices (Gather, GatherElements, ScatterElements, Scatter: uniform in [0, size along the
 *   axis) when the data's size is known, else 0; GatherND, ScatterND, MaxUnpool, RoiAlign: 0);
 * - axes (CumSum 0; Slice, Pad, Unsqueeze, Reduce*: 0, 1, …; Squeeze: the axes of size 1);
 * - shapes (Reshape: 1, …, 1, −1; Expand, Tile, ConstantOfShape, CenterCropPad: ones; Resize
 *   sizes: the data's shape, scales: ones, roi: the whole box; Split: the whole axis in the first part);
 * - Slice starts 0, ends past the end, steps 1; TopK k = 1; OneHot depth 2; Range 0, 4, 1;
 *   Trilu k = 0; Dropout ratio 0.5; ReverseSequence lengths 1;
 * - integer divisors (Div, Mod) in [1, intHigh), BitShift amounts in [0, 8).
 *
 * A value that cannot be derived (the data's shape is unknown) keeps a safe default; if the
 * model still fails on it, the caller reports that the user must pass real inputs.
 */
import type onnxProto from 'onnx-proto';
import type { Feed, HostTensor } from './tensor.ts';
import { elementCount } from './tensor.ts';
import { floatToHalf } from './half.ts';

type ModelProto = onnxProto.onnx.IModelProto;
type NodeProto = onnxProto.onnx.INodeProto;

export interface InputUse {
  op: string;
  slot: number;
  node: NodeProto;
}

/** The nodes of the main graph that read each graph input directly, with the input slot. */
export function inputUses(model: ModelProto): Map<string, InputUse[]> {
  const uses = new Map<string, InputUse[]>();
  for (const node of model.graph?.node ?? []) {
    (node.input ?? []).forEach((name, slot) => {
      if (!name) return;
      const list = uses.get(name) ?? [];
      list.push({ op: node.opType ?? '', slot, node });
      uses.set(name, list);
    });
  }
  return uses;
}

function intAttr(node: NodeProto, name: string, dflt: number): number {
  const a = node.attribute?.find((x) => x.name === name);
  return a?.i === undefined || a.i === null ? dflt : Number(a.i);
}

function opsetOf(model: ModelProto): number {
  const o = model.opsetImport?.find((x) => !x.domain || x.domain === 'ai.onnx');
  return Number(o?.version ?? 0);
}

/** A tensor of `like`'s type and dims with element i = f(i). */
function fillLike(like: HostTensor, f: (i: number) => number): HostTensor {
  const n = elementCount(like.dims);
  const dims = [...like.dims];
  switch (like.type) {
    case 'int64': return { type: 'int64', data: BigInt64Array.from({ length: n }, (_, i) => BigInt(Math.trunc(f(i)))), dims };
    case 'int32': return { type: 'int32', data: Int32Array.from({ length: n }, (_, i) => f(i)), dims };
    case 'float32': return { type: 'float32', data: Float32Array.from({ length: n }, (_, i) => f(i)), dims };
    case 'float64': return { type: 'float64', data: Float64Array.from({ length: n }, (_, i) => f(i)), dims };
    case 'float16': return { type: 'float16', data: Uint16Array.from({ length: n }, (_, i) => floatToHalf(f(i))), dims };
    case 'int8': return { type: 'int8', data: Int8Array.from({ length: n }, (_, i) => f(i)), dims };
    case 'uint8': return { type: 'uint8', data: Uint8Array.from({ length: n }, (_, i) => f(i)), dims };
    case 'int16': return { type: 'int16', data: Int16Array.from({ length: n }, (_, i) => f(i)), dims };
    case 'uint16': return { type: 'uint16', data: Uint16Array.from({ length: n }, (_, i) => f(i)), dims };
    case 'uint32': return { type: 'uint32', data: Uint32Array.from({ length: n }, (_, i) => f(i)), dims };
    case 'bool': return like;
  }
}

const INTEGER = new Set(['int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64']);
const REDUCE = /^Reduce(Sum|Mean|Max|Min|Prod|L1|L2|LogSum|LogSumExp|SumSquare)$/;
const BIG = 1 << 30;

/**
 * A valid value for an input read at `use`, or undefined to keep the random one. `dataDims`
 * gives the shape of the node's first input (the data) when it is known.
 */
function roleValue(use: InputUse, t: HostTensor, dataDims: readonly number[] | undefined, opset: number, rand: () => number, intHigh: number): HostTensor | undefined {
  const { op, slot, node } = use;
  const n = elementCount(t.dims);
  const rank = dataDims?.length;
  const axisOf = (dflt: number) => {
    const a = intAttr(node, 'axis', dflt);
    return rank !== undefined && a < 0 ? a + rank : a;
  };
  const sizeAt = (axis: number) => (dataDims && axis >= 0 && axis < dataDims.length ? dataDims[axis] : undefined);
  const index = (size: number | undefined) => fillLike(t, () => (size && size > 0 ? Math.floor(rand() * size) : 0));
  const seq = () => fillLike(t, (i) => i);
  switch (op) {
    case 'Gather':
    case 'GatherElements':
    case 'ScatterElements':
    case 'Scatter':
      return slot === 1 ? index(sizeAt(axisOf(0))) : undefined;
    case 'GatherND':
    case 'ScatterND':
      return slot === 1 ? fillLike(t, () => 0) : undefined;
    case 'MaxUnpool':
      return slot === 1 ? fillLike(t, () => 0) : undefined;
    case 'RoiAlign':
      return slot === 2 ? fillLike(t, () => 0) : undefined;
    case 'CumSum':
    case 'Trilu':
      return slot === 1 ? fillLike(t, () => 0) : undefined;
    case 'Reshape':
      return slot === 1 && n > 0 ? fillLike(t, (i) => (i === n - 1 ? -1 : 1)) : undefined;
    case 'Expand':
    case 'Tile':
    case 'CenterCropPad':
      return slot === 1 ? fillLike(t, () => 1) : undefined;
    case 'ConstantOfShape':
      return slot === 0 ? fillLike(t, () => 1) : undefined;
    case 'Slice':
      if (slot === 1) return fillLike(t, () => 0);
      if (slot === 2) return fillLike(t, () => BIG);
      if (slot === 3) return seq();
      if (slot === 4) return fillLike(t, () => 1);
      return undefined;
    case 'Pad':
      if (slot === 1) return fillLike(t, () => 0);
      if (slot === 3) return seq();
      return undefined;
    case 'Unsqueeze':
      return slot === 1 ? seq() : undefined;
    case 'Squeeze': {
      if (slot !== 1) return undefined;
      const ones = (dataDims ?? []).flatMap((d, i) => (d === 1 ? [i] : []));
      return fillLike(t, (i) => ones[i] ?? i);
    }
    case 'Resize':
      if (opset <= 10) return slot === 1 ? fillLike(t, () => 1) : undefined;
      if (slot === 1) return fillLike(t, (i) => (i < n / 2 ? 0 : 1));
      if (slot === 2) return fillLike(t, () => 1);
      if (slot === 3) return fillLike(t, (i) => dataDims?.[i] ?? 1);
      return undefined;
    case 'Upsample':
      return slot === 1 ? fillLike(t, () => 1) : undefined;
    case 'TopK':
      return slot === 1 ? fillLike(t, () => 1) : undefined;
    case 'OneHot':
      return slot === 1 ? fillLike(t, () => 2) : undefined;
    case 'Range':
      return fillLike(t, () => [0, 4, 1][slot] ?? 0);
    case 'Split': {
      if (slot !== 1) return undefined;
      const size = sizeAt(axisOf(0)) ?? 0;
      return fillLike(t, (i) => (i === 0 ? size : 0));
    }
    case 'Dropout':
      return slot === 1 ? fillLike(t, () => 0.5) : undefined;
    case 'ReverseSequence':
      return slot === 1 ? fillLike(t, () => 1) : undefined;
    case 'Div':
    case 'Mod':
      return slot === 1 && INTEGER.has(t.type) ? fillLike(t, () => 1 + Math.floor(rand() * Math.max(1, intHigh - 1))) : undefined;
    case 'BitShift':
      return slot === 1 ? fillLike(t, () => Math.floor(rand() * 8)) : undefined;
    default:
      if (REDUCE.test(op) && slot === 1) return seq();
      return undefined;
  }
}

/**
 * Replaces, in each feed, the values of inputs the graph uses as indices, axes, shapes or
 * counts with valid ones (see the module comment). `rand` drives the index draws.
 */
export function repairFeeds(model: ModelProto, feeds: readonly Feed[], rand: () => number, intHigh = 10): Feed[] {
  const uses = inputUses(model);
  const opset = opsetOf(model);
  const inits = new Map((model.graph?.initializer ?? []).map((t) => [t.name ?? '', (t.dims ?? []).map(Number)]));
  return feeds.map((feed) => {
    const out: Feed = { ...feed };
    for (const [name, t] of Object.entries(feed)) {
      for (const use of uses.get(name) ?? []) {
        const data = use.node.input?.[0];
        const dataDims = data === undefined || data === name ? undefined : (out[data]?.dims ?? inits.get(data));
        const v = roleValue(use, t, dataDims, opset, rand, intHigh);
        if (v) {
          out[name] = v;
          break;
        }
      }
    }
    return out;
  });
}
