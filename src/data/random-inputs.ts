/**
 * Generated calibration inputs that follow a model's declared input spec. Symbolic (dynamic)
 * dimensions must be fixed by the user (`--dim NAME=VALUE`), so a run never guesses a shape.
 * Seed convention: one mulberry32(seed) stream, consumed sample by sample, input by input
 * in declaration order, element by element; float inputs are standard normal (Box-Muller;
 * float16 ones the same draws rounded to half precision, so a float16 and a float32 input of one
 * model see the same values up to rounding), integer inputs (int8..int64, uint8..uint32) uniform in [0, intHigh), bool inputs fair coin flips.
 * Inputs the graph uses as indices, axes or shapes are then made valid (src/data/input-roles.ts).
 */
import { UsageError } from '../errors.ts';
import { toHalfBits } from './half.ts';
import { inputTypeError } from './model-io.ts';
import { gaussian, mulberry32 } from '../util/rng.ts';
import { elementCount, type Feed, type HostTensor, type HostTensorType } from './tensor.ts';

export interface InputSpec {
  name: string;
  /** ONNX element type as onnxruntime reports it (float32, int64, ...). */
  type: string;
  /** Fixed sizes are numbers; dynamic ones are symbolic names (or -1 / undefined for unnamed). */
  shape: ReadonlyArray<number | string | undefined>;
}

/** Parses repeated `NAME=VALUE` flags into a map; VALUE must be a positive integer. */
export function parseDimFlags(flags: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const f of flags) {
    const i = f.lastIndexOf('=');
    const v = Number(f.slice(i + 1));
    if (i <= 0 || !Number.isSafeInteger(v) || v < 1) throw new UsageError(`bad --dim '${f}'`, 'write it as NAME=VALUE with a positive integer, e.g. --dim p2o.DynamicDimension.1=320');
    m.set(f.slice(0, i), v);
  }
  return m;
}

/**
 * Resolves an input's shape. A dimension may be set by its symbolic name, or positionally as
 * `<input>:<axis>` (for unnamed dynamic dims).
 */
export function resolveShape(spec: InputSpec, dims: ReadonlyMap<string, number>): number[] {
  return spec.shape.map((d, axis) => {
    // A fixed size, zero included (an empty `axes` input is fixed, not dynamic); onnxruntime reports unknown sizes as -1.
    if (typeof d === 'number' && d >= 0) return d;
    const byAxis = dims.get(`${spec.name}:${axis}`);
    if (byAxis !== undefined) return byAxis;
    if (typeof d === 'string' && dims.has(d)) return dims.get(d)!;
    const label = typeof d === 'string' && d.length > 0 ? d : `${spec.name}:${axis}`;
    throw new UsageError(`input '${spec.name}' has dynamic dimension '${label}' (axis ${axis}) with no value`, `set it with --dim ${label}=VALUE`);
  });
}

const MAX_ELEMENTS = 1 << 28;

export interface RandomInputOptions {
  count: number;
  seed: number;
  dims?: ReadonlyMap<string, number>;
  /** Upper bound (exclusive) for integer inputs. */
  intHigh?: number;
}

export function randomInputs(specs: readonly InputSpec[], opts: RandomInputOptions): Feed[] {
  const dims = opts.dims ?? new Map<string, number>();
  const shapes = specs.map((s) => resolveShape(s, dims));
  const total = shapes.reduce((a, s) => a + elementCount(s), 0) * opts.count;
  if (total > MAX_ELEMENTS) throw new UsageError(`random inputs would hold ${total} elements (limit ${MAX_ELEMENTS})`, 'use smaller --dim values or fewer samples');
  const rand = mulberry32(opts.seed);
  const normal = gaussian(rand);
  const intHigh = opts.intHigh ?? 10;
  const feeds: Feed[] = [];
  for (let k = 0; k < opts.count; k++) {
    const feed: Feed = {};
    specs.forEach((s, j) => {
      feed[s.name] = fill(s, shapes[j], rand, normal, intHigh);
    });
    feeds.push(feed);
  }
  return feeds;
}

function fill(spec: InputSpec, dims: number[], rand: () => number, normal: () => number, intHigh: number): HostTensor {
  const n = elementCount(dims);
  const type = spec.type as HostTensorType;
  switch (spec.type) {
    case 'float32':
    case 'float64': {
      const a = spec.type === 'float32' ? new Float32Array(n) : new Float64Array(n);
      for (let i = 0; i < n; i++) a[i] = normal();
      return { type, data: a, dims };
    }
    case 'float16': {
      const a = new Float32Array(n);
      for (let i = 0; i < n; i++) a[i] = normal();
      return { type, data: toHalfBits(a), dims };
    }
    case 'int64': {
      const a = new BigInt64Array(n);
      for (let i = 0; i < n; i++) a[i] = BigInt(Math.floor(rand() * intHigh));
      return { type, data: a, dims };
    }
    case 'int32': {
      const a = new Int32Array(n);
      for (let i = 0; i < n; i++) a[i] = Math.floor(rand() * intHigh);
      return { type, data: a, dims };
    }
    case 'int8':
    case 'uint8':
    case 'int16':
    case 'uint16':
    case 'uint32': {
      const Ctor = { int8: Int8Array, uint8: Uint8Array, int16: Int16Array, uint16: Uint16Array, uint32: Uint32Array }[spec.type];
      const a = new Ctor(n);
      for (let i = 0; i < n; i++) a[i] = Math.floor(rand() * intHigh);
      return { type, data: a, dims };
    }
    case 'bool': {
      const a = new Uint8Array(n);
      for (let i = 0; i < n; i++) a[i] = rand() < 0.5 ? 1 : 0;
      return { type, data: a, dims };
    }
    default:
      throw inputTypeError(spec.name, spec.type);
  }
}
