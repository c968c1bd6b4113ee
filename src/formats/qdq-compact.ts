/**
 * Makes a QDQ model's file smaller without changing what it computes:
 *  - a DequantizeLinear of a constant int8/int32 tensor (weights, biases) whose zero point is all
 *    zeros loses the zero-point input, which ONNX makes optional with default 0 (symmetric int8
 *    weights and int32 biases always have zero points of 0);
 *  - tensors the writer generated (quantized weights, scales, Q/DQ intermediates) get short names.
 *    Graph inputs and outputs, every tensor of the source graph, and node names (which the
 *    kernel census and the per-group reports match on) are kept;
 *  - value_info (optional shape annotations of intermediate tensors) is dropped.
 * On Conv graphs onnxruntime fuses the result into the same integer kernels (checked in the tests
 * and the ISNet bench); on ISNet it saves 251 KB, 0.56 % of the file, less than the package's own
 * uint8 build. It is opt-in because on MatMul/Gemm graphs it is not: without the zero-point input
 * onnxruntime no longer fuses QGemm / MatMulIntegerToFloat and the weights run through float
 * kernels (tried as the qdq-int8 default on 2026-12-01: 1 fallback on the test MLP, 49 on the test ViT).
 */
import { DT, GraphEditor, pruneUnusedInitializers, type ModelProto } from './onnx-graph.ts';

export interface CompactResult {
  /** Zero-point inputs dropped. */
  zeroPoints: number;
  /** Tensors renamed. */
  renamed: number;
  /** value_info entries dropped. */
  valueInfos: number;
}

const allZero = (b: Uint8Array | null | undefined) => !!b && b.every((x) => x === 0);

/** Compacts `m` in place; `keepNames` are the names to leave alone (the source graph's tensors). */
export function compactQdq(m: ModelProto, keepNames: Iterable<string>): CompactResult {
  const g = m.graph!;
  const ix = new GraphEditor(g);
  let zeroPoints = 0;
  for (const n of g.node ?? []) {
    if (n.opType !== 'DequantizeLinear' || (n.domain ?? '') !== '' || (n.input?.length ?? 0) !== 3) continue;
    const x = ix.inits.get(n.input![0]);
    const z = ix.inits.get(n.input![2]);
    if (!x || !z || (x.dataType !== DT.INT8 && x.dataType !== DT.INT32) || z.dataType !== x.dataType) continue;
    if (!allZero(z.rawData) || (z.int32Data?.length ?? 0) > 0) continue;
    n.input = n.input!.slice(0, 2);
    zeroPoints++;
  }
  pruneUnusedInitializers(g);

  const keep = new Set<string>(keepNames);
  for (const v of [...(g.input ?? []), ...(g.output ?? [])]) keep.add(v.name ?? '');
  const names = new Map<string, string>();
  const taken = new Set<string>(keep);
  let k = 0;
  const short = (s: string | null | undefined): string => {
    if (!s || keep.has(s)) return s ?? '';
    let v = names.get(s);
    if (!v) {
      do v = `q${(k++).toString(36)}`;
      while (taken.has(v));
      taken.add(v);
      names.set(s, v);
    }
    return v;
  };
  for (const n of g.node ?? []) {
    n.input = (n.input ?? []).map(short);
    n.output = (n.output ?? []).map(short);
  }
  for (const t of g.initializer ?? []) t.name = short(t.name);
  // value_info is optional shape annotation (onnxruntime infers shapes at load): dropped.
  const valueInfos = g.valueInfo?.length ?? 0;
  g.valueInfo = [];
  return { zeroPoints, renamed: names.size, valueInfos };
}
