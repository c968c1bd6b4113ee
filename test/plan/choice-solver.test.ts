import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { choiceLp, formatInstance, HIGHS_OPTIONS, highsChoice, highsLoader } from '../../bench/choice.bench.ts';
import { solveChoice, type ChoiceProblem } from '../../src/plan/choice-solver.ts';
import { mulberry32 } from '../../src/util/rng.ts';

interface Plain {
  values: number[][];
  weights: number[][];
  cap: number;
  weights2?: number[][];
  cap2?: number;
}

/** Exhaustive reference: the lowest Σ v over every choice that meets the cap(s), or null. */
function brute(p: Plain): number | null {
  const G = p.values.length;
  const cap2 = p.cap2 ?? Infinity;
  let best: number | null = null;
  const rec = (g: number, v: number, w: number, w2: number) => {
    if (w > p.cap || w2 > cap2) return;
    if (g === G) {
      if (best === null || v < best) best = v;
      return;
    }
    for (let k = 0; k < p.values[g].length; k++) rec(g + 1, v + p.values[g][k], w + p.weights[g][k], w2 + (p.weights2 ? p.weights2[g][k] : 0));
  };
  rec(0, 0, 0, 0);
  return best;
}

/** The invariants every answer must meet against the exhaustive optimum `opt` (null: infeasible). */
function checkAgainst(p: Plain, opt: number | null, rel = 1e-9) {
  const r = solveChoice(p);
  expect(r.exact).toBe(true);
  expect(r.feasible).toBe(opt !== null);
  if (opt === null) return r;
  const scale = Math.max(Math.abs(opt), 1e-300);
  expect(Math.abs(r.value - opt)).toBeLessThanOrEqual(rel * scale);
  // The returned choice is a valid option index per group, and it has the returned value and weights.
  let v = 0;
  let w = 0;
  let w2 = 0;
  r.choice.forEach((k, g) => {
    expect(k).toBeGreaterThanOrEqual(0);
    expect(k).toBeLessThan(p.values[g].length);
    v += p.values[g][k];
    w += p.weights[g][k];
    if (p.weights2) w2 += p.weights2[g][k];
  });
  expect(v).toBe(r.value);
  expect(w).toBe(r.weight);
  expect(w).toBeLessThanOrEqual(p.cap);
  if (p.weights2) {
    expect(w2).toBe(r.weight2);
    expect(w2).toBeLessThanOrEqual(p.cap2!);
  }
  expect(r.lowerBound).toBeLessThanOrEqual(r.value + 1e-12 * scale);
  return r;
}

/**
 * Small random option tables: ≤ 6 groups × ≤ 5 options, values on a quarter grid (so exact ties are
 * common and sums are exact), integer weights 0..8 (zero and equal weights, dominated and
 * non-convex options arise by themselves), caps from below the lightest plan (infeasible) to above
 * the heaviest, or exactly the weight of a random plan (tight).
 */
const option = fc.record({
  v: fc.integer({ min: -20, max: 80 }).map((x) => x / 4),
  w: fc.integer({ min: 0, max: 8 }),
  w2: fc.integer({ min: 0, max: 8 }),
});
const small = (two: boolean) =>
  fc
    .record({
      groups: fc.array(fc.array(option, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 6 }),
      f1: fc.double({ min: -0.15, max: 1.1, noNaN: true }),
      f2: fc.double({ min: -0.15, max: 1.1, noNaN: true }),
      tight: fc.constantFrom('none', 'cap', 'cap2', 'both'),
      pick: fc.array(fc.nat(), { minLength: 6, maxLength: 6 }),
    })
    .map(({ groups, f1, f2, tight, pick }): Plain => {
      const values = groups.map((o) => o.map((x) => x.v));
      const weights = groups.map((o) => o.map((x) => x.w));
      const weights2 = groups.map((o) => o.map((x) => x.w2));
      const range = (ws: number[][], f: number) => {
        const lo = ws.reduce((s, w) => s + Math.min(...w), 0);
        const hi = ws.reduce((s, w) => s + Math.max(...w), 0);
        return lo + f * (hi - lo);
      };
      const planW = (ws: number[][]) => ws.reduce((s, w, g) => s + w[pick[g] % w.length], 0);
      const cap = tight === 'cap' || tight === 'both' ? planW(weights) : range(weights, f1);
      if (!two) return { values, weights, cap };
      const cap2 = tight === 'cap2' || tight === 'both' ? planW(weights2) : range(weights2, f2);
      return { values, weights, cap, weights2, cap2 };
    });

