/**
 * Bounded concurrency with a bounded FIFO queue and per-job deadlines. A job whose deadline
 * passes while it waits is removed from the queue and never runs (a timed-out request must not
 * execute later). A job that is already running cannot be interrupted (onnxruntime runs to the
 * end), so its caller gets the timeout at the deadline while the slot stays busy until it ends.
 */
import { unavailable } from '../protocol/protocol-error.ts';

interface Waiter {
  start: () => void;
  timer?: NodeJS.Timeout;
}

export interface JobTimes {
  queueMs: number;
  computeMs: number;
}

export class ConcurrencyLimiter {
  private active = 0;
  private readonly queue: Waiter[] = [];

  constructor(readonly concurrency: number, readonly maxQueue: number) {}

  get running(): number { return this.active; }
  get waiting(): number { return this.queue.length; }

  /** Runs `fn` when a slot is free; rejects with 503 when the queue is full or the deadline passes. */
  run<T>(fn: () => Promise<T>, deadlineMs: number, onTimes?: (t: JobTimes) => void): Promise<T> {
    const enq = performance.now();
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const timeout = () => {
        if (settled) return;
        settled = true;
        reject(unavailable(`request timed out after ${Math.round(performance.now() - enq)} ms (deadline ${Math.round(deadlineMs)} ms)`, 'timeout'));
      };
      const start = () => {
        this.active++;
        const began = performance.now();
        const left = deadlineMs - (began - enq);
        const timer = Number.isFinite(left) ? setTimeout(timeout, Math.max(0, left)) : undefined;
        fn().then(
          (v) => { if (!settled) { settled = true; resolve(v); } },
          (e) => { if (!settled) { settled = true; reject(e); } },
        ).finally(() => {
          if (timer) clearTimeout(timer);
          onTimes?.({ queueMs: began - enq, computeMs: performance.now() - began });
          this.active--;
          this.next();
        });
      };
      if (this.active < this.concurrency) return start();
      if (this.queue.length >= this.maxQueue) {
        settled = true;
        reject(unavailable(`server busy: ${this.active} requests running and ${this.queue.length} queued (limits --concurrency ${this.concurrency}, --queue ${this.maxQueue})`, 'queue_full'));
        return;
      }
      const w: Waiter = { start };
      if (Number.isFinite(deadlineMs)) {
        w.timer = setTimeout(() => {
          const i = this.queue.indexOf(w);
          if (i >= 0) this.queue.splice(i, 1);
          timeout();
        }, Math.max(0, deadlineMs));
      }
      this.queue.push(w);
    });
  }

  private next(): void {
    while (this.active < this.concurrency && this.queue.length) {
      const w = this.queue.shift()!;
      if (w.timer) clearTimeout(w.timer);
      w.start();
    }
  }
}
