import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OPTIONS_SCHEMA, parseOptionsDocument, spreadRatio, type OptionsDocument } from '../../src/documents/options-document.ts';
import { budgetFloor, planFromOptions, type OptionsCut, type OptionsSystem } from '../../src/plan/options-plan.ts';

/** A small random options document: G groups with 1–3 options over 2 clocks, weightless nodes, spread. */
const docArb = fc
  .record({
    G: fc.integer({ min: 1, max: 4 }),
    seed: fc.array(fc.double({ min: 0.01, max: 1, noNaN: true }), { minLength: 80, maxLength: 80 }),
    ratio: fc.double({ min: 1, max: 1.4, noNaN: true }),
  })
  .map(({ G, seed, ratio }): OptionsDocument => {
    let i = 0;
    const r = () => seed[i++ % seed.length];
    const formats = ['fp32', 'int8', 'int4'];
    const groups = Array.from({ length: G }, (_, g) => {
      const n = 1 + Math.floor(r() * 2.99);
      return {
        name: `g${g}`,
        params: 100 + Math.floor(r() * 1000),
        lambda: 1 + r(),
        options: formats.slice(0, n).map((format, k) => ({
          format,
          executable: true,
          bits: [32, 8, 4][k],
          // Latency need not fall with bits (non-convex, dominated options happen).
          latencyS: [r() * 0.01, r() * 0.005],
          bytes: Math.floor(r() * 1000),
          Dp: k === 0 ? 0 : r() * 0.01,
          deltaDo: k === 0 ? 0 : r() * 0.1,
        })),
      };
    });
    return parseOptionsDocument({
      schema: OPTIONS_SCHEMA,
      model: { source: 'random' },
      device: { name: 'test', clocksHz: [1e9, 2e9] },
      overheadS: [0.001 * r(), 0.0005 * r()],
      nodes: [{ name: 'n0', latencyS: [0.002 * r(), 0.001 * r()] }],
      spread: { quantiles: [0.5, 0.95], ratio: [[1, ratio], [1, ratio * 0.95 > 1 ? ratio * 0.95 : 1]] },
      distortion: { metric: 'test' },
      groups,
      ties: G >= 3 && r() < 0.5 ? [['g0', 'g2']] : [],
    });
  });

/** Brute force over cuts × clocks × every assignment: the least objective that meets every constraint. */
function brute(doc: OptionsDocument, cuts: OptionsCut[], sys: OptionsSystem): number {
  let best = Infinity;
  for (const cut of cuts) {
    const groups = doc.groups.filter((g) => cut.groups.includes(g.name));
    const combos: number[][] = [[]];
    for (const g of groups) {
      const next: number[][] = [];
      for (const c of combos) for (let k = 0; k < g.options.length; k++) next.push([...c, k]);
      combos.splice(0, combos.length, ...next);
    }
    for (const [k, f] of doc.device.clocksHz.entries()) {
      for (const c of combos) {
        const fmt = new Map(groups.map((g, i) => [g.name, g.options[c[i]].format]));
        if (doc.ties.some((t) => new Set(t.filter((n) => fmt.has(n)).map((n) => fmt.get(n))).size > 1)) continue;
        let head = doc.overheadS[k] + (cut.nodes === 'all' ? doc.nodes.reduce((s, n) => s + n.latencyS[k], 0) : 0);
        let bytes = 0;
        let value = 0;
        groups.forEach((g, i) => {
          head += g.options[c[i]].latencyS[k];
          bytes += g.options[c[i]].bytes;
          value += g.options[c[i]].deltaDo;
        });
        const radio = (cut.featureBytes * 8) / sys.link.rateBps;
        const T = spreadRatio(doc, k, sys.quantile) * head + radio + cut.serverS;
        const E = sys.kappa * f ** 3 * head + sys.link.txPowerW * radio;
        if (T <= sys.T0 && E <= sys.E0 && (sys.memoryBytes === undefined || bytes <= sys.memoryBytes)) best = Math.min(best, value);
      }
    }
  }
  return best;
}

