import { describe, expect, it } from 'vitest';
import { bundledModels } from '../../src/io/bundled-models.ts';
import { openOnnx } from '../../src/io/onnx-weights.ts';
import { selectWeights } from '../../src/io/open-weights.ts';
import type { PlanResult } from '../../src/plan/result.ts';
import { measurePlans } from '../../src/app/sweep-measure.ts';

async function planWithBits(bits: number, feasible = true): Promise<PlanResult> {
  const src = await openOnnx(bundledModels().rec);
  const groups = selectWeights(src.tensors).map((t) => ({ name: t.name, params: t.size, bits }));
  return { schema: 'coquant.plan/1', method: 'exact', feasible, groups, DU: 2 ** -bits } as unknown as PlanResult;
}

describe('sweep --measure: plans applied to the real PP-OCRv4 rec model', () => {
  it('16-bit plans match full precision; 3-bit plans distort more; identical plans are measured once', async () => {
    const p16 = await planWithBits(16);
    const p3 = await planWithBits(3, false);
    let measuredCount = 0;
    const rows = await measurePlans(
      bundledModels().rec,
      [
        { axis: 'T0', T0: 1, E0: 1, method: 'exact', plan: p16 },
        { axis: 'T0', T0: 2, E0: 1, method: 'exact', plan: p16 },
        { axis: 'T0', T0: 1, E0: 1, method: 'paper', plan: p3 },
      ],
      { lines: 3, seed: 5, config: { family: 'uniform-symmetric', granularity: { kind: 'channel' }, range: 'absmax' }, onProgress: (d) => (measuredCount = d) },
    );
    expect(measuredCount).toBe(2); // two distinct bit assignments
    expect(rows).toHaveLength(3);
    // Invariant: 16-bit weights reproduce the full-precision text, and D_o grows as bits shrink.
    expect(rows[0].cerVsFp).toBe(0);
    expect(rows[0].accuracy).toBe(1);
    expect(rows[1]).toMatchObject({ Do: rows[0].Do, accuracy: rows[0].accuracy });
    expect(rows[2].Do!).toBeGreaterThan(10 * rows[0].Do!);
    expect(rows[2].feasible).toBe(false);
  });

  it('refuses plans whose groups are not weights of the model, with a hint', async () => {
    const plan = { schema: 'coquant.plan/1', method: 'exact', feasible: true, groups: [{ name: 'vision.blocks.0-9', params: 1, bits: 8 }] } as unknown as PlanResult;
    await expect(measurePlans(bundledModels().rec, [{ axis: 'T0', T0: 1, E0: 1, method: 'exact', plan }], { lines: 1, seed: 1, config: { family: 'uniform-symmetric', granularity: { kind: 'channel' }, range: 'absmax' } })).rejects.toThrow(/none of the planned groups/);
  });
});
