/**
 * Empirical entropy of quantizer codes: the rate (bits/parameter) an ideal entropy coder would
 * reach on these codes, i.e. the "entropy-coded rate" operational point of SPEC §4.
 */

/** Histogram-based plug-in entropy of the integers produced by `key(i)`, i < n. */
function plugInEntropy(n: number, key: (i: number) => number): { bits: number; distinct: number } {
  if (n === 0) return { bits: 0, distinct: 0 };
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const k = key(i);
    if (k < lo) lo = k;
    if (k > hi) hi = k;
  }
  let counts: ArrayLike<number>;
  const span = hi - lo + 1;
  if (span <= 1 << 22) {
    // Dense histogram: codes of ≤16-bit quantizers and fp8 patterns always land here.
    const h = new Uint32Array(span);
    for (let i = 0; i < n; i++) h[key(i) - lo]++;
    counts = h;
  } else {
    const m = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const k = key(i);
      m.set(k, (m.get(k) ?? 0) + 1);
    }
    counts = [...m.values()];
  }
  let s = 0;
  let distinct = 0;
  for (let j = 0; j < counts.length; j++) {
    const c = counts[j];
    if (c === 0) continue;
    distinct++;
    s += c * Math.log2(c);
  }
  // H = log2 n − (1/n) Σ c log2 c
  return { bits: Math.max(0, Math.log2(n) - s / n), distinct };
}

/**
 * Entropy of the magnitude indices |code| in bits per parameter. For the symmetric and pot
 * families the sign is carried separately (1 bit, or less), so this is the magnitude rate R
 * that the bounds D_L(R), D_U(R) are stated in.
 */
export function magnitudeEntropy(codes: ArrayLike<number>): number {
  return plugInEntropy(codes.length, (i) => Math.abs(codes[i])).bits;
}

/** Entropy of the codes themselves (sign included), bits per parameter. */
export function codeEntropy(codes: ArrayLike<number>): number {
  return plugInEntropy(codes.length, (i) => codes[i]).bits;
}

/**
 * Miller–Madow bias-corrected entropy of |code|: the plug-in estimate is biased low by about
 * (K − 1)/(2n ln 2) bits for K occupied levels. Used where an estimate must not flatter a quantizer.
 */
export function magnitudeEntropyMM(codes: ArrayLike<number>): number {
  const n = codes.length;
  const r = plugInEntropy(n, (i) => Math.abs(codes[i]));
  return n === 0 ? 0 : r.bits + (r.distinct - 1) / (2 * n * Math.LN2);
}

/** Same correction for the signed codes. */
export function codeEntropyMM(codes: ArrayLike<number>): number {
  const n = codes.length;
  const r = plugInEntropy(n, (i) => codes[i]);
  return n === 0 ? 0 : r.bits + (r.distinct - 1) / (2 * n * Math.LN2);
}
