/**
 * A housekeeping collection when the server goes idle. The server lets V8's old generation grow
 * to several times its live size between mark-compacts (`applyGcHeapGrowth`, 400 % by default) so
 * that the dead buffers of megabyte requests do not set off a collection every few requests. The
 * price is garbage kept while requests keep coming: after a million fuzz requests the server's RSS
 * stood 22 % above its value after warm-up, and V8 did not give the memory back by itself when
 * the traffic stopped. Once no request has arrived for `idleMs`, this runs two full collections
 * under V8's own growth rule, then puts the server's rule back: the garbage goes, and so do the
 * pages it held (measured: RSS back below its warm-up value; docs/bench/serve.md).
 * A request that arrives during the collection waits for it (about 40 ms on a 60 MB heap).
 */
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

/** How long the server waits without a request before it collects (ServerOptions.idleGcMs). */
export const DEFAULT_IDLE_GC_MS = 2000;

/** V8's `gc()`, reachable once --expose-gc is set (a new context then gets it as a global). */
function exposedGc(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

export class IdleCollector {
  private readonly gc = exposedGc();
  private lastActivity = 0;
  private pending = false;
  private readonly timer: NodeJS.Timeout;
  /** Collections run so far (for tests and the metrics). */
  collections = 0;

  /** `growthPercent`: the server's heap growth, restored after each collection. */
  constructor(private readonly idleMs: number, private readonly growthPercent: number) {
    this.timer = setInterval(() => this.check(), Math.max(50, Math.floor(idleMs / 2)));
    this.timer.unref();
  }

  /** A request arrived: the next idle period ends with a collection. */
  touch(): void {
    this.lastActivity = performance.now();
    this.pending = true;
  }

  private check(): void {
    if (!this.pending || performance.now() - this.lastActivity < this.idleMs) return;
    this.pending = false;
    v8.setFlagsFromString('--heap-growing-percent=0');
    try {
      // The second pass frees what the first one's finalizers released (buffer backing stores).
      this.gc();
      this.gc();
    } finally {
      v8.setFlagsFromString(`--heap-growing-percent=${this.growthPercent}`);
    }
    this.collections++;
  }

  close(): void {
    clearInterval(this.timer);
  }
}
