/**
 * The segmentation task on the real ISNet builds (two forward passes of about 2 s each): the
 * registry picks the task for both, the fp16 network finds the drawn foreground of a synthetic
 * scene (IoU against the known mask; a wrong normalisation or channel order shows up here),
 * and the package's uint8 build agrees with it.
 */
import { describe, expect, it } from 'vitest';
import { isnetModels } from '../../src/io/isnet-model.ts';
import { createSession, modelSignature, runFeed } from '../../src/ort/session.ts';
import { taskFor } from '../../src/tasks/registry.ts';

describe('segmentation task on ISNet', () => {
  it('recognises both builds, segments a scene against its drawn foreground, and scores the uint8 build against fp16', async () => {
    const m = await isnetModels();
    const fp = await createSession(m.medium);
    const q = await createSession(m.small);
    try {
      const sig = modelSignature(fp);
      const task = taskFor(sig);
      expect(task.id).toBe('segmentation');
      expect(taskFor(modelSignature(q)).id).toBe('segmentation');
      const out = task.outputName!(sig);
      expect(out).toBe('output');
      const inputs = await task.makeInputs(sig, { count: 1, seed: 3 });
      expect(inputs.feeds[0].input.dims).toEqual([1, 3, 1024, 1024]);
      const ref = task.decode!((await runFeed(fp, inputs.feeds[0], [out]))[out]) as never[];
      const cand = task.decode!((await runFeed(q, inputs.feeds[0], [out]))[out]) as never[];
      const self = Object.fromEntries(task.score!(ref, ref, inputs.labels).map((x) => [x.name, x.value]));
      expect(self.iouVsFp).toBe(1);
      expect(self.maeVsFp).toBe(0);
      expect(self.iouVsTruth).toBeGreaterThan(0.9);
      const peer = Object.fromEntries(task.score!(ref, cand, inputs.labels).map((x) => [x.name, x.value]));
      expect(peer.iouVsFp).toBeGreaterThan(0.9);
      expect(peer.maeVsFp).toBeGreaterThan(0);
      expect(peer.maeVsFp).toBeLessThan(0.05);
    } finally {
      await fp.release();
      await q.release();
    }
  }, 300_000);
});
