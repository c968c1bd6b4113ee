/**
 * Exact solver for arbitrary per-group option tables (src/plan/choice-solver.ts). Run: npm run bench choice
 * 20 seeded instances of 200 groups × 6 storage formats (fp32, fp16, bf16, int8, int4, int3):
 * latency not monotone in bits, some options dominated, distortions spanning orders of magnitude,
 * a latency cap that forces about half the groups below their best format. Prints the median and
 * max solve time, how many were certified exact, and the speed-up over the highs MILP solver on the
 * same instances in the same run, with the load average beside the figures. Targets: median ≤ 2 ms,
 * ≥ 100× faster than highs.
 */
import { median } from '../src/calibrate/stats.ts';
import { fmtUs, timeIt as timeItShared } from './timing.ts';
import highsImport, { type Highs } from 'highs';
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { solveChoice, type ChoiceProblem } from '../src/plan/choice-solver.ts';
import { mulberry32 } from '../src/util/rng.ts';

/** A benchmark instance: the problem with plain arrays, and the format name of each option. */
export type Instance = ChoiceProblem & { values: number[][]; weights: number[][]; weights2?: number[][]; formats: string[] };

/** The formats of every group: bits stored per weight, and the relative error power of the rounding. */
const FORMATS = [
  { name: 'fp32', bits: 32, err: 2 ** -48 },
  { name: 'fp16', bits: 16, err: 2 ** -22 },
  { name: 'bf16', bits: 16, err: 2 ** -16 },
  { name: 'int8', bits: 8, err: 2 ** -14 },
  { name: 'int4', bits: 4, err: 2 ** -6 },
  { name: 'int3', bits: 3, err: 2 ** -4 },
] as const;

/**
 * One instance of the benchmark family. Latency per group = memory time (bytes / bandwidth) mixed
 * with compute time whose per-format cost depends on the kernels the group's operator has (fp16 may
 * be emulated, int4 and int3 pay for unpacking, each kernel has a launch overhead), so fewer bits are
 * not always faster. Distortion = sensitivity · params · error power, with sensitivities over four
 * decades. weights2 (bytes, with per-block scales for the integer formats) is given when `memory`
 * is set, with a cap that binds too.
 */
export function formatInstance(seed: number, G = 200, memory = false): Instance {
  const rand = mulberry32(seed);
  const values: number[][] = [];
  const weights: number[][] = [];
  const bytes: number[][] = [];
  const bw = 40e9;
  for (let g = 0; g < G; g++) {
    const params = Math.round(10 ** (4 + 2.7 * rand()));
    const sens = 10 ** (-3 + 4 * rand());
    const intensity = rand(); // 0: memory bound, 1: compute bound
    const fp16Native = rand() < 0.6;
    const bf16Native = rand() < 0.4;
    const int4Kernel = rand() < 0.7;
    const flop = 2e-10 * (0.5 + rand());
    const launch = 2e-6 * (1 + rand());
    const cost: Record<string, number> = {
      fp32: 1,
      fp16: fp16Native ? 0.5 : 1.4,
      bf16: bf16Native ? 0.5 : 1.6,
      int8: 0.35 + 0.1 * rand(),
      int4: int4Kernel ? 0.5 + 0.2 * rand() : 1.3 + 0.4 * rand(),
      int3: 1.1 + 0.6 * rand(),
    };
    const v: number[] = [];
    const w: number[] = [];
    const b: number[] = [];
    for (const f of FORMATS) {
      const scales = f.bits <= 8 ? (params / 64) * 2 : 0; // fp16 scale per 64-weight block
      const by = (params * f.bits) / 8 + scales;
      const mem = by / bw;
      const comp = params * flop * cost[f.name];
      const extra = f.bits < 8 ? launch * 0.5 : 0; // unpack kernel
      w.push((1 - intensity) * mem + intensity * comp + launch + extra);
      v.push(sens * params * f.err * (1 + 0.4 * (rand() - 0.5)));
      b.push(by);
    }
    values.push(v);
    weights.push(w);
    bytes.push(b);
  }
  // Cap between the fastest plan and the plan of best formats, so that about half the groups move off their best.
  let fastest = 0;
  let bestQ = 0;
  for (let g = 0; g < G; g++) {
    fastest += Math.min(...weights[g]);
    const k = values[g].indexOf(Math.min(...values[g]));
    bestQ += weights[g][k];
  }
  const cap = fastest + (0.45 + 0.25 * rand()) * (bestQ - fastest);
  const formats = FORMATS.map((f) => f.name);
  if (!memory) return { values, weights, cap, formats };
  const smallest = bytes.reduce((s, b) => s + Math.min(...b), 0);
  const largest = bytes.reduce((s, b) => s + Math.max(...b), 0);
  return { values, weights, cap, weights2: bytes, cap2: smallest + (0.1 + 0.15 * rand()) * (largest - smallest), formats };
}

/**
 * The same problem as a MILP in CPLEX LP format: binary x_g_k, one per group, Σ w x ≤ cap (rows
 * scaled to cap = 1000). The objective is divided by Σ_g |median value of g|, the size of a typical
 * plan: scaling by the largest value instead would shrink the optimum of these tables (values over
 * many decades) below highs' tolerances, and highs would stop at a plan 1-1000% worse.
 */
