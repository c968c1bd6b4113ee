/**
 * Bounded retry with exponential backoff: attempt k waits base·2^k (capped), with full
 * jitter from a supplied random source so a fleet of robots does not retry in lockstep.
 * The total number of attempts is bounded, so a dead server costs a known worst-case delay.
 */
export interface BackoffPolicy {
  retries: number;
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { retries: 2, baseMs: 50, maxMs: 1000 };

export function backoffDelayMs(policy: BackoffPolicy, attempt: number, rand: () => number = Math.random): number {
  const cap = Math.min(policy.maxMs, policy.baseMs * 2 ** attempt);
  return Math.round(cap * (0.5 + 0.5 * rand()));
}

/** Worst-case time spent waiting between attempts, for deadline accounting. */
export function worstCaseBackoffMs(policy: BackoffPolicy): number {
  let t = 0;
  for (let k = 0; k < policy.retries; k++) t += Math.min(policy.maxMs, policy.baseMs * 2 ** k);
  return t;
}
