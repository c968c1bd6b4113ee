/**
 * Rate-distortion bounds for exponentially distributed weight magnitudes (SPEC §4).
 *
 * Model: |w| ~ Exp(λ) per group, sign kept exactly, so a b-bit symmetric quantizer spends
 * R = b − 1 bits on the magnitude. For distortion E|x − x̂|:
 *   lower (Shannon lower bound)  D_L(R) = 2^(−R) / (2λ)   ⇔  D_L(b) = 2^(−b) / λ
 *   upper (test channel, §4)     D_U(R) = 2^(−R) / λ       ⇔  D_U(b) = 2^(1−b) / λ
 * so D_U = 2·D_L everywhere: one bit of rate.
 *
 * Beside them, in this one module (one place per formula), the paper's bounds (Lyu et al.,
 * arXiv 2602.13052, §IV; Eq. numbers are the paper's) and the exact rate-distortion function:
 *   paper lower  R^L(D) = −log2(2λD) (Eq. 23), D^L(R) = 1/(λ·2^(R+1)) (Eq. 24): the same formulas as
 *                our D_L, so `rateDL` and `rateForDL` are both;
 *   paper upper  R^U(D) = log2(1/(λD) + λD/(λD+1)) (Eq. 25),
 *                D^U(R) = (1/(2λ))·(√(1 + 4/(2^R − 1)) − 1) (Eq. 26), from a Laplacian test channel;
 *   exact        D(R) = −ln(1 − 2^(−(R+1)))/λ, R(D) = −log2(2·(1 − e^(−λD))) for D ≤ ln2/λ (derived in
 *                docs/theory.md, checked against Blahut–Arimoto in test/theory/blahut-arimoto.test.ts).
 * Ordering, for every R > 0: D_L < D(R) < D_U(ours) < D^U(paper).
 *
 * Everything here is plain arithmetic with no allocation, because the planner evaluates these
 * inside its search loops. Conventions for degenerate inputs, chosen so loops need no guards:
 * λ = Infinity (an all-zero group) gives distortion 0; groups with 0 parameters contribute nothing.
 */

/** Per-group, per-parameter magnitude statistics the model-level bounds need. */
export interface RdGroup {
  /** N_g: number of parameters in the group. */
  readonly params: number;
  /** λ_g = 1 / mean|w| (maximum-likelihood exponential fit). */
  readonly lambda: number;
}

// 2^−b for the integer bit-widths planners evaluate millions of times; exact, like Math.pow.
const POW2NEG = Float64Array.from({ length: 66 }, (_, b) => 2 ** -b);
const pow2neg = (b: number) => (Number.isInteger(b) && b >= 0 && b <= 65 ? POW2NEG[b] : Math.pow(2, -b));

/** Lower bound on the L1 distortion of a b-bit quantizer (1 sign bit + b−1 magnitude bits). */
export function groupDL(b: number, lambda: number): number {
  return pow2neg(b) / lambda;
}

/** Upper bound (achievable by the test channel) on the L1 distortion at b bits: 2^(1−b)/λ. */
export function groupDU(b: number, lambda: number): number {
  return (2 * pow2neg(b)) / lambda;
}

/** D_L as a function of the magnitude rate R (bits per parameter, sign excluded); also the paper's D^L (Eq. 24). */
export function rateDL(R: number, lambda: number): number {
  return Math.pow(2, -R) / (2 * lambda);
}

/** D_U as a function of the magnitude rate R. */
export function rateDU(R: number, lambda: number): number {
  return Math.pow(2, -R) / lambda;
}

/** D_U − D_L at b bits for one group: how loose the pair is (= D_L, since D_U = 2·D_L). */
export function groupGap(b: number, lambda: number): number {
  return groupDU(b, lambda) - groupDL(b, lambda);
}

/**
 * Σ_g (N_g/N)·term(b_g, λ_g), the shared body of the model-level bounds: groups with no
 * parameters do not count, all-zero groups (λ = ∞) count with no distortion.
 * `bits` is either one shared bit-width or one per group (same order as `groups`).
 */
