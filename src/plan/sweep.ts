/**
 * The threshold sweep of the paper's Figure 5 (pure): T0 varied at fixed E0, and E0 varied at
 * fixed T0; at every point the exact plan and every baseline. A later `--measure MODEL` step plugs
 * in through `SweepMeasure`, which receives every chosen plan and returns measured rows.
 */
import { UsageError } from '../errors.ts';
import { solveMethod } from './baselines.ts';
import { withBudgets, type PlanProblem } from './problem.ts';
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
}

/** A hook for measuring the chosen plans on a real model (added by `sweep --measure`). */
export type SweepMeasure = (plans: Array<{ axis: Axis; T0: number; E0: number; method: Method; plan: PlanResult }>) => Promise<Array<Record<string, number | string | boolean | null>>>;

/** `a:b:n` → n evenly spaced values from a to b. */
export function parseRange(flag: string, s: string): number[] {
  const parts = s.split(':').map((x) => Number(x));
  if (parts.length !== 3 || parts.some((x) => !Number.isFinite(x))) throw new UsageError(`${flag} ${s}: expected start:stop:count, e.g. 1:6:26`);
  const [a, b, n] = parts;
  if (!Number.isInteger(n) || n < 1 || n > 10000) throw new UsageError(`${flag} ${s}: count must be an integer in 1..10000`);
  if (a <= 0 || b <= 0) throw new UsageError(`${flag} ${s}: budgets must be > 0`);
  if (n === 1) return [a];
  return Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
}

export function runSweep(p: PlanProblem, T0s: number[], E0s: number[], methods: readonly Method[] = METHODS, onPoint?: () => void): SweepPoint[] {
  const out: SweepPoint[] = [];
  const run = (axis: Axis, T0: number, E0: number) => {
    const q = withBudgets(p, T0, E0);
    out.push({ axis, T0, E0, plans: methods.map((m) => solveMethod(q, m)) });
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
    for (const r of mine) {
      const ex = byKey.get(`${r.axis}|${r.T0}|${r.E0}`);
      if (!ex?.feasible) continue;
      if (!r.feasible) infeasible++;
      else if (r.duRatio !== null) {
        ratios.push(r.duRatio);
        if (r.duRatio > 1 + 1e-9) suboptimal++;
      }
    }
    stats.push({
      method: m,
      points: mine.length,
      infeasible,
      suboptimal,
      meanDuRatio: ratios.length ? ratios.reduce((s, x) => s + x, 0) / ratios.length : null,
      maxDuRatio: ratios.length ? Math.max(...ratios) : null,
    });
  }
  return stats;
}
