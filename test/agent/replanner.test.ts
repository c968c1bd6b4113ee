import { describe, expect, it } from 'vitest';
import { evaluatePlan } from '../../src/plan/cost.ts';
import { solveExact } from '../../src/plan/exact.ts';
import { toProblem } from '../../src/plan/problem.ts';
import { parseSystem } from '../../src/plan/system.ts';
import { Replanner } from '../../src/runtime/agent/replanner.ts';

function problem(rateBps: number) {
  const r = parseSystem({
    agent: { fMin: 1e8, fMax: 2e9, kappa: 1e-28, cyclesPerParamBit: 1 },
    server: { fMax: 1e10, kappa: 1e-28, cyclesPerParamBit: 1 },
    link: { rateBps, txPowerW: 1, featureElems: 250_000, featureBits: 16 },
    constraints: { T0: 1.0, E0: 0.5 },
    bits: [2, 3, 4, 5, 6, 7, 8, 10, 12, 16],
    model: { groups: [{ name: 'a', params: 5e7, lambda: 20 }, { name: 'b', params: 2e7, lambda: 40 }], serverParams: 1e8 },
    agentBits: 'per-group',
  });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return toProblem(r.value);
}

describe('Replanner', () => {
  it('keeps the plan while the link behaves as planned', () => {
    const p = problem(1e8);
    const rp = new Replanner(p, solveExact(p));
    for (let i = 0; i < 5; i++) {
      rp.observeLink(4e6, 4e6 / 1e8);
      expect(rp.beforeRequest()).toBeUndefined();
    }
  });

  it('re-plans when the link slows so the old plan would miss T0, and the new plan meets it', () => {
    const p = problem(1e8);
    const rp = new Replanner(p, solveExact(p));
    const before = rp.current;
    for (let i = 0; i < 10; i++) rp.observeLink(4e6, 4e6 / 1e7); // the link is really 10 Mbit/s
    const why = rp.beforeRequest();
    expect(why).toMatch(/deadline/);
    const after = rp.current;
    // Invariant: the new plan is feasible under the measured conditions (independent evaluator),
    // and it had to give up distortion to buy back the link time.
    const now = rp.now();
    expect(evaluatePlan(now, now.cuts[0], after.bitsVector, after.agentHz, after.serverHz).feasible).toBe(true);
    expect(after.result.DU!).toBeGreaterThan(before.result.DU!);
    // It equals a fresh exact solve of the measured problem.
    expect(after.result.DU).toBeCloseTo(solveExact(now).DU!, 12);
  });

  it('spreads a mission battery: an expensive start forces a cheaper plan', () => {
    const p = problem(1e8);
    const rp = new Replanner(p, solveExact(p), { battery: { joules: 2, inferences: 10 } });
    expect(rp.now().E0).toBeCloseTo(0.2, 12);
    rp.afterRequest(1.5);
    expect(rp.now().E0).toBeCloseTo(0.5 / 9, 12);
  });
});
