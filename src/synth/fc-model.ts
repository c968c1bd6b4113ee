/**
 * Generator of fully connected ONNX models (MatMul/Gemm + bias + ReLU chains) with seeded,
 * realistic weights, so the FC bound (SPEC §3) can be checked end to end on real ONNX files
 * run by onnxruntime. Weights are Laplace with He-init scale (std = sqrt(2/fan_in)): heavy-ish
 * tails like pre-trained weights (the paper's Fig. 2) rather than uniform noise.
 */
import onnxProto from 'onnx-proto';
import { mulberry32, laplace } from '../util/rng.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { CoquantError } from '../errors.ts';
import type { FcLayer } from '../theory/fc-bound.ts';

const { onnx } = onnxProto;

export interface FcModelSpec {
  /** [in, hidden…, out]: depth = widths.length − 1 layers. */
  widths: number[];
  seed: number;
  /** Add bias vectors (default true). */
  bias?: boolean;
  /** How layers are expressed: MatMul+Add, Gemm (transB=1), or alternating (default 'mixed'). */
  style?: 'matmul' | 'gemm' | 'mixed';
  /** Bias scale relative to the weight Laplace scale (default 0.5). */
  biasScale?: number;
}

export interface FcModel {
  /** Serialized ModelProto. */
  bytes: Uint8Array;
  /** The same weights as the FC-bound code reads them (out × in, float32 values). */
  layers: FcLayer[];
  inputName: string;
  outputName: string;
}

const FLOAT = 1; // onnx.TensorProto.DataType.FLOAT

function tensor(name: string, dims: number[], values: Float32Array): onnxProto.onnx.ITensorProto {
  return {
    name,
    dims,
    dataType: FLOAT,
    rawData: new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)),
  };
}

function valueInfo(name: string, dims: (number | string)[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/** Draws the seeded weights of `spec` (out × in float32, Laplace with He-init scale). */
export function drawFcLayers(spec: FcModelSpec): FcLayer[] {
  const { widths, seed } = spec;
  if (widths.length < 2 || widths.some((w) => !Number.isInteger(w) || w < 1 || w > 1 << 14)) {
    throw new CoquantError('E_USAGE', `FC widths must be ≥ 2 integers in 1..16384, got [${widths.join(', ')}]`);
  }
  const withBias = spec.bias ?? true;
  const biasScale = spec.biasScale ?? 0.5;
  const rand = mulberry32(seed);
  const layers: FcLayer[] = [];
  for (let l = 0; l + 1 < widths.length; l++) {
    const fanIn = widths[l];
    const fanOut = widths[l + 1];
    const scale = Math.sqrt(2 / fanIn) / Math.SQRT2; // Laplace(b) has std b·√2
    const draw = laplace(rand, scale);
    const w = new Float32Array(fanOut * fanIn);
    for (let i = 0; i < w.length; i++) w[i] = draw();
    let b: Float32Array | undefined;
    if (withBias) {
      b = new Float32Array(fanOut);
      const drawB = laplace(rand, scale * biasScale);
      for (let i = 0; i < b.length; i++) b[i] = drawB();
    }
    layers.push({ weight: { rows: fanOut, cols: fanIn, data: w }, bias: b });
  }
  return layers;
}

/**
 * Serialises FC layers (out × in, ReLU between layers, none after the last) as an ONNX model.
 * Also used to build the quantized copy of a generated model, so both run through onnxruntime.
 */
export function buildFcOnnx(layers: readonly FcLayer[], style: FcModelSpec['style'] = 'mixed', name = 'fc'): Uint8Array {
  const nodes: onnxProto.onnx.INodeProto[] = [];
  const inits: onnxProto.onnx.ITensorProto[] = [];
  let h = 'x';
  const L = layers.length;
  for (let l = 0; l < L; l++) {
    const { rows: fanOut, cols: fanIn, data } = layers[l].weight;
    const w = Float32Array.from(data);
    const b = layers[l].bias ? Float32Array.from(layers[l].bias!) : undefined;
    const useGemm = style === 'gemm' || (style === 'mixed' && l % 2 === 1);
    const out = l === L - 1 ? 'y' : `h${l + 1}`;
    const pre = l === L - 1 ? out : `z${l + 1}`;
    if (useGemm) {
      inits.push(tensor(`fc${l + 1}.weight`, [fanOut, fanIn], w));
      const inputs = [h, `fc${l + 1}.weight`];
      if (b) {
        inits.push(tensor(`fc${l + 1}.bias`, [fanOut], b));
        inputs.push(`fc${l + 1}.bias`);
      }
      nodes.push({
        name: `fc${l + 1}/Gemm`,
        opType: 'Gemm',
        input: inputs,
        output: [pre],
        attribute: [{ name: 'transB', type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
      });
    } else {
      const wt = new Float32Array(fanIn * fanOut); // in × out, as MatMul(x, W) needs
      for (let r = 0; r < fanOut; r++) for (let c = 0; c < fanIn; c++) wt[c * fanOut + r] = w[r * fanIn + c];
      inits.push(tensor(`fc${l + 1}.weight`, [fanIn, fanOut], wt));
      const mm = b ? `m${l + 1}` : pre;
      nodes.push({ name: `fc${l + 1}/MatMul`, opType: 'MatMul', input: [h, `fc${l + 1}.weight`], output: [mm] });
      if (b) {
        inits.push(tensor(`fc${l + 1}.bias`, [fanOut], b));
        nodes.push({ name: `fc${l + 1}/Add`, opType: 'Add', input: [mm, `fc${l + 1}.bias`], output: [pre] });
      }
    }
    if (l < L - 1) nodes.push({ name: `fc${l + 1}/Relu`, opType: 'Relu', input: [pre], output: [out] });
    h = out;
  }
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'coquant-synth',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name,
      node: nodes,
      initializer: inits,
      input: [valueInfo('x', ['N', layers[0].weight.cols])],
      output: [valueInfo('y', ['N', layers[L - 1].weight.rows])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Builds the model in memory. Deterministic in `spec`. */
export function generateFcModel(spec: FcModelSpec): FcModel {
  const layers = drawFcLayers(spec);
  const bytes = buildFcOnnx(layers, spec.style ?? 'mixed', `fc_${spec.widths.join('x')}_s${spec.seed}`);
  return { bytes, layers, inputName: 'x', outputName: 'y' };
}

/** Generates and writes the model atomically; returns it too. */
export async function writeFcModel(path: string, spec: FcModelSpec): Promise<FcModel> {
  const m = generateFcModel(spec);
  await writeFileAtomic(path, m.bytes);
  return m;
}
