/**
 * Which operators really run in integer form. onnxruntime rewrites QDQ groups into integer
 * kernels only when their pattern and types match its selectors; otherwise the
 * DequantizeLinear feeds an ordinary float kernel and the "quantized" model computes in float.
 * So we ask onnxruntime for the graph it executes (session option `optimizedModelFilePath` at
 * the `all` level, i.e. after the CPU provider's fusions) and count what is in it.
 */
import type { IntegerCensus } from '../documents/format-report-document.ts';
import { ortOptimizedModel } from './preoptimize.ts';
import { GraphEditor, decodeModel, type ModelProto, type NodeProto } from './onnx-graph.ts';

/** Kernels that compute on integers (their inputs or weights are 8-bit or narrower). */
export function isIntegerOp(op: string): boolean {
  return /^QLinear/.test(op) || /Integer/.test(op) || op === 'MatMulNBits' || op === 'QGemm' || op === 'QAttention' || op === 'DynamicQuantizeMatMul';
}

/** Float kernels that carry weights: the work a quantized model is supposed to move to integers. */
const FLOAT_COMPUTE = new Set(['Conv', 'FusedConv', 'ConvTranspose', 'MatMul', 'FusedMatMul', 'Gemm', 'FusedGemm', 'NhwcConv', 'NhwcFusedConv', 'Attention']);

export function isFloatComputeOp(op: string): boolean {
  return FLOAT_COMPUTE.has(op);
}

export type { IntegerCensus };

const key = (n: NodeProto) => ((n.domain ?? '') === '' || n.domain === 'ai.onnx' ? (n.opType ?? '') : `${n.domain}:${n.opType}`);

/** Census of an already-optimised graph. */
export function censusOf(m: ModelProto): IntegerCensus {
  const g = m.graph!;
  const ix = new GraphEditor(g);
  const ops: Record<string, number> = {};
  let integerOps = 0;
  let floatComputeOps = 0;
  let boundaryOps = 0;
  const fallbacks: IntegerCensus['fallbacks'] = [];
  for (const n of g.node ?? []) {
    const op = n.opType ?? '';
    ops[key(n)] = (ops[key(n)] ?? 0) + 1;
    if (isIntegerOp(op)) integerOps++;
    else if (isFloatComputeOp(op)) floatComputeOps++;
    else if (op === 'QuantizeLinear' || op === 'DequantizeLinear' || op === 'DynamicQuantizeLinear') boundaryOps++;
    if (op === 'DequantizeLinear' && ix.isConstant(n.input?.[0] ?? '')) {
      for (const c of ix.consumers.get(n.output![0]) ?? []) {
        if (isFloatComputeOp(c.opType ?? '')) fallbacks.push({ dequantize: n.name ?? '', consumer: c.name ?? '', consumerOp: c.opType ?? '' });
      }
    }
  }
  const total = integerOps + floatComputeOps;
  return { ops, integerOps, floatComputeOps, boundaryOps, integerShare: total ? integerOps / total : 0, fallbacks };
}

/** Census of the graph onnxruntime's CPU provider executes for `bytes`. */
export async function integerCensus(bytes: Uint8Array, where = 'model'): Promise<IntegerCensus> {
  return censusOf(await ortOptimizedModel(bytes, 'all', where));
}

/** Census of a model as written (before onnxruntime's fusions), for comparison. */
export function writtenCensus(bytes: Uint8Array): IntegerCensus {
  return censusOf(decodeModel(bytes));
}

/** The census's warnings for a real format: no integer kernel at all, or quantized weights that reach float kernels. */
export function warnCensus(census: IntegerCensus, format: string, warn: (m: string) => void): void {
  if (census.integerOps === 0) warn(`onnxruntime runs no integer kernel in the ${format} model: its integer path folded back to float`);
  if (census.fallbacks.length > 0) warn(`${census.fallbacks.length} quantized weight(s) feed float kernels after optimisation: ${census.fallbacks.slice(0, 5).map((f) => `${f.consumerOp} '${f.consumer}'`).join(', ')}`);
}
