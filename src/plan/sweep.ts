/**
 * The threshold sweep of the paper's Figures 5-8 (pure): T0 varied at fixed E0, and E0 varied at
 * fixed T0; at every point the exact plan and every baseline. A later `--measure MODEL` step plugs
 * in through `SweepMeasure`, which receives every chosen plan and returns measured rows. Table I
 * (fixed clock profiles against the joint design) is `table1` below.
 */
import { UsageError } from '../errors.ts';
import { explainFixedClocks, solveMethod, type MethodOptions } from './baselines.ts';
import { evaluatePlan } from './cost.ts';
import { solveWith } from './exact.ts';
import { withBudgets, type Device, type PlanProblem } from './problem.ts';
import { METHODS, type Method, type PlanResult } from './result.ts';

export type Axis = 'T0' | 'E0';

export interface SweepPoint {
  axis: Axis;
  T0: number;
  E0: number;
  plans: PlanResult[];
}

/** One table row per (point, method). */
export interface SweepRow {
  axis: Axis;
  T0: number;
  E0: number;
  method: Method;
  feasible: boolean;
  DU: number | null;
  DL: number | null;
  /** Shared bit-width, or the mean over groups weighted by parameters (per-group mode). */
  bits: number | null;
  bitsMin: number | null;
  bitsMax: number | null;
  agentHz: number | null;
  delay: number | null;
  energy: number | null;
  /** D_U relative to the exact plan's at the same point (1 = as good); null if either is missing. */
  duRatio: number | null;
  violations: string;
  /** The objective minimised (D_U, or D_U − D_L with --objective gap), and its ratio to the exact plan's. */
  objective: number | null;
  objRatio: number | null;
}

/** A hook for measuring the chosen plans on a real model (added by `sweep --measure`). */
export type SweepMeasure = (plans: Array<{ axis: Axis; T0: number; E0: number; method: Method; plan: PlanResult }>) => Promise<Array<Record<string, number | string | boolean | null>>>;

/** `a:b:n` → n evenly spaced values from a to b. */
export function parseSweepRange(flag: string, s: string): number[] {
  const parts = s.split(':').map((x) => Number(x));
  if (parts.length !== 3 || parts.some((x) => !Number.isFinite(x))) throw new UsageError(`${flag} ${s}: expected start:stop:count, e.g. 1:6:26`);
  const [a, b, n] = parts;
  if (!Number.isInteger(n) || n < 1 || n > 10000) throw new UsageError(`${flag} ${s}: count must be an integer in 1..10000`);
  if (a <= 0 || b <= 0) throw new UsageError(`${flag} ${s}: budgets must be > 0`);
  if (n === 1) return [a];
  return Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
}

export function runSweep(p: PlanProblem, T0s: number[], E0s: number[], methods: readonly Method[] = METHODS, onPoint?: () => void, mopts: MethodOptions = {}): SweepPoint[] {
  const out: SweepPoint[] = [];
  const run = (axis: Axis, T0: number, E0: number) => {
    const q = withBudgets(p, T0, E0);
    out.push({ axis, T0, E0, plans: methods.map((m) => solveMethod(q, m, mopts)) });
    onPoint?.();
  };
  for (const T0 of T0s) run('T0', T0, p.E0);
  for (const E0 of E0s) run('E0', p.T0, E0);
  return out;
}

export function sweepRows(points: SweepPoint[]): SweepRow[] {
  const rows: SweepRow[] = [];
  for (const pt of points) {
    const ex = pt.plans.find((r) => r.method === 'exact');
    for (const r of pt.plans) {
      const bs = r.groups?.map((g) => g.bits) ?? [];
      const np = r.groups?.reduce((s, g) => s + g.params, 0) ?? 0;
      const mean = r.groups && np > 0 ? r.groups.reduce((s, g) => s + g.params * g.bits, 0) / np : null;
      rows.push({
        axis: pt.axis,
        T0: pt.T0,
        E0: pt.E0,
        method: r.method,
        feasible: r.feasible,
        DU: r.DU,
        DL: r.DL,
        bits: typeof r.bits === 'number' ? r.bits : mean,
        bitsMin: bs.length ? Math.min(...bs) : null,
        bitsMax: bs.length ? Math.max(...bs) : null,
        agentHz: r.agentHz,
        delay: r.delay?.total ?? null,
        energy: r.energy?.total ?? null,
        duRatio: r.feasible && ex?.feasible && r.DU !== null && ex.DU ? r.DU / ex.DU : null,
        violations: r.violations.join('; '),
        objective: r.objective,
        objRatio: r.feasible && ex?.feasible && r.objective !== null && ex.objective ? r.objective / ex.objective : null,
      });
    }
  }
  return rows;
}

