/**
 * Sends each admitted request to a worker thread or runs it inline on the event loop, as the
 * placement policy says, and feeds every compute time back to it. A model starts on the
 * workers; once its median compute is below the threshold, its event-loop session is opened
 * in the background and the next request that finds nothing else computing runs inline.
 */
import { statSync } from 'node:fs';
import type { BufferLease } from '../protocol/buffer-pool.ts';
import { toOrtType } from '../protocol/datatypes.ts';
import type { InferTensor } from '../protocol/tensor-codec.ts';
import { ComputePlacement } from './compute-placement.ts';
import { InlineRunner } from './inline-runner.ts';
import type { LoadedModel } from './model-registry.ts';
import type { WorkerPool } from './worker-pool.ts';

/** The default `inlineBelowMs`: the worker hop measured 0.3–0.5 ms, so it dominates below about 1 ms. */
export const DEFAULT_INLINE_BELOW_MS = 1;

/** Models with files above this are never loaded a second time on the event-loop thread. */
const INLINE_MAX_MODEL_BYTES = 64 * 1024 * 1024;

export interface ComputeStats { inline: number; worker: number }

/** Numeric tensors in and out (the event-loop path carries no strings, sequences or maps) and a small file. */
function inlineEligible(m: LoadedModel): boolean {
  const numeric = [...m.inputs, ...m.outputs].every((t) => t.datatype !== undefined && t.datatype !== 'BYTES' && toOrtType(t.datatype) !== undefined);
  if (!numeric) return false;
  try {
    return statSync(m.path).size <= INLINE_MAX_MODEL_BYTES;
  } catch {
    return false;
  }
}

export class ComputeDispatch {
  private readonly placement: ComputePlacement;
  private readonly runner: InlineRunner;
  private computing = 0;
  private readonly counts: ComputeStats = { inline: 0, worker: 0 };

  /** `inlineBelowMs` 0 keeps every request on the workers; `onComputed` sees where each one ran. */
  constructor(
    private readonly pool: WorkerPool, models: readonly LoadedModel[], inlineBelowMs: number, intraOpThreads: number,
    private readonly onComputed?: (model: string, place: keyof ComputeStats) => void,
  ) {
    this.placement = new ComputePlacement({ thresholdMs: inlineBelowMs });
    this.runner = new InlineRunner(models.map((m) => ({ name: m.name, path: m.path })), intraOpThreads);
    if (inlineBelowMs > 0) for (const m of models) this.placement.setEligible(m.name, inlineEligible(m));
  }

  stats(): ComputeStats {
    return { ...this.counts };
  }

  /**
   * Whether a request for `model` arriving now would run inline: the server then reads its
   * body into ordinary memory, which saves copying it out of shared memory for onnxruntime.
   * A guess only (`run` decides again), so a wrong one costs a copy, never a wrong answer.
   */
  likelyInline(model: string): boolean {
    return this.runner.isOpen(model) && this.placement.inline(model, this.computing);
  }

  /** Same contract as WorkerPool.run (transfer and lease apply to the worker path only). */
  async run(
    model: string, inputs: InferTensor[], fetches: string[], transfer: readonly ArrayBuffer[] = [], lease?: BufferLease,
  ): Promise<{ outputs: InferTensor[]; computeMs: number }> {
    const inline = this.likelyInline(model); // asked again: other requests may have started since the body was read
    this.computing++;
    try {
      const r = inline ? await this.runner.run(model, inputs, fetches) : await this.pool.run(model, inputs, fetches, transfer, lease);
      const place = inline ? 'inline' : 'worker';
      this.counts[place]++;
      this.onComputed?.(model, place);
      this.placement.record(model, r.computeMs);
      if (!inline && !this.runner.isOpen(model) && this.placement.fast(model)) {
        this.runner.open(model).catch(() => this.placement.setEligible(model, false));
      }
      return r;
    } finally {
      this.computing--;
    }
  }

  close(): Promise<void> {
    return this.runner.close();
  }
}
