/**
 * Low-bit MatMul weights through com.microsoft MatMulNBits: every MatMul whose weight B is a
 * constant 2-D float tensor (and every plain Gemm, which onnxruntime's optimiser makes out of a
 * 2-D MatMul + Add; its bias becomes an Add) becomes MatMulNBits(A, B_packed, scales[, zero_points]) with the
 * attributes K, N, bits, block_size (and accuracy_level when asked). Other weights (Conv, Gemm,
 * MatMul with a computed B) stay float and are listed with the reason.
 */
import {
  DT,
  GraphEditor,
  MS_DOMAIN,
  attrFloatValue,
  attrInt,
  attrIntValue,
  cloneModel,
  dimsOf,
  makeNode,
  makeTensor,
  pruneUnusedInitializers,
  setOpset,
  tensorToFloat32,
  type ModelProto,
  type NodeProto,
} from './onnx-graph.ts';
import { packNBits, packedBytes, type NBitsConfig } from './nbits-pack.ts';
import type { FloatWeight } from './qdq-int8.ts';

export interface NBitsOptions extends NBitsConfig {
  /** MatMulNBits accuracy_level: 0 unset, 1 fp32, 2 fp16, 3 bf16, 4 int8 (A quantized to int8 per block). */
  accuracyLevel?: number;
  excludeNodes?: readonly string[];
}

export interface NBitsResult {
  model: ModelProto;
  /** Rewritten MatMuls. */
  nodes: number;
  /** float32 bytes of the weights covered, and the bytes of their packed replacement. */
  coveredFp32Bytes: number;
  coveredPackedBytes: number;
  leftFloat: FloatWeight[];
}

const WEIGHT_OPS = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul', 'LSTM', 'GRU', 'RNN']);

export function quantizeMatMulNBits(source: ModelProto, opts: NBitsOptions): NBitsResult {
  const m = cloneModel(source);
  const graph = m.graph!;
  const ix = new GraphEditor(graph);
  const excluded = new Set(opts.excludeNodes ?? []);
  const leftFloat: FloatWeight[] = [];
  const out: NodeProto[] = [];
  let nodes = 0;
  let fp32 = 0;
  let packed = 0;
  for (const n of graph.node ?? []) {
    const op = n.opType ?? '';
    const w = n.input?.[1] ?? '';
    const isWeight = ix.isConstant(w) && ix.inits.get(w)!.dataType === DT.FLOAT;
    const leave = (reason: string) => leftFloat.push({ tensor: w, node: n.name ?? '', opType: op, shape: dimsOf(ix.inits.get(w)!), reason });
    if ((n.domain ?? '') !== '' || !WEIGHT_OPS.has(op) || !isWeight) {
      out.push(n);
      continue;
    }
    const shape = dimsOf(ix.inits.get(w)!);
    const gemm = op === 'Gemm';
    const gemmOk =
      gemm && attrIntValue(n, 'transA', 0) === 0 && attrFloatValue(n, 'alpha', 1) === 1 && (!n.input?.[2] || attrFloatValue(n, 'beta', 1) === 1);
    if (op !== 'MatMul' && !gemm) leave(`MatMulNBits covers MatMul (and plain Gemm) weights only; ${op} keeps float weights`);
    else if (gemm && !gemmOk) leave('Gemm with transA, alpha ≠ 1 or beta ≠ 1 has no MatMulNBits form');
    else if (excluded.has(n.name ?? '')) leave('node excluded by option');
    else if (shape.length !== 2) leave(`weight has rank ${shape.length}; MatMulNBits needs a 2-D [K, N] weight`);
    else {
      // Gemm with transB stores B as [N, K]; MatMulNBits wants the MatMul layout [K, N] before packing.
      const transB = gemm && attrIntValue(n, 'transB', 0) === 1;
      const [K, N] = transB ? [shape[1], shape[0]] : shape;
      let wv = tensorToFloat32(ix.inits.get(w)!);
      if (transB) {
        const t = new Float32Array(wv.length);
        for (let nn = 0; nn < N; nn++) for (let k = 0; k < K; k++) t[k * N + nn] = wv[nn * K + k];
        wv = t;
      }
      const p = packNBits(wv, K, N, opts);
      const base = n.name || w;
      const bName = ix.fresh(`${w}_q${opts.bits}`);
      const sName = ix.fresh(`${w}_scales`);
      ix.addInit(makeTensor(bName, DT.UINT8, [N, p.kBlocks, p.blobSize], p.b));
      ix.addInit(makeTensor(sName, DT.FLOAT, [N, p.kBlocks], p.scales));
      const inputs = [n.input![0], bName, sName];
      if (p.zeroPoints) {
        const zName = ix.fresh(`${w}_zero_points`);
        ix.addInit(makeTensor(zName, DT.UINT8, [N, p.zeroPoints.length / N], p.zeroPoints));
        inputs.push(zName);
      }
      const attrs = [attrInt('K', K), attrInt('N', N), attrInt('bits', opts.bits), attrInt('block_size', opts.blockSize)];
      if (opts.accuracyLevel !== undefined) attrs.push(attrInt('accuracy_level', opts.accuracyLevel));
      const bias = gemm ? n.input?.[2] : undefined;
      if (bias) {
        const mid = ix.fresh(`${n.output![0]}_matmul`);
        out.push(makeNode('MatMulNBits', inputs, [mid], ix.fresh(`${base}_MatMulNBits`), attrs, MS_DOMAIN));
        out.push(makeNode('Add', [mid, bias], [...n.output!], ix.fresh(`${base}_bias`)));
      } else out.push(makeNode('MatMulNBits', inputs, [...n.output!], ix.fresh(`${base}_MatMulNBits`), attrs, MS_DOMAIN));
      nodes++;
      fp32 += K * N * 4;
      packed += packedBytes(p);
      continue;
    }
    out.push(n);
  }
  graph.node = out;
  pruneUnusedInitializers(graph);
  if (nodes > 0) setOpset(m, MS_DOMAIN, 1);
  return { model: m, nodes, coveredFp32Bytes: fp32, coveredPackedBytes: packed, leftFloat };
}