describe('solveChoice against exhaustive search', () => {
  // Invariant: on every small instance the solver's value equals the brute-force optimum (or both
  // say infeasible), the returned choice meets the cap(s) and has the reported value and weight.
  // With two resources "infeasible" includes plans that fit each cap alone but never both at once
  // (the solver must prove it, not only check the lightest plan).
  it.each([
    { resources: 'single resource', two: false, seed: 20240601 },
    { resources: 'two resources', two: true, seed: 7 },
  ])('$resources: same optimum, caps respected, lowerBound ≤ value, certified exact', ({ two, seed }) => {
    let searched = 0;
    let infeasible = 0;
    fc.assert(
      fc.property(small(two), (p) => {
        const opt = brute(p);
        const r = checkAgainst(p, opt);
        if (r.nodes > 0) searched++;
        if (opt === null) infeasible++;
      }),
      { numRuns: 800, seed },
    );
    // The generator must reach the DP and infeasible cases often enough to test them.
    expect(searched).toBeGreaterThan(50);
    expect(infeasible).toBeGreaterThan(20);
  });

  it('real-valued non-convex tables with values over six decades: optimum within 1e-9 relative', () => {
    // Invariant: exactness does not depend on grid-friendly numbers: values are arbitrary doubles
    // spanning 1e-3..1e3, weights are eighths (exact sums), caps anywhere in the range.
    const tables = fc
      .record({
        G: fc.integer({ min: 1, max: 6 }),
        K: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 6, maxLength: 6 }),
        u: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 90, maxLength: 90 }),
        f: fc.double({ min: 0, max: 1, noNaN: true }),
        two: fc.boolean(),
      })
      .map(({ G, K, u, f, two }): Plain => {
        let t = 0;
        const next = () => u[t++ % u.length];
        const values: number[][] = [];
        const weights: number[][] = [];
        const weights2: number[][] = [];
        for (let g = 0; g < G; g++) {
          values.push(Array.from({ length: K[g] }, () => 10 ** (6 * next() - 3)));
          weights.push(Array.from({ length: K[g] }, () => Math.floor(next() * 80) / 8));
          weights2.push(Array.from({ length: K[g] }, () => Math.floor(next() * 10)));
        }
        const lo = weights.reduce((s, w) => s + Math.min(...w), 0);
        const hi = weights.reduce((s, w) => s + Math.max(...w), 0);
        const cap = lo + f * (hi - lo);
        if (!two) return { values, weights, cap };
        return { values, weights, cap, weights2, cap2: weights2.reduce((s, w) => s + Math.max(...w), 0) * 0.5 };
      });
    fc.assert(
      fc.property(tables, (p) => {
        checkAgainst(p, brute(p));
      }),
      { numRuns: 600, seed: 99 },
    );
  });

  it('single-option groups, zero weights, duplicates and an unlimited cap', () => {
    // Invariant: degenerate tables are solved exactly; identical options resolve to the lowest index.
    const p1: Plain = { values: [[3], [1, 2], [5]], weights: [[1], [2, 0], [0]], cap: 1 };
    expect(checkAgainst(p1, brute(p1)).choice).toEqual(Int32Array.from([0, 1, 0]));
    const p2: Plain = { values: [[2, 2, 1], [4, 4]], weights: [[0, 0, 3], [1, 1]], cap: 1 };
    expect(checkAgainst(p2, brute(p2)).choice).toEqual(Int32Array.from([0, 0]));
    const p3: Plain = { values: [[1, 0], [7, -1]], weights: [[0, 0], [0, 0]], cap: 0 };
    expect(checkAgainst(p3, brute(p3)).choice).toEqual(Int32Array.from([1, 1]));
    const p4: Plain = { values: [[5, 1, 3], [2, 9]], weights: [[1, 9, 2], [4, 1]], cap: Infinity };
    expect(checkAgainst(p4, brute(p4)).value).toBe(3);
    const p5: Plain = { values: [[5, 1], [2, 9]], weights: [[1, 9], [4, 1]], cap: 1 };
    const r5 = checkAgainst(p5, brute(p5)); // lightest plan weighs 2: infeasible
    expect(r5.feasible).toBe(false);
    const p6: Plain = { values: [[1, 0]], weights: [[0, 5]], cap: 10, weights2: [[3, 1]], cap2: 0 };
    expect(checkAgainst(p6, brute(p6)).feasible).toBe(false);
  });

  it('the choice indexes the caller’s option order, whatever that order is', () => {
    // Invariant: permuting the options inside each group changes the indices but not the optimum,
    // and the chosen option is the same (value, weight) pair.
    const rand = mulberry32(5);
    for (let trial = 0; trial < 50; trial++) {
      const G = 5;
      const values = Array.from({ length: G }, () => Array.from({ length: 5 }, () => Math.floor(rand() * 40)));
      const weights = Array.from({ length: G }, () => Array.from({ length: 5 }, () => Math.floor(rand() * 10)));
      const cap = 20;
      const perm = values.map(() => [0, 1, 2, 3, 4].sort(() => rand() - 0.5));
      const pv = values.map((v, g) => perm[g].map((k) => v[k]));
      const pw = weights.map((w, g) => perm[g].map((k) => w[k]));
      const a = solveChoice({ values, weights, cap });
      const b = solveChoice({ values: pv, weights: pw, cap });
      expect(b.value).toBe(a.value);
      b.choice.forEach((k, g) => {
        expect(pv[g][k]).toBe(values[g][perm[g][k]]);
        expect(pw[g][k]).toBe(weights[g][perm[g][k]]);
      });
    }
  });

  it('rejects malformed input with a clear error', () => {
    // Invariant: an empty option list, mismatched lengths, non-finite numbers and negative weights throw.
    expect(() => solveChoice({ values: [[1], []], weights: [[1], []], cap: 1 })).toThrow(/group 1 has no options/);
    expect(() => solveChoice({ values: [[1, 2]], weights: [[1]], cap: 1 })).toThrow(/2 values but 1 weights/);
    expect(() => solveChoice({ values: [[1]], weights: [[1], [2]], cap: 1 })).toThrow(/same length/);
    expect(() => solveChoice({ values: [[NaN]], weights: [[1]], cap: 1 })).toThrow(/not finite/);
    expect(() => solveChoice({ values: [[1]], weights: [[-1]], cap: 1 })).toThrow(/>= 0/);
    expect(() => solveChoice({ values: [[1]], weights: [[1]], cap: NaN })).toThrow(/cap must be a number/);
    expect(() => solveChoice({ values: [[1]], weights: [[1]], cap: 1, weights2: [[1]] })).toThrow(/together/);
    expect(() => solveChoice({ values: [[1]], weights: [[1]], cap: 1, weights2: [[1, 2]], cap2: 1 })).toThrow(/weights2/);
  });

  it('with the node limit hit: a feasible plan, exact = false, and lowerBound ≤ optimum ≤ value', () => {
    // Invariant: a truncated search still returns a valid plan and a certified bracket on the optimum.
    // Equal slopes everywhere and an odd cap over even weights: a subset-sum the LP cannot close.
    const G = 12;
    const values = Array.from({ length: G }, (_, g) => [2, 3, 4].map((b) => (10 + g) * 2 ** -b));
    const weights = Array.from({ length: G }, (_, g) => [2, 3, 4].map((b) => 2 * (10 + g) * b));
    const cap = weights.reduce((s, w) => s + w[0], 0) + 333;
    const p = { values, weights, cap };
    const opt = brute(p) as number;
    const r = solveChoice({ ...p, nodeLimit: 5 });
    expect(r.feasible).toBe(true);
    expect(r.exact).toBe(false);
    expect(r.weight).toBeLessThanOrEqual(cap);
    expect(r.lowerBound).toBeLessThanOrEqual(opt * (1 + 1e-12));
    expect(r.value).toBeGreaterThanOrEqual(opt * (1 - 1e-12));
    // Without the limit the same instance is certified.
    expect(checkAgainst(p, opt).exact).toBe(true);
  });
});