export function choiceLp(p: ChoiceProblem, objScale?: number): string {
  let typical = 0;
  for (const v of p.values) {
    const s = Array.from(v).sort((a, b) => a - b);
    typical += Math.abs(s[(s.length - 1) >> 1]);
  }
  const sv = objScale ?? (typical > 0 ? 1 / typical : 1);
  const s1 = p.cap > 0 ? 1000 / p.cap : 1;
  const s2 = p.cap2 !== undefined && p.cap2 > 0 ? 1000 / p.cap2 : 1;
  const obj: string[] = [];
  const rows: string[] = [];
  const r1: string[] = [];
  const r2: string[] = [];
  const bin: string[] = [];
  p.values.forEach((v, g) => {
    const one: string[] = [];
    for (let k = 0; k < v.length; k++) {
      const x = `x_${g}_${k}`;
      obj.push(`${(v[k] * sv).toPrecision(17)} ${x}`);
      r1.push(`${(p.weights[g][k] * s1).toPrecision(17)} ${x}`);
      if (p.weights2) r2.push(`${(p.weights2[g][k] * s2).toPrecision(17)} ${x}`);
      one.push(x);
      bin.push(x);
    }
    rows.push(` one_${g}: ${one.join(' + ')} = 1`);
  });
  const caps = [` cap1: ${r1.join(' + ')} <= ${(p.cap * s1).toPrecision(17)}`];
  if (p.weights2) caps.push(` cap2: ${r2.join(' + ')} <= ${(p.cap2! * s2).toPrecision(17)}`);
  return `Minimize\n obj: ${obj.join(' + ')}\nSubject To\n${rows.join('\n')}\n${caps.join('\n')}\nBinary\n ${bin.join(' ')}\nEnd\n`;
}

/** highs' choice read back from its solution columns (-1 where no binary is set). */
export function highsChoice(p: ChoiceProblem, sol: { Columns: Record<string, unknown> }): number[] {
  return p.values.map((v, g) => {
    for (let k = 0; k < v.length; k++) if (((sol.Columns[`x_${g}_${k}`] as { Primal?: number } | undefined)?.Primal ?? 0) > 0.5) return k;
    return -1;
  });
}

/**
 * highs options for an exact answer: no MIP gap, and feasibility tolerances tighter than the
 * defaults (with the defaults, highs stops 1e-5-1e-4 above the optimum on a third of these tables).
 */
export const HIGHS_OPTIONS = { output_flag: false, mip_rel_gap: 0, mip_abs_gap: 0, mip_feasibility_tolerance: 1e-9, primal_feasibility_tolerance: 1e-10, dual_feasibility_tolerance: 1e-10 } as const;

export const highsLoader = ((highsImport as unknown as { default?: unknown }).default ?? highsImport) as unknown as () => Promise<Highs>;

const timeIt = (f: () => unknown, samples = 9) => timeItShared(f, samples, 10);
const fmt = fmtUs;
const load = () => `loadavg ${loadavg().map((x) => x.toFixed(2)).join(' ')}`;

async function main() {
  console.log(`node ${process.version}, ${new Date().toISOString()}, ${load()}`);
  const highs = await highsLoader();
  for (const memory of [false, true]) {
    const insts = Array.from({ length: 20 }, (_, i) => formatInstance(7000 + i, 200, memory));
    // Warm the JIT on every instance first, so the first one timed is not penalised.
    for (let r = 0; r < 5; r++) for (const p of insts) solveChoice(p);
    const ratios: number[] = [];
    const highsTimes: number[] = [];
    let agree = 0;
    const loadSolve = load();
    const solved = insts.map((p) => solveChoice(p));
    const exact = solved.filter((r) => r.exact).length;
    const maxNodes = Math.max(...solved.map((r) => r.nodes));
    const maxCore = Math.max(...solved.map((r) => r.coreGroups));
    // Groups not at their lowest-distortion format, summed over the instances.
    const downgraded = solved.reduce((s, r, i) => s + Array.from(r.choice).filter((k, g) => insts[i].values[g][k] > Math.min(...insts[i].values[g])).length, 0);
    const times = insts.map((p) => timeIt(() => solveChoice(p)));
    const loadAfterSolve = load();
    for (let i = 0; i < insts.length; i++) {
      const p = insts[i];
      const r = solved[i];
      const lp = choiceLp(p);
      const t0 = performance.now();
      const sol = highs.solve(lp, HIGHS_OPTIONS);
      const th = (performance.now() - t0) * 1000;
      highsTimes.push(th);
      ratios.push(th / times[i]);
      const hc = highsChoice(p, sol);
      if (sol.Status === 'Optimal' && hc.every((k) => k >= 0)) {
        const hv = hc.reduce((s, k, g) => s + p.values[g][k], 0);
        if (Math.abs(hv - r.value) <= 1e-6 * Math.abs(hv)) agree++;
      }
    }
    const what = memory ? 'latency cap + memory cap (weights2)' : 'latency cap only';
    console.log(`\n[${memory ? 2 : 1}] 200 groups × 6 formats, ${what}, ${insts.length} instances`);
    console.log(`    solveChoice: median ${fmt(median(times))}, max ${fmt(Math.max(...times))} (per-instance medians); certified exact ${exact}/${insts.length}; max DP states ${maxNodes}, max core groups ${maxCore}; groups off their best format: ${(downgraded / insts.length).toFixed(0)}/200 on average   [${loadSolve} → ${loadAfterSolve}]`);
    console.log(`    highs MILP (mip_rel_gap 0, tight tolerances): median ${fmt(median(highsTimes))}; same objective (1e-6) on ${agree}/${insts.length}; median speed-up ${median(ratios).toFixed(0)}× (min ${Math.min(...ratios).toFixed(0)}×)   [${load()}]`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
