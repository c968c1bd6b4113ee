/**
 * `coquant calibrate` end to end: pick the sub-model (a model, or the head of a split), make its
 * inputs (rendered text lines for PP-OCR recognition inputs, seeded random tensors otherwise),
 * write each format, measure, fit the SPEC §5 model and assemble the `coquant.device/1` profile.
 * Missing clock control or power meter are recorded as notes, never as failures.
 */
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { UsageError } from '../errors.ts';
import { bundledModels } from '../io/bundled-models.ts';
import { openOnnx } from '../io/onnx-weights.ts';
import { selectWeights } from '../io/open-weights.ts';
import type { InputSpec } from '../data/random-inputs.ts';
import { commandInputs } from '../tasks/checked-inputs.ts';
import { taskFor } from '../tasks/registry.ts';
import type { Feed } from '../data/tensor.ts';
import { detectDevice } from '../device/detect.ts';
import type { DvfsAdapter, PowerMeter } from '../device/types.ts';
import { analyzeSplit, sampleDims, splitAt } from '../runtime/split/split-model.ts';
import { encodeModel } from '../graph/extract.ts';
import { parseDeviceProfile, type DeviceProfile, type DeviceRow } from '../plan/device-profile.ts';
import { fitDeviceModel, type FitPoint } from '../calibrate/fit.ts';
import { buildVariants, measureVariants, modelInputSpecs, prepareFeed, type CalibFormat, type OrtFeed, type RepetitionOptions } from '../calibrate/measure.ts';

export interface CalibrateOptions extends RepetitionOptions {
  /** Default: the bundled PP-OCRv4 recognition model. */
  modelPath?: string;
  headAt?: string;
  formats?: readonly CalibFormat[];
  bits?: readonly number[];
  /** Dynamic input dims (`name=value` already parsed) for non-OCR models. */
  dims?: ReadonlyMap<string, number>;
  /** `--inputs` files (src/data/input-files.ts) instead of the task's inputs. */
  inputs?: readonly string[];
  /** Text lines for qdq-int8 activation ranges (default 8). */
  calibrationLines?: number;
  intraOpThreads?: number;
  /** sysfs root for clock control and power meters ('/sys'); null = do not look. */
  sysRoot?: string | null;
  /** Explicit adapters (tests); override detection. */
  dvfs?: DvfsAdapter;
  meter?: PowerMeter;
  clocks?: readonly number[];
  maxLevels?: number;
  name?: string;
  seed?: number;
  onProgress?: (done: number, total: number, label: string) => void;
  onNote?: (m: string) => void;
}

export const DEFAULT_FORMATS: readonly CalibFormat[] = ['fp32', 'fake', 'qdq-int8', 'int4'];

function cpuInfo(): { model: string; mhz: number | null } {
  let model = os.cpus()[0]?.model ?? 'unknown CPU';
  let mhz: number | null = null;
  try {
    const t = readFileSync('/proc/cpuinfo', 'utf8');
    const m = /^model name\s*:\s*(.+)$/m.exec(t);
    if (m) model = m[1]!.trim();
    const speeds = [...t.matchAll(/^cpu MHz\s*:\s*([\d.]+)$/gm)].map((x) => Number(x[1])).filter((v) => v > 0);
    if (speeds.length) mhz = speeds.reduce((a, b) => a + b, 0) / speeds.length;
  } catch {
    // not Linux: fall back to os.cpus()
  }
  if (mhz === null) {
    const s = os.cpus().map((c) => c.speed).filter((v) => v > 0);
    if (s.length) mhz = s.reduce((a, b) => a + b, 0) / s.length;
  }
  return { model, mhz };
}

/** Feeds for timing (one) and for qdq-int8 calibration (several), from the model's task, all of one shape. */
async function makeInputs(specs: readonly InputSpec[], o: CalibrateOptions): Promise<{ timing: Feed; calibration: Feed[]; describe: string }> {
  const n = Math.max(1, o.calibrationLines ?? 8);
  const signature = { inputs: specs, outputs: [] };
  const task = taskFor(signature);
  // Random inputs need one concrete size per dynamic dimension for every feed.
  const dims = task.id === 'generic' ? sampleDims(specs, o.dims ?? new Map()) : o.dims;
  const seed = o.seed ?? 7;
  // Checked like every command's inputs: declared types, valid index/shape inputs, one run of the original model.
  const made = await commandInputs({ model: o.modelPath ?? bundledModels().rec, command: 'calibrate', specs, inputs: o.inputs, make: () => task.makeInputs(signature, { count: n, seed, dims, uniformShape: true }), seed, comparesOutputs: false, hasDim: true });
  const shape = Object.entries(made.feeds[0]!).map(([k, t]) => `${k}[${t.dims.join(',')}]`).join(', ');
  return { timing: made.feeds[0]!, calibration: made.feeds, describe: `${made.source}, ${shape}` };
}

export interface CalibrationRun {
  profile: DeviceProfile;
  notes: string[];
}