export interface MethodStats {
  method: Method;
  points: number;
  /** Points where the method returned a plan that breaks a constraint, or none, while the exact plan is feasible. */
  infeasible: number;
  /** Feasible points where its D_U is worse than the exact optimum (relative 1e-9). */
  suboptimal: number;
  meanDuRatio: number | null;
  maxDuRatio: number | null;
  /** Worst ratio of the minimised objective (equals maxDuRatio with --objective du). */
  maxObjRatio: number | null;
}

/** How each method fares against the exact plan over the sweep. */
export function sweepStats(rows: SweepRow[]): MethodStats[] {
  const byKey = new Map<string, SweepRow>();
  for (const r of rows) if (r.method === 'exact') byKey.set(`${r.axis}|${r.T0}|${r.E0}`, r);
  const stats: MethodStats[] = [];
  for (const m of new Set(rows.map((r) => r.method))) {
    const mine = rows.filter((r) => r.method === m);
    let infeasible = 0;
    let suboptimal = 0;
    const ratios: number[] = [];
    const objRatios: number[] = [];
    for (const r of mine) {
      const ex = byKey.get(`${r.axis}|${r.T0}|${r.E0}`);
      if (!ex?.feasible) continue;
      if (!r.feasible) infeasible++;
      else if (r.duRatio !== null) {
        ratios.push(r.duRatio);
        if (r.objRatio !== null) objRatios.push(r.objRatio);
        if ((r.objRatio ?? r.duRatio) > 1 + 1e-9) suboptimal++;
      }
    }
    stats.push({
      method: m,
      points: mine.length,
      infeasible,
      suboptimal,
      meanDuRatio: ratios.length ? ratios.reduce((s, x) => s + x, 0) / ratios.length : null,
      maxDuRatio: ratios.length ? Math.max(...ratios) : null,
      maxObjRatio: objRatios.length ? Math.max(...objRatios) : null,
    });
  }
  return stats;
}

/** What the sweep cannot reproduce of the paper's Figures 5-8, said in the output and in docs/plan.md. */
export const CIDER_NOTE =
  "not reproduced: the paper's Figures 5-8 plot CIDEr, a captioning score that needs the real BLIP-2 / GIT weights run " +
  'quantized on MS-COCO or VaTeX captions; this sweep plans on parameter counts and FLOPs only, so it plots the distortion bound the planner minimises on the same axes';

export interface ClockProfile {
  name: 'low' | 'medium' | 'high';
  agentHz: number;
  serverHz: number;
}

/** One third, two thirds and all of the clock range (continuous), or the lowest, middle and top level. */
function profileClock(d: Device, k: 0 | 1 | 2): number {
  if (d.levels) return d.levels[k === 0 ? 0 : k === 2 ? d.levels.length - 1 : Math.floor((d.levels.length - 1) / 2)];
  return d.fMin + ((d.fMax - d.fMin) * (k + 1)) / 3;
}

/** The three fixed frequency profiles of the paper's testbed table (Table I), on this system's clocks. */
export function clockProfiles(p: PlanProblem): ClockProfile[] {
  return (['low', 'medium', 'high'] as const).map((name, k) => ({ name, agentHz: profileClock(p.agent, k as 0 | 1 | 2), serverHz: profileClock(p.server, k as 0 | 1 | 2) }));
}

export interface Table1Cell {
  design: string;
  feasible: boolean;
  bits: number | null;
  DU: number | null;
  objective: number | null;
  agentHz: number | null;
  serverHz: number | null;
}

export interface Table1Column {
  /** Which threshold binds in this column (the other one is off). */
  kind: 'delay' | 'energy';
  T0: number | null;
  E0: number | null;
  cells: Table1Cell[];
}

