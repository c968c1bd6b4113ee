/**
 * The rigorous output-error bound for fully connected networks (SPEC §3, our analogue of the
 * paper's Proposition 3.1):
 *
 *   f(x) = W_L σ(W_{L−1} … σ(W_1 x)),  σ 1-Lipschitz with σ(0) = 0,
 *   ||f(x) − f̂(x)||₂ ≤ ||x||₂ · Σ_l (Π_{k≠l} a_k)·||W_l − Ŵ_l||₂,   a_l = max(||W_l||₂, ||Ŵ_l||₂)
 *                   ≤ ||x||₂ · Σ_l (Π_{k≠l} a_k)·||vec(W_l − Ŵ_l)||₁.
 *
 * Proof sketch (telescoping): swap quantized layers in one at a time; the l-th swap changes the
 * output by at most Π_{k>l} a_k · ||W_l − Ŵ_l||₂ · ||ĥ_{l−1}||, and ||ĥ_{l−1}|| ≤ Π_{k<l} a_k · ||x||
 * because σ is 1-Lipschitz with σ(0) = 0.
 *
 * Biases are folded in: the input becomes x' = [x; c], hidden layers become [[W, b/c], [0, 1]] and
 * the last layer [W, b/c]. The carried coordinate stays c because σ(c) = c for ReLU-like σ (c > 0).
 * Then ||x'|| ≤ sqrt(r² + c²) for inputs with ||x|| ≤ r. The bound holds for every c > 0; c = 1
 * (the SPEC's choice) is the default.
 *
 * Spectral norms are certified upper bounds (see spectral-norm.ts), never estimates from below.
 */
import { CoquantError } from '../errors.ts';
import { spectralNorm, type Matrix, type SpectralNormOptions } from './spectral-norm.ts';

export interface FcLayer {
  /** out × in, row-major: the layer computes W·h (+ b). */
  weight: Matrix;
  bias?: ArrayLike<number>;
}

/** Activations with σ(0) = 0, 1-Lipschitz and σ(c) = c for c > 0, so the bound and the bias fold apply. */
export type FcActivation = 'relu' | 'identity' | { leakyRelu: number };

export interface FcBoundOptions {
  /** Inputs satisfy ||x||₂ ≤ inputRadius (default 1). */
  inputRadius?: number;
  /** The constant c appended to the input when biases are folded in (default 1). */
  biasConstant?: number;
  spectral?: SpectralNormOptions;
}

export interface FcLayerTerm {
  /** Certified upper bounds on ||W'_l||₂ and ||Ŵ'_l||₂ (bias-folded). */
  norm: number;
  normQuant: number;
  a: number;
  /** Upper bound on ||W'_l − Ŵ'_l||₂, and the Frobenius and entrywise-L1 norms of the difference. */
  diffSpectral: number;
  diffFrobenius: number;
  diffL1: number;
  /** Π_{k≠l} a_k · ||x'||: the factor multiplying this layer's parameter error. */
  gain: number;
}

export interface FcBoundResult {
  /** Spectral form: the tightest bound we certify. */
  bound: number;
  /** Same with ||·||_F (between the spectral and L1 forms). */
  boundFrobenius: number;
  /** The looser L1 form of SPEC §3. */
  boundL1: number;
  /** Bound on ||x'||₂ used (sqrt(r² + c²) with biases, r without). */
  inputNorm: number;
  biasFolded: boolean;
  layers: FcLayerTerm[];
}

function checkShapes(orig: readonly FcLayer[], quant: readonly FcLayer[]): void {
  if (orig.length === 0) throw new CoquantError('E_FC_EMPTY', 'the FC network has no layers');
  if (orig.length !== quant.length) {
    throw new CoquantError('E_FC_SHAPE', `original has ${orig.length} layers, quantized has ${quant.length}`);
  }
  for (let l = 0; l < orig.length; l++) {
    const a = orig[l].weight;
    const b = quant[l].weight;
    if (a.rows !== b.rows || a.cols !== b.cols) {
      throw new CoquantError('E_FC_SHAPE', `layer ${l}: original is ${a.rows}×${a.cols}, quantized is ${b.rows}×${b.cols}`);
    }
    if (a.data.length !== a.rows * a.cols) throw new CoquantError('E_FC_SHAPE', `layer ${l}: weight data length ${a.data.length} ≠ ${a.rows}×${a.cols}`);
    if (l > 0 && orig[l - 1].weight.rows !== a.cols) {
      throw new CoquantError('E_FC_SHAPE', `layer ${l} expects ${a.cols} inputs but layer ${l - 1} gives ${orig[l - 1].weight.rows}`);
    }
    for (const [what, layer] of [['original', orig[l]], ['quantized', quant[l]]] as const) {
      if (layer.bias && layer.bias.length !== layer.weight.rows) {
        throw new CoquantError('E_FC_SHAPE', `layer ${l} (${what}): bias has ${layer.bias.length} entries, weight has ${layer.weight.rows} rows`);
      }
    }
  }
}

