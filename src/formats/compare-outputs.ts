/**
 * Output distortion of one model against another on the same inputs, measured by real forward
 * passes through onnxruntime (SPEC §2: mean absolute difference, and relative L2 error).
 */
import * as ort from 'onnxruntime-node';
import { FormatError } from './errors.ts';
import { ortLogSeverity } from '../ort/session.ts';
import { describeOrtFailure, parseOrtMessage } from '../ort/ort-errors.ts';

export interface OutputDistortion {
  /** Mean over feeds of the mean |a − b| over all output elements. */
  meanAbs: number;
  /** sqrt(Σ(a − b)²) / sqrt(Σ a²) over all feeds and outputs. */
  relL2: number;
  maxAbs: number;
  feeds: number;
}

export type Runner = (feed: Record<string, ort.Tensor>) => Promise<Float32Array[]>;

/** A runner for model bytes (all outputs, in declaration order), with CPU-provider defaults. */
export async function runnerFor(bytes: Uint8Array, intraOpThreads = 0): Promise<{ run: Runner; release: () => Promise<void> }> {
  let s: ort.InferenceSession;
  try {
    s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', logSeverityLevel: ortLogSeverity(), intraOpNumThreads: intraOpThreads });
  } catch (e) {
    throw new FormatError('E_ORT_LOAD', `onnxruntime cannot load the quantized model: ${describeOrtFailure(parseOrtMessage(e instanceof Error ? e.message : String(e)))}`);
  }
  return {
    run: async (feed) => {
      let res: ort.InferenceSession.OnnxValueMapType;
      try {
        res = await s.run(feed);
      } catch (e) {
        throw new FormatError('E_ORT_RUN', `measuring output distortion: onnxruntime failed: ${describeOrtFailure(parseOrtMessage(e instanceof Error ? e.message : String(e)))}`, 'the model must run on the calibration inputs; pass inputs it accepts with --inputs');
      }
      return s.outputNames.map((n) => {
        const t = res[n] as ort.Tensor | undefined;
        if (!t || !('data' in t) || !t.data || typeof t.data === 'string' || !(ArrayBuffer.isView(t.data) || Array.isArray(t.data))) {
          throw new FormatError('E_OUTPUT_TYPE', `output '${n}' is not a numeric tensor, so its distortion cannot be measured`, 'coquant compares numeric tensor outputs only');
        }
        // int64 outputs (ArgMax, TopK indices, Shape) arrive as BigInt64Array.
        return Float32Array.from(t.data as ArrayLike<number | bigint>, Number);
      });
    },
    release: () => s.release(),
  };
}

export async function compareOutputs(ref: Runner, cand: Runner, feeds: readonly Record<string, ort.Tensor>[]): Promise<OutputDistortion> {
  let meanSum = 0;
  let num = 0;
  let den = 0;
  let maxAbs = 0;
  for (const f of feeds) {
    const a = await ref(f);
    const b = await cand(f);
    let s = 0;
    let n = 0;
    for (let o = 0; o < a.length; o++) {
      if (a[o].length !== b[o]?.length) throw new FormatError('E_OUTPUT_MISMATCH', `output ${o} has ${a[o].length} values in the reference but ${b[o]?.length ?? 0} in the candidate`);
      for (let i = 0; i < a[o].length; i++) {
        const d = a[o][i] - b[o][i];
        s += Math.abs(d);
        num += d * d;
        den += a[o][i] * a[o][i];
        maxAbs = Math.max(maxAbs, Math.abs(d));
      }
      n += a[o].length;
    }
    meanSum += n ? s / n : 0;
  }
  return { meanAbs: feeds.length ? meanSum / feeds.length : 0, relL2: den > 0 ? Math.sqrt(num / den) : Math.sqrt(num), maxAbs, feeds: feeds.length };
}
