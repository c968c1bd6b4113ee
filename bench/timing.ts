/** Timing helpers shared by the micro-benchmarks (the runner picks up only *.bench.ts files). */
import { median } from '../src/calibrate/stats.ts';

/** Median wall time per call in µs: `warmup` calls, then `samples` batches of ~20 ms each. */
export function timeIt(f: () => unknown, samples: number, warmup: number): number {
  for (let i = 0; i < warmup; i++) f();
  let reps = 1;
  for (;;) {
    const t = performance.now();
    for (let i = 0; i < reps; i++) f();
    if (performance.now() - t > 20 || reps > 1e6) break;
    reps *= 2;
  }
  const out: number[] = [];
  for (let s = 0; s < samples; s++) {
    const t = performance.now();
    for (let i = 0; i < reps; i++) f();
    out.push(((performance.now() - t) * 1000) / reps);
  }
  return median(out);
}

/** µs as a short human figure. */
export const fmtUs = (us: number) => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(1)} µs`);
