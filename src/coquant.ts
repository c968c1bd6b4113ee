/**
 * The façade: one model and the steps `coquant demo` runs on it, in the manner of onnxruntime's
 * `InferenceSession`. `Coquant.open` a model, then `profile` its weights, measure output
 * `distortion` on a task's inputs, `plan` bit-widths and clocks for a system, `split` it at a cut,
 * `quantize` it (or a half), measure executable `options` on a device, and `Coquant.serve` a
 * tail. Every method only composes the engines that src/index.ts also exports, so anything the
 * façade does not cover can be done with those directly. The option and result types live in the
 * `Coquant` namespace: `Coquant.PlanOptions`, `Coquant.Plan`, …
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Feed } from './data/tensor.ts';
import { runDistortion, type DistortionOptions as EngineDistortionOptions } from './distortion/engine.ts';
import type { DistortionDocument } from './documents/distortion-document.ts';
import { CoquantError } from './errors.ts';
import { quantizeToFormat, type QuantizeToFormatOptions, type QuantizeToFormatResult } from './formats/index.ts';
import { encodeModel } from './graph/extract.ts';
import { bundledModels } from './io/bundled-models.ts';
import { loadOnnxModel } from './io/onnx-model.ts';
import { openWeights } from './io/open-weights.ts';
import type { TensorInfo } from './io/types.ts';
import { solveMethod } from './plan/baselines.ts';
import { groupsFromProfile } from './app/load-system.ts';
import { composeSystem, PRESET_NAMES, PRESETS } from './plan/presets.ts';
import { toProblem, type PlanProblem } from './plan/problem.ts';
import type { Method, PlanResult } from './plan/result.ts';
import { formatSummary } from './plan/summary.ts';
import { parseSystem, type SystemDescription, type SystemInput } from './plan/system.ts';
import { profileModel, resolveOptions, type ProfileHooks, type ProfileOptions as EngineProfileOptions } from './profile/index.ts';
import type { ProfileDocument } from './documents/profile-document.ts';
import { measureOptions, type MeasureOptionsInput, type MeasuredOptions } from './runtime/options/measure-options.ts';
import { writeExecHead, type ExecHead } from './runtime/options/exec-head.ts';
import { readSignature } from './ort/session.ts';
import { taskFor } from './tasks/registry.ts';
import { startServer, type RunningServer, type ServerOptions } from './runtime/server/server.ts';
import { analyzeSplit, splitAt, type CutCandidate, type SplitAnalysis } from './runtime/split/split-model.ts';

const BUNDLED = ['rec', 'det', 'cls'] as const;


/** One model file, opened. Holds no native resources: each step opens what it needs and closes it. */
export class Coquant {
  private lastProfile: ProfileDocument | undefined;
  private lastDistortion: DistortionDocument | undefined;

  private constructor(
    /** Absolute path of the model file (or folder of safetensors shards). */
    readonly path: string,
    /** How the weights are stored. Split, quantize, distortion and options need ONNX. */
    readonly format: 'onnx' | 'safetensors',
    /** Every tensor the file holds, weights and others, in file order. */
    readonly tensors: readonly TensorInfo[],
  ) {}

  /**
   * Opens a model: an ONNX file, a safetensors file, index or folder of shards, or a bundled
   * PaddleOCR model by name (`rec`, `det`, `cls`, as `coquant profile` takes them). Reads the
   * file's tensor table, so a missing, truncated or hostile file fails here with a CoquantError.
   */
  static async open(model: string): Promise<Coquant> {
    let path = resolve(model);
    if (!existsSync(model) && (BUNDLED as readonly string[]).includes(model)) path = bundledModels()[model as (typeof BUNDLED)[number]];
    const source = await openWeights(path);
    try {
      return new Coquant(path, source.format, source.tensors);
    } finally {
      await source.close();
    }
  }

  /** Starts the edge server (KServe v2 over HTTP; onnxruntime in worker threads, or on its own thread for sub-millisecond models) for model files, e.g. a split's tail. */
  static serve(options: Coquant.ServeOptions): Promise<RunningServer> {
    return startServer(options);
  }

  /** The last profile this model computed, which `plan` uses. */
  get profiled(): ProfileDocument | undefined {
    return this.lastProfile;
  }

  /** Weight statistics, the exponential fit of |w| and the weight distortion per quantizer and bit-width (`coquant profile`). */
  async profile(options: Coquant.ProfileOptions = {}): Promise<ProfileDocument> {
    const { onProgress, ...rest } = options;
    this.lastProfile = await profileModel(this.path, resolveOptions(rest), { onProgress });
    return this.lastProfile;
  }

