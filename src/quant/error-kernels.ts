/**
 * Hot loops: sum of |x − Q(x)| and (x − Q(x))² over a slice, optionally weighted by counts
 * (a histogram of distinct values). One monomorphic loop per family so V8 inlines the scalar
 * map; they compute exactly what `quantizeOne` computes, and tests check that.
 */
import { roundToFp8 } from './fp8-format.ts';
import { type LevelParams, potRatio } from './levels.ts';

export type Values = Float32Array | Float64Array;

/** Accumulates into acc[0] (L1 sum) and acc[1] (squared sum); returns acc. */
export function errorSums(
  p: LevelParams,
  v: Values,
  w: Float64Array | null,
  start: number,
  end: number,
  acc: Float64Array,
): Float64Array {
  if (p.inv === 0) return zeroErr(v, w, start, end, acc);
  switch (p.family) {
    case 'uniform-symmetric':
      return symErr(v, w, start, end, p.inv, p.scale, p.qmax, acc);
    case 'uniform-asymmetric':
      return asymErr(v, w, start, end, p.inv, p.scale, p.qmax, p.zero, acc);
    case 'pot':
      return potErr(v, w, start, end, p.inv, p.scale, p.minExp, acc);
    default:
      return fp8Err(p, v, w, start, end, acc);
  }
}

function zeroErr(v: Values, w: Float64Array | null, s: number, e: number, acc: Float64Array): Float64Array {
  let l1 = 0;
  let sq = 0;
  for (let i = s; i < e; i++) {
    const x = v[i];
    const k = w === null ? 1 : w[i];
    l1 += Math.abs(x) * k;
    sq += x * x * k;
  }
  acc[0] += l1;
  acc[1] += sq;
  return acc;
}

function symErr(v: Values, w: Float64Array | null, s: number, e: number, inv: number, step: number, n: number, acc: Float64Array): Float64Array {
  let l1 = 0;
  let sq = 0;
  if (w === null) {
    for (let i = s; i < e; i++) {
      const x = v[i];
      let q = Math.round(x * inv);
      q = q > n ? n : q < -n ? -n : q;
      const d = x - q * step;
      l1 += Math.abs(d);
      sq += d * d;
    }
  } else {
    for (let i = s; i < e; i++) {
      const x = v[i];
      let q = Math.round(x * inv);
      q = q > n ? n : q < -n ? -n : q;
      const d = x - q * step;
      const k = w[i];
      l1 += Math.abs(d) * k;
      sq += d * d * k;
    }
  }
  acc[0] += l1;
  acc[1] += sq;
  return acc;
}

function asymErr(v: Values, w: Float64Array | null, s: number, e: number, inv: number, step: number, n: number, z: number, acc: Float64Array): Float64Array {
  let l1 = 0;
  let sq = 0;
  for (let i = s; i < e; i++) {
    const x = v[i];
    let q = Math.round(x * inv) + z;
    q = q > n ? n : q < 0 ? 0 : q;
    const d = x - (q - z) * step;
    const k = w === null ? 1 : w[i];
    l1 += Math.abs(d) * k;
    sq += d * d * k;
  }
  acc[0] += l1;
  acc[1] += sq;
  return acc;
}

function potErr(v: Values, w: Float64Array | null, s: number, e: number, inv: number, c: number, minExp: number, acc: Float64Array): Float64Array {
  let l1 = 0;
  let sq = 0;
  for (let i = s; i < e; i++) {
    const x = v[i];
    const a = Math.abs(x);
    const d = a - potRatio(a * inv, minExp) * c; // the sign is kept exactly, so the error is in the magnitude
    const k = w === null ? 1 : w[i];
    l1 += Math.abs(d) * k;
    sq += d * d * k;
  }
  acc[0] += l1;
  acc[1] += sq;
  return acc;
}

function fp8Err(p: LevelParams, v: Values, w: Float64Array | null, s: number, e: number, acc: Float64Array): Float64Array {
  let l1 = 0;
  let sq = 0;
  const f = p.fp8!;
  for (let i = s; i < e; i++) {
    const x = v[i];
    const d = x - roundToFp8(x * p.inv, f) * p.scale;
    const k = w === null ? 1 : w[i];
    l1 += Math.abs(d) * k;
    sq += d * d * k;
  }
  acc[0] += l1;
  acc[1] += sq;
  return acc;
}
