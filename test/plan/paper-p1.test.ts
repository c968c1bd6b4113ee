/**
 * The paper's formulation in the planner (issue 10): its objective and bound, its total energy,
 * its FLOP model, its presets and its baselines, each against an independent computation.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { relaxedPaper, solveMethod, solvePaper } from '../../src/plan/baselines.ts';
import { clocksFor } from '../../src/plan/clocks.ts';
import { evaluatePlan } from '../../src/plan/cost.ts';
import { cutCap, maxWorkload, solveExact } from '../../src/plan/exact.ts';
import { unitObjective, unitObjectiveSlope } from '../../src/plan/objective.ts';
import { paperBlip2Preset, paperGitPreset } from '../../src/plan/presets.ts';
import { resolveDesign, withBudgets } from '../../src/plan/problem.ts';
import { waterFillConvex } from '../../src/plan/sca.ts';
import { bruteTotal, eq24, eq26, expectNoMethodBeatsExact, feasibleTotal, problemWith, refUnit, totalInstance } from './paper-helpers.ts';

const P1 = { objective: 'gap', energy: 'total' } as const;

describe("the paper's objective and bound", () => {
  it('the four objectives equal the printed formulas, fall with b and are convex in b (b = 2..32)', () => {
    for (const lambda of [0.5, 7, 45, 1e4]) {
      for (const objective of ['du', 'gap'] as const) {
        for (const bound of ['ours', 'paper'] as const) {
          let prev = Infinity;
          let prevStep = Infinity;
          for (let b = 2; b <= 32; b++) {
            const v = unitObjective(objective, bound, b, lambda);
            const ref = refUnit(objective, bound, b, lambda);
            // Eq. 26 as printed loses digits to cancellation at high rate; compare where it still has them.
            if (b <= 20) expect(Math.abs(v - ref) / ref).toBeLessThan(1e-9);
            expect(v).toBeLessThan(prev);
            const step = prev - v;
            if (b > 2) expect(step).toBeLessThan(prevStep);
            prevStep = step;
            prev = v;
            // The slope used by the relaxation is the derivative (central difference).
            const h = 1e-4;
            const num = (unitObjective(objective, bound, b + h, lambda) - unitObjective(objective, bound, b - h, lambda)) / (2 * h);
            expect(Math.abs(unitObjectiveSlope(objective, bound, b, lambda) - num) / Math.abs(num)).toBeLessThan(1e-5);
          }
        }
      }
    }
    // The table of paper-formulation.md, in units of 1/λ: D^U − D^L at b̂ = 2 is 0.618 − 0.25.
    expect(unitObjective('gap', 'paper', 2, 1)).toBeCloseTo(0.618034 - 0.25, 5);
    expect(eq26(1, 1)).toBeCloseTo(0.618034, 5);
    expect(eq24(1, 1)).toBe(0.25);
  });

  it('--objective gap alone means the paper\'s P1 with its bound; du means ours', () => {
    expect(resolveDesign({ objective: 'gap' })).toEqual({ objective: 'gap', bound: 'paper', energyScope: 'agent' });
    expect(resolveDesign({})).toEqual({ objective: 'du', bound: 'ours', energyScope: 'agent' });
    expect(resolveDesign({ objective: 'gap', bound: 'ours', energy: 'total' })).toEqual({ objective: 'gap', bound: 'ours', energyScope: 'total' });
  });

  it('with the paper\'s bound a 1-bit plan is never chosen (its D^U is infinite)', () => {
    const p = problemWith({ ...paperBlip2Preset, bits: [1, 2, 3] }, { bound: 'paper' });
    expect(p.cuts[0].groups.every((g) => g.minBits === 2)).toBe(true);
    const q = problemWith({ ...paperBlip2Preset, bits: [1] }, { bound: 'paper' });
    const r = solveExact(q);
    expect(r.feasible).toBe(false);
    expect(r.diagnosis!.reason).toMatch(/infinite at 1 bit/);
  });
});

describe("the FLOP model (the paper's Eqs. 4-7) and total energy (Eq. 9), against hand calculations", () => {
  const input = {
    agent: { fMin: 0, fMax: 2e9, flopsPerCycle: 32, eta: 1, psi: 2e-29 },
    server: { fMin: 0, fMax: 10e9, flopsPerCycle: 128, eta: 2, psi: 1e-28 },
    link: { rateBps: 1e8, txPowerW: 1, featureElems: 0 },
    constraints: { T0: 2, E0: 2 },
    model: { storedBits: 16, groups: [{ name: 'enc', params: 1e9, lambda: 50, flops: 100e9 }], serverParams: 2e9, serverFlops: 50e9 },
  };

  it('delay and energy of each stage', () => {
    const p = problemWith(input, { energy: 'total' });
    const ev = evaluatePlan(p, p.cuts[0], [8], 1e9, 5e9);
    // Eq. 4: t = b̂·N/(b·f·c) = 8·100e9/(16·1e9·32) = 1.5625 s.
    expect(ev.delay.agent).toBeCloseTo(1.5625, 12);
    // Eq. 6: e = η·(b̂N/(bc))·ψ·f² = 1·(8·100e9/(16·32))·2e-29·1e18 = 1.5625e9·2e-11 = 0.03125 J.
    expect(ev.energy.agent).toBeCloseTo(0.03125, 14);
    // Eq. 5: t̃ = Ñ/(f̃c̃) = 50e9/(5e9·128) = 0.078125 s.
    expect(ev.delay.server).toBeCloseTo(0.078125, 14);
    // Eq. 7: ẽ = η̃·(Ñ/c̃)·ψ̃·f̃² = 2·(50e9/128)·1e-28·2.5e19 = 1.953125 J.
    expect(ev.energy.server).toBeCloseTo(1.953125, 12);
    // Eqs. 8-9: T = t + t̃ = 1.640625 s; E = e + ẽ = 1.984375 J, which E0 limits in the total scope.
    expect(ev.delay.total).toBeCloseTo(1.640625, 12);
    expect(ev.energy.total).toBeCloseTo(1.984375, 12);
    expect(ev.feasible).toBe(true);
    // With our agent scope E0 sees only the agent (and the link, 0 here).
    const q = problemWith(input);
    expect(evaluatePlan(q, q.cuts[0], [8], 1e9, 5e9).energy.total).toBeCloseTo(0.03125, 14);
    expect(p.agent.kappa).toBe(2e-29);
    expect(p.server.kappa).toBe(2e-28);
  });

  it('the model needs FLOP counts, and the two workload models do not mix on one device', () => {
    const bad = { ...input, model: { ...input.model, groups: [{ name: 'enc', params: 1e9, lambda: 50 }] } };
    expect(() => problemWith(bad)).toThrow(/model\.agentFlops/);
    const spread = problemWith({ ...input, model: { ...input.model, agentFlops: 30e9, groups: [{ name: 'a', params: 1e9, lambda: 50 }, { name: 'b', params: 2e9, lambda: 50 }] } });
    // agentFlops spread by parameters: 10e9 and 20e9, so work = F/(16·32).
    expect(spread.cuts[0].groups.map((g) => g.work)).toEqual([10e9 / 512, 20e9 / 512]);
    const both = problemWith.bind(null, { ...input, agent: { ...input.agent, cyclesPerParamBit: 1 } } as never);
    expect(both).toThrow(/exactly one workload model/);
    const twoEnergies = problemWith.bind(null, { ...input, agent: { ...input.agent, kappa: 1e-28 } } as never);
    expect(twoEnergies).toThrow(/exactly one energy coefficient/);
  });

  it('best clocks under the total scope agree with the minimum-energy time split', () => {
    const p = problemWith(input, { energy: 'total' });
    const cut = p.cuts[0];
    for (const b of [2, 4, 8, 12, 16]) {
      const C = cut.groups[0].work * b;
      const c = clocksFor(p, cut, C);
      const ref = feasibleTotal(p.agent, C, p.server, cut.serverWork * 16, p.T0, p.E0);
      expect(c.feasible).toBe(ref);
      if (c.feasible) {
        expect(c.energy).toBeLessThanOrEqual(p.E0 * (1 + 1e-9));
        // Energy-limited clocks keep the ratio f/f̃ = (κ̃/κ)^(1/3) when neither is at its maximum.
        if (c.agentHz < p.agent.fMax * (1 - 1e-9) && c.serverHz < p.server.fMax * (1 - 1e-9)) expect(c.agentHz / c.serverHz).toBeCloseTo(Math.cbrt(p.server.kappa / p.agent.kappa), 6);
      }
    }
  });
});

describe("the paper's P1", () => {
  it('with one shared bit-width the exact plan is the largest feasible b̂ (paper presets, along the paper\'s axes)', () => {
    for (const preset of [paperBlip2Preset, paperGitPreset]) {
      const p0 = problemWith(preset, P1);
      const cut = p0.cuts[0];
      const points = [...[0.5, 0.75, 1, 1.5, 2].map((k) => [k * p0.T0, p0.E0]), ...[0.3, 0.6, 1, 1.6, 2.5].map((k) => [p0.T0, k * p0.E0])];
      for (const [T0, E0] of points) {
        const p = withBudgets(p0, T0, E0);
        // FLOP model: agent cycles b̂·N_FLOP/(16·c), server cycles Ñ_FLOP/c̃.
        const Na = cut.groups.reduce((s, g) => s + (g.flops as number), 0);
        const Cs = (preset.model.serverFlops as number) / 128;
        const largest = [...p.bits].reverse().find((b) => b >= 2 && feasibleTotal(p.agent, (b * Na) / (16 * 32), p.server, Cs, T0, E0));
        const r = solveExact(p);
        if (largest === undefined) {
          expect(r.feasible).toBe(false);
          continue;
        }
        expect(r.feasible).toBe(true);
        expect(r.bits).toBe(largest);
      }
    }
  });

  it('exact = brute force over every assignment in the total energy scope (random instances, any objective and bound)', () => {
    fc.assert(
      fc.property(totalInstance, ({ problem: p }) => {
        const ex = solveExact(p);
        const bf = bruteTotal(p);
        if (!bf) {
          expect(ex.feasible).toBe(false);
          return;
        }
        expect(ex.feasible).toBe(true);
        expect(Math.abs(ex.objective! - bf.objective) / bf.objective).toBeLessThan(1e-9);
        // More budget never makes the optimum worse.
        const more = solveExact(withBudgets(p, p.T0 * 1.3, p.E0 * 1.3));
        expect(more.objective!).toBeLessThanOrEqual(ex.objective! * (1 + 1e-12));
      }),
      { numRuns: 200, seed: 10 },
    );
  });
});

describe("the paper's method (SCA + rounding) on the paper presets", () => {
  it('documented instance: paper-blip2, P1 (gap objective, total energy), T0 = 3.5 s, E0 = 2 J: rounding breaks both budgets', () => {
    const p = problemWith(paperBlip2Preset, P1);
    const sca = relaxedPaper(p)!;
    // Relaxed optimum b̂ ≈ 7.9, rounded up to 8 and run at the relaxed clocks.
    expect(sca.bits[0]).toBeGreaterThan(7.5);
    expect(sca.bits[0]).toBeLessThan(8);
    const paper = solvePaper(p);
    expect(paper.bits).toBe(8);
    expect(paper.feasible).toBe(false);
    expect(paper.delay!.total).toBeGreaterThan(3.5);
    expect(paper.energy!.total).toBeGreaterThan(2);
    expect(paper.violations.map((v) => v.split(':')[0]).sort()).toEqual(['deadline', 'energy']);
    const exact = solveExact(p);
    expect(exact.feasible).toBe(true);
    expect(exact.bits).toBe(7);
  });

  it('rounding also breaks the deadline with our objective and energy scope (paper-blip2 and paper-git)', () => {
    for (const [preset, bits] of [[paperBlip2Preset, 9], [paperGitPreset, 15]] as const) {
      const p = problemWith(preset);
      const paper = solvePaper(p);
      expect(paper.bits).toBe(bits);
      expect(paper.violations.some((v) => v.startsWith('deadline'))).toBe(true);
      expect(solveExact(p).bits).toBe(bits - 1);
    }
  });

  it('the relaxation with the paper\'s objective is the water-filling at the workload cap (agent scope: the SCA converges to it)', () => {
    fc.assert(
      fc.property(fc.double({ min: 1, max: 6, noNaN: true }), fc.double({ min: 0.2, max: 3, noNaN: true }), fc.boolean(), (T0, E0, perGroup) => {
        const p = problemWith({ ...paperBlip2Preset, constraints: { T0, E0 }, agentBits: perGroup ? 'per-group' : 'shared' }, { objective: 'gap' });
        const sca = relaxedPaper(p);
        const cut = p.cuts[0];
        const cap = cutCap(p, cut);
        const shared = !perGroup;
        const w = cut.groups.map((g) => (g.alpha * g.params) / p.totalParams);
        const obj = shared
          ? { value: (_g: number, b: number) => cut.groups.reduce((s, g, i) => s + w[i] * unitObjective('gap', 'paper', b, g.lambda), 0), slope: (_g: number, b: number) => cut.groups.reduce((s, g, i) => s + w[i] * unitObjectiveSlope('gap', 'paper', b, g.lambda), 0) }
          : { value: (g: number, b: number) => w[g] * unitObjective('gap', 'paper', b, cut.groups[g].lambda), slope: (g: number, b: number) => w[g] * unitObjectiveSlope('gap', 'paper', b, cut.groups[g].lambda) };
        const work = shared ? [cut.groups.reduce((s, g) => s + g.work, 0)] : cut.groups.map((g) => g.work);
        const lo = work.map(() => 2);
        const hi = work.map(() => 16);
        const direct = cap.Cmax < 0 ? null : waterFillConvex(obj, work, lo, hi, Math.min(cap.Cmax, maxWorkload(p, cut)));
        if (!direct) {
          expect(sca).toBeNull();
          return;
        }
        const v = direct.reduce((s, x, g) => s + obj.value(g, x), 0);
        expect(Math.abs(sca!.relaxed.DU - v) / v).toBeLessThan(1e-6);
      }),
      { numRuns: 60, seed: 4 },
    );
  });
});

describe('baselines: feasible-random and PPO', () => {
  it('are reproducible for a seed and never better than the exact plan (paper presets, both scopes, both bit modes)', () => {
    for (const preset of [paperBlip2Preset, paperGitPreset]) {
      for (const design of [{}, P1] as const) {
        for (const agentBits of ['shared', 'per-group'] as const) {
          const p = problemWith({ ...preset, agentBits }, design);
          const ex = solveExact(p);
          for (const m of ['feasible-random', 'ppo'] as const) {
            const a = solveMethod(p, m, { seed: 3, ppoSteps: 2048 });
            const b = solveMethod(p, m, { seed: 3, ppoSteps: 2048 });
            expect(b).toEqual(a);
            if (a.feasible) expect(a.objective!).toBeGreaterThanOrEqual(ex.objective! * (1 - 1e-12));
          }
        }
      }
    }
  });

  it('feasible-random takes 400 draws and keeps the best feasible one; a different seed is a different search', () => {
    const p = problemWith({ ...paperBlip2Preset, agentBits: 'per-group' });
    const a = solveMethod(p, 'feasible-random', { seed: 1 });
    expect(a.solver.nodes).toBe(400);
    expect(a.notes[0]).toMatch(/400 random bit-width draws \(seed 1\)/);
    const b = solveMethod(p, 'feasible-random', { seed: 2 });
    expect(b.groups).not.toEqual(a.groups);
  });

  it('no method beats the exact plan on random total-scope instances', () => {
    fc.assert(
      fc.property(totalInstance, ({ problem }) => {
        expectNoMethodBeatsExact(problem, 'objective', 1e-9, { ppoSteps: 512 });
      }),
      { numRuns: 60, seed: 12 },
    );
  });

  it('maxclock is the paper\'s fixed maximum frequency: both clocks at their maxima', () => {
    const p = problemWith(paperGitPreset);
    const r = solveMethod(p, 'maxclock');
    expect(r.agentHz).toBe(2e9);
    expect(r.serverHz).toBe(10e9);
    // In the total scope the server alone at 10 GHz needs more than E0: no plan, and it says why.
    const q = problemWith(paperBlip2Preset, P1);
    const rq = solveMethod(q, 'maxclock');
    expect(rq.feasible).toBe(false);
    expect(rq.violations[0]).toMatch(/fixed clocks \(agent 2 GHz, server 10 GHz\).*server 19\.8\d* J/);
  });
});