/** The bias-folded matrix of one layer: [[W, b/c], [0, 1]] for hidden layers, [W, b/c] for the last. */
export function foldBias(layer: FcLayer, c: number, last: boolean): Matrix {
  const { rows, cols, data } = layer.weight;
  const r2 = last ? rows : rows + 1;
  const c2 = cols + 1;
  const out = new Float64Array(r2 * c2);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < cols; k++) out[r * c2 + k] = data[r * cols + k];
    out[r * c2 + cols] = layer.bias ? layer.bias[r] / c : 0;
  }
  if (!last) out[rows * c2 + cols] = 1;
  return { rows: r2, cols: c2, data: out };
}

function difference(a: Matrix, b: Matrix): Matrix {
  const d = new Float64Array(a.data.length);
  for (let i = 0; i < d.length; i++) d[i] = a.data[i] - b.data[i];
  return { rows: a.rows, cols: a.cols, data: d };
}

export function fcBound(orig: readonly FcLayer[], quant: readonly FcLayer[], opts: FcBoundOptions = {}): FcBoundResult {
  checkShapes(orig, quant);
  const r = opts.inputRadius ?? 1;
  const c = opts.biasConstant ?? 1;
  if (!(r >= 0) || !(c > 0)) throw new CoquantError('E_RANGE', `input radius must be ≥ 0 and bias constant > 0 (got ${r}, ${c})`);
  const fold = orig.some((l) => l.bias) || quant.some((l) => l.bias);
  const L = orig.length;
  const mats = orig.map((l, i) => (fold ? foldBias(l, c, i === L - 1) : l.weight));
  const matsQ = quant.map((l, i) => (fold ? foldBias(l, c, i === L - 1) : l.weight));
  const inputNorm = fold ? Math.sqrt(r * r + c * c) : r;

  const partial: Omit<FcLayerTerm, 'gain'>[] = [];
  for (let l = 0; l < L; l++) {
    const norm = spectralNorm(mats[l], opts.spectral).upper;
    const normQuant = spectralNorm(matsQ[l], opts.spectral).upper;
    const d = difference(mats[l], matsQ[l]);
    let fro = 0;
    let l1 = 0;
    for (let i = 0; i < d.data.length; i++) {
      fro += d.data[i] * d.data[i];
      l1 += Math.abs(d.data[i]);
    }
    fro = Math.sqrt(fro);
    // The spectral bound of the difference can never usefully exceed its Frobenius norm.
    const diffSpectral = fro === 0 ? 0 : Math.min(spectralNorm(d, opts.spectral).upper, fro);
    partial.push({ norm, normQuant, a: Math.max(norm, normQuant), diffSpectral, diffFrobenius: fro, diffL1: l1 });
  }
  const layers: FcLayerTerm[] = [];
  let bound = 0;
  let boundF = 0;
  let boundL1 = 0;
  for (let l = 0; l < L; l++) {
    let gain = inputNorm;
    for (let k = 0; k < L; k++) if (k !== l) gain *= partial[k].a;
    layers.push({ ...partial[l], gain });
    bound += gain * partial[l].diffSpectral;
    boundF += gain * partial[l].diffFrobenius;
    boundL1 += gain * partial[l].diffL1;
  }
  return { bound, boundFrobenius: boundF, boundL1, inputNorm, biasFolded: fold, layers };
}

function activate(v: number, act: FcActivation): number {
  if (act === 'relu') return v > 0 ? v : 0;
  if (act === 'identity') return v;
  return v > 0 ? v : act.leakyRelu * v;
}

/**
 * Plain float64 forward pass f(x) = W_L σ(… σ(W_1 x + b_1) …) + b_L (no activation after the
 * last layer unless `finalActivation`). The reference the ORT runs are checked against.
 */
export function fcForward(
  layers: readonly FcLayer[],
  x: ArrayLike<number>,
  activation: FcActivation = 'relu',
  finalActivation = false,
): Float64Array {
  let h: Float64Array = Float64Array.from(x as ArrayLike<number>);
  for (let l = 0; l < layers.length; l++) {
    const { rows, cols, data } = layers[l].weight;
    if (h.length !== cols) throw new CoquantError('E_FC_SHAPE', `layer ${l} expects ${cols} inputs, got ${h.length}`);
    const out = new Float64Array(rows);
    const bias = layers[l].bias;
    for (let r = 0; r < rows; r++) {
      let s = bias ? bias[r] : 0;
      const off = r * cols;
      for (let k = 0; k < cols; k++) s += data[off + k] * h[k];
      out[r] = l < layers.length - 1 || finalActivation ? activate(s, activation) : s;
    }
    h = out;
  }
  return h;
}
