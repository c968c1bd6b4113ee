/**
 * Output distortion of one model against another on the same inputs, measured by real forward
 * passes through onnxruntime (SPEC §2: mean absolute difference, and relative L2 error).
 */
import type { OutputDistortion } from '../documents/format-report-document.ts';
import { asFloat32, type Feed, type HostTensor } from '../data/tensor.ts';
import { createSession, outputSpecs, runFeed } from '../ort/session.ts';
import { OutputDiff } from '../tasks/output-distortion.ts';
import { FormatError } from './errors.ts';

export type { OutputDistortion };

export type Runner = (feed: Feed) => Promise<Float32Array[]>;

/** A runner for model bytes or a model file (all outputs, in declaration order), with the boundary's session settings. */
export async function runnerFor(bytes: Uint8Array | string, intraOpThreads = 0): Promise<{ run: Runner; release: () => Promise<void> }> {
  // A path lets onnxruntime resolve the model's external data next to it.
  const s = await createSession(bytes, { intraOpThreads, label: typeof bytes === 'string' ? bytes : 'the quantized model' });
  const names = outputSpecs(s);
  const notNumeric = names.find((o) => !o.isTensor || o.type === 'string');
  if (notNumeric) {
    await s.release();
    throw new FormatError('E_OUTPUT_TYPE', `output '${notNumeric.name}' is not a numeric tensor, so its distortion cannot be measured`, 'coquant compares numeric tensor outputs only');
  }
  return {
    run: async (feed) => {
      let res: Record<string, HostTensor>;
      try {
        res = await runFeed(s, feed);
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        throw new FormatError('E_ORT_RUN', `measuring output distortion: ${msg}`, 'the model must run on the calibration inputs; pass inputs it accepts with --inputs');
      }
      // int64 outputs (ArgMax, TopK indices, Shape) are converted by value.
      return names.map((o) => asFloat32(res[o.name]!));
    },
    release: () => s.release(),
  };
}

export async function compareOutputs(ref: Runner, cand: Runner, feeds: readonly Feed[]): Promise<OutputDistortion> {
  const diff = new OutputDiff();
  for (const f of feeds) {
    const a = await ref(f);
    const b = await cand(f);
    for (let o = 0; o < a.length; o++) {
      if (a[o].length !== b[o]?.length) throw new FormatError('E_OUTPUT_MISMATCH', `output ${o} has ${a[o].length} values in the reference but ${b[o]?.length ?? 0} in the candidate: its size depends on the values (NonZero, NonMaxSuppression and the like), so quantizing the weights before it changed its shape`, 'cut the model before that operator with `coquant split MODEL --at TENSOR` and quantize the head');
    }
    // Every output of a feed counts as one sample of D_o, as when they are concatenated.
    diff.add(concat(a), concat(b));
  }
  const r = diff.result();
  return { meanAbs: r.Do ?? Infinity, relL2: r.relL2, maxAbs: r.maxAbs ?? Infinity, feeds: feeds.length };
}

function concat(parts: readonly Float32Array[]): Float32Array {
  if (parts.length === 1) return parts[0];
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The format report's three comparisons: the real format and its simulation against fp32, and the real one against the simulation. */
export async function formatDistortion(fp32: Runner, real: Runner, fake: Runner, feeds: Feed[]): Promise<{ vsFp32: OutputDistortion; fakeVsFp32: OutputDistortion; vsFake: OutputDistortion }> {
  return {
    vsFp32: await compareOutputs(fp32, real, feeds),
    fakeVsFp32: await compareOutputs(fp32, fake, feeds),
    vsFake: await compareOutputs(fake, real, feeds),
  };
}
