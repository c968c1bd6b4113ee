/**
 * How coquant's JSON documents carry numbers JSON cannot: +∞, −∞ and NaN are written as the
 * strings "Infinity", "-Infinity" and "NaN" (λ of an all-zero weight tensor is +∞, say).
 * Readers accept those strings and, for documents written before this encoding, `null` where
 * the field's meaning makes ∞ the only non-finite value it can hold (see each document).
 * Documented in docs/library.md ("JSON documents").
 */
import { z } from 'zod';

export const NON_FINITE = { Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY, NaN: Number.NaN } as const;

/** A number, or its string spelling when it is not finite. */
export const jsonNumber = z.union([z.number(), z.enum(['Infinity', '-Infinity', 'NaN']).transform((s) => NON_FINITE[s])]);

/** A number where older documents wrote `null` for +∞ (e.g. λ = 1/mean|w| of an all-zero tensor). */
export const jsonNumberNullIsInfinity = z.union([jsonNumber, z.null().transform(() => Number.POSITIVE_INFINITY)]);

/** JSON.stringify replacer that writes non-finite numbers as strings instead of `null`. */
export function nonFiniteReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
  return value;
}

/** Pretty JSON with a trailing newline, non-finite numbers encoded as above. */
export function stringifyDocument(doc: unknown): string {
  return `${JSON.stringify(doc, nonFiniteReplacer, 2)}\n`;
}