describe('executable planner against brute force', () => {
  it('finds the least predicted D_o over cuts, clocks and per-group formats, with T0 at a quantile, E0, memory and ties', () => {
    fc.assert(
      fc.property(
        docArb,
        fc.double({ min: 0.002, max: 0.05, noNaN: true }),
        fc.double({ min: 0.001, max: 0.5, noNaN: true }),
        fc.option(fc.integer({ min: 100, max: 4000 }), { nil: undefined }),
        fc.constantFrom<number | 'mean'>(0.5, 0.95, 'mean'),
        (doc, T0, E0, mem, q) => {
          const names = doc.groups.map((g) => g.name);
          const cuts: OptionsCut[] = [
            { name: 'all', groups: names, nodes: 'all', featureBytes: 1000, serverS: 0.001 },
            { name: 'first', groups: names.slice(0, 1), nodes: [], featureBytes: 20000, serverS: 0.0005 },
          ];
          const sys: OptionsSystem = { kappa: 1e-28, link: { rateBps: 50e6, txPowerW: 0.5 }, T0, E0, quantile: q, objective: 'do', memoryBytes: mem };
          const plan = planFromOptions(doc, cuts, sys);
          const expected = brute(doc, cuts, sys);
          if (!Number.isFinite(expected)) {
            expect(plan.feasible).toBe(false);
            return;
          }
          expect(plan.feasible).toBe(true);
          expect(plan.solver.exact).toBe(true);
          expect(plan.predicted!.objective).toBeCloseTo(expected, 12);
          // The plan it returns meets what it claims.
          expect(plan.predicted!.totalQuantileS).toBeLessThanOrEqual(T0 * (1 + 1e-9));
          expect(plan.predicted!.energyJ).toBeLessThanOrEqual(E0 * (1 + 1e-9));
          if (mem !== undefined) expect(plan.predicted!.headWeightBytes).toBeLessThanOrEqual(mem);
          for (const t of doc.ties) {
            const fs = new Set(t.filter((n) => n in plan.formats).map((n) => plan.formats[n]));
            expect(fs.size).toBeLessThanOrEqual(1);
          }
        },
      ),
      { numRuns: 300, seed: 7 },
    );
  });

  it('reports the least T0 and E0 when infeasible, and those budgets are then feasible', () => {
    fc.assert(
      fc.property(docArb, (doc) => {
        const cuts: OptionsCut[] = [{ name: 'all', groups: doc.groups.map((g) => g.name), nodes: 'all', featureBytes: 1000, serverS: 0.001 }];
        const base = { kappa: 1e-28, link: { rateBps: 50e6, txPowerW: 0.5 }, quantile: 0.95 as const, objective: 'do' as const };
        const floor = budgetFloor(doc, cuts, base);
        expect(planFromOptions(doc, cuts, { ...base, T0: floor.minT0 * (1 + 1e-9), E0: 1e9 }).feasible).toBe(true);
        expect(planFromOptions(doc, cuts, { ...base, T0: 1e9, E0: floor.minE0 * (1 + 1e-9) }).feasible).toBe(true);
        const tight = planFromOptions(doc, cuts, { ...base, T0: floor.minT0 * 0.99, E0: 1e9 });
        expect(tight.feasible).toBe(false);
        expect(tight.diagnosis?.minT0).toBeCloseTo(floor.minT0, 12);
      }),
      { numRuns: 100, seed: 3 },
    );
  });
});

describe('coquant.options/1 documents', () => {
  it('the hand-written GPU example in docs/ parses and plans, and its tie holds', () => {
    const doc = parseOptionsDocument(JSON.parse(readFileSync('docs/examples/gpu.options.json', 'utf8')));
    const plan = planFromOptions(doc, [{ name: 'whole', groups: doc.groups.map((g) => g.name), nodes: 'all', featureBytes: 0, serverS: 0 }], {
      kappa: 1e-27, link: { rateBps: 1e8, txPowerW: 1 }, T0: 0.003, E0: 0.5, quantile: 0.95, objective: 'do', memoryBytes: 12e6,
    });
    expect(plan.feasible).toBe(true);
    expect(plan.formats['block1.mlp.fc1']).toBe(plan.formats['block1.mlp.fc2']);
    expect(plan.predicted!.headWeightBytes).toBeLessThanOrEqual(12e6);
  });

  it('rejects inconsistent documents with the field named', () => {
    const good = JSON.parse(readFileSync('docs/examples/gpu.options.json', 'utf8'));
    const bad1 = structuredClone(good);
    bad1.groups[0].options[0].latencyS = [0.001];
    expect(() => parseOptionsDocument(bad1)).toThrow(/block0.qkv.*latencyS has 1 entries for 2 clocks/);
    const bad2 = structuredClone(good);
    bad2.ties = [['block0.qkv', 'nope']];
    expect(() => parseOptionsDocument(bad2)).toThrow(/ties: unknown group 'nope'/);
    expect(() => parseOptionsDocument({ schema: 'x' })).toThrow(/not a valid coquant.options\/1/);
  });

  it('spread ratio: 1 for the mean, the measured value at a measured quantile, linear between (closed form)', () => {
    const doc = parseOptionsDocument({ ...JSON.parse(readFileSync('docs/examples/gpu.options.json', 'utf8')), spread: { quantiles: [0.5, 0.9], ratio: [[1, 1.2], [1, 1.1]] } });
    expect(spreadRatio(doc, 0, 'mean')).toBe(1);
    expect(spreadRatio(doc, 0, 0.9)).toBeCloseTo(1.2, 12);
    expect(spreadRatio(doc, 0, 0.7)).toBeCloseTo(1.1, 12);
    expect(spreadRatio(doc, 1, 0.99)).toBeCloseTo(1.1, 12);
  });

  it('a group with no allowed format is a clear error', () => {
    const doc = parseOptionsDocument(JSON.parse(readFileSync('docs/examples/gpu.options.json', 'utf8')));
    expect(() =>
      planFromOptions(doc, [{ name: 'w', groups: ['block1.mlp.fc1'], nodes: [], featureBytes: 0, serverS: 0 }], {
        kappa: 0, link: { rateBps: 1, txPowerW: 0 }, T0: 1, E0: 1, quantile: 'mean', objective: 'do', allowed: ['int4'],
      }),
    ).toThrow(/no allowed format is left/);
  });
});

