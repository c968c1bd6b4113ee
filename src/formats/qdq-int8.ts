/**
 * Static QDQ int8 quantization for onnxruntime's CPU provider.
 *
 * Weights are stored for real as int8 initializers (per-channel, symmetric, zero point 0) read
 * through DequantizeLinear with `axis` (0 for Conv weights [M, C/g, kH, kW]; 1 for MatMul
 * weights B [K, N], i.e. one scale per output column). Conv biases become int32 with scale
 * x_scale · w_scale[c], as QLinearConv requires. Activations are uint8 with scales and zero
 * points calibrated on real inputs.
 *
 * The node patterns follow onnxruntime's QDQ selectors (qdq_selectors.cc /
 * qdq_selector_action_transformer.cc), which the CPU provider fuses into integer kernels:
 *  - DQ(x u8) + DQ(w s8) [+ DQ(b s32)] → Conv → Q(u8) becomes QLinearConv. The Conv output
 *    must feed only that Q and must not be a graph output, so the Conv writes a private tensor
 *    and the DequantizeLinear after the Q produces the original name.
 *  - DQ(a) + DQ(b) → MatMul → Q becomes QLinearMatMul; without a Q after it, MatMulIntegerToFloat.
 *  - DQ(a) + DQ(b) [+ DQ(c s32)] → Gemm [→ Q] becomes QGemm (weights per output column: axis 1, or 0
 *    when transB = 1). onnxruntime's basic optimiser turns 2-D MatMul + Add into Gemm, so this matters.
 * Each quantized consumer gets its own DequantizeLinear, so no node group shares a DQ.
 * Anything else (ConvTranspose, Gemm, MatMul with non-2-D weights) keeps float weights, and is
 * listed with the reason.
 */
import type { Feed } from '../data/tensor.ts';
import { calibrateRanges, inferElemTypes, type CalibrationOptions, type TensorRange } from './calibrate-ranges.ts';
import { FormatError } from './errors.ts';
import {
  DT,
  GraphEditor,
  attrFloatValue,
  attrInt,
  attrIntValue,
  cloneModel,
  dimsOf,
  elementCount,
  makeNode,
  makeTensor,
  pruneUnusedInitializers,
  tensorToFloat32,
  topoSort,
  type ModelProto,
  type NodeProto,
} from './onnx-graph.ts';
import { hostU8s8Saturates } from '../device/cpu-features.ts';
import { upgradeOpset, type UpgradeResult } from './opset-upgrade.ts';
import type { FloatWeight } from '../documents/format-report-document.ts';
import { quantizePerChannelInt8, uint8Params, type AffineParams } from './quant-params.ts';

/** The reduce-range setting in effect: the caller's, else whether this host's CPU saturates u8·s8 products. */
export function resolveReduceRange(reduceRange: boolean | undefined): boolean {
  return reduceRange ?? hostU8s8Saturates();
}

export type QdqOp = 'Conv' | 'MatMul' | 'Gemm' | 'Add' | 'Mul';

export interface QdqOptions {
  calibration?: CalibrationOptions;
  /**
   * 7-bit weights (±63): avoids the int16 saturation of u8s8 dot products on x86 CPUs without
   * VNNI. Default: on exactly when this machine's CPU saturates (device/cpu-features.ts), since
   * the file is measured and its distortion reported here.
   */
  reduceRange?: boolean;
  /** Operator types to quantize (default Conv, MatMul and Gemm). */
  ops?: readonly QdqOp[];
  /** Node names to leave in float. */
  excludeNodes?: readonly string[];
  /**
   * Activation ranges measured before (e.g. on the all-int8 model): when they cover every tensor
   * this model needs, calibration is skipped, so mixed plans built one after another cost no
   * extra forward passes and share the same scales.
   */
  ranges?: ReadonlyMap<string, TensorRange>;
}

export type { FloatWeight };

export interface QdqResult {
  model: ModelProto;
  /** Nodes rewritten to QDQ form, by operator type. */
  quantizedNodes: Record<string, number>;
  /** Weights stored as int8: count, elements, float32 bytes replaced, bytes stored (int8 + scales + zero points). */
  int8Weights: { count: number; elements: number; fp32Bytes: number; storedBytes: number };
  leftFloat: FloatWeight[];
  upgrade: UpgradeResult;
  /** Activation ranges measured on the calibration data. */
  ranges: Map<string, TensorRange>;
}

interface Plan {
  node: NodeProto;
  op: QdqOp;
  /** Inputs quantized as activations (uint8). */
  acts: number[];
  /** Input index of a constant weight, with its DequantizeLinear axis. */
  weight?: { index: number; axis: number };
  bias?: number;
  /** Whether the output gets a Q→DQ pair (always for Conv). */
  quantOut: boolean;
}

