/**
 * A split's tail that takes its crossing tensors in link formats (feature-format.ts): each
 * float32 input `t` sent as fp16 becomes an input `t.fp16` (FLOAT16) with a Cast to float32 named
 * `t`; one sent as int8 becomes the inputs `t.int8`, `t.scale`, `t.zero_point` and the nodes
 * float32(q) − float32(z), times scale, named `t`. The rest of the tail is untouched, so any
 * onnxruntime (coquant serve, Triton's onnxruntime backend) serves it as is.
 *
 * Cast, Sub and Mul instead of DequantizeLinear: they exist in every opset (the bundled PP-OCR
 * recognizer is opset 9, which has no DequantizeLinear, and per-axis DequantizeLinear needs 13),
 * and they compute the same float32 values: (q − z) is an exact small integer, so one float32
 * product with the scale is what DequantizeLinear computes too.
 */
import onnxProto from 'onnx-proto';
import { FormatError } from './errors.ts';
import { wireNames, type FeatureFormat } from './feature-format.ts';

const { onnx } = onnxProto;
type Model = onnxProto.onnx.IModelProto;
const DT = onnx.TensorProto.DataType;

function input(name: string, elemType: number, dims: readonly (number | string)[]): onnxProto.onnx.IValueInfoProto {
  return onnx.ValueInfoProto.create({
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });
}

/** The tail with `formats[t]` applied to its float32 inputs (others, and fp32, stay as they are). */
export function tailWithFeatureFormats(tail: Model, formats: Readonly<Record<string, FeatureFormat>>): Model {
  const copy = onnx.ModelProto.decode(onnx.ModelProto.encode(tail).finish());
  const g = copy.graph!;
  const inputs: onnxProto.onnx.IValueInfoProto[] = [];
  const pre: onnxProto.onnx.INodeProto[] = [];
  for (const vi of g.input ?? []) {
    const t = vi.name ?? '';
    const f = formats[t] ?? 'fp32';
    const tt = vi.type?.tensorType;
    if (f === 'fp32') {
      inputs.push(vi);
      continue;
    }
    if (tt?.elemType !== DT.FLOAT) throw new FormatError('E_FEATURE_FORMAT', `tail input '${t}' is not float32, so it cannot be sent as ${f}`, 'give a link format only for float32 crossing tensors');
    const dims = (tt.shape?.dim ?? []).map((d, i) => (d.dimValue !== undefined && d.dimValue !== null && Number(d.dimValue) > 0 ? Number(d.dimValue) : (d.dimParam ?? `${t}_d${i}`)));
    const w = wireNames(t, f);
    if (f === 'fp16') {
      inputs.push(input(w.data, DT.FLOAT16, dims));
      pre.push({ name: `${t}/from_fp16`, opType: 'Cast', input: [w.data], output: [t], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: DT.FLOAT }] });
      continue;
    }
    const sdims = f === 'int8-channel' && dims.length >= 2 ? dims.map((d, i) => (i === 1 ? d : 1)) : [];
    inputs.push(input(w.data, DT.INT8, dims), input(w.scale!, DT.FLOAT, sdims), input(w.zeroPoint!, DT.INT8, sdims));
    const cast = (from: string, to: string) => ({ name: `${to}/cast`, opType: 'Cast', input: [from], output: [to], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: DT.FLOAT }] });
    pre.push(
      cast(w.data, `${t}.q_f32`),
      cast(w.zeroPoint!, `${t}.z_f32`),
      { name: `${t}/centre`, opType: 'Sub', input: [`${t}.q_f32`, `${t}.z_f32`], output: [`${t}.centred`] },
      { name: `${t}/dequantize`, opType: 'Mul', input: [`${t}.centred`, w.scale!], output: [t] },
    );
  }
  for (const t of Object.keys(formats)) {
    if (!(g.input ?? []).some((v) => v.name === t)) throw new FormatError('E_FEATURE_FORMAT', `'${t}' is not an input of the tail`, 'give link formats for the crossing tensors of the cut');
  }
  g.input = inputs;
  g.node = [...pre, ...(g.node ?? [])];
  copy.docString = `${copy.docString ?? ''} (crossing tensors in link formats: ${Object.entries(formats).map(([k, v]) => `${k}=${v}`).join(', ')})`.trim();
  return copy;
}
