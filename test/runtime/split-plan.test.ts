import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OPTIONS_SCHEMA, parseOptionsDocument } from '../../src/documents/options-document.ts';
import { planFromOptions, type OptionsCut, type OptionsSystem } from '../../src/plan/options-plan.ts';

const doc = parseOptionsDocument({
  schema: OPTIONS_SCHEMA,
  model: { source: 'test' },
  device: { name: 'test', clocksHz: [5e8, 1e9] },
  overheadS: [0.001, 0.0005],
  nodes: [],
  distortion: { metric: 'test' },
  groups: [0, 1].map((g) => ({
    name: `g${g}`,
    params: 1000,
    options: [
      { format: 'fp32', latencyS: [0.004, 0.002], bytes: 4000, Dp: 0, deltaDo: 0 },
      { format: 'int8', latencyS: [0.002, 0.001], bytes: 1000, Dp: 0.001, deltaDo: 0.01 * (g + 1) },
    ],
  })),
  features: [{ cut: 'c', options: [{ format: 'fp32', bytes: 40000, deltaDo: 0 }] }],
});

const linkArb = fc.array(fc.record({ bytes: fc.integer({ min: 100, max: 60000 }), deltaDo: fc.double({ min: 0, max: 0.05, noNaN: true }) }), { minLength: 1, maxLength: 3 });

describe('the planner chooses the link format of a cut', () => {
  // Invariant: planning a cut that offers several link formats gives the same objective as the best
  // of planning each format alone as a cut of its own (its bytes as the feature, its distortion
  // added to the plan's), and it names that format.
  it('equals the best single-format plan, with the link distortion in the objective', () => {
    fc.assert(
      fc.property(linkArb, fc.double({ min: 0.003, max: 0.05, noNaN: true }), fc.double({ min: 0.001, max: 0.02, noNaN: true }), (links, T0, E0) => {
        const options = links.map((l, i) => ({ format: `f${i}`, ...l }));
        const base: Omit<OptionsCut, 'featureBytes'> = { name: 'c', groups: ['g0', 'g1'], nodes: [], serverS: 0.001 };
        const sys: OptionsSystem = { kappa: 1e-27, link: { rateBps: 5e7, txPowerW: 0.5 }, T0, E0, quantile: 'mean', objective: 'do' };
        const plan = planFromOptions(doc, [{ ...base, featureBytes: 40000, featureOptions: options }], sys);
        let best = Infinity;
        let bestFormat: string | undefined;
        for (const o of options) {
          const alone = planFromOptions(doc, [{ ...base, featureBytes: o.bytes }], sys);
          if (alone.feasible && alone.predicted!.objective + o.deltaDo < best - 1e-15) {
            best = alone.predicted!.objective + o.deltaDo;
            bestFormat = o.format;
          }
        }
        expect(plan.feasible).toBe(Number.isFinite(best));
        if (!plan.feasible) return;
        expect(plan.predicted!.objective).toBeCloseTo(best, 12);
        const chosen = options.find((o) => o.format === plan.featureFormat)!;
        expect(chosen.deltaDo + (plan.predicted!.objective - chosen.deltaDo)).toBeCloseTo(best, 12);
        if (bestFormat && options.filter((o) => Math.abs(o.deltaDo - chosen.deltaDo) < 1e-15).length === 1) expect(plan.featureFormat).toBe(bestFormat);
        // The uplink time follows the chosen format's bytes.
        expect(plan.predicted!.uplinkS).toBeCloseTo((chosen.bytes * 8) / sys.link.rateBps, 12);
      }),
      { numRuns: 150 },
    );
  });

  it("counts the agent's encoding time of the chosen link format in its head time", () => {
    const opt = { format: 'int8', bytes: 10000, deltaDo: 0.001 };
    const cut: OptionsCut = { name: 'c', groups: ['g0', 'g1'], nodes: [], serverS: 0.001, featureBytes: 40000, featureOptions: [opt] };
    const sys: OptionsSystem = { kappa: 1e-27, link: { rateBps: 5e7, txPowerW: 0.5 }, T0: 1, E0: 1, quantile: 'mean', objective: 'do' };
    const a = planFromOptions(doc, [cut], sys);
    const b = planFromOptions(doc, [{ ...cut, featureOptions: [{ ...opt, encodeS: 0.003 }] }], sys);
    expect(b.predicted!.headMeanS - a.predicted!.headMeanS).toBeCloseTo(0.003, 12);
    expect(b.predicted!.totalMeanS - a.predicted!.totalMeanS).toBeCloseTo(0.003, 12);
  });

  it('keeps lossless links under objectives that cannot weigh output distortion', () => {
    const cut: OptionsCut = { name: 'c', groups: ['g0', 'g1'], nodes: [], serverS: 0.001, featureBytes: 40000, featureOptions: [{ format: 'fp32', bytes: 40000, deltaDo: 0 }, { format: 'int8', bytes: 10000, deltaDo: 0.001 }] };
    const plan = planFromOptions(doc, [cut], { kappa: 1e-27, link: { rateBps: 5e7, txPowerW: 0.5 }, T0: 0.05, E0: 0.05, quantile: 'mean', objective: 'dp', allowed: ['fp32'] });
    expect(plan.featureFormat).toBe('fp32');
  });

  it('an options document with features round-trips, and one without them still reads', () => {
    expect(doc.features?.[0].options[0].format).toBe('fp32');
    const { features: _f, ...rest } = doc;
    expect(parseOptionsDocument(JSON.parse(JSON.stringify(rest))).features).toBeUndefined();
    expect(() => parseOptionsDocument({ ...doc, features: [{ cut: 'c', options: [] }] })).toThrow(/features/);
  });
});
