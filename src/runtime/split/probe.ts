/**
 * Learns the type and concrete shape of intermediate tensors by running the model once with
 * those tensors exposed as extra outputs. ONNX files rarely carry value_info for every
 * tensor, and onnxruntime accepts untyped extra outputs, so a real run is the reliable way
 * to know the feature size that crosses the link at each cut.
 */
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';

const { onnx } = onnxProto;
type Model = onnxProto.onnx.IModelProto;

export interface ProbedTensor {
  /** onnxruntime's type name, e.g. `float32`. */
  type: string;
  dims: number[];
  elems: number;
  bytes: number;
}

const ORT_TO_ONNX: Record<string, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float16: onnx.TensorProto.DataType.FLOAT16,
  float64: onnx.TensorProto.DataType.DOUBLE,
  int8: onnx.TensorProto.DataType.INT8,
  uint8: onnx.TensorProto.DataType.UINT8,
  int16: onnx.TensorProto.DataType.INT16,
  uint16: onnx.TensorProto.DataType.UINT16,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
};

const BYTES: Record<string, number> = { float32: 4, float16: 2, float64: 8, int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, int64: 8, bool: 1 };

export function onnxElemType(ortType: string): number {
  const t = ORT_TO_ONNX[ortType];
  if (t === undefined) throw new Error(`unsupported tensor type ${ortType}`);
  return t;
}

export async function probeTensors(model: Model, names: string[], feeds: Record<string, ort.Tensor>): Promise<Map<string, ProbedTensor>> {
  const copy = onnx.ModelProto.decode(onnx.ModelProto.encode(model).finish());
  const graph = copy.graph!;
  const outputs = (graph.output ??= []);
  const existing = new Set(outputs.map((o) => o.name));
  for (const n of names) if (!existing.has(n)) outputs.push(onnx.ValueInfoProto.create({ name: n }));
  const session = await ort.InferenceSession.create(onnx.ModelProto.encode(copy).finish(), { graphOptimizationLevel: 'disabled' });
  try {
    const out = await session.run(feeds, names);
    const result = new Map<string, ProbedTensor>();
    for (const n of names) {
      const t = out[n];
      const dims = t.dims.map(Number);
      const elems = dims.reduce((a, b) => a * b, 1);
      result.set(n, { type: t.type, dims, elems, bytes: elems * (BYTES[t.type] ?? 0) });
    }
    return result;
  } finally {
    await session.release();
  }
}
