/**
 * The fuzz corpus generator: one-node ONNX models for the operators onnxruntime's CPU
 * provider implements, each with random shapes, element types and attributes drawn within the
 * ONNX spec, at a random opset the operator exists in (6–17). Weight-like operands (Conv and
 * Gemm kernels, MatMul right-hand sides, RNN weights, and sometimes the second operand of a
 * binary op) are initializers, so the weight commands have something to profile and quantize.
 * Every model is written by our own code (fuzz/onnx-build.ts); nothing is copied.
 */
import { buildModel, type AttrValue, type ModelSpec, type TensorInit, type ValueSpec } from './onnx-build.ts';

export type Rng = () => number;

export interface Gen {
  r: Rng;
  int(lo: number, hi: number): number;
  pick<T>(xs: readonly T[]): T;
  coin(p?: number): boolean;
  float(lo: number, hi: number): number;
}

export function gen(r: Rng): Gen {
  return {
    r,
    int: (lo, hi) => lo + Math.floor(r() * (hi - lo + 1)),
    pick: (xs) => xs[Math.floor(r() * xs.length)],
    coin: (p = 0.5) => r() < p,
    float: (lo, hi) => lo + r() * (hi - lo),
  };
}

const FLOATS = ['float32'] as const;
const FLOAT_ANY = ['float32', 'float64'] as const;
const NUMERIC = ['float32', 'float64', 'int32', 'int64'] as const;
const ALL_TYPES = ['float32', 'float64', 'int32', 'int64', 'int8', 'uint8', 'bool'] as const;

/** What a generator returns: the node's inputs (graph inputs or initializers), attributes and outputs. */
interface OneNode {
  inputs: Array<ValueSpec | (TensorInit & { init: true }) | null>;
  outputs: ValueSpec[];
  attrs?: Record<string, AttrValue>;
  domain?: string;
}

interface OpDef {
  op: string;
  /** Opsets this definition is valid for (the op's since-version up to its next change, or 17). */
  opsets: [number, number];
  make(g: Gen, opset: number): OneNode;
}

const shape = (g: Gen, minRank = 1, maxRank = 4, maxDim = 4) => Array.from({ length: g.int(minRank, maxRank) }, () => g.int(1, maxDim));
const x = (type: string, s: number[], name = 'x'): ValueSpec => ({ name, type, shape: s });
const out = (type: string, s?: number[], name = 'y'): ValueSpec => ({ name, type, ...(s ? { shape: s } : {}) });
/** Output type placeholder: the element type of the node's first input. */
const SAME = '=';
const count = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

function weights(g: Gen, name: string, dims: number[], type = 'float32'): TensorInit & { init: true } {
  const n = count(dims);
  const scale = g.pick([0.01, 0.1, 1]);
  const values = type === 'int64' || type === 'int32' || type === 'int8' || type === 'uint8' ? Array.from({ length: n }, () => g.int(0, 5)) : Array.from({ length: n }, () => (g.r() * 2 - 1) * scale * (g.coin(0.02) ? 0 : 1));
  return { name, type, dims, values, init: true };
}

const intTensor = (name: string, values: number[], type = 'int64'): TensorInit & { init: true } => ({ name, type, dims: [values.length], values, init: true });

/** An operator on inputs of one type and shape: the type, then the shape, then `io` draws the rest. */
function sameShape(op: string, opsets: [number, number], types: readonly string[], io: (g: Gen, t: string, s: number[]) => OneNode): OpDef {
  return { op, opsets, make: (g) => io(g, g.pick(types), shape(g)) };
}

function unary(op: string, opsets: [number, number], types: readonly string[], attrs?: (g: Gen) => Record<string, AttrValue>): OpDef {
  return sameShape(op, opsets, types, (g, t, s) => ({ inputs: [x(t, s)], outputs: [out(op === 'IsNaN' || op === 'IsInf' ? 'bool' : t, s)], attrs: attrs?.(g) }));
}

/** Broadcastable b: a suffix of a's shape with some dims set to 1 (numpy rules). */
function broadcastOf(g: Gen, a: number[]): number[] {
  const k = g.int(0, a.length);
  return a.slice(a.length - k).map((d) => (g.coin(0.3) ? 1 : d));
}

function binary(op: string, opsets: [number, number], types: readonly string[], outType?: string): OpDef {
  return {
    op,
    opsets,
    make: (g, opset) => {
      const t = g.pick(types);
      const a = shape(g);
      const b = opset >= 7 ? broadcastOf(g, a) : a;
      const second = g.coin(0.3) && t.startsWith('float') && b.length >= 2 ? weights(g, 'w', b, t) : x(t, b, 'b');
      return { inputs: [x(t, a, 'a'), second], outputs: [out(outType ?? t)] };
    },
  };
}

function variadic(op: string, opsets: [number, number], types: readonly string[]): OpDef {
  return sameShape(op, opsets, types, (g, t, s) => ({ inputs: Array.from({ length: g.int(1, 3) }, (_, i) => x(t, s, `x${i}`)), outputs: [out(t, s)] }));
}