/**
 * Table I: the three fixed profiles (bits optimised at fixed agent and server clocks) against the
 * joint design (exact), with one threshold per column and the other switched off: delay-only
 * columns at the given deadlines (E0 = ∞), energy-only columns at the given budgets (T0 = ∞).
 */
export function table1(p: PlanProblem, delays: number[], energies: number[]): Table1Column[] {
  const profiles = clockProfiles(p);
  const cols: Table1Column[] = [];
  const cell = (design: string, r: ReturnType<typeof solveWith>): Table1Cell => ({
    design,
    feasible: r.feasible,
    bits: typeof r.bits === 'number' ? r.bits : r.groups ? r.groups.reduce((s, g) => s + g.params * g.bits, 0) / r.groups.reduce((s, g) => s + g.params, 0) : null,
    DU: r.feasible ? r.DU : null,
    objective: r.feasible ? r.objective : null,
    agentHz: r.agentHz,
    serverHz: r.serverHz,
  });
  const column = (kind: 'delay' | 'energy', T0: number, E0: number) => {
    const q = withBudgets(p, T0, E0);
    const cells = profiles.map((pr) => cell(pr.name, explainFixedClocks(q, solveWith(q, 'maxclock', { fixedAgentHz: pr.agentHz, fixedServerHz: pr.serverHz }), pr.agentHz, pr.serverHz)));
    cells.push(cell('joint', solveWith(q, 'exact')));
    cols.push({ kind, T0: Number.isFinite(T0) ? T0 : null, E0: Number.isFinite(E0) ? E0 : null, cells });
  };
  for (const T0 of delays) column('delay', T0, Infinity);
  for (const E0 of energies) column('energy', Infinity, E0);
  return cols;
}

/**
 * Default Table I thresholds, placed where the paper's are, at the edge of the losing profile: the
 * deadlines around the delay of the low profile, and the budgets around the energy of the high
 * profile, with every agent group at the middle allowed bit-width (× 0.95, 1, 1.05).
 */
export function defaultTable1Thresholds(p: PlanProblem): { delays: number[]; energies: number[] } {
  const prof = clockProfiles(p);
  const mid = p.bits[Math.floor(p.bits.length / 2)];
  const cut = p.cuts[0];
  const bits = cut.groups.map(() => Math.max(mid, ...cut.groups.map((g) => (Number.isFinite(g.minBits) ? g.minBits : mid))));
  const lo = evaluatePlan(p, cut, bits, prof[0].agentHz, prof[0].serverHz);
  const hi = evaluatePlan(p, cut, bits, prof[2].agentHz, prof[2].serverHz);
  const r4 = (x: number) => Number(x.toPrecision(4));
  return { delays: [0.95, 1, 1.05].map((k) => r4(k * lo.delay.total)), energies: [0.95, 1, 1.05].map((k) => r4(k * hi.energy.total)) };
}

/** Table I as aligned text: one row per design, one column per threshold; each cell "bits / bound" or "infeasible". */
export function formatTable1(cols: Table1Column[], profiles: ClockProfile[], boundName: string): string {
  const head = cols.map((c) => (c.kind === 'delay' ? `T0 ${c.T0} s` : `E0 ${c.E0} J`));
  const rows = ['low', 'medium', 'high', 'joint'].map((d) => {
    const pr = profiles.find((x) => x.name === d);
    const label = pr ? `${d} (${Number((pr.agentHz / 1e9).toPrecision(3))}/${Number((pr.serverHz / 1e9).toPrecision(3))} GHz)` : 'joint design (exact)';
    return [label, ...cols.map((c) => {
      const x = c.cells.find((y) => y.design === d) as Table1Cell;
      return x.feasible && x.bits !== null ? `${Number(x.bits.toPrecision(3))} b / ${(x.DU as number).toExponential(2)}` : 'infeasible';
    })];
  });
  const widths = [Math.max(...rows.map((r) => r[0].length), 10), ...head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i + 1].length)))];
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  const L = [
    `Table I (the paper's testbed table, on this system): fixed clock profiles (agent/server) against the joint design; each cell: agent bits / ${boundName}`,
    `  delay columns: T0 binds, E0 off; energy columns: E0 binds, T0 off`,
    line(['design', ...head]),
    ...rows.map(line),
  ];
  return L.join('\n');
}
