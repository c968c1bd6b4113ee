import type { FeatureFormat } from '../../src/formats/feature-format.ts';
import type { Session } from '../../src/ort/session.ts';
import { Agent, type PlanSource } from '../../src/runtime/agent/agent.ts';
import { InferenceClient } from '../../src/runtime/client/inference-client.ts';
/** Shared test helpers: the real OCR model path, raw HTTP posting, deterministic inputs. */
import { join } from 'node:path';
import { mulberry32 } from '../../src/util/rng.ts';

export const REC_MODEL = join('node_modules', '@gutenye', 'ocr-models', 'assets', 'ch_PP-OCRv4_rec_infer.onnx');
export const TMP = join('.cache', 'test-runtime');

export function randomImage(width: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  const a = new Float32Array(3 * 48 * width);
  for (let i = 0; i < a.length; i++) a[i] = r() * 2 - 1;
  return a;
}

export interface RawReply { status: number; headers: Headers; text: string; body: Buffer }

export async function post(url: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<RawReply> {
  const r = await fetch(url, { method: 'POST', body, headers });
  const buf = Buffer.from(await r.arrayBuffer());
  return { status: r.status, headers: r.headers, text: buf.toString('utf8'), body: buf };
}

/** Builds a binary-extension body from a JSON header and raw sections. */
export function binaryBody(header: unknown, ...sections: Uint8Array[]): { body: Buffer; headers: Record<string, string> } {
  const h = Buffer.from(JSON.stringify(header));
  return {
    body: Buffer.concat([h, ...sections]),
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(h.length) },
  };
}

/** An agent that sends a cut's crossing tensors in their link formats to `url` and never retries or falls back (the tests' edge path). */
export function linkAgent(url: string, tensors: string[], formats: Readonly<Record<string, FeatureFormat>>, head: Session, replanner: PlanSource): Agent {
  return new Agent({
    client: new InferenceClient({ url, timeoutMs: 10_000 }),
    tailModel: 'tail',
    feature: tensors[0],
    features: tensors,
    featureFormats: formats,
    replanner,
    headFor: async () => head,
    fallback: 'fail',
    backoff: { retries: 0, baseMs: 1, maxMs: 1 },
    requestTimeoutMs: 10_000,
  });
}