function paramWeighted(bits: number | ArrayLike<number>, groups: readonly RdGroup[], term: (b: number, lambda: number) => number): number {
  let total = 0;
  let acc = 0;
  const shared = typeof bits === 'number';
  for (let g = 0; g < groups.length; g++) {
    const n = groups[g].params;
    if (n <= 0) continue;
    total += n;
    const lam = groups[g].lambda;
    if (lam === Infinity) continue;
    acc += n * term(shared ? bits : bits[g], lam);
  }
  return total > 0 ? acc / total : 0;
}

/** Σ_g (N_g/N)·2^(shift − b_g)/λ_g. */
const weightedSum = (bits: number | ArrayLike<number>, groups: readonly RdGroup[], shift: number): number =>
  paramWeighted(bits, groups, (b, lam) => Math.pow(2, shift - b) / lam);

/** Model-level upper bound D_U(b⃗) = α Σ_g (N_g/N)·2^(1−b_g)/λ_g. */
export function modelDU(bits: number | ArrayLike<number>, groups: readonly RdGroup[], alpha = 1): number {
  return alpha * weightedSum(bits, groups, 1);
}

/** Model-level lower bound D_L(b⃗) = α Σ_g (N_g/N)·2^(−b_g)/λ_g. */
export function modelDL(bits: number | ArrayLike<number>, groups: readonly RdGroup[], alpha = 1): number {
  return alpha * weightedSum(bits, groups, 0);
}

/** Model-level tightness gap D_U(b⃗) − D_L(b⃗) (the quantity SPEC §5's optional ε constrains). */
export function modelGap(bits: number | ArrayLike<number>, groups: readonly RdGroup[], alpha = 1): number {
  return modelDU(bits, groups, alpha) - modelDL(bits, groups, alpha);
}

/**
 * The single λ whose bounds equal the model-level mixture at every b: 1/λ_eff = Σ (N_g/N)/λ_g
 * (i.e. the parameter-weighted mean |w|). Lets a plot draw the model bound as one curve.
 */
export function effectiveLambda(groups: readonly RdGroup[]): number {
  const inv = weightedSum(0, groups, 0);
  return inv > 0 ? 1 / inv : Infinity;
}

// ---- inverse forms: how many bits a target distortion needs -------------------------------

/** Real-valued b at which D_U(b) = target: b = 1 + log2(1/(λ·D)). */
export function bitsForDU(target: number, lambda: number): number {
  return 1 + Math.log2(1 / (lambda * target));
}

/** Real-valued b at which D_L(b) = target: b = log2(1/(λ·D)). */
export function bitsForDL(target: number, lambda: number): number {
  return Math.log2(1 / (lambda * target));
}

/** Magnitude rate R at which D_U(R) = target. */
export function rateForDU(target: number, lambda: number): number {
  return Math.log2(1 / (lambda * target));
}

/** Magnitude rate R at which D_L(R) = target: the fewest bits any quantizer can use for D; also the paper's R^L (Eq. 23). */
export function rateForDL(target: number, lambda: number): number {
  return Math.log2(1 / (2 * lambda * target));
}

/**
 * Smallest integer bit-width in [bMin, bMax] whose D_U is at most `target`, or undefined if even
 * bMax is not enough. A tiny relative slack absorbs floating-point noise in log2 at exact powers of 2.
 */
export function minBitsForDU(target: number, lambda: number, bMin = 2, bMax = 16): number | undefined {
  const exact = bitsForDU(target, lambda);
  const b = Math.max(bMin, Math.ceil(exact - 1e-12));
  return b <= bMax ? b : undefined;
}

/** Smallest integer b in [bMin, bMax] whose gap D_U − D_L is at most eps (SPEC §5 tightness). */
export function minBitsForGap(eps: number, lambda: number, bMin = 2, bMax = 16): number | undefined {
  // gap(b) = 2^(−b)/λ ≤ eps  ⇔  b ≥ log2(1/(λ·eps))
  const b = Math.max(bMin, Math.ceil(Math.log2(1 / (lambda * eps)) - 1e-12));
  return b <= bMax ? b : undefined;
}

