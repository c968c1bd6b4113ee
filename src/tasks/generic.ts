/**
 * The task every model has: seeded random inputs shaped by its declared inputs (dynamic sizes
 * from `--dim`), and no decoding, so quality is output distortion alone.
 */
import { randomInputs } from '../data/random-inputs.ts';
import type { Task } from './task.ts';

export const genericTask: Task = {
  id: 'generic',
  description: 'any model: seeded random inputs, output distortion only',
  matches: () => true,
  async makeInputs(m, opts) {
    return {
      feeds: randomInputs(m.inputs, { count: opts.count, seed: opts.seed, dims: opts.dims ?? new Map() }),
      source: `random:${opts.count} (seed ${opts.seed}, standard normal)`,
      seed: opts.seed,
    };
  },
};