function reduce(op: string, axesInputFrom: number): OpDef {
  return {
    op,
    opsets: [1, 17],
    make: (g, opset) => {
      const t = g.pick(op === 'ReduceSum' || op === 'ReduceMax' || op === 'ReduceMin' || op === 'ReduceProd' ? NUMERIC : FLOAT_ANY);
      const s = shape(g);
      const axes = [...new Set(Array.from({ length: g.int(1, s.length) }, () => g.int(-s.length, s.length - 1)))].filter((a, _, all) => !all.includes(a >= 0 ? a - s.length : a + s.length) || a >= 0);
      const keepdims = g.int(0, 1);
      if (opset >= axesInputFrom) return { inputs: [x(t, s), g.coin() ? intTensor('axes', axes) : null], outputs: [out(t)], attrs: { keepdims } as Record<string, AttrValue> };
      return { inputs: [x(t, s)], outputs: [out(t)], attrs: { axes, keepdims } };
    },
  };
}

function nchw(g: Gen, c = g.int(1, 3)): number[] {
  return [g.int(1, 2), c, g.int(3, 6), g.int(3, 6)];
}

function pool(op: string, opsets: [number, number]): OpDef {
  return {
    op,
    opsets,
    make: (g, opset) => {
      const s = nchw(g);
      const k = [g.int(1, 3), g.int(1, 3)];
      const attrs: Record<string, AttrValue> = { kernel_shape: k };
      if (g.coin()) attrs.strides = [g.int(1, 2), g.int(1, 2)];
      if (g.coin(0.3)) attrs.pads = [g.int(0, k[0] - 1), g.int(0, k[1] - 1), g.int(0, k[0] - 1), g.int(0, k[1] - 1)];
      // eslint-disable-next-line no-dupe-else-if -- each g.coin call draws a fresh random number
      else if (g.coin(0.3)) attrs.auto_pad = g.pick(['SAME_UPPER', 'SAME_LOWER', 'VALID']);
      if (op === 'AveragePool' && g.coin()) attrs.count_include_pad = 1;
      if (opset >= 10 && op !== 'LpPool' && g.coin(0.2)) attrs.ceil_mode = 1;
      if (op === 'LpPool') attrs.p = g.int(1, 3);
      return { inputs: [x('float32', s)], outputs: [out('float32')], attrs };
    },
  };
}

const castTypes: Record<string, number> = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11 };

