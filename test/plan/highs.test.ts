import { describe, expect, it } from 'vitest';
import { bestBits } from '../../src/plan/exact.ts';
import { mulberry32 } from '../../src/util/rng.ts';
import { choiceLp, HIGHS_OPTIONS, highsChoice, highsLoader } from '../../bench/choice.bench.ts';
import { bitsKnapsack, problemOf } from './helpers.ts';

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

describe('per-group exact solver vs the highs MILP solver (20-50 groups, fixed clock)', () => {
  it('reaches the same objective to 1e-9 relative on random medium instances', async () => {
    const highs = await highsLoader();
    for (let seed = 1; seed <= 8; seed++) {
      const { p, W } = instance(seed);
      const cut = p.cuts[0];
      const mine = bestBits(p, cut, W);
      expect(mine).not.toBeNull();
      expect(mine!.exact).toBe(true);
      const { problem, du } = bitsKnapsack(p, W);
      const sol = highs.solve(choiceLp(problem), HIGHS_OPTIONS);
      expect(sol.Status).toBe('Optimal');
      // Read highs' choice back and evaluate it with the same formula, so both sides are compared exactly.
      const hb = highsChoice(problem, sol).map((k) => p.bits[k]);
      const hw = cut.groups.reduce((s, g, i) => s + g.params * hb[i], 0);
      expect(hw).toBeLessThanOrEqual(W);
      const a = du(mine!.bits);
      const b = du(hb);
      expect(Math.abs(a - b) / b).toBeLessThan(1e-9);
    }
  });
});
