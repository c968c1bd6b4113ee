/**
 * Activation ranges for static quantization, measured on real inputs: the model is augmented so
 * the wanted intermediate tensors become graph outputs, run on every calibration feed, and the
 * range of each tensor is accumulated. Large models are probed in several passes, each exposing
 * only as many tensors as fit a memory budget, so detection-size feature maps stay bounded.
 */
import type { RangeMethod } from '../documents/format-report-document.ts';
import { FormatError } from './errors.ts';
import { createSession, runFeed } from '../ort/session.ts';
import type { Feed, HostTensor } from '../data/tensor.ts';
import { ortLoadable } from '../io/external-data.ts';
import { DT, cloneModel, onnx, type GraphProto, type ModelProto } from './onnx-graph.ts';

/** `minmax`: the observed extremes. `percentile`: per-feed quantiles (e.g. 0.01 % / 99.99 %) averaged over feeds. */
export type { RangeMethod };

export interface TensorRange {
  min: number;
  max: number;
  /** Rank seen at run time (shapes may be dynamic; the rank is not). */
  rank: number;
}

export interface CalibrationOptions {
  method?: RangeMethod;
  /** Upper percentile for `percentile` (lower is 100 − p). Default 99.99. */
  percentile?: number;
  /** Approximate bytes of exposed outputs per pass. Default 512 MiB. */
  passBudgetBytes?: number;
  intraOpThreads?: number;
}

/** Element type of every value, by simple forward propagation (enough to know which values are float). */
export function inferElemTypes(graph: GraphProto): Map<string, number> {
  const t = new Map<string, number>();
  for (const v of graph.input ?? []) t.set(v.name ?? '', Number(v.type?.tensorType?.elemType ?? 0));
  for (const i of graph.initializer ?? []) t.set(i.name ?? '', Number(i.dataType ?? 0));
  const INT64_OUT = new Set(['Shape', 'Size', 'NonZero', 'ArgMax', 'ArgMin']);
  const BOOL_OUT = new Set(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'Not', 'And', 'Or', 'Xor', 'IsNaN', 'IsInf']);
  for (const n of graph.node ?? []) {
    const op = n.opType ?? '';
    let ty = t.get(n.input?.[0] ?? '') ?? 0;
    if (INT64_OUT.has(op)) ty = DT.INT64;
    else if (BOOL_OUT.has(op)) ty = DT.BOOL;
    else if (op === 'Cast') ty = Number((n.attribute ?? []).find((a) => a.name === 'to')?.i ?? 0);
    else if (op === 'DequantizeLinear' || op === 'MatMulNBits' || op === 'MatMulIntegerToFloat') ty = DT.FLOAT;
    else if (op === 'QuantizeLinear') ty = t.get(n.input?.[2] ?? '') ?? DT.UINT8;
    else if (op === 'Constant') ty = Number((n.attribute ?? []).find((a) => a.name === 'value')?.t?.dataType ?? 0);
    else if (op === 'ConstantOfShape') ty = Number((n.attribute ?? []).find((a) => a.name === 'value')?.t?.dataType ?? DT.FLOAT);
    else if (op === 'Where') ty = t.get(n.input?.[1] ?? '') ?? 0;
    for (const o of n.output ?? []) t.set(o, ty);
  }
  return t;
}

/** A copy of `m` whose graph also outputs `names` (declared float). */
export function exposeTensors(m: ModelProto, names: readonly string[]): ModelProto {
  const c = cloneModel(m);
  const g = c.graph!;
  const have = new Set((g.output ?? []).map((o) => o.name));
  for (const name of names) {
    if (have.has(name)) continue;
    g.output!.push(onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: DT.FLOAT } } }));
  }
  return c;
}

