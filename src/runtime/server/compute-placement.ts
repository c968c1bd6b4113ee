/**
 * Where the server computes a request: on a worker thread, or inline on its event-loop thread.
 * Workers keep the event loop free and compute N requests at once; inline saves the hop to a
 * worker and back, which for a sub-millisecond model costs more than the model. So a request
 * runs inline only when
 *  - the model is eligible (numeric tensors in and out, a model file small enough to load twice),
 *  - the median of its last `window` compute times is below `thresholdMs`, and
 *  - nothing else is computing: under load the workers' parallelism wins, and one request on the
 *    event loop must not hold up others.
 * Pure bookkeeping, so the rule is tested without a server.
 */

export interface PlacementOptions {
  /** Inline below this median compute time, in ms; 0 turns inline computing off. */
  thresholdMs: number;
  /** Compute times the median is taken over (default 8). */
  window?: number;
}

function medianOf(t: readonly number[]): number {
  const s = [...t].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export class ComputePlacement {
  private readonly times = new Map<string, number[]>();
  /** The median of each full window, updated when a time is recorded: asked on every request, changed by one. */
  private readonly medians = new Map<string, number>();
  private readonly eligible = new Set<string>();
  private readonly window: number;

  constructor(private readonly opts: PlacementOptions) {
    this.window = opts.window ?? 8;
  }

  /** Allows (or forbids, for good: a session that failed to open) inline runs of `model`. */
  setEligible(model: string, yes: boolean): void {
    if (yes) this.eligible.add(model);
    else this.eligible.delete(model);
  }

  /** Records one compute time of `model`, wherever it ran. */
  record(model: string, ms: number): void {
    let t = this.times.get(model);
    if (!t) this.times.set(model, (t = []));
    t.push(ms);
    if (t.length > this.window) t.shift();
    if (t.length === this.window) this.medians.set(model, medianOf(t));
  }

  /** Median of the last `window` compute times; undefined until there are that many. */
  median(model: string): number | undefined {
    return this.medians.get(model);
  }

  /** Whether the model's times say inline (ignoring the current load): the session is worth opening. */
  fast(model: string): boolean {
    if (!(this.opts.thresholdMs > 0) || !this.eligible.has(model)) return false;
    const m = this.median(model);
    return m !== undefined && m < this.opts.thresholdMs;
  }

  /** Inline for this request? `computing` counts the requests computing now, wherever. */
  inline(model: string, computing: number): boolean {
    return computing === 0 && this.fast(model);
  }
}
