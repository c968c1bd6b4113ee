import highsImport, { type Highs } from 'highs';
import { describe, expect, it } from 'vitest';
import { bestBits } from '../../src/plan/exact.ts';
import { mulberry32 } from '../../src/util/rng.ts';
import { problemOf } from './helpers.ts';

// The package is CommonJS-typed but its ESM build default-exports the loader function.
const highsLoader = ((highsImport as unknown as { default?: unknown }).default ?? highsImport) as unknown as () => Promise<Highs>;

/** A medium per-group instance (fixed clock ⇒ a fixed workload budget W in parameter-bits). */
function instance(seed: number) {
  const rand = mulberry32(seed);
  const G = 20 + Math.floor(rand() * 31);
  const groups = Array.from({ length: G }, (_, i) => ({
    name: `layer${i}`,
    params: 1000 + Math.floor(rand() ** 2 * 2e6),
    lambda: 5 + rand() * 200,
  }));
  const p = problemOf({
    agent: { fMax: 1e9, kappa: 1e-28, cyclesPerParamBit: 1 },
    server: { fMax: 1e9, kappa: 1e-28, cyclesPerParamBit: 1 },
    link: { rateBps: 1e6, txPowerW: 1 },
    constraints: { T0: 1, E0: 1 },
    agentBits: 'per-group',
    model: { groups },
  });
  const N = groups.reduce((s, g) => s + g.params, 0);
  const W = Math.floor(N * (2 + rand() * 14));
  return { p, W };
}

/** The same knapsack written as a MILP: binary x[g][b], one per group, Σ N_g b x ≤ W. */
function lpText(p: ReturnType<typeof problemOf>, W: number, scale: number): string {
  const cut = p.cuts[0];
  const obj: string[] = [];
  const rows: string[] = [];
  const bin: string[] = [];
  const budget: string[] = [];
  cut.groups.forEach((g, gi) => {
    const one: string[] = [];
    for (const b of p.bits) {
      const v = `x_${gi}_${b}`;
      const c = (scale * 2 * g.alpha * (g.params / p.totalParams) * 2 ** -b) / g.lambda;
      obj.push(`${c.toPrecision(17)} ${v}`);
      one.push(v);
      budget.push(`${g.params * b} ${v}`);
      bin.push(v);
    }
    rows.push(` one_${gi}: ${one.join(' + ')} = 1`);
  });
  return `Minimize\n obj: ${obj.join(' + ')}\nSubject To\n${rows.join('\n')}\n budget: ${budget.join(' + ')} <= ${W}\nBinary\n ${bin.join(' ')}\nEnd\n`;
}

describe('per-group exact solver vs the highs MILP solver (20-50 groups, fixed clock)', () => {
  it('reaches the same objective to 1e-9 relative on random medium instances', async () => {
    const highs = await highsLoader();
    for (let seed = 1; seed <= 8; seed++) {
      const { p, W } = instance(seed);
      const cut = p.cuts[0];
      const mine = bestBits(p, cut, W);
      expect(mine).not.toBeNull();
      expect(mine!.exact).toBe(true);
      const du = (bits: number[]) => cut.groups.reduce((s, g, i) => s + (2 * g.alpha * (g.params / p.totalParams) * 2 ** -bits[i]) / g.lambda, 0);
      const scale = 1 / du(cut.groups.map(() => p.bits[0]));
      const sol = highs.solve(lpText(p, W, scale), { output_flag: false, mip_rel_gap: 0, mip_abs_gap: 0, mip_feasibility_tolerance: 1e-9 });
      expect(sol.Status).toBe('Optimal');
      // Read highs' choice back and evaluate it with the same formula, so both sides are compared exactly.
      const hb = cut.groups.map((_, gi) => p.bits.find((b) => ((sol.Columns[`x_${gi}_${b}`] as { Primal?: number } | undefined)?.Primal ?? 0) > 0.5) as number);
      const hw = cut.groups.reduce((s, g, i) => s + g.params * hb[i], 0);
      expect(hw).toBeLessThanOrEqual(W);
      const a = du(mine!.bits);
      const b = du(hb);
      expect(Math.abs(a - b) / b).toBeLessThan(1e-9);
    }
  });
});
