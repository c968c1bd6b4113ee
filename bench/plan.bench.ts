/**
 * Planner speed and the paper-method comparison (issue 4). Run: npm run bench plan
 * Prints medians and ratios against baselines measured in the same run:
 *  1. exact per-group solve, 200 groups × 15 bit-widths, continuous clocks (target ≤ 1 ms);
 *  2. the same knapsack at a fixed clock: exact solver vs the highs MILP (target ≥ 100× faster);
 *  3. shared bit-width solve (target ≤ 20 µs);
 *  4. the paper-style SCA baseline on the same instances: time and optimality gap;
 *  5. over random instances: how often rounding the SCA answer is infeasible or suboptimal, and by how much;
 *  6. the paper presets (paper-blip2, paper-git) on the paper's axes (issue 10): every baseline's worst
 *     D_U ratio against the exact plan and its infeasible count, with our design and the paper's P1
 *     (alone: node --import tsx bench/plan.bench.ts --paper-only).
 */
import { median } from '../src/calibrate/stats.ts';
import { fmtUs, timeIt as timeItShared } from './timing.ts';
import { choiceLp, HIGHS_OPTIONS, highsChoice, highsLoader } from './choice.bench.ts';
import { bitsKnapsack } from '../test/plan/helpers.ts';
import { solvePaper, solvePaperRepaired } from '../src/plan/baselines.ts';
import { paperBlip2Preset, paperGitPreset } from '../src/plan/presets.ts';
import { runSweep, sweepRows, sweepStats } from '../src/plan/sweep.ts';
import { bestBits, cutCap, solveExact } from '../src/plan/exact.ts';
import { toProblem, type PlanProblem } from '../src/plan/problem.ts';
import { parseSystem, type SystemInput } from '../src/plan/system.ts';
import { mulberry32 } from '../src/util/rng.ts';


function problem(seed: number, G: number, mode: 'shared' | 'per-group', discrete = false): PlanProblem {
  const rand = mulberry32(seed);
  const groups = Array.from({ length: G }, (_, i) => ({ name: `g${i}`, params: Math.round(1e4 + rand() ** 2 * 5e6), lambda: 5 + rand() * 200 }));
  const N = groups.reduce((s, g) => s + g.params, 0);
  // Cycle coefficient so that the mean bit-width the budgets allow lands around 5..13 bits.
  const c = 2e9 / (N * 8);
  const input: SystemInput = {
    agent: discrete ? { levels: [0.4e9, 0.8e9, 1.2e9, 1.6e9, 2e9], kappa: 1e-28, cyclesPerParamBit: c } : { fMin: 1e8, fMax: 2e9, kappa: 1e-28, cyclesPerParamBit: c },
    server: { fMax: 1e10, kappa: 1e-28, cyclesPerParamBit: 0.1 },
    link: { rateBps: 1e8, txPowerW: 1, featureElems: 10000 },
    constraints: { T0: 0.4 + rand() * 1.2, E0: 0.05 + rand() * 0.4 },
    agentBits: mode,
    model: { groups, serverParams: 1e7 },
  };
  const r = parseSystem(input);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return toProblem(r.value);
}

const timeIt = (f: () => unknown, samples = 15) => timeItShared(f, samples, 20);
const fmt = fmtUs;

