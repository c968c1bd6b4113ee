/**
 * The backward test channel behind D_U (SPEC §4): X = X̂ + Z with Z ~ Exp(mean D) independent
 * of X̂, and X̂ = 0 with probability λD, otherwise Exp(λ). Its Laplace transforms multiply back
 * to λ/(λ+s), so X ~ Exp(λ), E|X − X̂| = E Z = D, and I(X; X̂) = log2(1/(λD)).
 * Sampling it lets the tests check those three facts by Monte Carlo.
 */
import { CoquantError } from '../errors.ts';

export interface TestChannelSamples {
  /** Source samples X = X̂ + Z. */
  x: Float64Array;
  /** Reproduction X̂. */
  xhat: Float64Array;
  /** Channel noise Z. */
  z: Float64Array;
}

/** Exp(rate) sample by inversion; 1 − u keeps the argument of log in (0, 1]. */
export function expSample(rand: () => number, rate: number): number {
  return -Math.log(1 - rand()) / rate;
}

/** Draws n triples from the test channel. Requires 0 < D ≤ 1/λ (else λD is not a probability). */
export function sampleTestChannel(rand: () => number, lambda: number, D: number, n: number): TestChannelSamples {
  if (!(lambda > 0) || !(D > 0) || lambda * D > 1) {
    throw new CoquantError('E_RANGE', `test channel needs λ > 0 and 0 < D ≤ 1/λ, got λ=${lambda}, D=${D}`);
  }
  const x = new Float64Array(n);
  const xhat = new Float64Array(n);
  const z = new Float64Array(n);
  const p0 = lambda * D;
  for (let i = 0; i < n; i++) {
    const xh = rand() < p0 ? 0 : expSample(rand, lambda);
    const zi = expSample(rand, 1 / D);
    xhat[i] = xh;
    z[i] = zi;
    x[i] = xh + zi;
  }
  return { x, xhat, z };
}

/** Mutual information of the channel in bits: the rate at which it achieves distortion D. */
export function testChannelRate(lambda: number, D: number): number {
  return Math.log2(1 / (lambda * D));
}
