/**
 * Fits the SPEC §5 device model to measured latencies and energies (pure math, no I/O).
 *   delay   T(b, f) = c·b·N / f          (pure model, least squares through the origin)
 *           T(b, f) = t0 + c'·b·N / f    (affine model: a fixed per-inference overhead t0)
 *   energy  E(b, f) = κ·c·b·N·f²         (κ through the origin, with the pure c)
 * Goodness of fit is R² (1 − SS_res/SS_tot, centred) and the worst relative error. The
 * held-out evaluation leaves one bit-width out at a time, fits on the rest and predicts it.
 */

export interface FitPoint {
  bits: number;
  /** Clock in Hz the point was measured at (the nominal clock when not controlled). */
  hz: number;
  seconds: number;
  joules?: number | null;
  format?: string;
}

export interface LineFit {
  /** Cycles per parameter per bit. */
  c: number;
  /** Fixed overhead in seconds (0 for the pure model). */
  t0: number;
  r2: number;
  maxRelErr: number;
}

/** Workload in parameter-bits per Hz: x = b·N/f, so that T = c·x (+ t0). */
const xOf = (p: FitPoint, N: number) => (p.bits * N) / p.hz;

export function rSquared(y: readonly number[], yhat: readonly number[]): number {
  const n = y.length;
  const mean = y.reduce((s, v) => s + v, 0) / n;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < n; i++) {
    ssRes += (y[i]! - yhat[i]!) ** 2;
    ssTot += (y[i]! - mean) ** 2;
  }
  if (ssTot === 0) return ssRes === 0 ? 1 : -Infinity;
  return 1 - ssRes / ssTot;
}

export function maxRelErr(y: readonly number[], yhat: readonly number[]): number {
  let m = 0;
  for (let i = 0; i < y.length; i++) m = Math.max(m, Math.abs(yhat[i]! - y[i]!) / Math.abs(y[i]!));
  return m;
}

/** T = c·b·N/f by least squares through the origin: c = Σ x·T / Σ x². */
export function fitPure(points: readonly FitPoint[], N: number): LineFit {
  if (points.length === 0) throw new RangeError('fitPure: no points');
  let sxy = 0;
  let sxx = 0;
  for (const p of points) {
    const x = xOf(p, N);
    sxy += x * p.seconds;
    sxx += x * x;
  }
  const c = sxy / sxx;
  const y = points.map((p) => p.seconds);
  const yhat = points.map((p) => c * xOf(p, N));
  return { c, t0: 0, r2: rSquared(y, yhat), maxRelErr: maxRelErr(y, yhat) };
}

/**
 * T = t0 + c·b·N/f by ordinary least squares. With a single distinct workload the slope is not
 * identifiable: returns null.
 */
export function fitAffine(points: readonly FitPoint[], N: number): LineFit | null {
  const n = points.length;
  if (n < 2) return null;
  const xs = points.map((p) => xOf(p, N));
  const ys = points.map((p) => p.seconds);
  const mx = xs.reduce((s, v) => s + v, 0) / n;
  const my = ys.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  if (!(sxx > 1e-12 * mx * mx * n)) return null;
  const c = sxy / sxx;
  const t0 = my - c * mx;
  const yhat = xs.map((x) => t0 + c * x);
  return { c, t0, r2: rSquared(ys, yhat), maxRelErr: maxRelErr(ys, yhat) };
}

/** κ from E = κ·c·b·N·f² through the origin, given c; null when no point has energy. */
export function fitKappa(points: readonly FitPoint[], N: number, c: number): { kappa: number; r2: number; maxRelErr: number } | null {
  const withE = points.filter((p) => typeof p.joules === 'number' && p.joules > 0);
  if (withE.length === 0) return null;
  const z = withE.map((p) => c * p.bits * N * p.hz * p.hz);
  const e = withE.map((p) => p.joules as number);
  let szy = 0;
  let szz = 0;
  for (let i = 0; i < z.length; i++) {
    szy += z[i]! * e[i]!;
    szz += z[i]! * z[i]!;
  }
  const kappa = szy / szz;
  const ehat = z.map((v) => kappa * v);
  return { kappa, r2: rSquared(e, ehat), maxRelErr: maxRelErr(e, ehat) };
}

export interface HeldOutPoint {
  format: string;
  bits: number;
  hz: number;
  measuredS: number;
  pureS: number;
  affineS: number;
  pureRelErr: number;
  affineRelErr: number;
}

export interface HeldOut {
  method: string;
  points: HeldOutPoint[];
  pureMaxRelErr: number | null;
  affineMaxRelErr: number | null;
  pureMeanRelErr: number | null;
  affineMeanRelErr: number | null;
}

/**
 * Leave-one-bit-width-out: for each bit-width B, fit on the points at other bit-widths and
 * predict the points at B. The affine prediction falls back to the pure one when the remaining
 * points have a single workload (its slope is then unidentifiable); NaN errors are not reported.
 */
export function heldOutByBits(points: readonly FitPoint[], N: number): HeldOut {
  const bitsSet = [...new Set(points.map((p) => p.bits))].sort((a, b) => a - b);
  const out: HeldOutPoint[] = [];
  if (bitsSet.length >= 2) {
    for (const B of bitsSet) {
      const train = points.filter((p) => p.bits !== B);
      const test = points.filter((p) => p.bits === B);
      const pure = fitPure(train, N);
      const aff = fitAffine(train, N) ?? pure;
      for (const p of test) {
        const x = xOf(p, N);
        const ps = pure.c * x;
        const as = aff.t0 + aff.c * x;
        out.push({ format: p.format ?? '', bits: p.bits, hz: p.hz, measuredS: p.seconds, pureS: ps, affineS: as, pureRelErr: Math.abs(ps - p.seconds) / p.seconds, affineRelErr: Math.abs(as - p.seconds) / p.seconds });
      }
    }
  }
  const agg = (k: 'pureRelErr' | 'affineRelErr') =>
    out.length ? { max: Math.max(...out.map((p) => p[k])), mean: out.reduce((s, p) => s + p[k], 0) / out.length } : { max: null, mean: null };
  const pu = agg('pureRelErr');
  const af = agg('affineRelErr');
  return {
    method: 'leave one bit-width out: fit on the other bit-widths, predict this one',
    points: out,
    pureMaxRelErr: pu.max,
    affineMaxRelErr: af.max,
    pureMeanRelErr: pu.mean,
    affineMeanRelErr: af.mean,
  };
}

export interface DeviceFit {
  pure: LineFit;
  affine: LineFit | null;
  kappa: { kappa: number; r2: number; maxRelErr: number } | null;
  heldOut: HeldOut;
}

export function fitDeviceModel(points: readonly FitPoint[], N: number): DeviceFit {
  const pure = fitPure(points, N);
  return { pure, affine: fitAffine(points, N), kappa: fitKappa(points, N, pure.c), heldOut: heldOutByBits(points, N) };
}