/**
 * Quantizes a preoptimised float model (see preoptimize.ts). The model is not modified; a new
 * one is returned, raised to opset 13 for per-channel DequantizeLinear.
 */
export async function quantizeQdqInt8(
  source: ModelProto,
  feeds: readonly Feed[],
  opts: QdqOptions = {},
): Promise<QdqResult> {
  const m = cloneModel(source);
  const graph = m.graph!;
  let ix = new GraphEditor(graph);
  const types = inferElemTypes(graph);
  const ops = new Set<string>(opts.ops ?? ['Conv', 'MatMul', 'Gemm']);
  const excluded = new Set(opts.excludeNodes ?? []);
  const qmax = resolveReduceRange(opts.reduceRange) ? 63 : 127;
  const leftFloat: FloatWeight[] = [];
  const isFloat = (name: string) => types.get(name) === DT.FLOAT;
  const leave = (n: NodeProto, tensor: string, reason: string) =>
    leftFloat.push({ tensor, node: n.name ?? '', opType: n.opType ?? '', shape: ix.inits.has(tensor) ? dimsOf(ix.inits.get(tensor)!) : [], reason });

  // 1. Decide what to quantize.
  const plans: Plan[] = [];
  for (const n of graph.node ?? []) {
    const op = n.opType ?? '';
    const ins = n.input ?? [];
    const w = ins[1];
    const hasConstWeight = w !== undefined && ix.isConstant(w) && ix.inits.get(w)!.dataType === DT.FLOAT;
    if ((n.domain ?? '') !== '') continue;
    if (op === 'Conv') {
      if (!hasConstWeight) continue;
      if (!ops.has('Conv')) leave(n, w, 'Conv not selected for quantization');
      else if (excluded.has(n.name ?? '')) leave(n, w, 'node excluded by option');
      else if (!isFloat(ins[0])) leave(n, w, 'input is not float32');
      else if (ins[2] && !ix.isConstant(ins[2])) leave(n, w, 'bias is not a constant');
      else plans.push({ node: n, op: 'Conv', acts: [0], weight: { index: 1, axis: 0 }, bias: ins[2] ? 2 : undefined, quantOut: true });
    } else if (op === 'MatMul') {
      const a = ins[0];
      if (!ops.has('MatMul') || excluded.has(n.name ?? '')) {
        if (hasConstWeight) leave(n, w, excluded.has(n.name ?? '') ? 'node excluded by option' : 'MatMul not selected for quantization');
        continue;
      }
      if (hasConstWeight) {
        const shape = dimsOf(ix.inits.get(w)!);
        if (shape.length !== 2) leave(n, w, `weight has rank ${shape.length}; per-column int8 needs a 2-D [K, N] weight`);
        else if (!isFloat(a)) leave(n, w, 'input is not float32');
        else plans.push({ node: n, op: 'MatMul', acts: [0], weight: { index: 1, axis: 1 }, quantOut: false });
      } else if (isFloat(a) && isFloat(w) && !ix.isConstant(a)) {
        plans.push({ node: n, op: 'MatMul', acts: [0, 1], quantOut: false });
      }
    } else if (op === 'Gemm' && hasConstWeight) {
      const shape = dimsOf(ix.inits.get(w)!);
      const transB = attrIntValue(n, 'transB', 0);
      const c = ins[2];
      const cT = c ? ix.inits.get(c) : undefined;
      const N = shape[transB ? 0 : 1];
      if (!ops.has('Gemm')) leave(n, w, 'Gemm not selected for quantization');
      else if (excluded.has(n.name ?? '')) leave(n, w, 'node excluded by option');
      else if (attrIntValue(n, 'transA', 0) !== 0) leave(n, w, 'transA=1 is not handled');
      else if (!isFloat(ins[0])) leave(n, w, 'input is not float32');
      else if (c && (!cT || !ix.isConstant(c) || attrFloatValue(n, 'beta', 1) !== 1 || elementCount(dimsOf(cT)) !== N))
        leave(n, w, 'bias is not a constant [N] vector with beta = 1 (QGemm needs an int32 bias)');
      else plans.push({ node: n, op: 'Gemm', acts: [0], weight: { index: 1, axis: transB ? 0 : 1 }, bias: c ? 2 : undefined, quantOut: false });
    } else if ((op === 'Add' || op === 'Mul') && ops.has(op) && !excluded.has(n.name ?? '')) {
      // Opt-in: QLinearAdd / QLinearMul need both inputs as activations and a Q on the output.
      if (ins.length === 2 && ins.every((i) => isFloat(i) && !ix.isConstant(i)) && ins[0] !== ins[1])
        plans.push({ node: n, op, acts: [0, 1], quantOut: true });
    } else if (['ConvTranspose', 'ConvInteger', 'LSTM', 'GRU', 'RNN', 'Attention'].includes(op) && hasConstWeight) {
      leave(n, w, `${op} has no QDQ integer fusion in onnxruntime's CPU provider`);
    }
  }
  // A MatMul output is quantized when a quantized node consumes it (QLinearMatMul); otherwise it
  // stays float (MatMulIntegerToFloat), which keeps logits and attention scores precise.
  const quantizedInputs = new Set<string>();
  for (const p of plans) for (const i of p.acts) quantizedInputs.add(p.node.input![i]);
  for (const p of plans) if ((p.op === 'MatMul' || p.op === 'Gemm') && quantizedInputs.has(p.node.output![0])) p.quantOut = true;

  // 2. Calibrate every activation that gets quantization parameters, plus Softmax inputs (their rank decides the opset rewrite).
  const actNames = new Set<string>();
  for (const p of plans) {
    for (const i of p.acts) actNames.add(p.node.input![i]);
    if (p.quantOut) actNames.add(p.node.output![0]);
  }
  const probe = new Set(actNames);
  for (const n of graph.node ?? []) if (['Softmax', 'LogSoftmax', 'Hardmax'].includes(n.opType ?? '') && isFloat(n.input![0])) probe.add(n.input![0]);
  // Graph inputs may be fed directly; exposing them as outputs is not allowed, so read them from the feeds.
  const graphInputRanges = new Map<string, TensorRange>();
  for (const name of [...probe]) {
    if (!ix.graphInputs.has(name)) continue;
    probe.delete(name);
    let lo = Infinity;
    let hi = -Infinity;
    let rank = 0;
    for (const f of feeds) {
      const t = f[name];
      if (!t) throw new FormatError('E_CALIBRATION_INPUT', `calibration feed has no value for model input '${name}'`);
      rank = t.dims.length;
      for (const v of t.data as Float32Array) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
    graphInputRanges.set(name, { min: lo, max: hi, rank });
  }
  const known = opts.ranges;
  const ranges = known && [...probe].every((t) => known.has(t)) ? new Map([...probe].map((t) => [t, known.get(t)!])) : await calibrateRanges(source, [...probe], feeds, opts.calibration);
  for (const [k, v] of graphInputRanges) ranges.set(k, v);

  // 3. Opset 13 for DequantizeLinear's axis.
  const ranks = new Map([...ranges].map(([k, v]) => [k, v.rank]));
  const upgrade = upgradeOpset(m, ranks);
  ix = new GraphEditor(graph);

  // 4. Rewrite.
  const newNodes: NodeProto[] = [];
  const actParams = new Map<string, AffineParams>();
  const qOf = new Map<string, string>(); // float activation → its uint8 tensor
  const paramsFor = (name: string): AffineParams => {
    let p = actParams.get(name);
    if (!p) {
      const r = ranges.get(name);
      if (!r) throw new FormatError('E_CALIBRATION_RANGE', `no calibrated range for tensor '${name}'`);
      p = uint8Params(r.min, r.max);
      actParams.set(name, p);
    }
    return p;
  };
  const scaleZp = (name: string) => {
    const p = paramsFor(name);
    const s = ix.fresh(`${name}_scale`);
    const z = ix.fresh(`${name}_zero_point`);
    ix.addInit(makeTensor(s, DT.FLOAT, [], [p.scale]));
    ix.addInit(makeTensor(z, DT.UINT8, [], [p.zeroPoint]));
    return [s, z];
  };
  const qdqParams = new Map<string, string[]>();
  const paramNames = (name: string) => {
    let v = qdqParams.get(name);
    if (!v) qdqParams.set(name, (v = scaleZp(name)));
    return v;
  };
  /** uint8 tensor for a float activation, adding its QuantizeLinear once. */
  const quantized = (name: string, pre: NodeProto[]): string => {
    let q = qOf.get(name);
    if (q) return q;
    q = ix.fresh(`${name}_quantized`);
    const [s, z] = paramNames(name);
    pre.push(makeNode('QuantizeLinear', [name, s, z], [q], ix.fresh(`${name}_QuantizeLinear`)));
    qOf.set(name, q);
    return q;
  };
  /** A private DequantizeLinear for one consumer, per onnxruntime's one-DQ-per-node-group pattern. */
  const dequantFor = (name: string, consumer: string, pre: NodeProto[]): string => {
    const q = quantized(name, pre);
    const [s, z] = paramNames(name);
    const out = ix.fresh(`${name}_dq_${consumer}`);
    pre.push(makeNode('DequantizeLinear', [q, s, z], [out], ix.fresh(`${name}_DequantizeLinear_${consumer}`)));
    return out;
  };
  const planByNode = new Map(plans.map((p) => [p.node, p]));
  let int8Count = 0;
  let int8Elems = 0;
  let int8Stored = 0;
  const quantizedNodes: Record<string, number> = {};
  for (const n of graph.node ?? []) {
    const p = planByNode.get(n);
    if (!p) {
      newNodes.push(n);
      continue;
    }
    const tag = n.name || ix.fresh(p.op);
    const ins = [...n.input!];
    for (const i of p.acts) ins[i] = dequantFor(ins[i], tag, newNodes);
    let wScales: Float32Array | undefined;
    if (p.weight) {
      const wName = ins[p.weight.index];
      const wT = ix.inits.get(wName)!;
      const shape = dimsOf(wT);
      const { q, scales } = quantizePerChannelInt8(tensorToFloat32(wT), shape, p.weight.axis, qmax);
      wScales = scales;
      const qn = ix.fresh(`${wName}_int8`);
      const sn = ix.fresh(`${wName}_scale`);
      const zn = ix.fresh(`${wName}_zero_point`);
      ix.addInit(makeTensor(qn, DT.INT8, shape, q));
      ix.addInit(makeTensor(sn, DT.FLOAT, [scales.length], scales));
      ix.addInit(makeTensor(zn, DT.INT8, [scales.length], new Int8Array(scales.length)));
      const dq = ix.fresh(`${wName}_dq`);
      newNodes.push(makeNode('DequantizeLinear', [qn, sn, zn], [dq], ix.fresh(`${wName}_DequantizeLinear`), [attrInt('axis', p.weight.axis)]));
      ins[p.weight.index] = dq;
      int8Count++;
      int8Elems += q.length;
      int8Stored += q.length + scales.length * 5;
    }
    if (p.bias !== undefined && wScales) {
      const bName = ins[p.bias];
      const b = tensorToFloat32(ix.inits.get(bName)!);
      const xs = paramsFor(n.input![0]).scale;
      const bs = new Float32Array(b.length);
      const bq = new Int32Array(b.length);
      for (let c = 0; c < b.length; c++) {
        bs[c] = xs * wScales[c];
        const v = Math.round(b[c] / bs[c]);
        bq[c] = Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, v));
      }
      const qn = ix.fresh(`${bName}_int32`);
      const sn = ix.fresh(`${bName}_scale`);
      const zn = ix.fresh(`${bName}_zero_point`);
      ix.addInit(makeTensor(qn, DT.INT32, [b.length], bq));
      ix.addInit(makeTensor(sn, DT.FLOAT, [b.length], bs));
      ix.addInit(makeTensor(zn, DT.INT32, [b.length], new Int32Array(b.length)));
      const dq = ix.fresh(`${bName}_dq`);
      newNodes.push(makeNode('DequantizeLinear', [qn, sn, zn], [dq], ix.fresh(`${bName}_DequantizeLinear`), [attrInt('axis', 0)]));
      ins[p.bias] = dq;
    }
    n.input = ins;
    quantizedNodes[p.op] = (quantizedNodes[p.op] ?? 0) + 1;
    if (p.quantOut) {
      const y = n.output![0];
      const raw = ix.fresh(`${y}_float`);
      n.output = [raw, ...n.output!.slice(1)];
      newNodes.push(n);
      const [s, z] = paramNames(y);
      const q = ix.fresh(`${y}_quantized`);
      newNodes.push(makeNode('QuantizeLinear', [raw, s, z], [q], ix.fresh(`${y}_QuantizeLinear`)));
      qOf.set(y, q);
      // Float consumers (and graph outputs) read the original name through one shared DQ.
      newNodes.push(makeNode('DequantizeLinear', [q, s, z], [y], ix.fresh(`${y}_DequantizeLinear`)));
    } else {
      newNodes.push(n);
    }
  }
  // Drop the shared DequantizeLinear of an output that only quantized nodes read.
  const read = new Set<string>(ix.graphOutputs);
  for (const n of newNodes) for (const i of n.input ?? []) read.add(i);
  graph.node = newNodes.filter((n) => n.opType !== 'DequantizeLinear' || read.has(n.output![0]));
  pruneUnusedInitializers(graph);
  topoSort(graph);
  return { model: m, quantizedNodes, int8Weights: { count: int8Count, elements: int8Elems, fp32Bytes: int8Elems * 4, storedBytes: int8Stored }, leftFloat, upgrade, ranges };
}
