/**
 * The simulation the real formats are compared with: the same weights, quantized and
 * dequantized in place with coquant's fakeQuantize (src/quant), stored back as float32. The
 * quantizer mirrors each real format's weight scheme, so any gap between the fake and the real
 * model's outputs comes from what the simulation leaves out (activation quantization, integer
 * accumulation, kernel differences):
 *  - `channel` (the qdq-int8 scheme): Conv and MatMul weights, symmetric, one scale per output
 *    channel (Conv axis 0, MatMul column);
 *  - `block` (the int4 / MatMulNBits scheme): MatMul weights, asymmetric `bits`, blocks of `blockSize` along K per output column.
 */
import { fakeQuantize } from '../quant/fake-quantize.ts';
import type { QuantConfig } from '../quant/types.ts';
import { DT, GraphEditor, attrIntValue, cloneModel, dimsOf, makeTensor, tensorToFloat32, type ModelProto } from './onnx-graph.ts';

/** `channel`: symmetric per output channel (the qdq-int8 weight scheme at `bits`); `block`: the MatMulNBits scheme. */
export type FakeScheme = { kind: 'channel'; bits: number; ops?: readonly string[] } | { kind: 'block'; bits: number; blockSize: number; symmetric?: boolean };

export interface FakeResult {
  model: ModelProto;
  /** Weights rewritten. */
  tensors: string[];
}

/** Runs `fn` over each output column of a [K, N] weight as a contiguous [K] vector. */
function perColumn(w: Float32Array, K: number, N: number, fn: (col: Float32Array) => Float32Array): Float32Array {
  const out = new Float32Array(w.length);
  const col = new Float32Array(K);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) col[k] = w[k * N + n];
    const q = fn(col);
    for (let k = 0; k < K; k++) out[k * N + n] = q[k];
  }
  return out;
}

/** [R, C] → [C, R]. */
function transposed(v: Float32Array, R: number, C: number): Float32Array {
  const out = new Float32Array(v.length);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) out[c * R + r] = v[r * C + c];
  return out;
}

export function fakeQuantizeModel(source: ModelProto, scheme: FakeScheme): FakeResult {
  const m = cloneModel(source);
  const g = m.graph!;
  const ix = new GraphEditor(g);
  const ops = new Set(scheme.kind === 'channel' ? (scheme.ops ?? ['Conv', 'MatMul', 'Gemm']) : ['MatMul', 'Gemm']);
  const done = new Set<string>();
  const replace = new Map<string, Float32Array>();
  for (const n of g.node ?? []) {
    const op = n.opType ?? '';
    const w = n.input?.[1] ?? '';
    if ((n.domain ?? '') !== '' || !ops.has(op) || done.has(w) || !ix.isConstant(w)) continue;
    const t = ix.inits.get(w)!;
    if (t.dataType !== DT.FLOAT) continue;
    const shape = dimsOf(t);
    const values = tensorToFloat32(t);
    if (op === 'Conv') {
      const cfg: QuantConfig = { family: 'uniform-symmetric', bits: scheme.bits, granularity: { kind: 'channel' }, range: 'absmax' };
      replace.set(w, fakeQuantize(values, shape, cfg, { name: w }).values);
    } else if (shape.length === 2) {
      // Work in the MatMul layout [K, N]; a Gemm with transB holds [N, K].
      const transB = op === 'Gemm' && attrIntValue(n, 'transB', 0) === 1;
      const [K, N] = transB ? [shape[1], shape[0]] : shape;
      const cfg: QuantConfig =
        scheme.kind === 'channel'
          ? { family: 'uniform-symmetric', bits: scheme.bits, granularity: { kind: 'tensor' }, range: 'absmax' }
          : {
              family: scheme.symmetric ? 'uniform-symmetric' : 'uniform-asymmetric',
              bits: scheme.bits,
              granularity: { kind: 'group', size: scheme.blockSize },
              range: 'absmax',
            };
      const fn = (col: Float32Array) => fakeQuantize(col, [K], cfg, { name: w }).values;
      // With transB each output column is a contiguous row already: view it as [K, N] = its transpose.
      replace.set(w, transB ? transposed(perColumn(transposed(values, N, K), K, N, fn), K, N) : perColumn(values, K, N, fn));
    } else continue;
    done.add(w);
  }
  g.initializer = (g.initializer ?? []).map((t) => {
    const v = replace.get(t.name ?? '');
    return v ? makeTensor(t.name ?? '', DT.FLOAT, dimsOf(t), v) : t;
  });
  return { model: m, tensors: [...done] };
}
