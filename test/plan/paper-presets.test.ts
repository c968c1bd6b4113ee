/**
 * The paper-blip2 / paper-git presets: the paper's constants, and our FLOP split redone by hand
 * (the arithmetic docs/plan.md shows), and Table I's qualitative result on them.
 */
import { describe, expect, it } from 'vitest';
import { blip2Parts, blockFlops, gitParts, splitToPaperTotal } from '../../src/plan/paper-flops.ts';
import { PRESETS, paperBlip2Preset, paperGitPreset, paperPreset } from '../../src/plan/presets.ts';
import { clockProfiles, defaultTable1Thresholds, table1 } from '../../src/plan/sweep.ts';
import { problemWith } from './paper-helpers.ts';

describe('paper presets', () => {
  it("carry the paper's simulation constants (§VI)", () => {
    for (const pr of [paperBlip2Preset, paperGitPreset]) {
      expect(pr.agent).toMatchObject({ fMin: 0, fMax: 2e9, flopsPerCycle: 32, eta: 1, psi: 2e-29 });
      expect(pr.server).toMatchObject({ fMin: 0, fMax: 10e9, flopsPerCycle: 128, eta: 2, psi: 1e-28 });
      expect(pr.link.featureElems).toBe(0);
    }
    const sum = (pr: typeof paperBlip2Preset) => pr.model.groups!.reduce((s, g) => s + g.params, 0) + (pr.model.serverParams ?? 0);
    expect(sum(paperBlip2Preset)).toBeCloseTo(3.75e9, -3);
    expect(sum(paperGitPreset)).toBeCloseTo(176.62e6, -2);
    const flops = (pr: typeof paperBlip2Preset) => pr.model.groups!.reduce((s, g) => s + (g.flops ?? 0), 0) + (pr.model.serverFlops ?? 0);
    expect(flops(paperBlip2Preset) / 1e9).toBeCloseTo(533.66, 6);
    expect(flops(paperGitPreset) / 1e9).toBeCloseTo(212.27, 6);
    expect([paperBlip2Preset.constraints, paperGitPreset.constraints]).toEqual([{ T0: 3.5, E0: 2 }, { T0: 2, E0: 2 }]);
    // The SPEC §5 illustrative preset keeps working, also under an unambiguous name.
    expect(PRESETS.paper).toBe(paperPreset);
    expect(PRESETS['spec-illustrative']).toBe(paperPreset);
  });

  it('the FLOP split, by hand (2 FLOPs per multiply-add)', () => {
    // ViT-g block, 257 tokens of width 1408, MLP 6144: 2·257·1408·(4·1408 + 2·6144) + 4·257²·1408
    //   = 2·361856·17920 + 4·66049·1408 = 12968919040 + 371987968 = 13340907008.
    expect(blockFlops(257, 1408, 6144)).toBe(13340907008);
    // ViT-g: 39 blocks + patch embedding 2·256·588·1408 = 423886848 → 520719260160.
    // Q-Former: 12·(self 154140672 + FFN 301989888) + 6·cross 1212383232 + projection 2·32·768·2560 = 12873695232.
    // OPT-2.7B, 33 tokens: 32·(2·33·2560·(4·2560 + 2·10240) + 4·33²·2560) + 2·2560·50272 = 166708674560.
    const b = splitToPaperTotal(blip2Parts(), 533.66e9);
    expect(b.counted.agent).toBe(520719260160 + 12873695232);
    expect(b.counted.server).toBe(166708674560);
    expect(b.counted.agent / b.counted.total).toBeCloseTo(0.761947, 6);
    expect(b.agent / 1e9).toBeCloseTo(406.62, 2);
    expect(b.server / 1e9).toBeCloseTo(127.04, 2);
    // GIT-base, 6 frames: encoder 6·(2·196·768·768 + 12·block(197, 768, 3072)) + projection 2·1182·768·768,
    // decoder 6·block(1183, 768, 3072) + 2·768·30522.
    const blk197 = 2 * 197 * 768 * (4 * 768 + 2 * 3072) + 4 * 197 * 197 * 768;
    expect(blk197).toBe(2907909120);
    const g = splitToPaperTotal(gitParts(), 212.27e9);
    expect(g.counted.agent).toBe(6 * (2 * 196 * 768 * 768 + 12 * blk197) + 2 * 1182 * 768 * 768);
    expect(g.counted.server).toBe(6 * (2 * 1183 * 768 * (4 * 768 + 2 * 3072) + 4 * 1183 * 1183 * 768) + 2 * 768 * 30522);
    expect(g.agent / 1e9).toBeCloseTo(133.05, 2);
    expect(g.server / 1e9).toBeCloseTo(79.22, 2);
    // The presets carry exactly these numbers (written out so `coquant --help` need not compute them).
    for (const [pr, split] of [[paperBlip2Preset, b], [paperGitPreset, g]] as const) {
      for (const grp of pr.model.groups!) expect(Math.abs(grp.flops! / split.agentGroups[grp.name] - 1)).toBeLessThan(1e-12);
      expect(Math.abs(pr.model.serverFlops! / split.server - 1)).toBeLessThan(1e-12);
    }
  });

  it("delay at full precision follows Eq. 4: paper-blip2's agent part takes 406.62e9/(2e9·32) s at 16 bits", () => {
    const p = problemWith(paperBlip2Preset);
    const cut = p.cuts[0];
    const C = cut.groups.reduce((s, g) => s + g.work * 16, 0);
    expect(C / 2e9).toBeCloseTo(406.62e9 / 64e9, 3);
    // And the server at f̃_max: 127.04e9/(10e9·128) s, η̃ψ̃f̃²·Ñ/c̃ ≈ 19.85 J.
    expect((cut.serverWork * 16) / 1e10).toBeCloseTo(127.04e9 / 1.28e12, 4);
    expect(p.server.kappa * cut.serverWork * 16 * 1e20).toBeCloseTo(19.85, 2);
  });
});

describe('Table I on the paper presets', () => {
  it('delay-only: the high profile wins; energy-only: the low profile wins; the joint design is never worse', () => {
    for (const pr of [paperBlip2Preset, paperGitPreset]) {
      for (const design of [{}, { objective: 'gap', energy: 'total' }] as const) {
        const p = problemWith(pr, design);
        const th = defaultTable1Thresholds(p);
        const cols = table1(p, th.delays, th.energies);
        expect(cols).toHaveLength(6);
        const prof = clockProfiles(p);
        expect(prof.map((x) => x.agentHz)).toEqual([2e9 / 3, 4e9 / 3, 2e9]);
        for (const c of cols) {
          const v = (d: string) => c.cells.find((x) => x.design === d)!.objective ?? Infinity;
          const joint = v('joint');
          for (const d of ['low', 'medium', 'high']) expect(joint).toBeLessThanOrEqual(v(d) * (1 + 1e-12));
          if (c.kind === 'delay') expect(v('high')).toBeLessThanOrEqual(v('low'));
          else expect(v('low')).toBeLessThanOrEqual(v('high'));
        }
        // At the default thresholds the losing profile is at its edge, as in the paper's table: strictly worse somewhere.
        expect(cols.some((c) => c.kind === 'delay' && (c.cells[0].objective ?? Infinity) > (c.cells[2].objective as number))).toBe(true);
        expect(cols.some((c) => c.kind === 'energy' && (c.cells[2].objective ?? Infinity) > (c.cells[0].objective as number))).toBe(true);
      }
    }
  });
});
