/** Small generated float models for the format tests, built with onnx-proto. */
import { DT, attrInt, attrInts, encodeModel, makeNode, makeTensor, onnx, type NodeProto, type TensorProto } from '../../src/formats/onnx-graph.ts';
import { gaussian, mulberry32 } from '../../src/util/rng.ts';

export function randn(n: number, seed: number, sd = 1): Float32Array {
  const g = gaussian(mulberry32(seed));
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = g() * sd;
  return out;
}

function valueInfo(name: string, dims: (number | string)[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: { tensorType: { elemType: DT.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });
}

function model(nodes: NodeProto[], inits: TensorProto[], inputs: [string, (number | string)[]][], outputs: [string, (number | string)[]][], opset: number) {
  const graph = onnx.GraphProto.create({
    name: 'tiny',
    node: nodes,
    initializer: inits,
    input: inputs.map(([n, d]) => valueInfo(n, d)),
    output: outputs.map(([n, d]) => valueInfo(n, d)),
  });
  return encodeModel(onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: opset }], graph, producerName: 'coquant-test' }));
}

/** y = relu(x · W1 + b1) · W2, x [batch, K]. */
export function mlpModel(K: number, H: number, N: number, seed: number): { bytes: Uint8Array; w1: Float32Array; w2: Float32Array } {
  const w1 = randn(K * H, seed, 1 / Math.sqrt(K));
  const b1 = randn(H, seed + 1, 0.1);
  const w2 = randn(H * N, seed + 2, 1 / Math.sqrt(H));
  const bytes = model(
    [
      makeNode('MatMul', ['x', 'W1'], ['h0'], 'mm1'),
      makeNode('Add', ['h0', 'b1'], ['h1'], 'add1'),
      makeNode('Relu', ['h1'], ['h2'], 'relu1'),
      makeNode('MatMul', ['h2', 'W2'], ['y'], 'mm2'),
    ],
    [makeTensor('W1', DT.FLOAT, [K, H], w1), makeTensor('b1', DT.FLOAT, [H], b1), makeTensor('W2', DT.FLOAT, [H, N], w2)],
    [['x', ['batch', K]]],
    [['y', ['batch', N]]],
    13,
  );
  return { bytes, w1, w2 };
}

/** Conv(3→16, 3×3) → Relu → Conv(16→16 depthwise 3×3) → Conv(16→8, 1×1), opset 11 with an attribute-style Clip (opset 9). */
export function convModel(seed: number, opset = 11): Uint8Array {
  const w1 = randn(16 * 3 * 9, seed, 0.3);
  const b1 = randn(16, seed + 1, 0.1);
  const w2 = randn(16 * 1 * 9, seed + 2, 0.3);
  const w3 = randn(8 * 16, seed + 3, 0.25);
  const b3 = randn(8, seed + 4, 0.1);
  const pads = attrInts('pads', [1, 1, 1, 1]);
  return model(
    [
      makeNode('Conv', ['x', 'W1', 'B1'], ['c1'], 'conv1', [attrInts('kernel_shape', [3, 3]), pads]),
      makeNode('Relu', ['c1'], ['r1'], 'relu1'),
      makeNode('Conv', ['r1', 'W2'], ['c2'], 'conv2', [attrInts('kernel_shape', [3, 3]), pads, attrInt('group', 16)]),
      makeNode('Sigmoid', ['c2'], ['s2'], 'sig2'),
      makeNode('Mul', ['c2', 's2'], ['m2'], 'swish2'),
      makeNode('Conv', ['m2', 'W3', 'B3'], ['y'], 'conv3', [attrInts('kernel_shape', [1, 1])]),
    ],
    [
      makeTensor('W1', DT.FLOAT, [16, 3, 3, 3], w1),
      makeTensor('B1', DT.FLOAT, [16], b1),
      makeTensor('W2', DT.FLOAT, [16, 1, 3, 3], w2),
      makeTensor('W3', DT.FLOAT, [8, 16, 1, 1], w3),
      makeTensor('B3', DT.FLOAT, [8], b3),
    ],
    [['x', ['batch', 3, 'h', 'w']]],
    [['y', ['batch', 8, 'h', 'w']]],
    opset,
  );
}

/** A single MatMul with constant weight W [K, N]. */
export function matmulModel(w: Float32Array, K: number, N: number): Uint8Array {
  return model([makeNode('MatMul', ['x', 'W'], ['y'], 'mm')], [makeTensor('W', DT.FLOAT, [K, N], w)], [['x', ['m', K]]], [['y', ['m', N]]], 13);
}
