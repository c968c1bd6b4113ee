/**
 * Runs the agent sub-model in each executable format and bit-width (and at each clock level
 * when the DVFS adapter can set clocks) and times it with onnxruntime-node: warm-up, then
 * repetitions until the median's 95% CI half-width is below a target or a cap is hit.
 * Energy per inference comes from the power meter's counter over the repetitions.
 *
 * Note: `fake` quantization stores dequantized float32 weights and runs float kernels, so its
 * latency does not depend on the bit-width; only fp32, qdq-int8 and int4 (MatMulNBits) change
 * the kernels that run.
 */
import { CoquantError, UsageError } from '../errors.ts';
import { quantizeToFormat, NBITS_SUPPORTED_BITS } from '../formats/index.ts';
import type { DvfsAdapter, PowerMeter } from '../device/types.ts';
import { createSession, inputSpecs, releaseSession, runDiscard, type PreparedFeed, type Session } from '../ort/session.ts';
import type { Feed } from '../data/tensor.ts';
import { summarize, type LatencySummary } from './stats.ts';
import { guardClock } from './clock-guard.ts';
import type { DeviceRow } from '../plan/device-profile.ts';
import { CALIB_FORMATS, DEFAULT_FAKE_BITS, type CalibFormat } from './calib-formats.ts';

// Defined in calib-formats.ts (no onnxruntime there) so the CLI can list them at start-up.
export { CALIB_FORMATS, DEFAULT_FAKE_BITS, type CalibFormat };

/** The timed feed, converted once for the repetitions. */
export type OrtFeed = PreparedFeed;

export interface Variant {
  format: CalibFormat;
  bits: number;
  bytes: Uint8Array;
}

export interface RepetitionOptions {
  warmup?: number;
  minReps?: number;
  /** Upper limit on timed runs per row. */
  maxReps?: number;
  /** Time cap per row (seconds of timed runs). */
  maxSeconds?: number;
  /** Stop when the median's 95% CI half-width / median falls below this (default 0.02). */
  targetCiRel?: number;
  /** Called when a row stops (index into the sessions, its summary). */
  onRowDone?: (index: number, row: TimedRow) => void;
}

export interface TimedRow extends LatencySummary {
  stop: DeviceRow['stop'];
  joules: number | null;
}

/**
 * Times several sessions on one feed, interleaved: each round runs every row that is not yet
 * done once, so background load on a shared machine hits all rows alike instead of whichever
 * row happened to be measured during a busy spell. A row stops when its median is stable
 * (95% CI half-width below the target), after `maxReps`, or after `maxSeconds` of its own runs.
 * Energy is the sum of the meter's counter deltas around each of the row's runs.
 */
export async function timeInterleaved(sessions: readonly Session[], feed: OrtFeed, o: RepetitionOptions = {}, meter?: PowerMeter): Promise<TimedRow[]> {
  const warmup = o.warmup ?? 3;
  const minReps = Math.max(1, o.minReps ?? 10);
  const maxReps = Math.max(minReps, o.maxReps ?? 300);
  const capS = o.maxSeconds ?? 10;
  const target = o.targetCiRel ?? 0.02;
  for (const s of sessions) for (let i = 0; i < warmup; i++) await runDiscard(s, feed);
  const st = sessions.map(() => ({ samples: [] as number[], busyS: 0, joules: 0, stop: null as DeviceRow['stop'] | null }));
  const rowOf = (x: (typeof st)[number]): TimedRow => ({ ...summarize(x.samples), stop: x.stop ?? 'max-reps', joules: meter && x.joules > 0 ? x.joules / x.samples.length : null });
  for (;;) {
    const active = st.map((x, i) => (x.stop === null ? i : -1)).filter((i) => i >= 0);
    if (active.length === 0) break;
    for (const i of active) {
      const x = st[i]!;
      const e0 = meter?.sample().joules;
      const t = performance.now();
      await runDiscard(sessions[i]!, feed);
      const dt = (performance.now() - t) / 1000;
      const e1 = meter?.sample().joules;
      x.samples.push(dt);
      x.busyS += dt;
      if (e0 !== undefined && e1 !== undefined) x.joules += e1 - e0;
      const n = x.samples.length;
      if (n >= minReps && summarize(x.samples).ciHalfRel < target) x.stop = 'stable';
      else if (n >= maxReps) x.stop = 'max-reps';
      else if (n >= minReps && x.busyS >= capS) x.stop = 'time-cap';
      if (x.stop !== null) o.onRowDone?.(i, rowOf(x));
    }
  }
  return st.map(rowOf);
}

