/**
 * The `coquant bounds` document (schema `coquant.bounds/1`, documented in docs/theory.md). Its
 * type is built by theory (`buildBoundsReport`, pure arithmetic); this module writes it and reads
 * it back. The reader checks the parts a program uses (per-bit model rows, per-group λ and
 * bounds, α) and keeps the rest as written. Non-finite numbers follow json-numbers.ts: a group of
 * all-zero weights has λ = ∞ and D_U = 0 at every bit-width, written as "Infinity", not null.
 */
import { z } from 'zod';
import type { BoundsReport } from '../theory/bounds-report.ts';
import { jsonNumber, jsonNumberNullIsInfinity, stringifyDocument } from './json-numbers.ts';
import { readDocument } from './read-json.ts';

export type { BoundsReport };

const numbers = z.array(jsonNumber);

/** What readers of a bounds document rely on. */
export const boundsReaderSchema = z
  .object({
    schema: z.literal('coquant.bounds/1'),
    source: z.object({ kind: z.enum(['model', 'profile']), path: z.string() }),
    alpha: z.object({ value: jsonNumber }).passthrough(),
    bound: z.object({ headline: z.enum(['ours', 'paper']) }).passthrough(),
    model: z
      .object({
        params: z.number(),
        groups: z.number(),
        lambdaEff: jsonNumber,
        rows: z.array(z.object({ bits: z.number(), DL: jsonNumber, DU: jsonNumber, outDL: jsonNumber, outDU: jsonNumber }).passthrough()),
      })
      .passthrough(),
    // Older documents wrote an infinite λ as null; it is read as +∞.
    groups: z.array(z.object({ name: z.string(), params: z.number(), lambda: jsonNumberNullIsInfinity, bits: z.array(z.number()), DL: numbers, DU: numbers }).passthrough()),
  })
  .passthrough();
export type BoundsReaderView = z.infer<typeof boundsReaderSchema>;

/** The document as written to disk (non-finite numbers encoded, trailing newline). */
export function serializeBounds(report: BoundsReport): string {
  return stringifyDocument(report);
}

/** Reads and checks a bounds document written by `coquant bounds --json`. */
export function readBounds(path: string): Promise<BoundsReaderView> {
  return readDocument(path, boundsReaderSchema, { what: 'bounds JSON', code: 'E_BAD_BOUNDS', hint: 'pass the bounds.json written by `coquant bounds INPUT --out DIR` (or its --json output)' });
}