function quantile(sorted: Float32Array, q: number): number {
  if (sorted.length === 0) return 0;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Up to 1<<16 evenly strided values, sorted: a percentile estimate that stays cheap on big maps. */
function sortedSample(data: Float32Array): Float32Array {
  const cap = 1 << 16;
  const stride = Math.max(1, Math.floor(data.length / cap));
  const s = new Float32Array(Math.ceil(data.length / stride));
  for (let i = 0, j = 0; i < data.length; i += stride, j++) s[j] = data[i];
  return s.sort();
}

/**
 * Ranges of `names` over all `feeds`. Every feed must give a value for each model input.
 * Throws when a tensor never holds a finite value (nothing to calibrate on).
 */
export async function calibrateRanges(
  m: ModelProto,
  names: readonly string[],
  feeds: readonly Feed[],
  opts: CalibrationOptions = {},
): Promise<Map<string, TensorRange>> {
  if (feeds.length === 0) throw new FormatError('E_NO_CALIBRATION', 'static quantization needs at least one calibration input', 'pass real inputs (e.g. rendered text lines) as calibration data');
  const method = opts.method ?? 'minmax';
  const p = (opts.percentile ?? 99.99) / 100;
  const budget = opts.passBudgetBytes ?? 512 * 2 ** 20;
  const acc = new Map<string, { min: number; max: number; sumLo: number; sumHi: number; n: number; rank: number }>();
  let remaining = [...new Set(names)];
  let chunk = Math.min(remaining.length, 64);
  while (remaining.length > 0) {
    const part = remaining.slice(0, chunk);
    remaining = remaining.slice(chunk);
    // External data (absolute locations in memory) is handed to onnxruntime with its folder.
    const loadable = ortLoadable(exposeTensors(m, part));
    const session = await createSession(loadable.bytes, { optimization: 'disabled', intraOpThreads: opts.intraOpThreads ?? 0, externalDataDir: loadable.dir, label: 'the model with calibration outputs' });
    let passBytes = 0;
    try {
      for (const feed of feeds) {
        let res: Record<string, HostTensor>;
        try {
          res = await runFeed(session, feed, part);
        } catch (e) {
          throw new FormatError('E_CALIBRATION_RUN', `calibration run failed: ${e instanceof Error ? e.message : String(e)}`, 'check that the calibration inputs match the model inputs');
        }
        for (const name of part) {
          const v = res[name]!;
          const data = v.data as Float32Array;
          passBytes = Math.max(passBytes, 0) + data.byteLength / feeds.length;
          let lo = Infinity;
          let hi = -Infinity;
          for (let i = 0; i < data.length; i++) {
            const x = data[i];
            if (x < lo) lo = x;
            if (x > hi) hi = x;
          }
          let qlo = lo;
          let qhi = hi;
          if (method === 'percentile' && data.length > 0) {
            const s = sortedSample(data);
            qlo = quantile(s, 1 - p);
            qhi = quantile(s, p);
          }
          const a = acc.get(name);
          if (!a) acc.set(name, { min: lo, max: hi, sumLo: qlo, sumHi: qhi, n: 1, rank: v.dims.length });
          else {
            a.min = Math.min(a.min, lo);
            a.max = Math.max(a.max, hi);
            a.sumLo += qlo;
            a.sumHi += qhi;
            a.n++;
          }
        }
      }
    } finally {
      await session.release();
    }
    // Size the next pass from what this one used per exposed tensor.
    const perTensor = passBytes / Math.max(1, part.length);
    chunk = Math.max(1, Math.min(256, Math.floor(budget / Math.max(1, perTensor))));
  }
  const out = new Map<string, TensorRange>();
  for (const [name, a] of acc) {
    if (!Number.isFinite(a.min) || !Number.isFinite(a.max)) {
      throw new FormatError('E_CALIBRATION_RANGE', `tensor '${name}' held no finite values during calibration (range ${a.min}..${a.max})`);
    }
    const r = method === 'percentile' ? { min: a.sumLo / a.n, max: a.sumHi / a.n } : { min: a.min, max: a.max };
    out.set(name, { ...r, rank: a.rank });
  }
  return out;
}
