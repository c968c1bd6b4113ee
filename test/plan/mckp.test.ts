import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { solveMckp } from '../../src/plan/mckp.ts';

/** Exhaustive reference: min Σ v over every choice with Σ w ≤ cap. */
function brute(values: number[][], weights: number[][], cap: number): number | null {
  const G = values.length;
  let best: number | null = null;
  const rec = (g: number, v: number, w: number) => {
    if (w > cap) return;
    if (g === G) {
      if (best === null || v < best) best = v;
      return;
    }
    for (let k = 0; k < values[g].length; k++) rec(g + 1, v + values[g][k], w + weights[g][k]);
  };
  rec(0, 0, 0);
  return best;
}

/**
 * Hard instances: the bit-width objective coef·2^(−b) with coef ≈ proportional to the small integer
 * weight N, so many increments have nearly the same slope and the greedy LP solution is not integral
 * (a subset-sum flavour where the greedy fill is often wrong).
 */
const hard = fc
  .record({
    G: fc.integer({ min: 2, max: 6 }),
    Ns: fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 6, maxLength: 6 }),
    noise: fc.array(fc.double({ min: -0.05, max: 0.05, noNaN: true }), { minLength: 6, maxLength: 6 }),
    bits: fc.subarray([2, 3, 4, 5, 6, 7, 8], { minLength: 2 }),
    frac: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map(({ G, Ns, noise, bits, frac }) => {
    const values = Ns.slice(0, G).map((N, g) => bits.map((b) => N * (1 + noise[g]) * 2 ** -b));
    const weights = Ns.slice(0, G).map((N) => bits.map((b) => N * b));
    const wMin = weights.reduce((s, w) => s + w[0], 0);
    const wMax = weights.reduce((s, w) => s + w[w.length - 1], 0);
    return { values, weights, cap: Math.floor(wMin + frac * (wMax - wMin)) };
  });

describe('exact multiple-choice knapsack (convex classes)', () => {
  it('matches exhaustive search on hard near-degenerate instances, and certifies it', () => {
    let nonTrivial = 0;
    fc.assert(
      fc.property(hard, ({ values, weights, cap }) => {
        const r = solveMckp({ values, weights, cap });
        const b = brute(values, weights, cap);
        expect(r.feasible).toBe(b !== null);
        if (b === null) return;
        expect(r.exact).toBe(true);
        expect(Math.abs(r.value - b)).toBeLessThanOrEqual(1e-12 * Math.abs(b));
        expect(r.weight).toBeLessThanOrEqual(cap);
        // The returned choice really has the returned value and weight.
        const v = r.choice.reduce((s, k, g) => s + values[g][k], 0);
        expect(Math.abs(v - r.value)).toBeLessThanOrEqual(1e-12 * Math.abs(b));
        expect(r.lowerBound).toBeLessThanOrEqual(r.value * (1 + 1e-12));
        if (r.nodes > 0) nonTrivial++;
      }),
      { numRuns: 400, seed: 4242 },
    );
    // Branch and bound must actually have been needed on a good share of these instances.
    expect(nonTrivial).toBeGreaterThan(20);
  });

  it('rejects a non-convex class instead of returning a wrong answer', () => {
    expect(() => solveMckp({ values: [[4, 3, 0]], weights: [[1, 2, 3]], cap: 3 })).toThrow(/not convex/);
  });

  it('with the node limit hit, returns a feasible plan, exact = false, and a lower bound that brackets the optimum', () => {
    // Equal slopes in every group and even weights with an odd budget: the LP bound never closes,
    // so proving optimality needs many nodes (a subset-sum in disguise).
    const G = 12;
    const values = Array.from({ length: G }, (_, g) => [2, 3, 4].map((b) => (10 + g) * 2 ** -b));
    const weights = Array.from({ length: G }, (_, g) => [2, 3, 4].map((b) => 2 * (10 + g) * b));
    const cap = weights.reduce((s, w) => s + w[0], 0) + 333;
    const r = solveMckp({ values, weights, cap, nodeLimit: 5 });
    const opt = brute(values, weights, cap) as number;
    expect(r.feasible).toBe(true);
    expect(r.exact).toBe(false);
    expect(r.weight).toBeLessThanOrEqual(cap);
    expect(r.lowerBound).toBeLessThanOrEqual(opt * (1 + 1e-12));
    expect(r.value).toBeGreaterThanOrEqual(opt * (1 - 1e-12));
  });
});