  /** Output distortion of simulated b-bit weights on real forward passes, and the fit D_o ≈ α·D_p (`coquant distortion`). */
  async distortion(options: Coquant.DistortionOptions): Promise<DistortionDocument> {
    this.onnxOnly('distortion');
    // The model's task (src/tasks/registry.ts) supplies the inputs and the quality metric unless given.
    const signature = await readSignature(this.path, this.path);
    const task = options.task ?? taskFor(signature);
    const calibration = options.calibration ?? (await task.makeInputs(signature, { count: 16, seed: 1 }));
    this.lastDistortion = await runDistortion({ ...options, task, calibration, modelPath: this.path });
    return this.lastDistortion;
  }

  /**
   * Bit-widths and clocks for this model on a system, under a deadline and an energy budget
   * (`coquant plan --profile`). The system is a preset (default `paper`) and/or a description;
   * the model's groups come from its profile (`options.profile`, else the last `profile()`, else
   * a default profile is computed now). α is `options.alpha`, else the last `distortion()` fit,
   * else the system's.
   */
  async plan(options: Coquant.PlanOptions = {}): Promise<Coquant.Plan> {
    const profile = options.profile ?? this.lastProfile ?? (await this.profile());
    let raw: Record<string, unknown> = {};
    const origin: string[] = [];
    if (options.preset || !options.system) {
      const name = options.preset ?? 'paper';
      const p = PRESETS[name];
      if (!p) throw new CoquantError('E_USAGE', `unknown preset '${name}'`, { hint: `presets: ${PRESET_NAMES.join(', ')}` });
      raw = composeSystem(raw, p as Record<string, unknown>);
      origin.push(`preset ${name}`);
    }
    if (options.system) {
      raw = composeSystem(raw, options.system as Record<string, unknown>);
      origin.push('system description');
    }
    origin.push(`profile of ${profile.model.path}`);
    const constraints = Object.fromEntries(Object.entries({ T0: options.T0, E0: options.E0, epsilon: options.epsilon }).filter(([, v]) => v !== undefined));
    raw = composeSystem(raw, { constraints, bits: options.bits, agentBits: options.perGroup ? 'per-group' : undefined });
    const { groups } = groupsFromProfile(profile, profile.model.path);
    const fit = this.lastDistortion?.fit.alpha;
    const alpha = options.alpha ?? (fit !== undefined && Number.isFinite(fit) && fit > 0 ? fit : ((raw.model as { alpha?: number } | undefined)?.alpha ?? 1));
    raw = { ...raw, model: { alpha, groups } };
    const parsed = parseSystem(raw);
    if (!parsed.ok) throw new CoquantError('E_SYSTEM', `invalid system description: ${parsed.errors.join('; ')}`);
    const problem = toProblem(parsed.value);
    const result = solveMethod(problem, options.method ?? 'exact');
    // What `coquant plan` says beside such a plan: the bits are simulated, and so may the system be.
    result.notes.push('simulation plan: the bit-widths are applied as fake quantization (float kernels); executable formats are planned from measured options (planFromOptions)');
    if (parsed.value.illustrative) result.notes.push('illustrative system: the numbers are a simulation, not measurements');
    return { result, problem, system: parsed.value, summary: formatSummary(problem, result, origin.join(' + '), parsed.value.label) };
  }

  /**
   * Every tensor where the model can be cut in two, with the feature that would cross the link,
   * measured with a real forward pass (`coquant split`). `dims` sizes the dynamic input axes.
   */
  async split(dims: Coquant.Dims = {}): Promise<Coquant.Split> {
    this.onnxOnly('split');
    const analysis = await analyzeSplit(this.path, dims instanceof Map ? dims : new Map(Object.entries(dims)));
    const at = (cut: string) => {
      const h = splitAt(analysis, cut);
      return { head: encodeModel(h.head), tail: encodeModel(h.tail), candidate: h.candidate };
    };
    return {
      analysis,
      candidates: analysis.candidates,
      at,
      writeHead: (cut, formats, o = {}) => writeExecHead(at(cut).head, formats, { calibration: o.calibration, ranges: o.ranges, where: `head at ${cut}` }),
    };
  }

  /** A copy in a low-bit format onnxruntime runs (qdq-int8, int4) or a fake-quantized simulation (`coquant quantize`); `options.model` quantizes other bytes, e.g. a split's head. */
  async quantize(options: Coquant.QuantizeOptions): Promise<QuantizeToFormatResult> {
    const { model, calibration, evaluation, ...rest } = options;
    if (!model) this.onnxOnly('quantize');
    return quantizeToFormat({ ...rest, ...(model ? { modelBytes: model } : { modelPath: this.path }), calibration, evaluation });
  }

