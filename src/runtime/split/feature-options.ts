/**
 * What each link format costs and changes at a cut, measured with real forward passes, as the
 * weight formats are: the head runs in fp32 on every input, its crossing tensors are encoded in
 * each format and decoded to the float32 values the rewritten tail's first nodes produce
 * (decodeFeature; the tests check it against that tail bit for bit), and the fp32 tail runs on
 * them. One tail session serves every format. The reference is the fp32 link on the same inputs,
 * so fp32 contributes exactly 0 and every other format's deltaDo is the output distortion the
 * link format alone adds (mean |y − ŷ|, the options document's measure). Bytes are the uplink
 * payload: payload plus scales and zero points.
 */
import type { Feed, HostTensor } from '../../data/tensor.ts';
import { encodeModel } from '../../graph/extract.ts';
import { decodeFeature, encodeFeature, FEATURE_FORMATS, type FeatureFormat } from '../../formats/feature-format.ts';
import { createSession, releaseSession, runFeed } from '../../ort/session.ts';
import { runMeanAbs } from '../../tasks/output-distortion.ts';
import { wireBytes, wireTensors } from './feature-wire.ts';
import { linkFormatsFor, splitAt, type SplitAnalysis } from './split-model.ts';

/** The features as the tail sees them after the link: each float32 tensor in `formats` encoded and decoded. */
function afterLink(features: Readonly<Record<string, HostTensor>>, formats: Readonly<Record<string, FeatureFormat>>): Record<string, HostTensor> {
  const out: Record<string, HostTensor> = {};
  for (const [k, t] of Object.entries(features)) {
    const f = formats[k];
    out[k] = f && f !== 'fp32' && t.data instanceof Float32Array ? { type: 'float32', dims: t.dims, data: decodeFeature(encodeFeature(t.data, t.dims, f)) } : t;
  }
  return out;
}

/** One link format at one cut: what the options document's `features` entries hold. */
export interface FeatureOption {
  format: FeatureFormat;
  /** Uplink payload bytes per inference. */
  bytes: number;
  /** Output distortion the format adds (mean |y − ŷ| against the fp32 link). */
  deltaDo: number;
  /** Task metric against the fp32 link (e.g. CER), when a task scores the outputs. */
  task?: number;
  /** Seconds the agent spends encoding the crossing tensors in this format (mean over the inputs, this process). */
  encodeS?: number;
}

export interface FeatureCutOptions {
  cut: string;
  options: FeatureOption[];
}

export interface MeasureFeatureOptions {
  formats?: readonly FeatureFormat[];
  task?: { score(outputs: Record<string, HostTensor>[], reference: Record<string, HostTensor>[]): number };
  progress?: (what: string) => void;
}

/** Every format at every named cut, measured on `feeds`. */
export async function measureFeatureOptions(analysis: SplitAnalysis, cuts: readonly string[], feeds: readonly Feed[], o: MeasureFeatureOptions = {}): Promise<FeatureCutOptions[]> {
  const formats = o.formats ?? FEATURE_FORMATS;
  const out: FeatureCutOptions[] = [];
  const so = { intraOpThreads: 1 };
  for (const name of cuts) {
    const fp = splitAt(analysis, name);
    const head = await createSession(encodeModel(fp.head), { ...so, label: `head at ${name}` });
    const features: Record<string, HostTensor>[] = [];
    try {
      for (const f of feeds) features.push(await runFeed(head, f));
    } finally {
      await releaseSession(head);
    }
    const tail = await createSession(encodeModel(fp.tail), { ...so, label: `tail at ${name}` });
    const options: FeatureOption[] = [];
    try {
      let reference: Record<string, HostTensor>[] = [];
      for (const format of ['fp32' as const, ...formats.filter((f) => f !== 'fp32')]) {
        const links = linkFormatsFor(fp.candidate, format);
        const outs: Record<string, HostTensor>[] = [];
        let d = 0;
        for (const [i, feat] of features.entries()) {
          const y = await runFeed(tail, afterLink(feat, links));
          outs.push(y);
          if (format !== 'fp32') d += runMeanAbs(reference[i], y);
        }
        if (format === 'fp32') reference = outs;
        if (format === 'fp32' || formats.includes(format)) {
          const bytes = features.length ? wireBytes(wireTensors(features[0], links)) : 0;
          // The encoding the agent does before sending, timed as it runs it (wireTensors), once per input.
          let encodeS = 0;
          if (format !== 'fp32') {
            for (const feat of features) {
              const t0 = performance.now();
              wireTensors(feat, links);
              encodeS += (performance.now() - t0) / 1000;
            }
            encodeS /= Math.max(1, features.length);
          }
          options.push({ format, bytes, deltaDo: format === 'fp32' ? 0 : d / Math.max(1, feeds.length), ...(o.task ? { task: format === 'fp32' ? 0 : o.task.score(outs, reference) } : {}), ...(format !== 'fp32' ? { encodeS } : {}) });
        }
        o.progress?.(`link ${format} at ${name}`);
      }
    } finally {
      await releaseSession(tail);
    }
    out.push({ cut: name, options });
  }
  return out;
}
