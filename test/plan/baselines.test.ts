import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { agentBudgets, workloadCap } from '../../src/plan/cost.ts';
import { relaxedPaper, solveMethod, solvePaper } from '../../src/plan/baselines.ts';
import { solveExact } from '../../src/plan/exact.ts';
import { paperPreset } from '../../src/plan/presets.ts';
import { waterFill } from '../../src/plan/sca.ts';
import { problemOf, smallInstance } from './helpers.ts';
import { expectNoMethodBeatsExact } from './paper-helpers.ts';

describe('baselines', () => {
  it('documented instance: on the paper preset (T0 = 3.5 s, E0 = 2 J, shared bits) rounding the SCA answer breaks the deadline; the exact plan does not', () => {
    const p = problemOf(paperPreset);
    const paper = solvePaper(p);
    const exact = solveExact(p);
    // SCA relaxed optimum ≈ 10.6 bits, rounded to 11: 3.65 s > 3.5 s (and 2.09 J > 2 J).
    expect(paper.bits).toBe(11);
    expect(paper.feasible).toBe(false);
    expect(paper.violations.some((v) => v.startsWith('deadline'))).toBe(true);
    expect(paper.notes.join(' ')).toMatch(/rounding to the nearest bit broke the plan/);
    expect(exact.feasible).toBe(true);
    expect(exact.bits).toBe(10);
    expect(exact.delay!.total).toBeLessThanOrEqual(3.5);
    const repaired = solveMethod(p, 'paper-repaired');
    expect(repaired.feasible).toBe(true);
    expect(repaired.DU).toBeGreaterThanOrEqual(exact.DU! * (1 - 1e-12));
  });

  it('SCA converges to the relaxed optimum, which is the water-filling at the closed-form workload cap', () => {
    fc.assert(
      fc.property(smallInstance, ({ problem: p0 }) => {
        const p = { ...p0, mode: 'per-group' as const, epsilon: null, cuts: p0.cuts.map((c) => ({ ...c, groups: c.groups.map((g) => ({ ...g, minBits: p0.bits[0] })) })) };
        if (p.bits.length < 2 || p.agent.levels) return;
        const sca = relaxedPaper(p);
        const cut = p.cuts[0];
        const b = agentBudgets(p, cut);
        const cap = workloadCap(p.agent, b.Tav, b.Eav);
        const coef = cut.groups.map((g) => (2 * g.alpha * (g.params / p.totalParams)) / g.lambda);
        const N = cut.groups.map((g) => g.params);
        const lo = N.map(() => p.bits[0]);
        const hi = N.map(() => p.bits[p.bits.length - 1]);
        const direct = cap.Cmax < 0 ? null : waterFill(coef, N, lo, hi, cap.Cmax / p.agent.cyclesPerParamBit!);
        if (!direct) {
          expect(sca).toBeNull();
          return;
        }
        expect(sca).not.toBeNull();
        const duDirect = direct.reduce((s, x, g) => s + coef[g] * 2 ** -x, 0);
        expect(Math.abs(sca!.relaxed.DU - duDirect) / duDirect).toBeLessThan(1e-6);
        // The relaxation is a lower bound on every integer plan, in particular the exact one.
        const ex = solveExact(p);
        if (ex.feasible) expect(sca!.relaxed.DU + cut.serverDU).toBeLessThanOrEqual(ex.DU! * (1 + 1e-9));
      }),
      { numRuns: 150, seed: 5 },
    );
  });

  it('no baseline ever reports a feasible plan with a lower D_U than the exact optimum', () => {
    fc.assert(
      fc.property(smallInstance, ({ problem }) => {
        expectNoMethodBeatsExact(problem, 'DU', 1e-12);
      }),
      { numRuns: 150, seed: 11 },
    );
  });

  it('delay-only ignores E0 in the design but is judged against it', () => {
    const p = problemOf({ ...paperPreset, constraints: { T0: 3.5, E0: 1 } });
    const r = solveMethod(p, 'delay-only');
    expect(r.agentHz).toBe(2e9);
    expect(r.feasible).toBe(false);
    expect(r.violations.some((v) => v.startsWith('energy'))).toBe(true);
  });
});
