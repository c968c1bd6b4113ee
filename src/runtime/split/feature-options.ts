/**
 * What each link format costs and changes at a cut, measured with real forward passes, as the
 * weight formats are: the head runs in fp32 on every input, its crossing tensors are encoded in
 * each format, and the tail rewritten for that format runs on the wire tensors. The reference is
 * the fp32 tail on the same features, so fp32 contributes exactly 0 and every other format's
 * deltaDo is the output distortion the link format alone adds (mean |y − ŷ|, the options
 * document's measure). Bytes are the uplink payload: payload plus scales and zero points.
 */
import type { Feed, HostTensor } from '../../data/tensor.ts';
import { encodeModel } from '../../graph/extract.ts';
import { FEATURE_FORMATS, type FeatureFormat } from '../../formats/feature-format.ts';
import { createSession, releaseSession, runFeed } from '../../ort/session.ts';
import { meanAbsDiff } from '../options/output-diff.ts';
import { featureFeed, wireBytes, wireTensors } from './feature-wire.ts';
import { splitAt, type SplitAnalysis } from './split-model.ts';

/** One link format at one cut: what the options document's `features` entries hold. */
export interface FeatureOption {
  format: FeatureFormat;
  /** Uplink payload bytes per inference. */
  bytes: number;
  /** Output distortion the format adds (mean |y − ŷ| against the fp32 link). */
  deltaDo: number;
  /** Task metric against the fp32 link (e.g. CER), when a task scores the outputs. */
  task?: number;
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
    let reference: Record<string, HostTensor>[] = [];
    const options: FeatureOption[] = [];
    for (const format of ['fp32' as const, ...formats.filter((f) => f !== 'fp32')]) {
      const h = format === 'fp32' ? fp : splitAt(analysis, name, { link: format });
      const tail = await createSession(encodeModel(h.tail), { ...so, label: `tail at ${name} (${format} link)` });
      const outs: Record<string, HostTensor>[] = [];
      let d = 0;
      let bytes = 0;
      try {
        for (const [i, feat] of features.entries()) {
          const wire = wireTensors(feat, h.linkFormats);
          bytes = wireBytes(wire);
          const y = await runFeed(tail, featureFeed(feat, h.linkFormats));
          outs.push(y);
          if (format !== 'fp32') d += meanAbsDiff(reference[i], y);
        }
      } finally {
        await releaseSession(tail);
      }
      if (format === 'fp32') reference = outs;
      if (format === 'fp32' || formats.includes(format)) {
        options.push({ format, bytes, deltaDo: format === 'fp32' ? 0 : d / Math.max(1, feeds.length), ...(o.task ? { task: format === 'fp32' ? 0 : o.task.score(outs, reference) } : {}) });
      }
      o.progress?.(`link ${format} at ${name}`);
    }
    out.push({ cut: name, options });
  }
  return out;
}
