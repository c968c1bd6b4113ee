/**
 * The SPEC §3 bound reported for a real FC ONNX model: for each quantizer and bit-width, the
 * certified bound on ||f(x) − f̂(x)||₂ over ||x||₂ ≤ 1 beside the largest error measured on seeded
 * random unit inputs. Weights are quantized in their stored layout, as the real pipeline does.
 */
import { configLabel, fakeQuantize, isFp8, type QuantSpec } from '../quant/index.ts';
import { gaussian, mulberry32 } from '../util/rng.ts';
import { fcBound } from './fc-bound.ts';
import { chainForward, layerMatrix, type FcChain, type FcChainLayer } from './fc-chain.ts';

export interface FcBoundRow {
  quantizer: string;
  bits: number;
  /** Spectral-norm form (certified). */
  bound: number;
  /** Looser entrywise-L1 form of SPEC §3. */
  boundL1: number;
  /** Largest measured ||f(x) − f̂(x)||₂ over the random unit inputs. */
  measuredMax: number;
  /** measuredMax / bound: how much of the bound the sampled inputs reach. */
  tightness: number;
}

export interface FcBoundSection {
  layers: number;
  widths: number[];
  inputs: number;
  seed: number;
  rows: FcBoundRow[];
}

function quantizeChain(chain: FcChain, spec: QuantSpec, bits: number): FcChainLayer[] {
  return chain.layers.map((l) => {
    const stored = l.layout === 'out-in' ? [l.weight.rows, l.weight.cols] : [l.weight.cols, l.weight.rows];
    // Undo the alpha fold and the transpose to get the stored tensor back.
    const raw = new Float32Array(l.weight.rows * l.weight.cols);
    for (let r = 0; r < l.weight.rows; r++) {
      for (let c = 0; c < l.weight.cols; c++) {
        const v = l.weight.data[r * l.weight.cols + c] / l.alpha;
        raw[l.layout === 'out-in' ? r * l.weight.cols + c : c * l.weight.rows + r] = v;
      }
    }
    const q = fakeQuantize(raw, stored, { ...spec, bits }, { name: l.weightName }).values;
    return { ...l, weight: layerMatrix(q, stored, l.layout, l.alpha) };
  });
}

export function fcBoundSection(chain: FcChain, specs: readonly QuantSpec[], bitList: readonly number[], opts: { inputs?: number; seed?: number } = {}): FcBoundSection {
  const nIn = opts.inputs ?? 64;
  const seed = opts.seed ?? 1;
  const g = gaussian(mulberry32(seed));
  const xs: Float64Array[] = [];
  for (let i = 0; i < nIn; i++) {
    const v = Float64Array.from({ length: chain.inputDim }, g);
    const n = Math.hypot(...v) || 1;
    xs.push(v.map((t) => t / n));
  }
  const ref = xs.map((x) => chainForward(chain.layers, x));
  const rows: FcBoundRow[] = [];
  for (const spec of specs) {
    for (const bits of isFp8(spec.family) ? [8] : bitList) {
      const q = quantizeChain(chain, spec, bits);
      const b = fcBound(chain.layers, q);
      let worst = 0;
      xs.forEach((x, i) => {
        const y = chainForward(q, x);
        let s = 0;
        for (let k = 0; k < y.length; k++) s += (y[k] - ref[i][k]) ** 2;
        worst = Math.max(worst, Math.sqrt(s));
      });
      rows.push({ quantizer: configLabel(spec), bits, bound: b.bound, boundL1: b.boundL1, measuredMax: worst, tightness: b.bound > 0 ? worst / b.bound : 0 });
    }
  }
  return { layers: chain.layers.length, widths: [chain.inputDim, ...chain.layers.map((l) => l.weight.rows)], inputs: nIn, seed, rows };
}