/** Medium random tables: 20-50 groups × 4-8 options, latency-like weights, values over decades, optionally a second cap. */
function medium(seed: number, two: boolean): Plain {
  const rand = mulberry32(seed);
  const G = 20 + Math.floor(rand() * 31);
  const values: number[][] = [];
  const weights: number[][] = [];
  const weights2: number[][] = [];
  for (let g = 0; g < G; g++) {
    const K = 4 + Math.floor(rand() * 5);
    const size = 10 ** (2 * rand());
    const sens = 10 ** (3 * rand() - 1);
    values.push(Array.from({ length: K }, () => sens * 10 ** (-3 * rand())));
    weights.push(Array.from({ length: K }, () => size * (0.2 + rand())));
    weights2.push(Array.from({ length: K }, () => Math.round(size * 100 * (0.1 + rand()))));
  }
  const lo = (ws: number[][]) => ws.reduce((s, w) => s + Math.min(...w), 0);
  const best = (ws: number[][]) => ws.reduce((s, w, g) => s + w[values[g].indexOf(Math.min(...values[g]))], 0);
  const cap = lo(weights) + (0.3 + 0.4 * rand()) * (best(weights) - lo(weights));
  if (!two) return { values, weights, cap };
  return { values, weights, cap, weights2, cap2: lo(weights2) + (0.4 + 0.4 * rand()) * (best(weights2) - lo(weights2)) };
}