export interface BuildVariantsOptions {
  formats: readonly CalibFormat[];
  /** Bit-widths for fake (2..16) and int4 (those MatMulNBits supports); others are fixed. */
  bits?: readonly number[];
  /** qdq-int8 activation ranges. */
  calibration: Feed[];
  onNote?: (m: string) => void;
  onProgress?: (label: string) => void;
}

/** Writes every requested (format, bits) model in memory; inapplicable ones become notes. */
export async function buildVariants(modelBytes: Uint8Array, o: BuildVariantsOptions): Promise<Variant[]> {
  const note = o.onNote ?? (() => undefined);
  const out: Variant[] = [];
  const bits = o.bits ?? DEFAULT_FAKE_BITS;
  for (const f of o.formats) {
    if (!CALIB_FORMATS.includes(f)) throw new UsageError(`--formats: unknown format '${f}'`, `use some of ${CALIB_FORMATS.join(', ')}`);
  }
  if (o.formats.includes('fp32')) out.push({ format: 'fp32', bits: 32, bytes: modelBytes });
  if (o.formats.includes('fake')) {
    const fb = bits.filter((b) => b >= 2 && b <= 16);
    for (const b of fb) {
      o.onProgress?.(`writing fake ${b}-bit`);
      const r = await quantizeToFormat({ modelBytes, format: 'fake', bits: b, skipCensus: true });
      out.push({ format: 'fake', bits: b, bytes: r.bytes });
    }
  }
  if (o.formats.includes('qdq-int8')) {
    o.onProgress?.('writing qdq-int8');
    const r = await quantizeToFormat({ modelBytes, format: 'qdq-int8', calibration: o.calibration, skipCensus: true });
    if (Object.keys(r.report.quantizedNodes).length === 0) note('qdq-int8: no Conv/MatMul weight could be quantized; row skipped');
    else out.push({ format: 'qdq-int8', bits: 8, bytes: r.bytes });
  }
  if (o.formats.includes('int4')) {
    const nb = bits.filter((b) => NBITS_SUPPORTED_BITS.includes(b));
    if (nb.length === 0) note(`int4 (MatMulNBits) runs at ${NBITS_SUPPORTED_BITS.join('/')} bits only; none requested`);
    for (const b of nb) {
      o.onProgress?.(`writing int4 ${b}-bit`);
      const r = await quantizeToFormat({ modelBytes, format: 'int4', bits: b, skipCensus: true });
      if (r.report.covered.tensors === 0) {
        note('int4 (MatMulNBits) not applicable: the sub-model has no MatMul with a constant 2-D weight');
        break;
      }
      out.push({ format: 'int4', bits: b, bytes: r.bytes });
    }
  }
  if (out.length === 0) throw new UsageError('nothing to measure: no format applies to this model', 'try --formats fp32,qdq-int8');
  return out;
}

export interface VariantMeasureOptions extends RepetitionOptions {
  intraOpThreads?: number;
  dvfs?: DvfsAdapter;
  /** sysfs root the DVFS adapter reads (for an exact restore of cpufreq settings). */
  sysRoot?: string | null;
  /** Clock levels to sweep (Hz); default: up to `maxLevels` spread over the adapter's steps. */
  clocks?: readonly number[];
  maxLevels?: number;
  meter?: PowerMeter;
  onProgress?: (done: number, total: number, label: string) => void;
  onNote?: (m: string) => void;
}

