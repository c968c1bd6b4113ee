import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluatePlan, workloadCap } from '../../src/plan/cost.ts';
import { problemOf } from './helpers.ts';

describe('cost evaluator', () => {
  it('matches a hand computation (SPEC §5 formulas)', () => {
    const p = problemOf({
      agent: { fMin: 0, fMax: 2e9, kappa: 1e-28, cyclesPerParamBit: 0.5 },
      server: { fMax: 1e10, kappa: 1e-28, cyclesPerParamBit: 0.1, bits: 16 },
      link: { rateBps: 1e8, txPowerW: 2, featureElems: 1000, featureBits: 16 },
      constraints: { T0: 3, E0: 2 },
      agentBits: 'per-group',
      model: { alpha: 3, groups: [{ name: 'a', params: 1e9, lambda: 50 }, { name: 'b', params: 1e9, lambda: 25 }], serverParams: 2e9 },
    });
    const ev = evaluatePlan(p, p.cuts[0], [8, 4], 1e9, 1e10);
    // agent: C = 0.5·(8e9 + 4e9) = 6e9 cycles → 6 s at 1 GHz, 1e-28·6e9·1e18 = 0.6 J
    expect(ev.delay.agent).toBeCloseTo(6, 12);
    expect(ev.energy.agent).toBeCloseTo(0.6, 12);
    // link: S = 16000 bit → 1.6e-4 s, 3.2e-4 J; server: 0.1·16·2e9 = 3.2e9 cycles → 0.32 s, 32 J
    expect(ev.delay.link).toBeCloseTo(1.6e-4, 15);
    expect(ev.energy.link).toBeCloseTo(3.2e-4, 15);
    expect(ev.delay.server).toBeCloseTo(0.32, 12);
    expect(ev.energy.server).toBeCloseTo(32, 9);
    // D_U = 3·(1/4·2^-7/50 + 1/4·2^-3/25) with N = 4e9; D_L = D_U/2
    const du = 3 * (0.25 * 2 ** -7 / 50 + 0.25 * 2 ** -3 / 25);
    expect(ev.DU).toBeCloseTo(du, 15);
    expect(ev.DL).toBeCloseTo(du / 2, 15);
    expect(ev.feasible).toBe(false);
    expect(ev.violations[0]).toMatch(/^deadline: 6\.32\d* s > T0 = 3 s/);
  });

  it('the closed-form workload cap agrees with a dense scan over clocks (Monte Carlo)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1.5e9, noNaN: true }),
        fc.double({ min: 1e8, max: 3e9, noNaN: true }),
        fc.double({ min: 1e-29, max: 1e-26, noNaN: true }),
        fc.double({ min: 0.01, max: 5, noNaN: true }),
        fc.double({ min: 0.01, max: 5, noNaN: true }),
        (fMin, span, kappa, Tav, Eav) => {
          const d = { fMin, fMax: fMin + span, levels: null, kappa, cyclesPerParamBit: 1 };
          const { Cmax } = workloadCap(d, Tav, Eav);
          const feasibleSomewhere = (C: number) => {
            for (let i = 0; i <= 4000; i++) {
              const f = fMin + (span * i) / 4000;
              if (f > 0 && C / f <= Tav && kappa * C * f * f <= Eav) return true;
            }
            return false;
          };
          // Below the cap some clock on the grid works (the grid is fine enough for a 1% margin);
          // above it no clock does.
          if (Cmax > 0) {
            expect(feasibleSomewhere(Cmax * 0.99)).toBe(true);
          }
          expect(feasibleSomewhere(Math.max(Cmax, 1) * 1.0001)).toBe(false);
        },
      ),
      { numRuns: 150, seed: 3 },
    );
  });
});
