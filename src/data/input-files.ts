/**
 * User-supplied model inputs (`--inputs`): .npy files (one sample of a one-input model each),
 * .npz archives (one sample each, arrays named after the inputs, or arr_0, arr_1, … in input
 * order), ONNX TensorProto .pb files, and the ONNX test-data layout (a folder of
 * `test_data_set_N/input_K.pb`, or one such folder). Each tensor is checked against the input
 * it feeds: element type (float inputs take any float array, float16 ones rounded to half
 * precision; int64 inputs take narrower integers) and every
 * fixed dimension.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { CoquantError, UsageError } from '../errors.ts';
import { parseNpy } from './npy.ts';
import { isNpz, parseNpz } from './npz.ts';
import { toHalfBits } from './half.ts';
import { FEEDABLE_TYPES, inputTypeError } from './model-io.ts';
import type { InputSpec } from './random-inputs.ts';
import { parseTensorProto } from './tensor-proto.ts';
import { asFloat32, type Feed, type HostTensor } from './tensor.ts';

export interface InputFiles {
  feeds: Feed[];
  source: string;
}

/** One sample as read: tensors with a name when the file gives one. */
interface RawSample {
  where: string;
  tensors: Array<{ name?: string; tensor: HostTensor }>;
}


async function readBytes(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new UsageError(`cannot read --inputs file ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

async function readFileSample(path: string): Promise<RawSample> {
  const buf = await readBytes(path);
  const ext = extname(path).toLowerCase();
  if (ext === '.npz' || isNpz(buf)) return { where: path, tensors: [...parseNpz(buf, path)].map(([name, tensor]) => ({ name, tensor })) };
  if (ext === '.npy') return { where: path, tensors: [{ tensor: parseNpy(buf, path) }] };
  if (ext === '.pb') {
    const { name, tensor } = parseTensorProto(buf, path);
    return { where: path, tensors: [{ name: name || undefined, tensor }] };
  }
  throw new UsageError(`--inputs ${path}: unknown file type '${ext || '(none)'}'`, 'give .npy, .npz or .pb (ONNX TensorProto) files, or a test_data_set_N folder');
}

/** A test_data_set folder: input_0.pb, input_1.pb, … in index order. */
async function readPbFolder(dir: string, files: string[]): Promise<RawSample> {
  const inputs = files.filter((f) => /^input_\d+\.pb$/.test(f)).sort((a, b) => Number(a.slice(6, -3)) - Number(b.slice(6, -3)));
  const tensors = [];
  for (const f of inputs) {
    const { name, tensor } = parseTensorProto(await readBytes(join(dir, f)), join(dir, f));
    tensors.push({ name: name || undefined, tensor });
  }
  return { where: dir, tensors };
}

async function samplesOf(path: string): Promise<RawSample[]> {
  let st;
  try {
    st = await stat(path);
  } catch {
    throw new UsageError(`--inputs ${path}: no such file or folder`);
  }
  if (!st.isDirectory()) return [await readFileSample(path)];
  const entries = (await readdir(path)).sort();
  const sets = entries.filter((e) => /^test_data_set_\d+$/.test(e)).sort((a, b) => Number(a.slice(14)) - Number(b.slice(14)));
  if (sets.length > 0) return Promise.all(sets.map(async (s) => readPbFolder(join(path, s), await readdir(join(path, s)))));
  if (entries.some((f) => /^input_\d+\.pb$/.test(f))) return [await readPbFolder(path, entries)];
  const arrays = entries.filter((f) => ['.npy', '.npz', '.pb'].includes(extname(f).toLowerCase()));
  if (arrays.length === 0) throw new UsageError(`--inputs ${path}: the folder holds no .npy, .npz or .pb files and no test_data_set_N folders`);
  return Promise.all(arrays.map((f) => readFileSample(join(path, f))));
}

/** Matches a sample's tensors to the model inputs: by name when every input is named, else by position. */
function assign(sample: RawSample, specs: readonly InputSpec[]): Feed {
  const named = new Map(sample.tensors.filter((t) => t.name !== undefined).map((t) => [t.name!, t.tensor]));
  const byName = specs.every((s) => named.has(s.name));
  if (!byName && sample.tensors.length !== specs.length) {
    const missing = specs.filter((s) => !named.has(s.name)).map((s) => s.name);
    throw new UsageError(
      `${sample.where}: holds ${sample.tensors.length} array${sample.tensors.length === 1 ? '' : 's'} but the model has ${specs.length} input${specs.length === 1 ? '' : 's'} (${missing.length ? `no array named ${missing.slice(0, 4).map((m) => `'${m}'`).join(', ')}` : 'names do not match'})`,
      `give one .npz per sample with an array named after each input: np.savez(f, ${specs.slice(0, 3).map((s) => `**{'${s.name}': ...}`).join(', ')})`,
    );
  }
  const feed: Feed = {};
  specs.forEach((s, i) => {
    feed[s.name] = conform(byName ? named.get(s.name)! : sample.tensors[i].tensor, s, sample.where);
  });
  return feed;
}

const FLOATS = new Set(['float16', 'float32', 'float64']);

/** A float tensor as another float type (float16 as half bit patterns, rounded to nearest even). */
function convertFloat(t: HostTensor, to: 'float16' | 'float32' | 'float64'): HostTensor {
  const values = t.type === 'float16' ? asFloat32(t) : (t.data as Float32Array | Float64Array);
  const data = to === 'float16' ? toHalfBits(values) : to === 'float32' ? Float32Array.from(values) : Float64Array.from(values);
  return { type: to, data, dims: t.dims };
}

/** Checks (and, between float types and for int32→int64, converts) one tensor for the input it feeds. */
export function conform(t: HostTensor, spec: InputSpec, where: string): HostTensor {
  if (!FEEDABLE_TYPES.has(spec.type)) throw inputTypeError(spec.name, spec.type);
  let out = t;
  if (t.type !== spec.type) {
    const floatToFloat = FLOATS.has(spec.type) && FLOATS.has(t.type);
    const intToInt64 = spec.type === 'int64' && (t.type === 'int32' || t.type === 'int16' || t.type === 'int8' || t.type === 'uint8' || t.type === 'uint16' || t.type === 'uint32');
    if (floatToFloat) out = convertFloat(t, spec.type as 'float16' | 'float32' | 'float64');
    else if (intToInt64) out = { type: 'int64', data: BigInt64Array.from(t.data as Int32Array, (v) => BigInt(v)), dims: t.dims };
    else throw new CoquantError('E_INPUT_FILE', `${where}: the array for input '${spec.name}' holds ${t.type}, but the input takes ${spec.type}`, { hint: `save it as ${spec.type}, e.g. arr.astype(np.${spec.type === 'bool' ? 'bool_' : spec.type})` });
  }
  if (t.dims.length !== spec.shape.length) {
    throw new CoquantError('E_INPUT_FILE', `${where}: the array for input '${spec.name}' has shape [${t.dims.join(', ')}] (rank ${t.dims.length}), but the input has rank ${spec.shape.length} ([${spec.shape.map((d) => d ?? '?').join(', ')}])`, { hint: 'reshape the array to the input\'s rank' });
  }
  spec.shape.forEach((d, axis) => {
    if (typeof d === 'number' && d >= 0 && t.dims[axis] !== d) {
      throw new CoquantError('E_INPUT_FILE', `${where}: the array for input '${spec.name}' has size ${t.dims[axis]} on axis ${axis}, but the model fixes it at ${d}`, { hint: `give an array of shape [${spec.shape.map((x, i) => (typeof x === 'number' && x >= 0 ? x : t.dims[i])).join(', ')}]` });
    }
  });
  return out;
}

/** Reads every sample named by `--inputs` (files or folders), in the order given. */
export async function readInputFiles(paths: readonly string[], specs: readonly InputSpec[]): Promise<InputFiles> {
  if (paths.length === 0) throw new UsageError('--inputs needs at least one file or folder');
  const samples: RawSample[] = [];
  for (const p of paths) samples.push(...(await samplesOf(p)));
  if (samples.length === 0) throw new UsageError(`--inputs ${paths.join(' ')}: no samples found`);
  const feeds = samples.map((s) => assign(s, specs));
  return { feeds, source: `files:${samples.length} (${paths.map((p) => basename(p)).join(', ')})` };
}

/** True for a folder holding .png/.jpg images (image inputs, preprocessed for the model); false for tensor files and test-data folders. */
export async function isImageFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory() && (await readdir(path)).some((f) => /\.(png|jpe?g)$/i.test(f));
  } catch {
    return false;
  }
}
