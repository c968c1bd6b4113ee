/**
 * The inputs a command runs a model on, checked before any real work starts:
 *
 * 1. the declared input and output types (src/data/model-io.ts): a type coquant cannot feed
 *    or compare is a typed error that says what to do instead;
 * 2. user inputs from `--inputs` (src/data/input-files.ts), or the model task's own inputs
 *    (seeded random ones for most models), with index/axis/shape inputs made valid
 *    (src/data/input-roles.ts);
 * 3. one forward pass of the original model on the first sample. If the model itself fails on
 *    the inputs, that is the user's problem to solve (real inputs, other --dim values), reported
 *    with the flags of the calling command, and never an internal error later in the run.
 */
import { readFile } from 'node:fs/promises';
import { CoquantError, UsageError } from '../errors.ts';
import { checkModelIo, SYNTHESISED_TYPES, declaredIo, inputTypeError, tensorOutputs } from '../data/model-io.ts';
import { readInputFiles } from '../data/input-files.ts';
import { repairFeeds } from '../data/input-roles.ts';
import type { InputSpec } from '../data/random-inputs.ts';
import type { Feed } from '../data/tensor.ts';
import { parseOnnxModel } from '../io/onnx-model.ts';
import { createSession, readSignature, runFeed } from '../ort/session.ts';
import type { ModelSignature } from '../data/model-signature.ts';
import { describeOrtFailure, parseOrtMessage } from '../ort/ort-errors.ts';
import { mulberry32 } from '../util/rng.ts';

export interface MadeInputs {
  feeds: Feed[];
  source: string;
  labels?: string[];
  seed?: number;
}

export interface CommandInputsOptions {
  /** Model file (its external data, if any, resolves next to it). */
  model: string;
  /** The command as a user typed it, for messages: 'split', 'quantize --format qdq-int8'. */
  command: string;
  specs: readonly InputSpec[];
  /** `--inputs` paths, when given. */
  inputs?: readonly string[];
  /** The default inputs (the model's task: rendered lines, random inputs). */
  make: () => Promise<MadeInputs>;
  /** Seed for the index draws of repaired inputs. */
  seed: number;
  comparesOutputs: boolean;
  /** Hint for an output the command cannot compare (e.g. distortion's --output). */
  outputHint?: string;
  /** Whether the command has --dim (then the hint mentions it). */
  hasDim?: boolean;
  /** Skip the check run (the caller runs the model on these inputs first thing anyway). */
  skipRun?: boolean;
}

/** The flags that give inputs on every command that needs them. */
export function inputsHint(hasDim: boolean): string {
  return `pass inputs the model accepts with --inputs (a .npz per sample with an array per input, .npy for a one-input model, or ONNX test_data_set_N folders of input_K.pb)${hasDim ? ', or other sizes with --dim NAME=VALUE' : ''}`;
}

/**
 * A model's signature, after the declared input and output types are checked from the file
 * itself: onnxruntime-node cannot even open a session on some (a bfloat16 input), so the typed
 * error that says what to do comes first.
 */
export async function checkedSignature(model: string, command: string, comparesOutputs = false): Promise<ModelSignature> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(model);
  } catch {
    throw new UsageError(`${model}: no such file`);
  }
  checkModelIo(parseOnnxModel(bytes, model), { command, comparesOutputs, userInputs: false });
  return readSignature(model, model); // by path: external data resolves next to the file
}

export async function commandInputs(o: CommandInputsOptions): Promise<MadeInputs & { userInputs: boolean }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(o.model);
  } catch {
    throw new UsageError(`${o.model}: no such file`);
  }
  const proto = parseOnnxModel(bytes, o.model);
  const userInputs = (o.inputs?.length ?? 0) > 0;
  checkModelIo(proto, { command: o.command, comparesOutputs: o.comparesOutputs, userInputs, outputHint: o.outputHint });
  let made: MadeInputs;
  if (userInputs) {
    made = await readInputFiles(o.inputs!, o.specs);
  } else {
    const cannot = declaredIo(proto).inputs.find((i) => !SYNTHESISED_TYPES.has(i.type));
    if (cannot) throw inputTypeError(cannot.name, cannot.type, o.command);
    const m = await o.make();
    made = { ...m, feeds: repairFeeds(proto, m.feeds, mulberry32((o.seed ^ 0x9e3779b9) >>> 0)) };
  }
  const fetch = tensorOutputs(proto);
  if (!o.skipRun && made.feeds.length > 0 && fetch.length > 0) await assertModelRuns(o.model, made.feeds[0], fetch, userInputs ? 'the inputs from --inputs' : `coquant's ${made.source.split(':')[0]} inputs`, o.hasDim ?? false);
  return { ...made, userInputs };
}

/** One forward pass of the original model; a failure is a typed error (E_INPUTS_REJECTED, exit 1) naming the node. */
export async function assertModelRuns(model: string, feed: Feed, fetch: readonly string[], what: string, hasDim: boolean): Promise<void> {
  const session = await createSession(model, { label: model, intraOpThreads: 1 });
  try {
    await runFeed(session, feed, fetch);
  } catch (e) {
    const raw = e instanceof CoquantError && e.cause !== undefined ? e.cause : e;
    const detail = describeOrtFailure(parseOrtMessage(raw instanceof Error ? raw.message : String(raw)));
    const shapes = Object.entries(feed)
      .map(([k, v]) => `${k}[${v.dims.join('x')}]`)
      .join(', ');
    throw new CoquantError('E_INPUTS_REJECTED', `${model} itself fails on ${what} (${shapes}): ${detail}`, { hint: inputsHint(hasDim), cause: e });
  } finally {
    await session.release();
  }
}
