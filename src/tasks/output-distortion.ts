/**
 * The one output-distortion measure every command reports (SPEC §2), accumulated over samples:
 * D_o = mean over samples of mean |y − ŷ|, relative L2 = ‖y − ŷ‖₂ / ‖y‖₂ pooled over every
 * element. Against an all-zero reference the relative error is undefined: relL2 is 0 when the
 * outputs agree and null otherwise (never Infinity, which JSON cannot carry).
 */
import type { HostTensor } from '../data/tensor.ts';

export class OutputDiff {
  private sampleMeanSum = 0;
  private samples = 0;
  private sqDiff = 0;
  private sqRef = 0;
  private maxAbs = 0;
  private finite = true;

  add(ref: ArrayLike<number>, q: ArrayLike<number>): void {
    if (ref.length !== q.length) throw new RangeError(`output sizes differ: ${ref.length} vs ${q.length}`);
    let abs = 0;
    for (let i = 0; i < ref.length; i++) {
      const d = q[i] - ref[i];
      const a = Math.abs(d);
      abs += a;
      this.sqDiff += d * d;
      this.sqRef += ref[i] * ref[i];
      if (a > this.maxAbs) this.maxAbs = a;
    }
    if (!Number.isFinite(abs)) this.finite = false;
    this.sampleMeanSum += ref.length ? abs / ref.length : 0;
    this.samples++;
  }

  result(): { Do: number | null; relL2: number | null; maxAbs: number | null } {
    if (!this.finite || this.samples === 0) return { Do: null, relL2: null, maxAbs: null };
    return {
      Do: this.sampleMeanSum / this.samples,
      relL2: this.sqRef > 0 ? Math.sqrt(this.sqDiff / this.sqRef) : this.sqDiff === 0 ? 0 : null,
      maxAbs: this.maxAbs,
    };
  }
}

/**
 * D_o of one run: mean |y − ŷ| pooled over every float32 output element of the two runs
 * (outputs matched by name; integer outputs are skipped). The options document's ΔD_o per input.
 */
export function runMeanAbs(a: Readonly<Record<string, HostTensor>>, b: Readonly<Record<string, HostTensor>>): number {
  const pairs: [Float32Array, Float32Array][] = [];
  for (const [k, t] of Object.entries(a)) {
    const u = b[k];
    if (t.data instanceof Float32Array && u?.data instanceof Float32Array) pairs.push([t.data, u.data]);
  }
  const n = pairs.reduce((s, [x]) => s + x.length, 0);
  const ref = new Float32Array(n);
  const cand = new Float32Array(n);
  let at = 0;
  for (const [x, y] of pairs) {
    ref.set(x, at);
    cand.set(y.subarray(0, x.length), at);
    at += x.length;
  }
  const d = new OutputDiff();
  d.add(ref, cand);
  return d.result().Do ?? Number.POSITIVE_INFINITY;
}