export async function runCalibration(o: CalibrateOptions = {}): Promise<CalibrationRun> {
  const notes: string[] = [];
  const note = (m: string) => {
    notes.push(m);
    o.onNote?.(m);
  };
  const path = o.modelPath ?? bundledModels().rec;
  let full: Uint8Array;
  try {
    full = await readFile(path);
  } catch {
    throw new UsageError(`${path}: no such model file`);
  }
  const specs = await modelInputSpecs(full, path);
  const inputs = await makeInputs(specs, o);
  let bytes = full;
  let params: number;
  if (o.headAt) {
    const dims = new Map<string, number>();
    for (const [k, t] of Object.entries(inputs.timing)) t.dims.forEach((d, i) => dims.set(`${k}:${i}`, d));
    const analysis = await analyzeSplit(path, dims);
    const sp = splitAt(analysis, o.headAt);
    bytes = encodeModel(sp.head);
    params = sp.candidate.agentParams;
  } else {
    const src = await openOnnx(path);
    params = selectWeights(src.tensors).reduce((s, t) => s + t.size, 0);
    await src.close();
  }
  if (!(params > 0)) throw new UsageError(`${o.headAt ? `the head at '${o.headAt}'` : path} holds no weights: nothing to calibrate`, 'choose a later cut with --head-at');

  // Device: what can be controlled and metered here.
  let dvfs = o.dvfs;
  let meter = o.meter;
  const sysRoot = o.sysRoot === undefined ? '/sys' : o.sysRoot;
  if (sysRoot !== null && (!dvfs || !meter)) {
    const d = detectDevice(sysRoot);
    dvfs ??= d.dvfs;
    meter ??= d.power;
    for (const n of d.notes) note(n);
  }
  if (dvfs) {
    try {
      dvfs.read();
    } catch (e) {
      note(`clock control unusable (${(e as Error).message}); measuring at the current clock`);
      dvfs = undefined;
    }
  }
  if (!dvfs) note('no clock control: latency measured at the current clock only (no T(b, f) sweep over f)');
  if (!meter) note('no power meter: energy not measured, kappa not fitted');
  const cpu = cpuInfo();
  const nominalHz = dvfs ? dvfs.read().currentHz : cpu.mhz ? cpu.mhz * 1e6 : null;

  const formats = o.formats ?? DEFAULT_FORMATS;
  const variants = await buildVariants(bytes, {
    formats,
    bits: o.bits,
    calibration: inputs.calibration,
    onNote: note,
  });
  if (formats.includes('fake')) note('fake quantization runs float32 kernels on dequantized weights: its latency should not vary with bits');
  const headSpecs = o.headAt ? await modelInputSpecs(bytes, 'head') : specs;
  const timingFeed: OrtFeed = prepareFeed(Object.fromEntries(headSpecs.map((s) => [s.name, inputs.timing[s.name]!])));
  const threads = o.intraOpThreads ?? os.availableParallelism();
  let meterWorks = meter;
  if (meter) {
    try {
      meter.sample();
    } catch (e) {
      note(`power meter unusable (${(e as Error).message.split('\n')[0]}); energy not measured`);
      meterWorks = undefined;
    }
  }
  const measured = await measureVariants(variants, timingFeed, {
    ...o,
    intraOpThreads: threads,
    dvfs,
    sysRoot,
    meter: meterWorks,
    onNote: note,
  });
  if (measured.clock.originalHz !== null) note(`clock restored to the original settings (${(measured.clock.originalHz / 1e9).toFixed(2)} GHz)${measured.clock.restored ? '' : ' FAILED'}`);

  const fitRows = measured.rows.filter((r) => r.format !== 'fake');
  let fit: DeviceProfile['fit'] = null;
  if (fitRows.length === 0) note('no fp32, qdq-int8 or int4 row: the delay model is not fitted (fake rows run float kernels)');
  else if (nominalHz === null && fitRows.some((r) => r.hz === null)) note('the CPU clock is unknown: cycles per parameter-bit cannot be fitted');
  else {
    const pts: FitPoint[] = fitRows.map((r: DeviceRow) => ({ bits: r.bits, hz: r.hz ?? (nominalHz as number), seconds: r.medianS, joules: r.joules, format: r.format }));
    const f = fitDeviceModel(pts, params);
    const aff = f.affine ?? { ...f.pure };
    if (!f.affine) note('affine fit needs two different bit-widths or clocks; reported equal to the pure fit');
    fit = {
      model: 'T(b, f) = c·b·N/f (pure); T = t0 + c·b·N/f (affine); E = κ·c·b·N·f²',
      formats: [...new Set(fitRows.map((r) => r.format))],
      cyclesPerParamBit: f.pure.c,
      t0: aff.t0,
      kappa: f.kappa?.kappa ?? null,
      r2: f.pure.r2,
      maxRelErr: f.pure.maxRelErr,
      affine: { cyclesPerParamBit: aff.c, t0: aff.t0, r2: aff.r2, maxRelErr: aff.maxRelErr },
      heldOut: {
        ...f.heldOut,
        points: f.heldOut.points.map((p) => ({ ...p, hz: fitRows.find((r) => r.bits === p.bits && r.format === p.format)?.hz ?? null })),
      },
    };
  }
  const doc = {
    schema: 'coquant.device/1' as const,
    name: o.name ?? `${os.hostname()} (${cpu.model})`,
    createdAt: new Date().toISOString(),
    host: { cpuModel: cpu.model, cores: os.availableParallelism(), platform: os.platform(), arch: os.arch(), nominalHz, intraOpThreads: threads },
    measured: { clockControl: !!dvfs, powerMeter: !!meterWorks, dvfs: dvfs ? `${dvfs.kind} (${dvfs.where})` : null, meter: meterWorks ? `${meterWorks.kind} (${meterWorks.where})` : null, notes },
    subModel: { source: path, headAt: o.headAt ?? null, params, inputs: inputs.describe },
    rows: measured.rows,
    fit,
  };
  // Self-check: what we write must be what `plan --device-profile` accepts.
  return { profile: parseDeviceProfile(doc, 'calibration result'), notes };
}
