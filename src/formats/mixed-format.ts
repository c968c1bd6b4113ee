/**
 * One ONNX model in which each weight group has its own executable format: some Conv/MatMul
 * layers int8 QDQ (integer kernels), some MatMul weights MatMulNBits at 4 or 8 bits, the rest
 * float32. This is what `quantize --plan` writes and what the agent runs, so the planned
 * program and the executed one are the same. A group is one weight-carrying compute node of the
 * canonical (preoptimised) float graph, named by its weight tensor.
 */
import type { Feed } from '../data/tensor.ts';
import type { TensorRange } from './calibrate-ranges.ts';
import { FormatError } from './errors.ts';
import { quantizeMatMulNBits } from './int4.ts';
import { GraphEditor, DT, dimsOf, elementCount, type ModelProto } from './onnx-graph.ts';
import { quantizeQdqInt8, type FloatWeight } from './qdq-int8.ts';

/** The formats onnxruntime-node's CPU provider executes, per weight group. */
export type ExecFormat = 'fp32' | 'qdq-int8' | 'nbits4' | 'nbits8';
export const EXEC_FORMATS: readonly ExecFormat[] = ['fp32', 'qdq-int8', 'nbits4', 'nbits8'];

export interface WeightGroup {
  /** Group name: the weight tensor's name in the source model (ORT's Conv+BN fusion prefix removed). */
  name: string;
  /** The compute node that carries the weight. */
  node: string;
  op: string;
  /** Weight initializer name in the preoptimised graph. */
  weight: string;
  params: number;
  /** Formats this group can take. */
  formats: ExecFormat[];
}

const BN_PREFIX = 'ConvBnFusion_W_';
/** The name a weight had before onnxruntime's basic optimiser folded a BatchNormalization into it. */
export const sourceWeightName = (w: string): string => (w.startsWith(BN_PREFIX) ? w.slice(BN_PREFIX.length) : w);

/** Weight groups of a preoptimised float graph, in graph order. */
export function weightGroupsOf(pre: ModelProto): WeightGroup[] {
  const g = pre.graph!;
  const ix = new GraphEditor(g);
  const out: WeightGroup[] = [];
  for (const n of g.node ?? []) {
    const op = n.opType ?? '';
    if ((n.domain ?? '') !== '' || !['Conv', 'MatMul', 'Gemm'].includes(op)) continue;
    const w = n.input?.[1];
    if (!w || !ix.inits.has(w) || ix.inits.get(w)!.dataType !== DT.FLOAT) continue;
    const dims = dimsOf(ix.inits.get(w)!);
    const formats: ExecFormat[] = ['fp32', 'qdq-int8'];
    if ((op === 'MatMul' || op === 'Gemm') && dims.length === 2) formats.push('nbits4', 'nbits8');
    out.push({ name: sourceWeightName(w), node: n.name ?? '', op, weight: w, params: elementCount(dims), formats });
  }
  return out;
}

export interface MixedOptions {
  /** Calibration inputs (needed when any group takes qdq-int8 and `ranges` does not cover it). */
  calibration?: readonly Feed[];
  /** Activation ranges measured before, shared by every mixed model of one source. */
  ranges?: ReadonlyMap<string, TensorRange>;
  /** MatMulNBits block size (default 64). */
  blockSize?: number;
}

export interface MixedResult {
  model: ModelProto;
  /** The format each group was written in. */
  applied: Record<string, ExecFormat>;
  leftFloat: FloatWeight[];
  ranges?: Map<string, TensorRange>;
}

/**
 * Writes `pre` with each group in the format `assignment` names (groups it does not name stay
 * fp32). Throws FormatError on unknown groups and on formats a group cannot take.
 */
export async function writeMixedFormat(pre: ModelProto, assignment: Readonly<Record<string, ExecFormat>>, o: MixedOptions = {}): Promise<MixedResult> {
  const groups = weightGroupsOf(pre);
  const byName = new Map(groups.map((g) => [g.name, g]));
  for (const [name, f] of Object.entries(assignment)) {
    const g = byName.get(name);
    if (!g) throw new FormatError('E_PLAN_GROUP', `the plan names group '${name}', which this model does not have`, 'make the plan from an options document of this model (coquant options)');
    if (!EXEC_FORMATS.includes(f)) throw new FormatError('E_FORMAT', `group '${name}': unknown format '${f}'`, `use one of ${EXEC_FORMATS.join(', ')}`);
    if (!g.formats.includes(f)) throw new FormatError('E_FORMAT', `group '${name}' (${g.op}) cannot take ${f}`, `it can take ${g.formats.join(', ')}`);
  }
  const fmt = (g: WeightGroup): ExecFormat => assignment[g.name] ?? 'fp32';
  const allNodes = (pre.graph!.node ?? []).map((n) => n.name ?? '');
  const applied: Record<string, ExecFormat> = {};
  let model = pre;
  const leftFloat: FloatWeight[] = [];
  let ranges: Map<string, TensorRange> | undefined;
  const qdqNodes = new Set(groups.filter((g) => fmt(g) === 'qdq-int8').map((g) => g.node));
  if (qdqNodes.size > 0) {
    const feeds = o.calibration ?? [];
    if (feeds.length === 0 && !o.ranges) throw new FormatError('E_NO_CALIBRATION', 'int8 groups need calibration inputs to set activation ranges', 'pass real inputs');
    const r = await quantizeQdqInt8(model, feeds, { excludeNodes: allNodes.filter((n) => !qdqNodes.has(n)), ranges: o.ranges });
    model = r.model;
    ranges = r.ranges;
  }
  for (const bits of [4, 8] as const) {
    const f: ExecFormat = bits === 4 ? 'nbits4' : 'nbits8';
    const nodes = new Set(groups.filter((g) => fmt(g) === f).map((g) => g.node));
    if (nodes.size === 0) continue;
    const r = quantizeMatMulNBits(model, { bits, blockSize: o.blockSize ?? 64, excludeNodes: allNodes.filter((n) => !nodes.has(n)) });
    model = r.model;
    if (r.nodes !== nodes.size) leftFloat.push(...r.leftFloat.filter((w) => nodes.has(w.node)));
  }
  const floatNodes = new Set(leftFloat.map((w) => w.node));
  for (const g of groups) applied[g.name] = floatNodes.has(g.node) ? 'fp32' : fmt(g);
  return { model, applied, leftFloat, ranges };
}
