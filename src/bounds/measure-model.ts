/**
 * Measures a model for `coquant bounds`: reads its weights once, tensor by tensor, and computes
 * λ, KS, the quantizers' D_p and the entropy rates of their codes.
 */
import { CoquantError } from '../errors.ts';
import { openWeights, selectWeights, toFloat32 } from '../io/index.ts';
import { configLabel, fakeQuantize, isFp8, type QuantSpec } from '../quant/index.ts';
import { codeEntropy, magnitudeEntropy } from '../theory/entropy.ts';
import { float32MagnitudeKey, ksExponentialBinned, magnitudeEdges, MAGNITUDE_BINS } from '../theory/exponential.ts';
import type { BoundsGroupInput, QuantSeriesInput } from '../theory/bounds-report.ts';
import { progressBar } from '../util/progress.ts';

/** Rate of the codes, in magnitude bits: the bounds are stated for R = magnitude bits. */
function rateOf(spec: QuantSpec, codes: Int32Array): number {
  if (spec.family === 'uniform-symmetric' || spec.family === 'pot') return magnitudeEntropy(codes);
  if (isFp8(spec.family)) {
    const mag = new Int32Array(codes.length);
    for (let i = 0; i < codes.length; i++) mag[i] = codes[i] & 0x7f;
    return codeEntropy(mag);
  }
  return Math.max(0, codeEntropy(codes) - 1);
}

function rateKindOf(spec: QuantSpec): QuantSeriesInput['rateKind'] {
  if (spec.family === 'uniform-symmetric' || spec.family === 'pot') return 'magnitude';
  return isFp8(spec.family) ? 'fp8-magnitude' : 'code-minus-sign';
}

/** Reads a model's weights once, tensor by tensor, and measures λ, KS, D_p and entropy rates. */
export async function measureModel(
  path: string,
  specs: QuantSpec[],
  bitList: number[],
  opts: { allFloat?: boolean; quiet?: boolean } = {},
): Promise<{ groups: BoundsGroupInput[]; quantizers: QuantSeriesInput[] }> {
  const src = await openWeights(path);
  try {
    const tensors = selectWeights(src.tensors, { allFloat: opts.allFloat });
    if (tensors.length === 0) throw new CoquantError('E_NO_WEIGHTS', `${path}: no float weight tensors of rank ≥ 2`, { hint: 'add --all-float to include biases and norms', exitCode: 3 });
    const perSpecBits = specs.map((s) => (isFp8(s.family) ? [8] : bitList));
    const l1 = specs.map((_, i) => new Float64Array(perSpecBits[i].length));
    const ent = specs.map((_, i) => new Float64Array(perSpecBits[i].length));
    const groups: BoundsGroupInput[] = [];
    let total = 0;
    const bar = progressBar(tensors.length, 'bounds', { quiet: opts.quiet });
    const edges = magnitudeEdges('float32');
    for (const t of tensors) {
      const values = toFloat32(await src.read(t.name));
      let sAbs = 0;
      const counts = new Uint32Array(MAGNITUDE_BINS);
      const u32 = new Uint32Array(values.buffer, values.byteOffset, values.length);
      for (let i = 0; i < values.length; i++) {
        sAbs += Math.abs(values[i]);
        counts[float32MagnitudeKey(u32[i])]++;
      }
      const meanAbs = sAbs / values.length;
      const lambda = meanAbs > 0 ? 1 / meanAbs : Infinity;
      groups.push({ name: t.name, params: values.length, lambda, ks: ksExponentialBinned(counts, edges, lambda).ks });
      total += values.length;
      for (let s = 0; s < specs.length; s++) {
        perSpecBits[s].forEach((bits, j) => {
          const { values: q, codes } = fakeQuantize(values, t.shape, { ...specs[s], bits }, { wantCodes: true, name: t.name });
          let e = 0;
          for (let i = 0; i < values.length; i++) e += Math.abs(values[i] - q[i]);
          l1[s][j] += e;
          ent[s][j] += values.length * rateOf(specs[s], codes!);
        });
      }
      bar.tick(1, t.name);
    }
    bar.stop();
    const quantizers = specs.map((spec, s) => ({
      label: configLabel(spec),
      family: spec.family,
      granularity: spec.granularity.kind === 'group' ? `group${spec.granularity.size}` : spec.granularity.kind,
      range: spec.range,
      rateKind: rateKindOf(spec),
      points: perSpecBits[s].map((bits, j) => ({ bits, Dp: l1[s][j] / total, entropyRate: ent[s][j] / total })),
    }));
    return { groups, quantizers };
  } finally {
    await src.close();
  }
}
