/**
 * The crossing tensors of a cut as they travel: each float32 tensor encoded in its link format
 * (formats/feature-format.ts) under the wire names the rewritten tail takes
 * (formats/feature-tail.ts); other tensors (int64 shapes, fp32) as they are. The agent sends
 * these as KServe v2 tensors (FP16, INT8 and FP32 are protocol datatypes, sent as raw bytes);
 * local runs (tests, benchmarks, measurements) feed them to the tail directly.
 */
import type { Feed, HostTensor } from '../../data/tensor.ts';
import { CoquantError } from '../../errors.ts';
import { encodeFeature, FEATURE_FORMATS, isFeatureFormat, wireNames, type FeatureFormat } from '../../formats/feature-format.ts';
import { planLink } from '../../documents/plan-document.ts';
import { fromOrtType } from '../protocol/datatypes.ts';
import type { InferTensor } from '../protocol/tensor-codec.ts';

/** One wire tensor: onnxruntime type name, shape and data. */
export interface WireTensor {
  name: string;
  type: string;
  dims: number[];
  data: HostTensor['data'] | Uint16Array;
}

/** The wire tensors for `features` (the head's outputs), each float32 one in `formats[name]` (default fp32). */
export function wireTensors(features: Readonly<Record<string, HostTensor>>, formats: Readonly<Record<string, FeatureFormat>> = {}): WireTensor[] {
  const out: WireTensor[] = [];
  for (const [name, t] of Object.entries(features)) {
    const f = formats[name] ?? 'fp32';
    if (f === 'fp32') {
      out.push({ name, type: t.type, dims: [...t.dims], data: t.data });
      continue;
    }
    if (!(t.data instanceof Float32Array)) throw new CoquantError('E_FEATURE_FORMAT', `crossing tensor '${name}' is ${t.type}, so it cannot be sent as ${f}`, { hint: 'link formats apply to float32 crossing tensors only' });
    const e = encodeFeature(t.data, t.dims, f);
    const w = wireNames(name, f);
    out.push({ name: w.data, type: f === 'fp16' ? 'float16' : 'int8', dims: [...t.dims], data: e.data });
    if (w.scale) {
      out.push({ name: w.scale, type: 'float32', dims: e.scaleDims!, data: e.scale! });
      out.push({ name: w.zeroPoint!, type: 'int8', dims: e.scaleDims!, data: e.zeroPoint! });
    }
  }
  for (const name of Object.keys(formats)) if (!(name in features)) throw new CoquantError('E_FEATURE_FORMAT', `a link format is given for '${name}', which the head does not output`, { hint: 'give link formats for the crossing tensors of the cut' });
  return out;
}

/** The wire tensors as a feed for the rewritten tail run locally (float16 as its bit patterns). */
export function featureFeed(features: Readonly<Record<string, HostTensor>>, formats: Readonly<Record<string, FeatureFormat>> = {}): Feed {
  return Object.fromEntries(wireTensors(features, formats).map((w) => [w.name, { type: w.type, dims: w.dims, data: w.data } as HostTensor]));
}

/** The wire tensors as KServe v2 request inputs. */
export function featureInputs(features: Readonly<Record<string, HostTensor>>, formats: Readonly<Record<string, FeatureFormat>> = {}): InferTensor[] {
  return wireTensors(features, formats).map((w) => {
    const datatype = fromOrtType(w.type);
    if (!datatype) throw new CoquantError('E_FEATURE_TYPE', `feature '${w.name}' has type ${w.type}, which the inference protocol cannot carry`);
    return { name: w.name, datatype, shape: w.dims, data: w.data as InferTensor['data'] };
  });
}

/** Bytes the wire tensors occupy (the uplink payload, without protocol headers). */
export function wireBytes(ws: readonly WireTensor[]): number {
  return ws.reduce((s, w) => s + (w.data as { byteLength: number }).byteLength, 0);
}

/** What an executable plan sends: its crossing tensors (empty for a plan from before set cuts) and their link formats, checked. */
export function planFeatures(plan: Parameters<typeof planLink>[0]): { tensors: string[]; formats: Record<string, FeatureFormat> } {
  const link = planLink(plan);
  const formats: Record<string, FeatureFormat> = {};
  for (const [t, f] of Object.entries(link.formats)) {
    if (!isFeatureFormat(f)) throw new CoquantError('E_FEATURE_FORMAT', `the plan sends '${t}' as '${f}', which is not a link format`, { hint: `link formats are ${FEATURE_FORMATS.join(', ')}` });
    formats[t] = f;
  }
  return { tensors: link.tensors, formats };
}
