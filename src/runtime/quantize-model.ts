/**
 * Applies a plan's bit-widths to a real ONNX model: every selected weight is fake-quantized
 * at its group's bits and written back into an in-memory copy (initializers and Constant
 * nodes alike). `quantize`, the agent and the demo all go through this one function, so the
 * model that runs is exactly the one whose distortion was reported.
 */
import { editedModelBytes } from '../io/onnx-edit.ts';
import { openOnnx, type OnnxWeightSource } from '../io/onnx-weights.ts';
import { selectWeights } from '../io/open-weights.ts';
import { toFloat32 } from '../io/decode.ts';
import { fakeQuantize, type QuantConfig } from '../quant/index.ts';
import { UsageError } from '../errors.ts';

export type BitAssignment = number | Readonly<Record<string, number>>;

export interface QuantizeModelOptions {
  /** One bit-width for every weight, or one per group (tensor) name, as a plan gives them. */
  bits: BitAssignment;
  /** Family, granularity and range rule (bits come from `bits`). */
  config: Omit<QuantConfig, 'bits'>;
  allFloat?: boolean;
  /** With per-group bits: what to do with selected weights the assignment does not name. */
  unnamed?: 'keep-float' | 'error';
  onProgress?: (done: number, total: number, name: string) => void;
}

export interface QuantizedGroup {
  name: string;
  params: number;
  bits: number;
  /** mean |w − Q(w)| over this group */
  l1: number;
  mse: number;
}

export interface QuantizedModel {
  bytes: Uint8Array;
  groups: QuantizedGroup[];
  /** Selected weights left in float (not named by a per-group assignment). */
  keptFloat: string[];
  /** Names in the assignment that this model does not hold (e.g. groups on the other side of a split). */
  notInModel: string[];
  /** Parameter-weighted mean L1 over the quantized weights: the model's D_p. */
  Dp: number;
  quantizedParams: number;
}

export async function quantizeModel(source: OnnxWeightSource | string, opts: QuantizeModelOptions): Promise<QuantizedModel> {
  const src = typeof source === 'string' ? await openOnnx(source) : source;
  const weights = selectWeights(src.tensors, { allFloat: opts.allFloat });
  const perGroup = typeof opts.bits === 'number' ? undefined : opts.bits;
  const names = new Set(weights.map((w) => w.name));
  const notInModel = perGroup ? Object.keys(perGroup).filter((n) => !names.has(n)) : [];
  const keptFloat: string[] = [];
  const replacements = new Map<string, Float32Array>();
  const groups: QuantizedGroup[] = [];
  let l1Sum = 0;
  let params = 0;
  for (const [i, w] of weights.entries()) {
    const bits = perGroup ? perGroup[w.name] : (opts.bits as number);
    if (bits === undefined) {
      if (opts.unnamed === 'error') throw new UsageError(`the bit assignment does not cover weight '${w.name}'`, 'pass a plan made from a profile of this model, or a single --bits value');
      keptFloat.push(w.name);
      continue;
    }
    const values = toFloat32(await src.read(w.name));
    const q = fakeQuantize(values, w.shape, { ...opts.config, bits }, { name: w.name }).values;
    let l1 = 0;
    let se = 0;
    for (let k = 0; k < values.length; k++) {
      const d = values[k] - q[k];
      l1 += Math.abs(d);
      se += d * d;
    }
    replacements.set(w.name, q);
    groups.push({ name: w.name, params: values.length, bits, l1: l1 / values.length, mse: se / values.length });
    l1Sum += l1;
    params += values.length;
    opts.onProgress?.(i + 1, weights.length, w.name);
  }
  const bytes = await editedModelBytes(src, replacements);
  return { bytes, groups, keptFloat, notInModel, Dp: params > 0 ? l1Sum / params : 0, quantizedParams: params };
}
