/**
 * Maximum s-t flow and the minimum cut it certifies (Dinic's algorithm: BFS levels, then
 * blocking flows by DFS along level-increasing residual arcs). Capacities are non-negative
 * numbers and may be `Infinity` for arcs a cut must never take; byte counts up to 2^53 stay
 * exact because every augmentation adds and subtracts integers when the capacities are integers.
 *
 * After `maxFlow`, `sourceSide()` is the set of vertices reachable from s in the residual
 * network: the unique minimum cut whose source side is smallest (max-flow/min-cut theorem).
 * Pure math: no I/O, no ONNX.
 */
export class FlowNetwork {
  private readonly head: number[];
  private to: number[] = [];
  private cap: number[] = [];
  private next: number[] = [];
  private level: Int32Array;
  private iter: Int32Array;
  private flowDone = false;

  constructor(readonly size: number) {
    this.head = new Array<number>(size).fill(-1);
    this.level = new Int32Array(size);
    this.iter = new Int32Array(size);
  }

  /** Adds the arc u → v with capacity `cap` (and its residual twin v → u with capacity 0). */
  addArc(u: number, v: number, cap: number): void {
    if (!(cap >= 0)) throw new RangeError(`arc capacity must be ≥ 0, got ${cap}`);
    if (u < 0 || v < 0 || u >= this.size || v >= this.size) throw new RangeError(`arc ${u} → ${v} outside 0..${this.size - 1}`);
    this.push(u, v, cap);
    this.push(v, u, 0);
  }

  private push(u: number, v: number, cap: number): void {
    this.to.push(v);
    this.cap.push(cap);
    this.next.push(this.head[u]);
    this.head[u] = this.to.length - 1;
  }

  private bfs(s: number, t: number): boolean {
    this.level.fill(-1);
    const queue = [s];
    this.level[s] = 0;
    for (let q = 0; q < queue.length; q++) {
      const u = queue[q];
      for (let e = this.head[u]; e >= 0; e = this.next[e]) {
        const v = this.to[e];
        if (this.cap[e] > 0 && this.level[v] < 0) {
          this.level[v] = this.level[u] + 1;
          queue.push(v);
        }
      }
    }
    return this.level[t] >= 0;
  }

  /** Iterative DFS for one augmenting path in the level graph; returns the amount pushed. */
  private augment(s: number, t: number): number {
    const path: number[] = [];
    let u = s;
    for (;;) {
      if (u === t) {
        let f = Infinity;
        for (const e of path) f = Math.min(f, this.cap[e]);
        for (const e of path) {
          this.cap[e] -= f;
          this.cap[e ^ 1] += f;
        }
        return f;
      }
      let e = this.iter[u];
      while (e >= 0 && !(this.cap[e] > 0 && this.level[this.to[e]] === this.level[u] + 1)) e = this.next[e];
      this.iter[u] = e;
      if (e >= 0) {
        path.push(e);
        u = this.to[e];
      } else {
        // Dead end: no arc from u leads on; prune u from the level graph and back up.
        this.level[u] = -1;
        if (path.length === 0) return 0;
        const back = path.pop()!;
        u = this.to[back ^ 1];
        this.iter[u] = this.next[this.iter[u]];
      }
    }
  }

  /** The maximum flow value from s to t; `Infinity` when only infinite arcs separate them. */
  maxFlow(s: number, t: number): number {
    if (this.flowDone) throw new Error('maxFlow runs once per network');
    this.flowDone = true;
    let total = 0;
    while (this.bfs(s, t)) {
      for (let i = 0; i < this.size; i++) this.iter[i] = this.head[i];
      for (;;) {
        const f = this.augment(s, t);
        if (f === 0) break;
        if (f === Infinity) return Infinity;
        total += f;
      }
    }
    this.source = s;
    return total;
  }

  private source = -1;

  /** Membership (1 = source side) of the minimum cut with the smallest source side. */
  sourceSide(): Uint8Array {
    if (this.source < 0) throw new Error('call maxFlow first');
    const seen = new Uint8Array(this.size);
    const stack = [this.source];
    seen[this.source] = 1;
    while (stack.length) {
      const u = stack.pop()!;
      for (let e = this.head[u]; e >= 0; e = this.next[e]) {
        const v = this.to[e];
        if (this.cap[e] > 0 && !seen[v]) {
          seen[v] = 1;
          stack.push(v);
        }
      }
    }
    return seen;
  }
}
