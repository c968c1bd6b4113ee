import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { measureOptions, sensitivityBlocks } from '../../src/runtime/options/measure-options.ts';
import { EmulatedDevice } from '../../src/runtime/device-host/emulated-device.ts';
import { parseOptionsDocument } from '../../src/documents/options-document.ts';
import type { Feed } from '../../src/data/tensor.ts';
import { mlpModel, randn } from '../formats/tiny-models.ts';

describe('sensitivity measured per block of groups', () => {
  // Invariant: the blocks are the groups in order, each once, in at most `count` runs of about equal parameters.
  it('partitions the groups in order into at most count blocks', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 12 }), (params, count) => {
        const groups = params.map((p, i) => ({ name: `g${i}`, params: p }));
        const blocks = sensitivityBlocks(groups, count);
        expect(blocks.flat()).toEqual(groups);
        expect(blocks.every((b) => b.length > 0)).toBe(true);
        expect(blocks.length).toBeLessThanOrEqual(Math.min(count, groups.length));
      }),
    );
    expect(sensitivityBlocks([{ params: 1 }, { params: 2 }])).toEqual([[{ params: 1 }], [{ params: 2 }]]);
  });

  it('one block: the groups are tied and their ΔD_o shares add up to the block measured whole', async () => {
    const m = mlpModel(128, 256, 64, 3);
    const feeds: Feed[] = [1, 2].map((s) => ({ x: { type: 'float32', data: randn(4 * 128, s), dims: [4, 128] } }));
    const dev = await EmulatedDevice.start({ fMaxHz: 1e9, fullSpeedShare: 0.5 });
    try {
      const { doc } = await measureOptions({ model: m.bytes, source: 'mlp', feeds, device: dev, deviceName: 'test', clocksHz: [1e9], runs: 3, server: false, formats: ['qdq-int8'], sensitivityBlocks: 1 });
      parseOptionsDocument(JSON.parse(JSON.stringify(doc)));
      expect(doc.ties.map((t) => [...t].sort())).toEqual([['W1', 'W2']]);
      const [a, b] = doc.groups.map((g) => g.options.find((o) => o.format === 'qdq-int8')!.deltaDo);
      expect(a).toBeGreaterThan(0);
      // Shared by parameters: 128×256 and 256×64.
      expect(a / b).toBeCloseTo((128 * 256) / (256 * 64), 9);
    } finally {
      await dev.close();
    }
  }, 60_000);
});