/** Up to n levels spread evenly over the steps (always the lowest and highest). */
export function spreadLevels(steps: readonly number[], n: number): number[] {
  const s = [...new Set(steps)].sort((a, b) => a - b);
  if (s.length <= n) return s;
  const idx = new Set<number>();
  for (let k = 0; k < n; k++) idx.add(Math.round((k * (s.length - 1)) / (n - 1)));
  return [...idx].sort((a, b) => a - b).map((i) => s[i]!);
}

export interface MeasureResult {
  rows: DeviceRow[];
  /** The clock before the sweep and whether it was restored. */
  clock: { originalHz: number | null; restored: boolean; restoreErrors: string[] };
}

/** Measures every variant at every clock level. The original clock is restored even on error. */
export async function measureVariants(variants: readonly Variant[], feed: OrtFeed, o: VariantMeasureOptions = {}): Promise<MeasureResult> {
  let levels: Array<number | null> = [null];
  const guard = o.dvfs ? guardClock(o.dvfs, o.sysRoot ?? null) : null;
  if (o.dvfs) {
    const st = o.dvfs.read();
    const steps = o.clocks?.length ? [...o.clocks] : st.availableHz.length ? st.availableHz : [st.minHz, st.maxHz];
    levels = spreadLevels(steps, o.maxLevels ?? 4);
  }
  const rows: DeviceRow[] = [];
  const labelOf = (v: Variant) => (v.format === 'fp32' ? 'fp32' : `${v.format} ${v.bits}-bit`);
  let restoreErrors: string[] = [];
  const total = variants.length * levels.length;
  let done = 0;
  const sessions: Session[] = [];
  try {
    for (const v of variants) sessions.push(await createSession(v.bytes, { intraOpThreads: o.intraOpThreads, label: labelOf(v) }));
    for (const want of levels) {
      let hz: number | null = null;
      if (want !== null && o.dvfs) hz = o.dvfs.setFrequency(want);
      const at = hz ? ` @ ${(hz / 1e9).toFixed(2)} GHz` : '';
      const timed = await timeInterleaved(sessions, feed, { ...o, onRowDone: (i, t) => o.onProgress?.(++done, total, `${labelOf(variants[i]!)}${at}: ${(t.medianS * 1e3).toFixed(2)} ms (${t.reps} runs)`) }, o.meter);
      timed.forEach((t, i) => {
        const v = variants[i]!;
        rows.push({ format: v.format, bits: v.bits, hz, medianS: t.medianS, p10S: t.p10S, p90S: t.p90S, madS: t.madS, ciHalfRel: Number.isFinite(t.ciHalfRel) ? t.ciHalfRel : 1, joules: t.joules, reps: t.reps, stop: t.stop });
      });
    }
  } finally {
    await Promise.all(sessions.map((s) => releaseSession(s).catch(() => undefined)));
    if (guard) restoreErrors = guard.restore();
  }
  if (restoreErrors.length) o.onNote?.(`could not restore the original clock settings: ${restoreErrors[0]}`);
  return { rows, clock: { originalHz: guard?.originalHz ?? null, restored: guard !== null && restoreErrors.length === 0, restoreErrors } };
}

/** Input names and shapes of a model, read through an onnxruntime session. */
export async function modelInputSpecs(bytes: Uint8Array, label: string) {
  const s = await createSession(bytes, { label, intraOpThreads: 1 });
  try {
    return inputSpecs(s);
  } finally {
    await releaseSession(s);
  }
}

export { prepareFeed } from '../ort/session.ts';

export class CalibrateError extends CoquantError {
  constructor(code: string, message: string, hint?: string) {
    super(code, message, { hint });
  }
}
