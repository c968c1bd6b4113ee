/**
 * Fit of the approximation D_o ≈ α·D_p (SPEC §2) by least squares through the origin:
 * α = Σ Do·Dp / Σ Dp², which minimises Σ (Do − α·Dp)².
 *
 * R² for a fit without intercept has two definitions in use. We report the centred one,
 * r2 = 1 − SS_res / Σ (Do − mean Do)², because it compares the fit against the trivial model
 * "D_o is constant" and can go negative when the line through the origin is worse than that.
 * The uncentred one, 1 − SS_res / Σ Do² (what R's lm reports without intercept), is always at
 * least as large and is given as `r2Uncentered` for comparison.
 *
 * Beside it, the paper's estimate (Lyu et al. §VI-A): an empirical upper-bound constant, the
 * largest measured ratio α_max = max_i Do_i/Dp_i, so that Do_i ≤ α_max·Dp_i at every measured
 * point. The least-squares α is the Dp²-weighted mean of the same ratios, so α ≤ α_max always.
 */

export interface AlphaFit {
  alpha: number;
  /** Centred coefficient of determination (see above); 1 for an exact fit. */
  r2: number;
  /** 1 − SS_res / Σ Do². */
  r2Uncentered: number;
  /** max_i |α·Dp_i − Do_i| / Do_i over points with Do_i > 0. */
  maxRelErr: number;
  /** Number of points used. */
  n: number;
  /** The paper's α: the largest Do_i/Dp_i over points with Dp_i > 0 (0 when there are none). */
  alphaMax: number;
  /** Index (into the inputs) of the point that sets alphaMax; −1 when there is none. */
  alphaMaxIndex: number;
}

export function fitAlpha(dp: readonly number[], dO: readonly number[]): AlphaFit {
  if (dp.length !== dO.length) throw new RangeError(`fitAlpha: ${dp.length} Dp values vs ${dO.length} Do values`);
  const n = dp.length;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(dp[i]) || !Number.isFinite(dO[i])) throw new RangeError(`fitAlpha: non-finite value at index ${i}`);
    sxy += dp[i] * dO[i];
    sxx += dp[i] * dp[i];
    syy += dO[i] * dO[i];
    sy += dO[i];
  }
  const alpha = sxx > 0 ? sxy / sxx : 0;
  const mean = n > 0 ? sy / n : 0;
  let ssRes = 0;
  let ssTot = 0;
  let maxRelErr = 0;
  let alphaMax = 0;
  let alphaMaxIndex = -1;
  for (let i = 0; i < n; i++) {
    const fit = alpha * dp[i];
    ssRes += (dO[i] - fit) ** 2;
    ssTot += (dO[i] - mean) ** 2;
    if (dO[i] > 0) maxRelErr = Math.max(maxRelErr, Math.abs(fit - dO[i]) / dO[i]);
    else if (fit !== 0) maxRelErr = Infinity;
    if (dp[i] > 0 && (alphaMaxIndex < 0 || dO[i] / dp[i] > alphaMax)) {
      alphaMax = dO[i] / dp[i];
      alphaMaxIndex = i;
    }
  }
  // With all Do equal the centred R² is undefined; an exact fit still deserves 1.
  const r2 = ssTot > 0 ? 1 - ssRes / ssTot : ssRes === 0 ? 1 : 0;
  const r2Uncentered = syy > 0 ? 1 - ssRes / syy : ssRes === 0 ? 1 : 0;
  return { alpha, r2, r2Uncentered, maxRelErr, n, alphaMax, alphaMaxIndex };
}
