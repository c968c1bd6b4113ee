import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluatePlan } from '../../src/plan/cost.ts';
import { solveExact } from '../../src/plan/exact.ts';
import { withBudgets } from '../../src/plan/problem.ts';
import { bruteForce, problemOf, smallInstance } from './helpers.ts';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-300);

describe('exact planner on small random instances (≤ 4 groups, ≤ 15 bit choices)', () => {
  it('its D_U equals the brute-force optimum, and it is infeasible exactly when brute force finds nothing', () => {
    let feasibleSeen = 0;
    let infeasibleSeen = 0;
    fc.assert(
      fc.property(smallInstance, ({ problem }) => {
        const r = solveExact(problem);
        const b = bruteForce(problem);
        if (!b) {
          infeasibleSeen++;
          expect(r.feasible).toBe(false);
          expect(r.bits).toBeNull();
          expect(r.diagnosis).toBeDefined();
          return;
        }
        feasibleSeen++;
        expect(r.feasible).toBe(true);
        expect(rel(r.DU as number, b.DU)).toBeLessThan(1e-9);
      }),
      { numRuns: 300, seed: 20260401 },
    );
    // The generator must exercise both outcomes, or the property above proves little.
    expect(feasibleSeen).toBeGreaterThan(30);
    expect(infeasibleSeen).toBeGreaterThan(10);
  });

  it('its plan meets every constraint according to the independent evaluator', () => {
    fc.assert(
      fc.property(smallInstance, ({ problem }) => {
        const r = solveExact(problem);
        if (!r.feasible) return;
        const cut = problem.cuts[0];
        const bits = r.groups!.map((g) => g.bits);
        const ev = evaluatePlan(problem, cut, bits, r.agentHz!, r.serverHz!);
        expect(ev.violations).toEqual([]);
        expect(ev.delay.total).toBeLessThanOrEqual(problem.T0 * (1 + 1e-9));
        expect(ev.energy.total).toBeLessThanOrEqual(problem.E0 * (1 + 1e-9));
        if (problem.agent.levels) expect(problem.agent.levels).toContain(r.agentHz);
        else {
          expect(r.agentHz!).toBeGreaterThanOrEqual(problem.agent.fMin * (1 - 1e-12));
          expect(r.agentHz!).toBeLessThanOrEqual(problem.agent.fMax * (1 + 1e-12));
        }
        for (const b of bits) expect(problem.bits).toContain(b);
        if (problem.mode === 'shared') expect(new Set(bits).size).toBe(1);
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it('more time or more energy never makes the optimum worse (monotone in T0 and E0)', () => {
    fc.assert(
      fc.property(smallInstance, fc.double({ min: 0, max: 2, noNaN: true }), fc.double({ min: 0, max: 2, noNaN: true }), ({ problem }, dt, de) => {
        const a = solveExact(problem);
        const bT = solveExact(withBudgets(problem, problem.T0 * (1 + dt), problem.E0));
        const bE = solveExact(withBudgets(problem, problem.T0, problem.E0 * (1 + de)));
        for (const b of [bT, bE]) {
          if (a.feasible) {
            expect(b.feasible).toBe(true);
            expect(b.DU as number).toBeLessThanOrEqual((a.DU as number) * (1 + 1e-12));
          }
        }
      }),
      { numRuns: 200, seed: 99 },
    );
  });
});

describe('exact planner with split candidates and a quantized server', () => {
  it('searches the cuts: its D_U equals brute force over every cut and assignment', () => {
    let multiCutWins = 0;
    fc.assert(
      fc.property(smallInstance, fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 100000 }), fc.boolean(), ({ input }, k, fe, quantServer) => {
        const names = (input.model.groups ?? []).map((g) => g.name);
        const first = names.slice(0, Math.min(k, names.length));
        const problem = problemOf({
          ...input,
          server: { ...input.server, quantized: quantServer, bits: 8 },
          splits: [
            { name: 'early', agentGroups: first, featureElems: fe },
            { name: 'late', agentGroups: names, featureElems: Math.floor(fe / 4) },
          ],
        });
        const r = solveExact(problem);
        const b = bruteForce(problem);
        expect(r.feasible).toBe(b !== null);
        if (!b) return;
        expect(rel(r.DU as number, b.DU)).toBeLessThan(1e-9);
        const cut = problem.cuts.find((c) => c.name === r.cut)!;
        const ev = evaluatePlan(problem, cut, r.groups!.map((g) => g.bits), r.agentHz!, r.serverHz!);
        expect(ev.violations).toEqual([]);
        if (r.cut === 'early' && first.length < names.length) multiCutWins++;
      }),
      { numRuns: 200, seed: 123 },
    );
    // Both cuts must win somewhere, or the cut search is not exercised.
    expect(multiCutWins).toBeGreaterThan(5);
  });
});
