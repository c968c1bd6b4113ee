/**
 * Reference fake quantization: slices, ranges and the clip grid restated literally, and every
 * value mapped to its nearest level by exhaustive search. Quadratic-ish and slow; tests only.
 */
import type { QuantConfig } from '../types.ts';
import { nearestLevel, referenceLevels } from './level-sets.ts';

export interface ReferenceResult {
  values: Float64Array;
  /** Total |x − Q(x)| and (x − Q(x))² over the tensor, in float64. */
  l1Sum: number;
  sqSum: number;
}

function slicesOf(n: number, shape: readonly number[], cfg: QuantConfig): Array<[number, number]> {
  let len = n;
  if (cfg.granularity.kind === 'channel' && shape.length > 0 && shape[0] > 0) len = n / shape[0];
  if (cfg.granularity.kind === 'group') len = cfg.granularity.size;
  const out: Array<[number, number]> = [];
  for (let s = 0; s < n; s += len) out.push([s, Math.min(n, s + len)]);
  return out;
}

function quantizeSlice(x: ArrayLike<number>, s: number, e: number, levels: number[], out: Float64Array): [number, number] {
  let l1 = 0;
  let sq = 0;
  for (let i = s; i < e; i++) {
    out[i] = nearestLevel(levels, x[i]);
    l1 += Math.abs(x[i] - out[i]);
    sq += (x[i] - out[i]) ** 2;
  }
  return [l1, sq];
}

export function referenceFakeQuantize(x: ArrayLike<number>, shape: readonly number[], cfg: QuantConfig): ReferenceResult {
  const bits = cfg.family.startsWith('fp8') ? 8 : cfg.bits;
  const out = new Float64Array(x.length);
  let l1Sum = 0;
  let sqSum = 0;
  for (const [s, e] of slicesOf(x.length, shape, cfg)) {
    let lo = 0;
    let hi = 0;
    for (let i = s; i < e; i++) {
      lo = Math.min(lo, x[i]);
      hi = Math.max(hi, x[i]);
    }
    // Clip grid: t = 1, 7/8, …, 1/8, then ±1..3 steps of 1/32, 1/128, 1/512 around the best so far.
    let ts = [1];
    if (cfg.range !== 'absmax') {
      const pick = cfg.range === 'clip-l1' ? 0 : 1;
      let bestT = 1;
      let bestErr = Infinity;
      const tryT = (t: number) => {
        const err = quantizeSlice(x, s, e, referenceLevels(cfg.family, bits, lo * t, hi * t), out)[pick];
        if (err < bestErr) {
          bestErr = err;
          bestT = t;
        }
      };
      for (let k = 8; k >= 1; k--) tryT(k / 8);
      for (const step of [1 / 32, 1 / 128, 1 / 512]) {
        const center = bestT;
        for (let j = 1; j <= 3; j++) for (const t of [center + j * step, center - j * step]) if (t > 0 && t <= 1) tryT(t);
      }
      ts = [bestT];
    }
    const [l1, sq] = quantizeSlice(x, s, e, referenceLevels(cfg.family, bits, lo * ts[0], hi * ts[0]), out);
    l1Sum += l1;
    sqSum += sq;
  }
  return { values: out, l1Sum, sqSum };
}
