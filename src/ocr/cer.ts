/**
 * Character error rate. Strings are compared as arrays of Unicode code points, so a CJK
 * character or an emoji counts as one character, the way OCR benchmarks count them.
 */

/** Levenshtein distance (unit-cost insert, delete, substitute), O(|a|·|b|) time, O(|b|) memory. */
export function levenshtein(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  if (x.length === 0) return y.length;
  if (y.length === 0) return x.length;
  let prev = new Array<number>(y.length + 1);
  let cur = new Array<number>(y.length + 1);
  for (let j = 0; j <= y.length; j++) prev[j] = j;
  for (let i = 1; i <= x.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= y.length; j++) {
      const sub = prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1);
      cur[j] = Math.min(sub, prev[j] + 1, cur[j - 1] + 1);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[y.length];
}

/** CER of one hypothesis against one reference: edits / reference length (1 when the reference is empty and the hypothesis is not). */
export function cer(hypothesis: string, reference: string): number {
  const n = Array.from(reference).length;
  const d = levenshtein(hypothesis, reference);
  if (n === 0) return d === 0 ? 0 : 1;
  return d / n;
}

/**
 * Corpus CER: total edits over total reference characters, so long lines weigh more than
 * short ones (the usual OCR convention, and stable when a reference is short).
 */
export function corpusCer(hypotheses: readonly string[], references: readonly string[]): number {
  if (hypotheses.length !== references.length) throw new RangeError(`corpusCer: ${hypotheses.length} hypotheses vs ${references.length} references`);
  let edits = 0;
  let chars = 0;
  for (let i = 0; i < hypotheses.length; i++) {
    edits += levenshtein(hypotheses[i], references[i]);
    chars += Array.from(references[i]).length;
  }
  if (chars === 0) return edits === 0 ? 0 : 1;
  return edits / chars;
}

/** Exact-match rate: share of hypotheses equal to their reference. */
export function exactMatchRate(hypotheses: readonly string[], references: readonly string[]): number {
  if (hypotheses.length === 0) return 0;
  let ok = 0;
  for (let i = 0; i < hypotheses.length; i++) if (hypotheses[i] === references[i]) ok++;
  return ok / hypotheses.length;
}