export const OPS: OpDef[] = [
  ...['Abs', 'Neg', 'Sign'].map((op) => unary(op, op === 'Sign' ? [9, 17] : [6, 17], NUMERIC)),
  ...['Ceil', 'Floor', 'Exp', 'Log', 'Reciprocal', 'Relu', 'Sigmoid', 'Sqrt', 'Tanh'].map((op) => unary(op, [6, 17], FLOAT_ANY)),
  ...['Cos', 'Sin', 'Tan', 'Acos', 'Asin', 'Atan'].map((op) => unary(op, [7, 17], FLOATS)),
  ...['Cosh', 'Sinh', 'Asinh', 'Acosh', 'Atanh', 'Erf'].map((op) => unary(op, [9, 17], FLOATS)),
  unary('Round', [11, 17], FLOATS),
  unary('Softplus', [6, 17], FLOATS),
  unary('Softsign', [6, 17], FLOATS),
  unary('HardSwish', [14, 17], FLOATS),
  unary('IsNaN', [9, 17], FLOATS),
  unary('IsInf', [10, 17], FLOATS),
  unary('Not', [6, 17], ['bool']),
  unary('Identity', [6, 17], ALL_TYPES),
  unary('Elu', [6, 17], FLOATS, (g) => ({ alpha: { float: g.float(0.1, 2) } })),
  unary('LeakyRelu', [6, 17], FLOATS, (g) => ({ alpha: { float: g.float(0, 0.5) } })),
  unary('Selu', [6, 17], FLOATS, (g) => ({ alpha: { float: g.float(1, 2) }, gamma: { float: g.float(1, 1.1) } })),
  unary('ThresholdedRelu', [10, 17], FLOATS, (g) => ({ alpha: { float: g.float(0, 2) } })),
  unary('HardSigmoid', [6, 17], FLOATS, (g) => ({ alpha: { float: g.float(0.1, 0.5) }, beta: { float: g.float(0, 1) } })),
  unary('Celu', [12, 17], FLOATS, (g) => ({ alpha: { float: g.float(0.5, 2) } })),
  unary('Shrink', [9, 17], FLOATS, (g) => ({ bias: { float: g.float(0, 1) }, lambd: { float: g.float(0, 1) } })),
  unary('Clip', [6, 10], FLOATS, (g) => ({ min: { float: -g.float(0, 2) }, max: { float: g.float(0, 2) } })),
  {
    op: 'Clip',
    opsets: [11, 17],
    make: (g) => {
      const s = shape(g);
      return { inputs: [x('float32', s), g.coin() ? { name: 'lo', type: 'float32', dims: [], values: [-1], init: true } : null, g.coin() ? x('float32', [], 'hi') : null], outputs: [out('float32', s)] };
    },
  },
  ...['Softmax', 'LogSoftmax', 'Hardmax'].map((op): OpDef => ({
    op,
    opsets: [6, 17],
    make: (g) => {
      const s = shape(g);
      return { inputs: [x('float32', s)], outputs: [out('float32', s)], attrs: { axis: g.int(-s.length, s.length - 1) } };
    },
  })),
  {
    op: 'Flatten',
    opsets: [9, 17],
    make: (g, opset) => {
      const s = shape(g);
      return { inputs: [x(g.pick(NUMERIC), s)], outputs: [out(SAME)], attrs: { axis: opset >= 11 ? g.int(-s.length, s.length) : g.int(0, s.length) } };
    },
  },
  {
    op: 'Transpose',
    opsets: [6, 17],
    make: (g) => {
      const t = g.pick(ALL_TYPES);
      const s = shape(g);
      const perm = s.map((_, i) => i).sort(() => g.r() - 0.5);
      return { inputs: [x(t, s)], outputs: [out(t)], attrs: g.coin(0.8) ? { perm } : {} };
    },
  },
  {
    op: 'Cast',
    opsets: [6, 17],
    make: (g) => {
      const from = g.pick(ALL_TYPES);
      const to = g.pick(Object.keys(castTypes));
      const s = shape(g);
      return { inputs: [x(from, s)], outputs: [out(to === 'float16' ? 'float16' : to, s)], attrs: { to: castTypes[to] } };
    },
  },
  ...['DepthToSpace', 'SpaceToDepth'].map((op): OpDef => ({
    op,
    opsets: [6, 17],
    make: (g, opset) => {
      const b = g.int(1, 2);
      const s = op === 'DepthToSpace' ? [1, b * b * g.int(1, 2), g.int(1, 3), g.int(1, 3)] : [1, g.int(1, 2), b * g.int(1, 2), b * g.int(1, 2)];
      return { inputs: [x('float32', s)], outputs: [out('float32')], attrs: { blocksize: b, ...(op === 'DepthToSpace' && opset >= 11 && g.coin() ? { mode: g.pick(['DCR', 'CRD']) } : {}) } };
    },
  })),
  {
    op: 'LRN',
    opsets: [6, 17],
    make: (g) => ({ inputs: [x('float32', nchw(g))], outputs: [out('float32')], attrs: { size: g.pick([1, 3, 5]), alpha: { float: g.float(1e-5, 1e-3) }, beta: { float: g.float(0.5, 1) }, bias: { float: g.float(1, 2) } } }),
  },
  {
    op: 'InstanceNormalization',
    opsets: [6, 17],
    make: (g) => {
      const s = nchw(g);
      return { inputs: [x('float32', s), weights(g, 'scale', [s[1]]), weights(g, 'bias', [s[1]])], outputs: [out('float32', s)], attrs: { epsilon: { float: 1e-5 } } };
    },
  },
  {
    op: 'BatchNormalization',
    opsets: [9, 17],
    make: (g) => {
      const s = nchw(g);
      const c = s[1];
      const v = weights(g, 'var', [c]);
      v.values = Array.from({ length: c }, () => g.float(0.5, 2));
      return { inputs: [x('float32', s), weights(g, 'scale', [c]), weights(g, 'bias', [c]), weights(g, 'mean', [c]), v], outputs: [out('float32', s)], attrs: { epsilon: { float: 1e-5 } } };
    },
  },
  {
    op: 'LayerNormalization',
    opsets: [17, 17],
    make: (g) => {
      const s = shape(g, 2, 3);
      const axis = g.int(1, s.length - 1);
      return { inputs: [x('float32', s), weights(g, 'scale', s.slice(axis)), g.coin() ? weights(g, 'bias', s.slice(axis)) : null], outputs: [out('float32', s)], attrs: { axis } };
    },
  },
  {
    op: 'LpNormalization',
    opsets: [6, 17],
    make: (g) => {
      const s = shape(g);
      return { inputs: [x('float32', s)], outputs: [out('float32', s)], attrs: { axis: g.int(-s.length, s.length - 1), p: g.pick([1, 2]) } };
    },
  },
  {
    op: 'MeanVarianceNormalization',
    opsets: [9, 17],
    make: (g) => ({ inputs: [x('float32', nchw(g))], outputs: [out('float32')], attrs: g.coin() ? { axes: [0, 2, 3] } : {} }),
  },
  {
    op: 'Dropout',
    opsets: [12, 17],
    make: (g) => {
      const s = shape(g);
      return { inputs: [x('float32', s), g.coin() ? x('float32', [], 'ratio') : null], outputs: [out('float32', s)] };
    },
  },
  {
    op: 'Trilu',
    opsets: [14, 17],
    make: (g) => {
      const s = shape(g, 2, 3);
      return { inputs: [x(g.pick(NUMERIC), s), g.coin() ? x('int64', [], 'k') : null], outputs: [out(SAME)], attrs: { upper: g.int(0, 1) } };
    },
  },
  {
    op: 'EyeLike',
    opsets: [9, 17],
    make: (g) => ({ inputs: [x(g.pick(['float32', 'int64', 'int32']), [g.int(1, 4), g.int(1, 4)])], outputs: [out('float32')], attrs: { k: g.int(-2, 2), dtype: 1 } }),
  },
  ...['Shape', 'Size'].map((op): OpDef => ({ op, opsets: [6, 17], make: (g) => ({ inputs: [x(g.pick(ALL_TYPES), shape(g))], outputs: [out('int64')] }) })),
  { op: 'NonZero', opsets: [9, 17], make: (g) => ({ inputs: [x(g.pick(['float32', 'int64', 'bool', 'int32']), shape(g))], outputs: [out('int64')] }) },
  ...['ArgMax', 'ArgMin'].map((op): OpDef => ({
    op,
    opsets: [6, 17],
    make: (g, opset) => {
      const s = shape(g);
      return { inputs: [x(g.pick(['float32', 'int32']), s)], outputs: [out('int64')], attrs: { axis: opset >= 11 ? g.int(-s.length, s.length - 1) : g.int(0, s.length - 1), keepdims: g.int(0, 1), ...(opset >= 12 && g.coin(0.3) ? { select_last_index: 1 } : {}) } };
    },
  })),
  ...['ReduceMax', 'ReduceMin', 'ReduceMean', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare'].map((op) => reduce(op, 18)),
  reduce('ReduceSum', 13),
  {
    op: 'CumSum',
    opsets: [11, 17],
    make: (g) => {
      const s = shape(g);
      return { inputs: [x(g.pick(NUMERIC), s), g.coin() ? x(g.pick(['int32', 'int64']), [], 'axis') : { name: 'axis', type: 'int64', dims: [], values: [g.int(-s.length, s.length - 1)], init: true }], outputs: [out(SAME)], attrs: { exclusive: g.int(0, 1), reverse: g.int(0, 1) } };
    },
  },
  {
    op: 'Det',
    opsets: [11, 17],
    make: (g) => {
      const n = g.int(1, 4);
      return { inputs: [x('float32', [g.int(1, 2), n, n])], outputs: [out('float32')] };
    },
  },
  ...['GlobalAveragePool', 'GlobalMaxPool'].map((op) => unary(op, [6, 17], FLOATS)).map((d) => ({ ...d, make: (g: Gen) => ({ inputs: [x('float32', nchw(g))], outputs: [out('float32')] }) })),
  pool('AveragePool', [7, 17]),
  pool('MaxPool', [8, 17]),
  pool('LpPool', [11, 17]),
  {
    op: 'Conv',
    opsets: [6, 17],
    make: (g) => {
      const group = g.pick([1, 1, 2]);
      const cin = group * g.int(1, 2);
      const cout = group * g.int(1, 3);
      const s = [g.int(1, 2), cin, g.int(4, 8), g.int(4, 8)];
      const k = [g.int(1, 3), g.int(1, 3)];
      const attrs: Record<string, AttrValue> = { group };
      if (g.coin()) attrs.kernel_shape = k;
      if (g.coin()) attrs.strides = [g.int(1, 2), g.int(1, 2)];
      if (g.coin(0.3)) attrs.dilations = [g.int(1, 2), g.int(1, 2)];
      if (g.coin(0.3)) attrs.pads = [g.int(0, 1), g.int(0, 1), g.int(0, 1), g.int(0, 1)];
      else if (g.coin(0.2)) attrs.auto_pad = g.pick(['SAME_UPPER', 'VALID']);
      return { inputs: [x('float32', s), weights(g, 'w', [cout, cin / group, ...k]), g.coin() ? weights(g, 'b', [cout]) : null], outputs: [out('float32')], attrs };
    },
  },
  {
    op: 'ConvTranspose',
    opsets: [6, 17],
    make: (g) => {
      const cin = g.int(1, 3);
      const cout = g.int(1, 3);
      const k = [g.int(1, 3), g.int(1, 3)];
      const attrs: Record<string, AttrValue> = {};
      if (g.coin()) attrs.strides = [g.int(1, 2), g.int(1, 2)];
      if (g.coin(0.3)) attrs.pads = [0, 0, 0, 0];
      return { inputs: [x('float32', [1, cin, g.int(2, 5), g.int(2, 5)]), weights(g, 'w', [cin, cout, ...k]), g.coin() ? weights(g, 'b', [cout]) : null], outputs: [out('float32')], attrs };
    },
  },
  {
    op: 'Gemm',
    opsets: [6, 17],
    make: (g, opset) => {
      const [m, k, n] = [g.int(1, 5), g.int(1, 6), g.int(1, 6)];
      const tA = g.int(0, 1);
      const tB = g.int(0, 1);
      const c = opset >= 11 && g.coin(0.3) ? null : weights(g, 'c', g.pick([[n], [m, n], [1]]));
      return { inputs: [x('float32', tA ? [k, m] : [m, k], 'a'), weights(g, 'w', tB ? [n, k] : [k, n]), c], outputs: [out('float32')], attrs: { alpha: { float: g.float(0.5, 2) }, beta: { float: g.float(0, 1) }, transA: tA, transB: tB } };
    },
  },
  {
    op: 'MatMul',
    opsets: [6, 17],
    make: (g, opset) => {
      const t = opset >= 9 ? g.pick(['float32', 'float32', 'float64', 'int32', 'int64']) : 'float32';
      const batch = g.coin() ? [g.int(1, 3)] : [];
      const [m, k, n] = [g.int(1, 5), g.int(1, 6), g.int(1, 6)];
      const w = t === 'float32' && g.coin(0.7) ? weights(g, 'w', [k, n]) : x(t, [...batch, k, n], 'b');
      return { inputs: [x(t, [...batch, m, k], 'a'), w], outputs: [out(t)] };
    },
  },
  {
    op: 'MatMulInteger',
    opsets: [10, 17],
    make: (g) => {
      const [m, k, n] = [g.int(1, 4), g.int(1, 4), g.int(1, 4)];
      return { inputs: [x('uint8', [m, k], 'a'), weights(g, 'w', [k, n], g.pick(['uint8', 'int8']))], outputs: [out('int32')] };
    },
  },
  {
    op: 'QuantizeLinear',
    opsets: [10, 17],
    make: (g) => {
      const s = shape(g);
      return { inputs: [x('float32', s), { name: 'scale', type: 'float32', dims: [], values: [g.float(0.01, 1)], init: true }, g.coin() ? { name: 'zp', type: 'uint8', dims: [], values: [g.int(0, 255)], init: true } : null], outputs: [out('uint8', s)] };
    },
  },
  {
    op: 'DequantizeLinear',
    opsets: [10, 17],
    make: (g) => {
      const s = shape(g);
      const t = g.pick(['uint8', 'int8']);
      return { inputs: [x(t, s), { name: 'scale', type: 'float32', dims: [], values: [g.float(0.01, 1)], init: true }, g.coin() ? { name: 'zp', type: t, dims: [], values: [g.int(0, 100)], init: true } : null], outputs: [out('float32', s)] };
    },
  },
  { op: 'DynamicQuantizeLinear', opsets: [11, 17], make: (g) => ({ inputs: [x('float32', shape(g))], outputs: [out('uint8'), out('float32', [], 'scale'), out('uint8', [], 'zp')] }) },
  ...['Add', 'Sub', 'Mul', 'Div'].map((op) => binary(op, [7, 17], NUMERIC)),
  binary('Pow', [7, 17], FLOATS),
  binary('PRelu', [7, 17], FLOATS),
  {
    op: 'Mod',
    opsets: [10, 17],
    make: (g) => {
      const t = g.pick(NUMERIC);
      const s = shape(g);
      return { inputs: [x(t, s, 'a'), x(t, s, 'b')], outputs: [out(t)], attrs: { fmod: t.startsWith('float') ? 1 : g.int(0, 1) } };
    },
  },
  ...['Equal', 'Greater', 'Less'].map((op) => binary(op, [11, 17], ['float32', 'int32', 'int64'], 'bool')),
  ...['Greater', 'Less'].map((op) => binary(op, [7, 10], ['float32'], 'bool')),
  binary('Equal', [7, 10], ['int32', 'int64', 'bool'], 'bool'),
  ...['GreaterOrEqual', 'LessOrEqual'].map((op) => binary(op, [12, 17], ['float32', 'int32', 'int64'], 'bool')),
  ...['And', 'Or', 'Xor'].map((op) => binary(op, [7, 17], ['bool'], 'bool')),
  {
    op: 'BitShift',
    opsets: [11, 17],
    make: (g) => {
      const t = g.pick(['uint8', 'uint32']);
      const s = shape(g);
      return { inputs: [x(t, s, 'a'), x(t, s, 'b')], outputs: [out(t)], attrs: { direction: g.pick(['LEFT', 'RIGHT']) } };
    },
  },
  ...['Max', 'Min'].map((op) => variadic(op, [12, 17], NUMERIC)),
  ...['Max', 'Min', 'Sum', 'Mean'].map((op) => variadic(op, [8, 17], FLOATS)),
  {
    op: 'Where',
    opsets: [9, 17],
    make: (g, opset) => {
      const t = opset >= 16 ? g.pick(['float32', 'int32', 'int64', 'uint8', 'float64']) : g.pick(['float32', 'int32', 'int64', 'uint8']);
      const s = shape(g);
      return { inputs: [x('bool', s, 'c'), x(t, s, 'a'), x(t, broadcastOf(g, s), 'b')], outputs: [out(t)] };
    },
  },
  {
    op: 'Reshape',
    opsets: [6, 17],
    make: (g) => {
      const s = shape(g);
      const target = g.coin() ? [-1] : [count(s)];
      return { inputs: [x(g.pick(ALL_TYPES), s), g.coin() ? intTensor('shape', target) : x('int64', [g.int(1, 3)], 'shape')], outputs: [out(SAME)] };
    },
  },
  {
    op: 'Expand',
    opsets: [8, 17],
    make: (g) => {
      const s = shape(g);
      return { inputs: [x('float32', s), g.coin() ? intTensor('shape', s.map((d) => (g.coin() ? d : 1))) : x('int64', [g.int(1, 3)], 'shape')], outputs: [out('float32')] };
    },
  },
  {
    op: 'Tile',
    opsets: [6, 17],
    make: (g) => {
      const s = shape(g);
      return { inputs: [x(g.pick(NUMERIC), s), g.coin() ? intTensor('repeats', s.map(() => g.int(1, 2))) : x('int64', [s.length], 'repeats')], outputs: [out(SAME)] };
    },
  },
  {
    op: 'Slice',
    opsets: [10, 17],
    make: (g) => {
      const s = shape(g);
      const k = g.int(1, s.length);
      const input = (name: string, vals: number[]) => (g.coin() ? intTensor(name, vals) : x('int64', [k], name));
      return {
        inputs: [x('float32', s), input('starts', Array.from({ length: k }, () => g.int(-3, 3))), input('ends', Array.from({ length: k }, () => g.int(-3, 5))), g.coin() ? input('axes', Array.from({ length: k }, (_, i) => i)) : null, g.coin(0.3) ? intTensor('steps', Array.from({ length: k }, () => g.pick([1, 2, -1]))) : null],
        outputs: [out('float32')],
      };
    },
  },
  {
    op: 'Slice',
    opsets: [6, 9],
    make: (g) => {
      const s = shape(g);
      return { inputs: [x('float32', s)], outputs: [out('float32')], attrs: { starts: s.map(() => g.int(0, 1)), ends: s.map((d) => d) } };
    },
  },
  ...['Squeeze', 'Unsqueeze'].map((op): OpDef => ({
    op,
    opsets: [6, 17],
    make: (g, opset) => {
      const s = shape(g).map((d) => (op === 'Squeeze' && g.coin() ? 1 : d));
      const axes = op === 'Squeeze' ? s.flatMap((d, i) => (d === 1 ? [i] : [])) : [g.int(0, s.length)];
      if (opset >= 13) return { inputs: [x('float32', s), g.coin() ? intTensor('axes', axes) : x('int64', [axes.length], 'axes')], outputs: [out('float32')] };
      return { inputs: [x('float32', s)], outputs: [out('float32')], attrs: { axes } };
    },
  })),
  {
    op: 'Concat',
    opsets: [6, 17],
    make: (g) => {
      const t = g.pick(ALL_TYPES);
      const s = shape(g);
      const axis = g.int(0, s.length - 1);
      const n = g.int(1, 3);
      return { inputs: Array.from({ length: n }, (_, i) => x(t, s.map((d, j) => (j === axis ? g.int(1, 3) : d)), `x${i}`)), outputs: [out(t)], attrs: { axis } };
    },
  },
  {
    op: 'Split',
    opsets: [6, 17],
    make: (g, opset) => {
      const s = shape(g);
      const axis = g.int(0, s.length - 1);
      const parts = g.int(1, Math.min(3, s[axis]));
      const outs = Array.from({ length: parts }, (_, i) => out('float32', undefined, `y${i}`));
      const split = Array.from({ length: parts }, (_, i) => (i < parts - 1 ? 1 : s[axis] - (parts - 1)));
      const withSplit = s[axis] % parts !== 0 || g.coin();
      if (opset >= 13) return { inputs: [x('float32', s), withSplit ? (g.coin() ? intTensor('split', split) : x('int64', [parts], 'split')) : null], outputs: outs, attrs: { axis } };
      return { inputs: [x('float32', s)], outputs: outs, attrs: { axis, ...(withSplit ? { split } : {}) } };
    },
  },
  ...['Gather', 'GatherElements'].map((op): OpDef => ({
    op,
    opsets: op === 'Gather' ? [6, 17] : [11, 17],
    make: (g, opset) => {
      const s = shape(g);
      const axis = opset >= 11 ? g.int(-s.length, s.length - 1) : g.int(0, s.length - 1);
      const idx = op === 'Gather' ? shape(g, 0, 2) : s.map((d) => g.int(1, d));
      return { inputs: [g.coin(0.3) && s.length >= 2 ? weights(g, 'table', s) : x(g.pick(ALL_TYPES), s), x(g.pick(['int64', 'int32']), idx, 'indices')], outputs: [out(SAME)], attrs: { axis } };
    },
  })),
  {
    op: 'GatherND',
    opsets: [11, 17],
    make: (g) => {
      const s = shape(g);
      const last = g.int(1, s.length);
      return { inputs: [x('float32', s), x('int64', [g.int(1, 3), last], 'indices')], outputs: [out('float32')] };
    },
  },
  {
    op: 'ScatterElements',
    opsets: [11, 17],
    make: (g) => {
      const s = shape(g);
      const idx = s.map((d) => g.int(1, d));
      return { inputs: [x('float32', s), x('int64', idx, 'indices'), x('float32', idx, 'updates')], outputs: [out('float32', s)], attrs: { axis: g.int(0, s.length - 1) } };
    },
  },
  {
    op: 'ScatterND',
    opsets: [11, 17],
    make: (g) => {
      const s = shape(g);
      const k = g.int(1, s.length);
      const n = g.int(1, 2);
      return { inputs: [x('float32', s), x('int64', [n, k], 'indices'), x('float32', [n, ...s.slice(k)], 'updates')], outputs: [out('float32', s)] };
    },
  },
  {
    op: 'Pad',
    opsets: [11, 17],
    make: (g) => {
      const s = shape(g);
      const pads = [...s.map(() => g.int(0, 2)), ...s.map(() => g.int(0, 2))];
      return { inputs: [x('float32', s), g.coin() ? intTensor('pads', pads) : x('int64', [2 * s.length], 'pads'), g.coin() ? { name: 'cv', type: 'float32', dims: [], values: [g.float(-1, 1)], init: true } : null], outputs: [out('float32')], attrs: { mode: g.pick(['constant', 'reflect', 'edge']) } };
    },
  },
  {
    op: 'Resize',
    opsets: [11, 17],
    make: (g) => {
      const s = nchw(g);
      const mode = g.pick(['nearest', 'linear', 'cubic']);
      const useSizes = g.coin();
      const scales = { name: 'scales', type: 'float32', dims: [4], values: [1, 1, g.pick([0.5, 1, 2]), g.pick([0.5, 1, 2])], init: true as const };
      const sizes = g.coin() ? intTensor('sizes', [s[0], s[1], g.int(1, 8), g.int(1, 8)]) : x('int64', [4], 'sizes');
      return { inputs: [x('float32', s), null, useSizes ? null : scales, useSizes ? sizes : null], outputs: [out('float32')], attrs: { mode, ...(g.coin(0.3) ? { coordinate_transformation_mode: g.pick(['half_pixel', 'asymmetric', 'align_corners', 'pytorch_half_pixel']) } : {}) } };
    },
  },
  {
    op: 'TopK',
    opsets: [10, 17],
    make: (g, opset) => {
      const s = shape(g);
      const axis = g.int(-s.length, s.length - 1);
      const k = g.int(1, s[(axis + s.length) % s.length]);
      return { inputs: [x('float32', s), g.coin() ? intTensor('k', [k]) : x('int64', [1], 'k')], outputs: [out('float32', undefined, 'values'), out('int64', undefined, 'indices')], attrs: { axis, ...(opset >= 11 ? { largest: g.int(0, 1), sorted: g.int(0, 1) } : {}) } };
    },
  },
  {
    op: 'OneHot',
    opsets: [11, 17],
    make: (g) => {
      const s = shape(g, 1, 2);
      return { inputs: [x('int64', s, 'indices'), g.coin() ? intTensor('depth', [g.int(1, 5)]) : x('int64', [], 'depth'), { name: 'values', type: 'float32', dims: [2], values: [0, 1], init: true }], outputs: [out('float32')], attrs: { axis: g.int(-s.length - 1, s.length) } };
    },
  },
  {
    op: 'Range',
    opsets: [11, 17],
    make: (g) => {
      const t = g.pick(['float32', 'int64', 'int32']);
      return { inputs: [x(t, [], 'start'), x(t, [], 'limit'), x(t, [], 'delta')], outputs: [out(t)] };
    },
  },
  {
    op: 'ConstantOfShape',
    opsets: [9, 17],
    make: (g) => ({ inputs: [g.coin() ? intTensor('shape', shape(g, 1, 3)) : x('int64', [g.int(1, 3)], 'shape')], outputs: [out('float32')], attrs: g.coin() ? { value: { tensor: { name: 'v', type: 'float32', dims: [1], values: [g.float(-1, 1)] } } } : {} }),
  },
  {
    op: 'Compress',
    opsets: [11, 17],
    make: (g) => {
      const s = shape(g);
      const axis = g.int(0, s.length - 1);
      return { inputs: [x('float32', s), x('bool', [g.int(1, s[axis])], 'condition')], outputs: [out('float32')], attrs: { axis } };
    },
  },
  {
    op: 'ReverseSequence',
    opsets: [10, 17],
    make: (g) => {
      const [t, b] = [g.int(1, 4), g.int(1, 3)];
      return { inputs: [x('float32', [t, b, g.int(1, 3)]), x('int64', [b], 'lens')], outputs: [out('float32')], attrs: { time_axis: 0, batch_axis: 1 } };
    },
  },
  { op: 'Unique', opsets: [11, 17], make: (g) => ({ inputs: [x(g.pick(['float32', 'int64']), [g.int(1, 8)])], outputs: [out(SAME)], attrs: { sorted: g.int(0, 1) } }) },
  {
    op: 'Einsum',
    opsets: [12, 17],
    make: (g) => {
      const [i, j, k] = [g.int(1, 4), g.int(1, 4), g.int(1, 4)];
      const eq = g.pick(['ij,jk->ik', 'ij->ji', 'ij,ij->i', 'ij->']);
      const ins = eq.startsWith('ij,jk') ? [x('float32', [i, j], 'a'), weights(g, 'w', [j, k])] : eq.startsWith('ij,ij') ? [x('float32', [i, j], 'a'), x('float32', [i, j], 'b')] : [x('float32', [i, j], 'a')];
      return { inputs: ins, outputs: [out('float32')], attrs: { equation: eq } };
    },
  },
  ...['RNN', 'GRU', 'LSTM'].map((op): OpDef => ({
    op,
    opsets: [7, 17],
    make: (g) => {
      const gates = op === 'LSTM' ? 4 : op === 'GRU' ? 3 : 1;
      const [seq, batch, inp, hidden] = [g.int(1, 3), g.int(1, 2), g.int(1, 4), g.int(1, 4)];
      const dir = g.pick(['forward', 'reverse', 'bidirectional']);
      const nd = dir === 'bidirectional' ? 2 : 1;
      return {
        inputs: [x('float32', [seq, batch, inp]), weights(g, 'W', [nd, gates * hidden, inp]), weights(g, 'R', [nd, gates * hidden, hidden]), g.coin() ? weights(g, 'B', [nd, 2 * gates * hidden]) : null],
        outputs: [out('float32', undefined, 'Y'), out('float32', undefined, 'Y_h')],
        attrs: { hidden_size: hidden, direction: dir },
      };
    },
  })),
  {
    op: 'GridSample',
    opsets: [16, 17],
    make: (g) => {
      const s = nchw(g);
      return { inputs: [x('float32', s), x('float32', [s[0], g.int(1, 3), g.int(1, 3), 2], 'grid')], outputs: [out('float32')], attrs: { mode: g.pick(['bilinear', 'nearest', 'bicubic']), padding_mode: g.pick(['zeros', 'border', 'reflection']), align_corners: g.int(0, 1) } };
    },
  },
  {
    op: 'RoiAlign',
    opsets: [10, 15],
    make: (g) => {
      const s = nchw(g);
      const n = g.int(1, 3);
      return { inputs: [x('float32', s), { name: 'rois', type: 'float32', dims: [n, 4], values: Array.from({ length: n * 4 }, (_, i) => [0, 0, 2, 2][i % 4]), init: true }, x('int64', [n], 'batch_indices')], outputs: [out('float32')], attrs: { output_height: g.int(1, 3), output_width: g.int(1, 3), sampling_ratio: g.int(0, 2) } };
    },
  },
  {
    op: 'NonMaxSuppression',
    opsets: [11, 17],
    make: (g) => {
      const n = g.int(1, 5);
      return { inputs: [x('float32', [1, n, 4], 'boxes'), x('float32', [1, g.int(1, 2), n], 'scores'), g.coin() ? intTensor('max', [g.int(0, 3)]) : null], outputs: [out('int64')], attrs: { center_point_box: g.int(0, 1) } };
    },
  },
  {
    op: 'MaxRoiPool',
    opsets: [6, 17],
    make: (g) => ({ inputs: [x('float32', nchw(g)), { name: 'rois', type: 'float32', dims: [1, 5], values: [0, 0, 0, 2, 2], init: true }], outputs: [out('float32')], attrs: { pooled_shape: [g.int(1, 2), g.int(1, 2)] } }),
  },
  { op: 'Upsample', opsets: [9, 9], make: (g) => ({ inputs: [x('float32', nchw(g)), { name: 'scales', type: 'float32', dims: [4], values: [1, 1, 2, 2], init: true }], outputs: [out('float32')], attrs: { mode: g.pick(['nearest', 'linear']) } }) },
  {
    op: 'RandomNormalLike',
    opsets: [6, 17],
    make: (g) => ({ inputs: [x('float32', shape(g))], outputs: [out('float32')], attrs: { seed: { float: g.int(0, 100) } } }),
  },
  {
    op: 'Bernoulli',
    opsets: [15, 17],
    make: (g) => ({ inputs: [x('float32', shape(g))], outputs: [out('float32')], attrs: { seed: { float: 1 } } }),
  },
  {
    op: 'Constant',
    opsets: [6, 17],
    make: (g) => {
      const s = shape(g, 2, 3);
      return { inputs: [], outputs: [out('float32', s)], attrs: { value: { tensor: { name: 'c', type: 'float32', dims: s, values: Array.from({ length: count(s) }, () => g.float(-1, 1)) } } } };
    },
  },
  {
    op: 'CastLike',
    opsets: [15, 17],
    make: (g) => {
      const s = shape(g);
      const t = g.pick(ALL_TYPES);
      return { inputs: [x(g.pick(ALL_TYPES), s), x(t, [1], 'like')], outputs: [out(t, s)] };
    },
  },
  {
    op: 'SequenceConstruct',
    opsets: [11, 17],
    make: (g) => {
      const s = shape(g);
      return { inputs: [x('float32', s, 'a'), x('float32', s, 'b')], outputs: [{ name: 'y', type: 'float32', wrap: 'sequence' }] };
    },
  },
  {
    op: 'Optional',
    opsets: [15, 17],
    make: (g) => ({ inputs: [x('float32', shape(g))], outputs: [{ name: 'y', type: 'float32', wrap: 'optional' }] }),
  },
  {
    op: 'StringNormalizer',
    opsets: [10, 17],
    make: (g) => ({ inputs: [{ name: 'x', type: 'string', shape: [g.int(1, 3)] }], outputs: [out('string')], attrs: { case_change_action: 'LOWER' } }),
  },
  {
    op: 'Cast',
    opsets: [6, 17],
    make: (g) => {
      const s = shape(g);
      return { inputs: [x(g.pick(['float16', 'uint16', 'int16', 'uint32', 'uint64']), s)], outputs: [out('float32', s)], attrs: { to: 1 } };
    },
  },
];

export interface GeneratedModel {
  /** op@opset#n, for reports. */
  id: string;
  op: string;
  opset: number;
  bytes: Uint8Array;
}

/** The n-th model of the corpus for a seed: round-robin over operators, everything else random (half get a leading MatMul). */
export function generateModel(n: number, r: Rng): GeneratedModel {
  const g = gen(r);
  const def = OPS[n % OPS.length];
  const opset = g.int(Math.max(6, def.opsets[0]), Math.max(Math.max(6, def.opsets[0]), Math.min(17, def.opsets[1])));
  const node = def.make(g, opset);
  const inputs: ValueSpec[] = [];
  const initializers: TensorInit[] = [];
  const names: string[] = [];
  for (const i of node.inputs) {
    if (i === null) {
      names.push('');
      continue;
    }
    names.push(i.name);
    if ('init' in i) initializers.push({ name: i.name, type: i.type, dims: i.dims, values: i.values });
    else inputs.push(g.coin(0.15) && i.shape && i.shape.length > 0 ? { ...i, shape: i.shape.map((d, k) => (k === 0 && g.coin() ? 'batch' : d)) } : i);
  }
  while (names.length > 0 && names[names.length - 1] === '') names.pop();
  // Variant: a MatMul with a weight in front of the first float32 input of rank ≥ 2, so the model
  // has a weight every command acts on (qdq-int8 and int4 cover MatMul) and a cut between the two nodes.
  const nodes: ModelSpec['nodes'] = [];
  const lead = inputs.findIndex((i) => i.type === 'float32' && i.shape && i.shape.length >= 2 && typeof i.shape[i.shape.length - 1] === 'number');
  if (lead >= 0 && g.coin(0.5)) {
    const v = inputs[lead];
    const k = v.shape![v.shape!.length - 1] as number;
    initializers.push({ name: 'lead_w', type: 'float32', dims: [k, k], values: Array.from({ length: k * k }, (_, i) => (i % (k + 1) === 0 ? 1 : 0) + (g.r() - 0.5) * 0.2) });
    inputs[lead] = { ...v, name: `${v.name}_in` };
    nodes.push({ op: 'MatMul', inputs: [`${v.name}_in`, 'lead_w'], outputs: [v.name], name: 'lead' });
  }
  const first = node.inputs.find((i) => i !== null);
  const sameType = first ? first.type : 'float32';
  node.outputs = node.outputs.map((o) => (o.type === SAME ? { ...o, type: sameType } : o));
  const spec: ModelSpec = {
    opset: Math.max(opset, def.opsets[0]),
    inputs,
    outputs: node.outputs.map((o) => ({ ...o, shape: o.wrap ? o.shape : g.coin(0.5) ? o.shape : undefined })),
    initializers,
    nodes: [...nodes, { op: def.op, inputs: names, outputs: node.outputs.map((o) => o.name), attrs: node.attrs, domain: node.domain }],
  };
  return { id: `${def.op}@${spec.opset}#${n}`, op: def.op, opset: spec.opset, bytes: buildModel(spec) };
}
