import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelayMs, worstCaseBackoffMs } from '../../src/runtime/agent/backoff.ts';
import { EnergyBudget } from '../../src/runtime/agent/energy-budget.ts';
import { LinkEstimator } from '../../src/runtime/agent/link-estimator.ts';

describe('LinkEstimator', () => {
  it('converges to a constant true rate from any prior (EWMA of time per bit)', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e3, max: 1e10, noNaN: true }), fc.double({ min: 1e3, max: 1e10, noNaN: true }), (prior, truth) => {
        const est = new LinkEstimator(prior);
        for (let i = 0; i < 60; i++) est.observe(8e6, 8e6 / truth);
        expect(Math.abs(est.rateBps - truth) / truth).toBeLessThan(1e-9);
      }),
    );
  });
  it('is pulled more by a slow transfer than by an equally extreme fast one', () => {
    const a = new LinkEstimator(1e8);
    a.observe(1e6, 1e6 / 1e7); // 10x slower
    const b = new LinkEstimator(1e8);
    b.observe(1e6, 1e6 / 1e9); // 10x faster
    expect(1e8 / a.rateBps).toBeGreaterThan(b.rateBps / 1e8);
  });
  it('ignores unusable samples', () => {
    const e = new LinkEstimator(1e6);
    e.observe(0, 1);
    e.observe(100, 0);
    e.observe(100, Number.POSITIVE_INFINITY);
    expect(e.count).toBe(0);
    expect(e.rateBps).toBe(1e6);
  });
});

describe('backoff', () => {
  it('each delay lies in [cap/2, cap] and the worst case is the sum of caps', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1, max: 5000 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (k, base, max, r) => {
        const cap = Math.min(max, base * 2 ** k);
        const d = backoffDelayMs({ retries: 7, baseMs: base, maxMs: max }, k, () => r);
        expect(d).toBeGreaterThanOrEqual(Math.floor(cap / 2));
        expect(d).toBeLessThanOrEqual(cap);
      }),
    );
    expect(worstCaseBackoffMs({ retries: 3, baseMs: 100, maxMs: 250 })).toBe(100 + 200 + 250);
  });
});

describe('EnergyBudget', () => {
  it('never offers more than E0, and spreads the battery over the remaining inferences', () => {
    const b = new EnergyBudget(2, { joules: 10, inferences: 10 });
    expect(b.availableJ).toBe(1);
    b.record(5);
    expect(b.availableJ).toBeCloseTo(5 / 9, 12);
    const unlimited = new EnergyBudget(2);
    unlimited.record(100);
    expect(unlimited.availableJ).toBe(2);
  });
});