describe('the round-trip model of one clock', () => {
  it('least squares recovers t = a·c + β·B + b exactly from noiseless points, and is the least-squares solution with noise', async () => {
    const { fitRoundTrip } = await import('../../src/runtime/options/measure-options.ts');
    fc.assert(
      fc.property(fc.double({ min: 0.5, max: 10, noNaN: true }), fc.double({ min: 0, max: 1e-8, noNaN: true }), fc.double({ min: -0.01, max: 0.01, noNaN: true }), (a, beta, b) => {
        const pts: [number, number, number][] = [[0.011, 1e6, 0], [0.009, 1e6, 0], [0.001, 1.3e5, 0], [0.006, 1.3e5, 0], [0.024, 1.3e5, 0], [0.00005, 4, 0]];
        for (const p of pts) p[2] = a * p[0] + beta * p[1] + b;
        const f = fitRoundTrip(pts);
        expect(f.a).toBeCloseTo(a, 6);
        expect(f.beta * 1e6).toBeCloseTo(beta * 1e6, 6);
        expect(f.b).toBeCloseTo(b, 8);
        // With noise, the residual is orthogonal to every column (the normal equations hold).
        const noisy = pts.map(([c, B, t], i) => [c, B, t + (i % 2 ? 1e-4 : -1e-4) * (i + 1)] as [number, number, number]);
        const g = fitRoundTrip(noisy);
        const res = noisy.map(([c, B, t]) => t - (g.a * c + g.beta * B + g.b));
        expect(Math.abs(res.reduce((s, r, i) => s + r * noisy[i][0], 0))).toBeLessThan(1e-10);
        expect(Math.abs(res.reduce((s, r) => s + r, 0))).toBeLessThan(1e-10);
      }),
      { numRuns: 50, seed: 1 },
    );
  });

  it('never fits a negative work or byte cost, and is then no worse than any non-negative (a, β) on a fine grid', async () => {
    // Invariant: with a ≥ 0, β ≥ 0 imposed, the fit's squared error is at most that of every grid
    // point (a, β) ≥ 0 with its best intercept (brute force), so no group latency is ever negative.
    const { fitRoundTrip } = await import('../../src/runtime/options/measure-options.ts');
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.double({ min: 0, max: 1e-4, noNaN: true }), fc.double({ min: 0, max: 1e6, noNaN: true }), fc.double({ min: 1e-4, max: 2e-3, noNaN: true })), { minLength: 4, maxLength: 8 }), (raw) => {
        const pts = raw.map(([c, B, t]) => [c, B, t] as [number, number, number]);
        const f = fitRoundTrip(pts);
        expect(f.a).toBeGreaterThanOrEqual(0);
        expect(f.beta).toBeGreaterThanOrEqual(0);
        const err = (a: number, beta: number, b: number) => pts.reduce((s, [c, B, t]) => s + (t - (a * c + beta * B + b)) ** 2, 0);
        const best = (a: number, beta: number) => err(a, beta, pts.reduce((s, [c, B, t]) => s + t - a * c - beta * B, 0) / pts.length);
        const mine = err(f.a, f.beta, f.b);
        const scale = Math.max(1e-30, err(0, 0, 0));
        for (let i = 0; i <= 20; i++) for (let j = 0; j <= 20; j++) expect(mine).toBeLessThanOrEqual(best(i * 2, j * 1e-10) + 1e-9 * scale);
      }),
      { numRuns: 60, seed: 3 },
    );
  });
});