async function main() {
  const out: string[] = [];
  const log = (s: string) => {
    console.log(s);
    out.push(s);
  };
  log(`node ${process.version}, ${new Date().toISOString()}`);
  // `node --import tsx bench/plan.bench.ts --paper-only`: only section 6 (no timings; safe beside other benchmarks).
  if (process.argv.includes('--paper-only')) return paperPresets(log);

  // 1. Exact per-group, 200 × 15, continuous clocks.
  const insts = Array.from({ length: 20 }, (_, i) => problem(1000 + i, 200, 'per-group'));
  const exactTimes = insts.map((p) => timeIt(() => solveExact(p), 7));
  const exactRes = insts.map((p) => solveExact(p));
  log(`\n[1] exact, per-group, 200 groups × 15 bit-widths, continuous clocks (${insts.length} instances)`);
  log(`    median solve ${fmt(median(exactTimes))} (instance medians: min ${fmt(Math.min(...exactTimes))}, max ${fmt(Math.max(...exactTimes))}); all certified exact: ${exactRes.every((r) => r.solver.exact)}; feasible: ${exactRes.filter((r) => r.feasible).length}/${insts.length}; max DP states ${Math.max(...exactRes.map((r) => r.solver.nodes))}, max core groups ${Math.max(...exactRes.map((r) => r.solver.coreGroups))}`);
  const discrete = Array.from({ length: 10 }, (_, i) => problem(3000 + i, 200, 'per-group', true));
  log(`    discrete clock levels (5 levels): median solve ${fmt(median(discrete.map((p) => timeIt(() => solveExact(p), 7))))}`);

  // 2. Fixed clock: the knapsack alone, exact vs highs on the same W.
  const highs = await highsLoader();
  log(`\n[2] fixed clock (fMax): exact knapsack vs highs MILP (mip_rel_gap = 0), 200 groups × 15 bit-widths`);
  const ratios: number[] = [];
  for (let i = 0, done = 0; i < insts.length && done < 5; i++) {
    const p = insts[i];
    const cut = p.cuts[0];
    const cap = cutCap(p, cut, { fixedAgentHz: p.agent.fMax });
    const c = p.agent.cyclesPerParamBit!;
    const W = Math.floor(cap.Cmax / c);
    const mine = bestBits(p, cut, W * c);
    if (!mine) continue; // the lowest bits do not fit at the maximum clock
    done++;
    const tMine = timeIt(() => bestBits(p, cut, W * c), 7);
    const { problem: knap, du } = bitsKnapsack(p, W);
    const t0 = performance.now();
    const sol = highs.solve(choiceLp(knap), HIGHS_OPTIONS);
    const tHighs = (performance.now() - t0) * 1000;
    const hb = highsChoice(knap, sol).map((k) => p.bits[k]);
    const relDiff = (du(mine.bits) - du(hb)) / du(hb);
    ratios.push(tHighs / tMine);
    log(`    instance ${i}: exact ${fmt(tMine)}, highs ${fmt(tHighs)} (${sol.Status}) → ${(tHighs / tMine).toFixed(0)}× faster; D_U(exact)/D_U(highs) − 1 = ${relDiff.toExponential(2)}, certified ${mine.exact}`);
  }
  log(`    median speed-up ${median(ratios).toFixed(0)}×`);

  // 3. Shared bit-width.
  const shared = Array.from({ length: 20 }, (_, i) => problem(2000 + i, 200, 'shared'));
  const sharedTimes = shared.map((p) => timeIt(() => solveExact(p), 9));
  log(`\n[3] exact, shared bit-width, 200 groups, continuous clocks: median solve ${fmt(median(sharedTimes))} (max instance median ${fmt(Math.max(...sharedTimes))})`);

  // 4. Paper-style SCA on the same 200-group instances.
  log(`\n[4] paper-style SCA + rounding on the [1] instances`);
  const scaTimes = insts.map((p) => timeIt(() => solvePaper(p), 5));
  let inf = 0;
  const gaps: number[] = [];
  const repGaps: number[] = [];
  insts.forEach((p, i) => {
    const ex = exactRes[i];
    const pa = solvePaper(p);
    const rep = solvePaperRepaired(p);
    if (!ex.feasible) return;
    if (!pa.feasible) inf++;
    else gaps.push(pa.DU! / ex.DU! - 1);
    if (rep.feasible) repGaps.push(rep.DU! / ex.DU! - 1);
  });
  log(`    SCA median time ${fmt(median(scaTimes))} (${(median(scaTimes) / median(exactTimes)).toFixed(1)}× the exact solver's)`);
  log(`    rounded plan infeasible on ${inf}/${insts.length}; when feasible, D_U gap vs exact: median ${(100 * median(gaps.length ? gaps : [0])).toFixed(2)}%, max ${(100 * Math.max(0, ...gaps)).toFixed(2)}%`);
  log(`    repaired plan D_U gap vs exact: median ${(100 * median(repGaps)).toFixed(2)}%, max ${(100 * Math.max(...repGaps)).toFixed(2)}%`);

  // 5. Many random instances, both modes, various sizes.
  log(`\n[5] random instances (5-100 groups, shared and per-group, continuous and discrete clocks): paper-style rounding`);
  for (const mode of ['shared', 'per-group'] as const) {
    let n = 0;
    let infeasible = 0;
    let breaksDeadline = 0;
    let breaksEnergy = 0;
    let subopt = 0;
    const gapsM: number[] = [];
    const repair: number[] = [];
    for (let s = 0; s < 600; s++) {
      const rand = mulberry32(77 + s);
      const p = problem(5000 + s, 5 + Math.floor(rand() * 96), mode, rand() < 0.3);
      const ex = solveExact(p);
      if (!ex.feasible) continue;
      n++;
      const pa = solvePaper(p);
      if (!pa.feasible) {
        infeasible++;
        if (pa.violations.some((v) => v.startsWith('deadline'))) breaksDeadline++;
        if (pa.violations.some((v) => v.startsWith('energy'))) breaksEnergy++;
      } else if (pa.DU! > ex.DU! * (1 + 1e-9)) {
        subopt++;
        gapsM.push(pa.DU! / ex.DU! - 1);
      }
      const rep = solvePaperRepaired(p);
      if (rep.feasible) repair.push(rep.DU! / ex.DU! - 1);
    }
    log(`    ${mode}: ${n} feasible instances; rounded SCA plan infeasible on ${infeasible} (${((100 * infeasible) / n).toFixed(1)}%; deadline broken ${breaksDeadline}, energy broken ${breaksEnergy}); feasible but suboptimal on ${subopt} (${((100 * subopt) / n).toFixed(1)}%), D_U worse by median ${(100 * median(gapsM.length ? gapsM : [0])).toFixed(2)}%, max ${(100 * Math.max(0, ...gapsM)).toFixed(2)}%; repaired: median gap ${(100 * median(repair)).toFixed(2)}%, max ${(100 * Math.max(...repair)).toFixed(2)}%`);
  }
  paperPresets(log);
}

