/**
 * Widens a float16 graph with float32 inputs and outputs (what an fp16 export with an input
 * Cast looks like, e.g. ISNet) to float32: every fp16 initializer and Constant becomes float32
 * holding exactly the same values (fp16 ⊂ fp32), Casts to fp16 become Casts to fp32, which
 * onnxruntime's basic optimiser then drops as no-ops. The format writers (QDQ int8, MatMulNBits)
 * quantize float32 weights and activations, so this is the canonical graph they start from; the
 * weights they quantize are the fp16 weights themselves, read as fp16.
 *
 * A model whose own inputs or outputs are fp16 is left alone (widening would change its
 * interface), as are subgraphs (If/Loop bodies).
 */
import { DT, dimsOf, makeTensor, tensorToFloat32, type ModelProto, type TensorProto } from './onnx-graph.ts';

export interface WidenResult {
  /** fp16 initializers and Constant/attribute tensors widened. */
  tensors: number;
  /** Cast nodes retargeted from fp16 to fp32. */
  casts: number;
}

const widenTensor = (t: TensorProto): TensorProto => makeTensor(t.name ?? '', DT.FLOAT, dimsOf(t), tensorToFloat32(t));

/** True when the graph's own interface has an fp16 input or output. */
function fp16Interface(m: ModelProto): boolean {
  const g = m.graph!;
  return [...(g.input ?? []), ...(g.output ?? [])].some((v) => Number(v.type?.tensorType?.elemType ?? 0) === DT.FLOAT16);
}

/** Widens `m` in place; returns what it changed (all zero when nothing was fp16 or the interface is fp16). */
export function widenFloat16(m: ModelProto): WidenResult {
  const res: WidenResult = { tensors: 0, casts: 0 };
  const g = m.graph;
  if (!g || fp16Interface(m)) return res;
  g.initializer = (g.initializer ?? []).map((t) => {
    if (t.dataType !== DT.FLOAT16) return t;
    res.tensors++;
    return widenTensor(t);
  });
  for (const n of g.node ?? []) {
    for (const a of n.attribute ?? []) {
      if (a.t && a.t.dataType === DT.FLOAT16) {
        a.t = widenTensor(a.t);
        res.tensors++;
      }
      if (n.opType === 'Cast' && a.name === 'to' && Number(a.i ?? 0) === DT.FLOAT16) {
        a.i = DT.FLOAT;
        res.casts++;
      }
    }
  }
  for (const v of g.valueInfo ?? []) {
    const tt = v.type?.tensorType;
    if (tt && Number(tt.elemType ?? 0) === DT.FLOAT16) tt.elemType = DT.FLOAT;
  }
  return res;
}
