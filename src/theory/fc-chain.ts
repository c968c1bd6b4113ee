/**
 * A fully connected chain lifted out of a model, in the FcLayer form the SPEC §3 bound works
 * on, and its forward pass. Pure math: recognising the chain in an ONNX graph is
 * bounds/fc-chain-onnx.ts.
 */
import type { FcActivation, FcLayer } from './fc-bound.ts';

export interface FcChainLayer extends FcLayer {
  /** Initializer holding the weight, and how it is stored: `in-out` for MatMul, `out-in` for Gemm transB=1. */
  weightName: string;
  layout: 'in-out' | 'out-in';
  /** Gemm alpha folded into the weight (1 for MatMul). */
  alpha: number;
  biasName?: string;
  /** Activation applied after this layer (null: none). */
  activation: FcActivation | null;
}

export interface FcChain {
  inputName: string;
  outputName: string;
  inputDim: number;
  layers: FcChainLayer[];
}

/**
 * Turns a stored weight (as the quantizer sees it, in file layout) into the out × in matrix of
 * the bound. Used for both the original and the quantized copy so they line up exactly.
 */
export function layerMatrix(values: ArrayLike<number>, shape: readonly number[], layout: 'in-out' | 'out-in', alpha = 1): FcLayer['weight'] {
  const [d0, d1] = shape;
  if (layout === 'out-in') {
    const data = new Float64Array(d0 * d1);
    for (let i = 0; i < data.length; i++) data[i] = alpha * values[i];
    return { rows: d0, cols: d1, data };
  }
  const data = new Float64Array(d0 * d1);
  for (let c = 0; c < d0; c++) for (let r = 0; r < d1; r++) data[r * d0 + c] = alpha * values[c * d1 + r];
  return { rows: d1, cols: d0, data };
}

/** Forward pass of an extracted chain with its own per-layer activations (float64). */
export function chainForward(layers: readonly FcChainLayer[], x: ArrayLike<number>): Float64Array {
  let h = Float64Array.from(x as ArrayLike<number>);
  for (const layer of layers) {
    const { rows, cols, data } = layer.weight;
    const out = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      let s = layer.bias ? layer.bias[r] : 0;
      for (let k = 0; k < cols; k++) s += data[r * cols + k] * h[k];
      const a = layer.activation;
      out[r] = a === null || a === 'identity' ? s : a === 'relu' ? Math.max(0, s) : s > 0 ? s : a.leakyRelu * s;
    }
    h = out;
  }
  return h;
}