/** [6] The sweep of the paper's Figures 5-8 axes on its two presets, per design, as the CLI runs it. */
function paperPresets(log: (s: string) => void) {
  log(`\n[6] paper presets on the paper's axes (17 deadlines at E0 = 2 J, 19 budgets at the preset T0; sweep defaults), every method`);
  for (const [name, preset] of [['paper-blip2', paperBlip2Preset], ['paper-git', paperGitPreset]] as const) {
    for (const [label, design] of [['ours (du, agent energy)', {}], ["paper's P1 (gap, total energy)", { objective: 'gap', energy: 'total' }]] as const) {
      for (const agentBits of ['shared', 'per-group'] as const) {
        const r = parseSystem({ ...preset, agentBits });
        if (!r.ok) throw new Error(r.errors.join('\n'));
        const p = toProblem(r.value, design);
        const r3 = (x: number) => Number(x.toPrecision(3));
        const range = (a: number, b: number, n: number) => Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
        const t = performance.now();
        const stats = sweepStats(sweepRows(runSweep(p, range(r3(0.4 * p.T0), r3(2 * p.T0), 17), range(r3(0.25 * p.E0), r3(2.5 * p.E0), 19))));
        const ms = performance.now() - t;
        const cells = stats
          .filter((x) => x.method !== 'exact')
          .map((x) => `${x.method} ${x.infeasible} inf, worst ${x.maxDuRatio === null ? '-' : x.maxDuRatio.toFixed(3)}${!('objective' in design) ? '' : ` (gap ${x.maxObjRatio === null ? '-' : x.maxObjRatio.toFixed(3)})`}`);
        log(`    ${name}, ${label}, ${agentBits} (${(ms / 1000).toFixed(1)} s): ${cells.join('; ')}`);
      }
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
