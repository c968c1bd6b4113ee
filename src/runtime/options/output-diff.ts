/** The options document's deltaDo for one input: mean |y − ŷ| pooled over every float32 output element. */
import type { HostTensor } from '../../data/tensor.ts';

export function meanAbsDiff(a: Record<string, HostTensor>, b: Record<string, HostTensor>): number {
  let s = 0;
  let n = 0;
  for (const [k, t] of Object.entries(a)) {
    const u = b[k];
    if (!(t.data instanceof Float32Array) || !(u?.data instanceof Float32Array)) continue;
    for (let i = 0; i < t.data.length; i++) s += Math.abs(t.data[i] - u.data[i]);
    n += t.data.length;
  }
  return n ? s / n : 0;
}
