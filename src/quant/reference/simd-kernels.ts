/**
 * The SIMD kernels' summation order restated in plain JavaScript, for the tests: the same terms
 * (the scalar per-value functions of error-kernels.ts) added in the same order, so the module in
 * ../simd-kernels.ts must return the very same double.
 */
import { asymD, potD, symD } from '../error-kernels.ts';
import type { LevelParams } from '../levels.ts';

/** The L1 term of one value under p: |x − Q(x)|, as every error loop computes it. */
export function l1Term(p: LevelParams, x: number): number {
  switch (p.family) {
    case 'uniform-symmetric':
      return Math.abs(symD(x, p.inv, p.scale, p.qmax));
    case 'uniform-asymmetric':
      return Math.abs(asymD(x, p.inv, p.scale, p.qmax, p.zero));
    default:
      return Math.abs(potD(x, p.inv, p.scale, p.minExp));
  }
}

/** The term `lanesL1` adds: the kernel's, except that the uniform families round with floor(y + 0.5) alone. */
export function lanesTerm(p: LevelParams, x: number): number {
  if (p.family === 'pot') return l1Term(p, x);
  const lowest = p.family === 'uniform-symmetric' ? -p.qmax : 0;
  let q = Math.floor(x * p.inv + 0.5) + p.zero;
  q = q > p.qmax ? p.qmax : q < lowest ? lowest : q;
  return Math.abs(x - (q - p.zero) * p.scale);
}

/**
 * `lanesL1` in JavaScript: value i of the slice (zero-padded to a multiple of 8) goes to lane
 * i mod 8; after every 256 values the total ((l0 + l2) + (l4 + l6)) + ((l1 + l3) + (l5 + l7)) is
 * formed and returned if it exceeds stop; else the last total.
 */
export function lanesL1Reference(p: LevelParams, v: ArrayLike<number>, start: number, end: number, stop: number): number {
  const n = end - start;
  const n8 = (n + 7) & ~7;
  const lane = new Float64Array(8);
  let tot = 0;
  for (let b = 0; b < n8; b += 256) {
    const be = Math.min(b + 256, n8);
    for (let i = b; i < be; i++) lane[i & 7] += lanesTerm(p, i < n ? v[start + i] : 0);
    const s0 = lane[0] + lane[2] + (lane[4] + lane[6]);
    const s1 = lane[1] + lane[3] + (lane[5] + lane[7]);
    tot = s0 + s1;
    if (tot > stop) return tot;
  }
  return tot;
}