// ---- the paper's upper bound (Laplacian test channel), and the exact D(R) --------------------

/**
 * The paper's D^U(R) (Eq. 26), (1/(2λ))·(√(1 + 4t) − 1) with t = 1/(2^R − 1), computed as
 * 2t/(λ·(1 + √(1 + 4t))), which is the same number without the cancellation at high rate.
 * Infinite for R ≤ 0: the Laplacian channel only reaches rate 0 at infinite distortion.
 */
export function paperRateDU(R: number, lambda: number): number {
  if (!(R > 0)) return Infinity;
  const t = 1 / Math.expm1(R * Math.LN2);
  return (2 * t) / (lambda * (1 + Math.sqrt(1 + 4 * t)));
}

/**
 * The paper's R^U(D) (Eq. 25), log2(1/(λD) + λD/(λD+1)), computed as log2(1 + 1/(u(u+1))) with
 * u = λD (the same number: 1/u − 1 + u/(u+1) = 1/(u(u+1))). Positive for every D.
 */
export function paperRateForDU(D: number, lambda: number): number {
  const u = lambda * D;
  return Math.log1p(1 / (u * (u + 1))) / Math.LN2;
}

/** The paper's D^U at b bits (R = b − 1). */
export function paperGroupDU(b: number, lambda: number): number {
  return paperRateDU(b - 1, lambda);
}

/** Model-level paper bound α Σ_g (N_g/N)·D^U(b_g − 1; λ_g), same conventions as `modelDU`. */
export function modelDUPaper(bits: number | ArrayLike<number>, groups: readonly RdGroup[], alpha = 1): number {
  return alpha * paramWeighted(bits, groups, (b, lam) => paperRateDU(b - 1, lam));
}

/**
 * The exact rate-distortion function of Exp(λ) under |x − x̂|, as distortion of rate:
 * D(R) = −ln(1 − 2^(−(R+1)))/λ for R ≥ 0 (ln2/λ at R = 0, the mean distance to the median).
 */
export function rateDExact(R: number, lambda: number): number {
  return -Math.log1p(-Math.pow(2, -(Math.max(0, R) + 1))) / lambda;
}

/** The exact R(D) = −log2(2·(1 − e^(−λD))) for 0 < D ≤ ln2/λ, and 0 beyond. */
export function rateForDExact(D: number, lambda: number): number {
  return Math.max(0, -Math.log2(-2 * Math.expm1(-lambda * D)));
}

// ---- choosing a bound -------------------------------------------------------------------------

/** Which upper bound a report, plot or plan uses: ours (exponential test channel) or the paper's (Laplacian). */
export type BoundKind = 'ours' | 'paper';
export const BOUND_KINDS: readonly BoundKind[] = ['ours', 'paper'];

/** D_U(R) of the chosen bound. */
export function rateDUOf(kind: BoundKind, R: number, lambda: number): number {
  return kind === 'paper' ? paperRateDU(R, lambda) : rateDU(R, lambda);
}

/** R_U(D) of the chosen bound: the rate its test channel needs for distortion D. */
export function rateForDUOf(kind: BoundKind, D: number, lambda: number): number {
  return kind === 'paper' ? paperRateForDU(D, lambda) : rateForDU(D, lambda);
}

/** D_U at b bits of the chosen bound. */
export function groupDUOf(kind: BoundKind, b: number, lambda: number): number {
  return kind === 'paper' ? paperGroupDU(b, lambda) : groupDU(b, lambda);
}

/** Model-level D_U of the chosen bound. */
export function modelDUOf(kind: BoundKind, bits: number | ArrayLike<number>, groups: readonly RdGroup[], alpha = 1): number {
  return kind === 'paper' ? modelDUPaper(bits, groups, alpha) : modelDU(bits, groups, alpha);
}
