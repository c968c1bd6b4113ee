/**
 * Reference level sets, written straight from the definitions in docs/quantizers.md and
 * enumerated in full. Slow on purpose: they exist so the fast kernels have something
 * obviously right to be compared with.
 */
import { decodeFp8, E4M3, E5M2 } from '../fp8-format.ts';
import type { QuantFamily } from '../types.ts';

/** Every level the family can output for the clip interval [lo, hi] (lo ≤ 0 ≤ hi), as float64. */
export function referenceLevels(family: QuantFamily, bits: number, lo: number, hi: number): number[] {
  const c = Math.max(-lo, hi);
  if (family === 'uniform-symmetric') {
    const n = 2 ** (bits - 1) - 1;
    const step = c / n;
    if (!(step > 0) || !Number.isFinite(1 / step)) return [0];
    const out: number[] = [];
    for (let k = -n; k <= n; k++) out.push(k * step);
    return out;
  }
  if (family === 'uniform-asymmetric') {
    const n = 2 ** bits - 1;
    const l = Math.min(lo, 0);
    const h = Math.max(hi, 0);
    const step = (h - l) / n;
    if (!(step > 0) || !Number.isFinite(1 / step)) return [0];
    const z = Math.min(n, Math.max(0, Math.round(-l / step)));
    const out: number[] = [];
    for (let k = 0; k <= n; k++) out.push((k - z) * step);
    return out;
  }
  if (family === 'pot') {
    if (!(c > 0) || !Number.isFinite(1 / c)) return [0];
    const m = 2 ** (bits - 1) - 1;
    const out: number[] = [0];
    for (let k = 0; k < m; k++) {
      const level = c * 2 ** -k;
      if (level === 0) break; // every further level underflows to the zero level too
      out.push(level, -level);
    }
    return out;
  }
  const f = family === 'fp8-e4m3' ? E4M3 : E5M2;
  const s = c / f.maxFinite;
  if (!(s > 0) || !Number.isFinite(1 / s)) return [0];
  const out: number[] = [];
  for (let code = 0; code < 256; code++) {
    const v = decodeFp8(code, f);
    if (!Number.isNaN(v)) out.push(v * s);
  }
  return out;
}

/** Smallest |x − level| over the set. */
export function nearestDistance(levels: readonly number[], x: number): number {
  let best = Infinity;
  for (const l of levels) {
    const d = Math.abs(x - l);
    if (d < best) best = d;
  }
  return best;
}

/** The nearest level (first one found on ties), by exhaustive search. */
export function nearestLevel(levels: readonly number[], x: number): number {
  let best = Infinity;
  let arg = 0;
  for (const l of levels) {
    const d = Math.abs(x - l);
    if (d < best) {
      best = d;
      arg = l;
    }
  }
  return arg;
}