  /** Every weight group in every executable format, measured on a device: latency per clock and output distortion (`coquant options`). */
  async options(options: Coquant.MeasureOptions): Promise<MeasuredOptions> {
    this.onnxOnly('options');
    const model = options.model ?? (await loadOnnxModel(this.path)).bytes;
    return measureOptions({ ...options, model, source: this.path });
  }

  private onnxOnly(what: string): void {
    if (this.format !== 'onnx') throw new CoquantError('E_UNSUPPORTED', `${what} runs the model with onnxruntime; ${this.path} is ${this.format}`, { hint: 'open an ONNX model' });
  }
}

/* eslint-disable-next-line @typescript-eslint/no-namespace -- types only (emits nothing), merged with the class as onnxruntime's InferenceSession.SessionOptions is */
export declare namespace Coquant {
  /** What `profile` measures; every field defaults as `coquant profile` does (3 families × 2 specs, bits 2..16). */
  interface ProfileOptions extends Partial<EngineProfileOptions> {
    /** Bit-widths as the CLI writes them, e.g. `2-8,16` (ignored when `bits` is given). */
    bitsSpec?: string;
    onProgress?: ProfileHooks['onProgress'];
  }
  /**
   * `runDistortion`'s options without the model path: quantizer schemes and bit-widths, and
   * optionally the inputs and the task (default: the model's task and 16 of its inputs).
   */
  type DistortionOptions = Omit<EngineDistortionOptions, 'modelPath' | 'calibration'> & { calibration?: EngineDistortionOptions['calibration'] };
  /** Which system to plan on and the budgets; unset fields keep the preset's or description's values. */
  interface PlanOptions {
    /** A preset name (`paper`, device presets, …); default `paper` when no `system` is given. */
    preset?: string;
    /** A system description (docs/plan.md), applied on top of the preset. Its model groups are replaced by the profile's. */
    system?: Partial<SystemInput>;
    /** The profile to take groups from (default: this model's last profile). */
    profile?: ProfileDocument;
    /** Deadline in seconds. */
    T0?: number;
    /** Agent energy budget per inference in joules. */
    E0?: number;
    /** Tightness: D_U − D_L ≤ epsilon per group. */
    epsilon?: number;
    /** Allowed bit-widths. */
    bits?: number[];
    /** One bit-width per group instead of one shared bit-width. */
    perGroup?: boolean;
    /** Output/parameter distortion ratio α. */
    alpha?: number;
    /** Solver or baseline (default `exact`, the certified optimum). */
    method?: Method;
  }
  /** A plan and what it was computed on. */
  interface Plan {
    /** The `coquant.plan/1` document (`plan --json`). */
    result: PlanResult;
    /** The validated system, and the problem the solver saw. */
    system: SystemDescription;
    problem: PlanProblem;
    /** The human summary `coquant plan` prints. */
    summary: string;
  }
  /** Sizes of dynamic input axes by name, e.g. `{ 'p2o.DynamicDimension.1': 320 }`. */
  type Dims = Readonly<Record<string, number>> | ReadonlyMap<string, number>;
  /** The cut points of a model, and its halves at any of them. */
  interface Split {
    analysis: SplitAnalysis;
    /** Every valid cut, first to last, with weights per side and feature size. */
    candidates: CutCandidate[];
    /** The head (inputs → cut tensor) and tail (cut tensor → outputs) as ONNX bytes. */
    at(cut: string): { head: Uint8Array; tail: Uint8Array; candidate: CutCandidate };
    /** The head at `cut` with each weight group in a planned executable format (an options plan's `formats`). */
    writeHead(cut: string, formats: Readonly<Record<string, string>>, options?: { calibration?: Feed[]; ranges?: MeasuredOptions['ranges'] }): Promise<ExecHead>;
  }
  /** `quantizeToFormat`'s options with host-tensor inputs; `model` quantizes these bytes instead of the opened file. */
  interface QuantizeOptions extends Omit<QuantizeToFormatOptions, 'modelPath' | 'modelBytes' | 'calibration' | 'evaluation'> {
    model?: Uint8Array;
    calibration?: Feed[];
    evaluation?: Feed[];
  }
  /** `measureOptions`' input without the source; `model` defaults to the opened file's bytes. */
  interface MeasureOptions extends Omit<MeasureOptionsInput, 'model' | 'source'> {
    model?: Uint8Array;
  }
  /** The edge server's options: the models to serve, address, limits, auth. */
  type ServeOptions = ServerOptions;
}
