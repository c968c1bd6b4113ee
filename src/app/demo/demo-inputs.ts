/**
 * `coquant demo --inputs`: the signs the robot reads, from the user's tensors instead of rendered
 * text lines. They are checked as every command checks inputs (src/tasks/checked-inputs.ts) against
 * the recognizer's input at the demo's fixed size, and labelled with the full-precision model's
 * own reading (tensor files carry no text), so "accuracy" is agreement with full precision.
 */
import type { InputSpec } from '../../data/random-inputs.ts';
import type { Feed, HostTensor } from '../../data/tensor.ts';
import { createSession, runFeed } from '../../ort/session.ts';
import { commandInputs } from '../../tasks/checked-inputs.ts';

export async function demoSigns(model: string, paths: readonly string[], width: number, decode: (outs: Record<string, HostTensor>) => string): Promise<{ feeds: Feed[]; labels: string[]; source: string }> {
  // The demo plans, splits and times at one input size: every sign must have it.
  const specs: InputSpec[] = [{ name: 'x', type: 'float32', shape: [1, 3, 48, width] }];
  const made = await commandInputs({ model, command: 'demo', specs, inputs: paths, make: async () => ({ feeds: [], source: '' }), seed: 0, comparesOutputs: false, hasDim: false });
  const session = await createSession(model, { label: model, intraOpThreads: 1 });
  try {
    const labels: string[] = [];
    for (const feed of made.feeds) labels.push(decode(await runFeed(session, feed)));
    return { feeds: made.feeds, labels, source: made.source };
  } finally {
    await session.release();
  }
}
