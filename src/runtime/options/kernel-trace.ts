/**
 * Per-node time from onnxruntime's own profiler. The trace (Chrome trace format, written when
 * `enableProfiling` is on) holds one `Node` event per kernel per run, named after the node of
 * the *executed* graph (after fusions and layout changes) with `_kernel_time` appended, and one
 * `Session` event `model_run` per run. We attribute every kernel to a node of the canonical
 * graph we wrote ("origin"), so a group's cost is the time of its own kernel plus the format
 * boundary kernels around it (Quantize/Dequantize, layout reorders), and every other kernel is
 * the weightless node it came from.
 */

export interface KernelEvent {
  /** Executed node name (without `_kernel_time`). */
  name: string;
  op: string;
  /** µs */
  dur: number;
}

export interface TraceRuns {
  /** Kernel events of each run, in execution order. */
  runs: KernelEvent[][];
  /** `model_run` duration of each run, µs. */
  runUs: number[];
}

interface RawEvent {
  cat?: string;
  name?: string;
  ts?: number;
  dur?: number;
  args?: { op_name?: string };
}

/** Splits a trace into runs (kernels inside each `model_run` window). */
export function parseTrace(events: readonly unknown[]): TraceRuns {
  const raw = events as RawEvent[];
  const windows = raw.filter((e) => e.cat === 'Session' && e.name === 'model_run').map((e) => [e.ts ?? 0, (e.ts ?? 0) + (e.dur ?? 0)] as const);
  const runs: KernelEvent[][] = windows.map(() => []);
  const kernels = raw.filter((e) => e.cat === 'Node' && typeof e.name === 'string' && e.name.endsWith('_kernel_time')).sort((a, b) => (a.ts ?? 0) - (b.ts ?? 0));
  let w = 0;
  for (const k of kernels) {
    const ts = k.ts ?? 0;
    while (w < windows.length && ts > windows[w][1]) w++;
    if (w >= windows.length) break;
    if (ts < windows[w][0]) continue;
    runs[w].push({ name: k.name!.slice(0, -'_kernel_time'.length), op: k.args?.op_name ?? '', dur: k.dur ?? 0 });
  }
  return { runs, runUs: windows.map(([a, b]) => b - a) };
}

/** Kernels that carry a group's weights in some format. */
const ANCHOR_OPS = new Set([
  'Conv', 'FusedConv', 'NhwcConv', 'NhwcFusedConv', 'QLinearConv', 'MatMul', 'FusedMatMul', 'Gemm', 'FusedGemm', 'QGemm',
  'MatMulInteger', 'MatMulIntegerToFloat', 'QLinearMatMul', 'MatMulNBits', 'DynamicQuantizeMatMul',
]);
/** Format-boundary kernels: they exist because of the neighbouring group's format. */
const BEFORE_ANCHOR = new Set(['QuantizeLinear', 'ReorderInput', 'DynamicQuantizeLinear']);
const AFTER_ANCHOR = new Set(['DequantizeLinear', 'ReorderOutput']);

export interface GraphNames {
  /** Node names of the canonical graph. */
  nodes: ReadonlySet<string>;
  /** Tensor name → producing node, in the canonical graph. */
  producer: ReadonlyMap<string, string>;
}

/** The canonical node an executed kernel came from, by name, or null. */
export function originByName(full: string, g: GraphNames): string | null {
  // Activation fusion prefixes the node it absorbed into: "fused mm1/MatMulAddFusion".
  const name = full.startsWith('fused ') ? full.slice('fused '.length) : full;
  if (g.nodes.has(name)) return name;
  // Fused or rewritten nodes keep the original name as a prefix: "p2o.Conv.3_token_13", "p2o.MatMul.24/MatmulTransposeFusion/".
  let best: string | null = null;
  for (let i = name.length - 1; i > 0; i--) {
    const c = name[i];
    if (c !== '_' && c !== '/') continue;
    const p = name.slice(0, i);
    if (g.nodes.has(p)) {
      best = p;
      break;
    }
  }
  if (best) return best;
  // NCHWc kernels are named after the tensor they produce: "conv2d_186.tmp_0_nchwc".
  const t = name.endsWith('_nchwc') ? name.slice(0, -'_nchwc'.length) : name;
  return g.producer.get(t) ?? null;
}

/**
 * Mean µs per run for each canonical node (boundary kernels go to the adjacent weight-carrying
 * kernel; kernels with no recognisable origin go to the previous kernel's origin), plus the
 * per-run time not inside any kernel (session overhead).
 */
export function attributeTrace(t: TraceRuns, g: GraphNames): { byOrigin: Map<string, number>; unattributedUs: number; kernelUs: number; runUs: number } {
  const sum = new Map<string, number>();
  const add = (k: string, v: number) => sum.set(k, (sum.get(k) ?? 0) + v);
  let unattributed = 0;
  let kernels = 0;
  for (const run of t.runs) {
    const origin: (string | null)[] = run.map((e) => (BEFORE_ANCHOR.has(e.op) || AFTER_ANCHOR.has(e.op) ? null : originByName(e.name, g)));
    const isAnchor = run.map((e, i) => ANCHOR_OPS.has(e.op) && origin[i] !== null);
    for (let i = 0; i < run.length; i++) {
      const e = run[i];
      kernels += e.dur;
      let o = origin[i];
      if (o === null && BEFORE_ANCHOR.has(e.op)) {
        for (let j = i + 1; j < run.length && o === null; j++) if (isAnchor[j]) o = origin[j];
      } else if (o === null && AFTER_ANCHOR.has(e.op)) {
        for (let j = i - 1; j >= 0 && o === null; j--) if (isAnchor[j]) o = origin[j];
      }
      if (o === null && e.op === 'Transpose') for (let j = i + 1; j < run.length && o === null; j++) if (isAnchor[j]) o = origin[j];
      if (o === null) for (let j = i - 1; j >= 0 && o === null; j--) o = origin[j];
      if (o === null) {
        unattributed += e.dur;
        continue;
      }
      origin[i] = o;
      add(o, e.dur);
    }
  }
  const n = Math.max(1, t.runs.length);
  const byOrigin = new Map([...sum].map(([k, v]) => [k, v / n]));
  const runUs = t.runUs.reduce((a, b) => a + b, 0) / n;
  return { byOrigin, unattributedUs: unattributed / n, kernelUs: kernels / n, runUs };
}