describe('solveChoice against the highs MILP solver', () => {
  it('reaches the same objective on seeded 20-50 group × 4-8 option instances, one and two resources', async () => {
    // Invariant: highs (mip_rel_gap 0) and solveChoice agree within highs' tolerance, and highs never
    // finds a plan that meets the caps exactly and is better than the certified optimum.
    const highs = await highsLoader();
    for (const two of [false, true]) {
      for (let seed = 1; seed <= 8; seed++) {
        const p = medium(seed * 31 + (two ? 1000 : 0), two);
        const r = solveChoice(p);
        expect(r.feasible).toBe(true);
        expect(r.exact).toBe(true);
        const sol = highs.solve(choiceLp(p), HIGHS_OPTIONS);
        expect(sol.Status).toBe('Optimal');
        const hc = highsChoice(p, sol);
        expect(hc.every((k) => k >= 0)).toBe(true);
        const hv = hc.reduce((s, k, g) => s + p.values[g][k], 0);
        expect(Math.abs(r.value - hv)).toBeLessThanOrEqual(1e-6 * Math.abs(hv));
        const hw = hc.reduce((s, k, g) => s + p.weights[g][k], 0);
        const hw2 = p.weights2 ? hc.reduce((s, k, g) => s + p.weights2![g][k], 0) : 0;
        if (hw <= p.cap && (!p.weights2 || hw2 <= p.cap2!)) expect(r.value).toBeLessThanOrEqual(hv * (1 + 1e-12));
      }
    }
  });
});

describe('the benchmark family (bench/choice.bench.ts)', () => {
  it('all 20 latency-capped instances of 200 groups × 6 formats are certified exact', () => {
    // Invariant: the instances the benchmark times are solved to certified optimality
    // (lowerBound equals value), the plan meets the cap, and the cap really forces downgrades.
    for (let i = 0; i < 20; i++) {
      const p = formatInstance(7000 + i);
      const r = solveChoice(p);
      expect(r.feasible).toBe(true);
      expect(r.exact).toBe(true);
      expect(r.lowerBound).toBe(r.value);
      expect(r.weight).toBeLessThanOrEqual(p.cap);
      const down = Array.from(r.choice).filter((k, g) => p.values[g][k] > Math.min(...p.values[g])).length;
      expect(down).toBeGreaterThan(40);
      expect(down).toBeLessThan(160);
    }
  });

  it('the memory-capped variant (weights2 = bytes) is certified exact too', () => {
    // Invariant: with both caps binding, every instance still finishes within the default state limit.
    for (let i = 0; i < 20; i++) {
      const p = formatInstance(7000 + i, 200, true);
      const r = solveChoice(p);
      expect(r.exact).toBe(true);
      expect(r.feasible).toBe(true);
      expect(r.weight).toBeLessThanOrEqual(p.cap);
      expect(r.weight2).toBeLessThanOrEqual(p.cap2!);
    }
  });

  it('agrees with highs on three of the benchmark instances', async () => {
    // Invariant: the benchmark's optimum is the MILP optimum (so the timing compares equal work).
    const highs = await highsLoader();
    for (const [i, memory] of [
      [0, false],
      [1, false],
      [2, true],
    ] as const) {
      const p: ChoiceProblem & Plain = formatInstance(7000 + i, 200, memory);
      const r = solveChoice(p);
      const sol = highs.solve(choiceLp(p), HIGHS_OPTIONS);
      expect(sol.Status).toBe('Optimal');
      const hv = highsChoice(p, sol).reduce((s, k, g) => s + p.values[g][k], 0);
      expect(Math.abs(r.value - hv)).toBeLessThanOrEqual(1e-6 * Math.abs(hv));
    }
  });
});
