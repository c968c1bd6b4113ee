/**
 * Granularity → the contiguous slices that share one set of levels. Channels are axis 0 of a
 * row-major tensor, so each channel is one contiguous run; groups are runs of G values in
 * row-major order, the last one possibly shorter.
 */
import type { Granularity } from './types.ts';

/** Length of each slice (the last group may be shorter); 0 for an empty tensor. */
export function sliceLength(size: number, shape: readonly number[], g: Granularity): number {
  if (size === 0) return 0;
  if (g.kind === 'tensor') return size;
  if (g.kind === 'group') return Math.min(g.size, size);
  return shape.length === 0 || shape[0] === 0 ? size : size / shape[0];
}

/** Calls fn(start, end) for every slice in order. */
export function forEachSlice(size: number, shape: readonly number[], g: Granularity, fn: (start: number, end: number) => void): void {
  const len = sliceLength(size, shape, g);
  if (len === 0) return;
  for (let s = 0; s < size; s += len) fn(s, Math.min(size, s + len));
}
