/**
 * Assembles the `coquant bounds` document from numbers already measured: per-group λ, the
 * measured parameter distortion of each quantizer, and optionally α. Pure arithmetic over groups,
 * so a billion-parameter profile with thousands of groups takes milliseconds.
 * Schema `coquant.bounds/1`, documented in docs/theory.md.
 */
import type { FcBoundSection } from './fc-report.ts';
import { bitsForDU, effectiveLambda, groupDL, groupDU, modelDL, modelDU, rateDL, rateDU, type RdGroup } from './rd-bounds.ts';

export interface BoundsGroupInput extends RdGroup {
  name: string;
  /** KS distance of the exponential fit, when known. */
  ks?: number;
}

export interface QuantPointInput {
  bits: number;
  /** Measured parameter distortion mean|w − Q(w)| over all weights. */
  Dp: number;
  /** Entropy-coded magnitude rate (bits/param), when codes were available. */
  entropyRate?: number;
}

export interface QuantSeriesInput {
  label: string;
  family: string;
  granularity: string;
  range: string;
  /** How entropyRate was computed: `magnitude` = H(|code|); `code-minus-sign` = H(code) − 1. */
  rateKind?: 'magnitude' | 'code-minus-sign' | 'fp8-magnitude';
  points: QuantPointInput[];
}

export interface AlphaInput {
  value: number;
  source: 'distortion' | 'default';
  config?: string;
  r2?: number;
  maxRelErr?: number;
}

export interface BoundsInput {
  source: { kind: 'model' | 'profile'; path: string };
  groups: BoundsGroupInput[];
  quantizers: QuantSeriesInput[];
  alpha: AlphaInput;
  /** Bit-widths to tabulate the bounds at (default 2..16). */
  bits?: number[];
  /** Bit-widths the recommendations compare quantizers at (default 4 and 8, when measured). */
  compareAt?: number[];
}

export interface ModelBoundRow {
  bits: number;
  /** Magnitude rate R = b − 1. */
  rate: number;
  /** Parameter-level bounds Σ (N_g/N)·2^(·−b)/λ_g (what D_p is compared with). */
  DL: number;
  DU: number;
  gap: number;
  /** Output-level estimates α·D_L, α·D_U (equal to DL, DU when α = 1). */
  outDL: number;
  outDU: number;
}

export interface QuantPointReport {
  bits: number;
  Dp: number;
  DL: number;
  DU: number;
  /** D_p / D_U(b): 1 means the quantizer does as well as the test-channel bound; > 1 is inefficiency. */
  inefficiency: number;
  /** D_p below D_L: possible on real weights that are not exponential; flagged, not an error. */
  belowDL: boolean;
  /** b − bitsForDU(D_p): how many bits the quantizer spends beyond what D_U says suffices (negative: fewer). */
  bitsLost: number;
  fixedRate: number;
  entropyRate?: number;
  /** D_U at the entropy rate, and D_p over it. */
  DUAtEntropy?: number;
  inefficiencyAtEntropy?: number;
}

export interface BoundsReport {
  schema: 'coquant.bounds/1';
  source: { kind: 'model' | 'profile'; path: string };
  alpha: AlphaInput & { note: string };
  model: { params: number; groups: number; meanAbs: number; lambdaEff: number; ksWeighted: number | null; rows: ModelBoundRow[] };
  groups: { name: string; params: number; lambda: number; ks: number | null; bits: number[]; DL: number[]; DU: number[]; gap: number[] }[];
  quantizers: (Omit<QuantSeriesInput, 'points'> & { points: QuantPointReport[] })[];
  recommendations: string[];
  /** SPEC §3 FC bound beside measured errors, when the model is an FC chain (see fc-report.ts). */
  fc?: FcBoundSection | { applicable: false; reason: string };
}

const fmt = (x: number, d = 2) => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(d));

export function buildBoundsReport(input: BoundsInput): BoundsReport {
  const bits = input.bits ?? Array.from({ length: 15 }, (_, i) => i + 2);
  const { groups, alpha } = input;
  let params = 0;
  let ksAcc = 0;
  let ksParams = 0;
  for (const g of groups) {
    params += g.params;
    if (g.ks !== undefined && Number.isFinite(g.ks)) {
      ksAcc += g.params * g.ks;
      ksParams += g.params;
    }
  }
  const lambdaEff = effectiveLambda(groups);
  const rows: ModelBoundRow[] = bits.map((b) => {
    const DL = modelDL(b, groups);
    const DU = modelDU(b, groups);
    return { bits: b, rate: b - 1, DL, DU, gap: DU - DL, outDL: alpha.value * DL, outDU: alpha.value * DU };
  });
  const groupRows = groups.map((g) => ({
    name: g.name,
    params: g.params,
    lambda: g.lambda,
    ks: g.ks ?? null,
    bits,
    DL: bits.map((b) => groupDL(b, g.lambda)),
    DU: bits.map((b) => groupDU(b, g.lambda)),
    gap: bits.map((b) => groupDU(b, g.lambda) - groupDL(b, g.lambda)),
  }));
  const quantizers = input.quantizers.map((q) => ({
    label: q.label,
    family: q.family,
    granularity: q.granularity,
    range: q.range,
    ...(q.rateKind ? { rateKind: q.rateKind } : {}),
    points: q.points.map((p): QuantPointReport => {
      const DL = modelDL(p.bits, groups);
      const DU = modelDU(p.bits, groups);
      const out: QuantPointReport = {
        bits: p.bits,
        Dp: p.Dp,
        DL,
        DU,
        inefficiency: p.Dp / DU,
        belowDL: p.Dp < DL,
        bitsLost: p.bits - bitsForDU(p.Dp, lambdaEff),
        fixedRate: p.bits - 1,
      };
      if (p.entropyRate !== undefined) {
        out.entropyRate = p.entropyRate;
        out.DUAtEntropy = rateDU(p.entropyRate, lambdaEff);
        out.inefficiencyAtEntropy = p.Dp / out.DUAtEntropy;
      }
      return out;
    }),
  }));
  const ksWeighted = ksParams > 0 ? ksAcc / ksParams : null;
  const note =
    alpha.source === 'distortion'
      ? `α = ${fmt(alpha.value, 4)} from the distortion fit${alpha.config ? ` of ${alpha.config}` : ''}${alpha.r2 !== undefined ? ` (R² = ${fmt(alpha.r2, 3)})` : ''}: outDL/outDU estimate output distortion`
      : 'α = 1 (no --distortion fit given): model-level bounds are parameter-level only';
  const report: BoundsReport = {
    schema: 'coquant.bounds/1',
    source: input.source,
    alpha: { ...alpha, note },
    model: { params, groups: groups.length, meanAbs: 1 / lambdaEff, lambdaEff, ksWeighted, rows },
    groups: groupRows,
    quantizers,
    recommendations: [],
  };
  report.recommendations = recommend(report, input.compareAt ?? [4, 8]);
  return report;
}

/** Plain-language findings, every number computed from the report. */
export function recommend(r: BoundsReport, compareAt: readonly number[]): string[] {
  const out: string[] = [];
  for (const b of compareAt) {
    const at = r.quantizers
      .map((q) => ({ q, p: q.points.find((p) => p.bits === b) }))
      .filter((x): x is { q: (typeof r.quantizers)[number]; p: QuantPointReport } => x.p !== undefined && Number.isFinite(x.p.inefficiency));
    if (at.length === 0) continue;
    at.sort((x, y) => x.p.inefficiency - y.p.inefficiency);
    const best = at[0];
    const worst = at[at.length - 1];
    if (at.length > 1 && worst.p.inefficiency > best.p.inefficiency) {
      out.push(
        `${best.q.label} at ${b} bits is ${fmt(worst.p.inefficiency / best.p.inefficiency, 1)}× closer to the bound than ${worst.q.label} ` +
          `(D_p/D_U = ${fmt(best.p.inefficiency)} vs ${fmt(worst.p.inefficiency)}).`,
      );
    }
    if (best.p.belowDL) {
      out.push(
        `${best.q.label} at ${b} bits measures below D_L (D_p/D_L = ${fmt(best.p.Dp / best.p.DL)}): these weights are more compressible than the exponential model says` +
          (r.model.ksWeighted !== null ? ` (parameter-weighted KS = ${fmt(r.model.ksWeighted, 3)})` : '') +
          ', so read the bounds as estimates here.',
      );
    } else if (best.p.inefficiency > 1) {
      out.push(
        `Even the best quantizer at ${b} bits (${best.q.label}) is ${fmt(best.p.inefficiency)}× above D_U: it spends ${fmt(best.p.bitsLost, 1)} bits/param more than the test-channel bound needs for the same D_p.`,
      );
    } else {
      out.push(`${best.q.label} at ${b} bits is within D_U (D_p/D_U = ${fmt(best.p.inefficiency)}), ${fmt(best.p.Dp / best.p.DL)}× D_L.`);
    }
    if (worst !== best && worst.p.bitsLost > 0.5) {
      out.push(`${worst.q.label} at ${b} bits behaves like an ideal quantizer at ${fmt(b - worst.p.bitsLost, 1)} bits: ${fmt(worst.p.bitsLost, 1)} bits/param are lost to its range rule or granularity.`);
    }
    // Entropy coding, for the quantizer recommended above: the rate it really needs at its D_p.
    if (best.p.entropyRate !== undefined) {
      const saved = best.p.fixedRate - best.p.entropyRate;
      if (saved > 0.05) {
        out.push(
          `Entropy-coding ${best.q.label}'s ${b}-bit codes needs ${fmt(best.p.entropyRate)} magnitude bits/param instead of ${best.p.fixedRate} ` +
            `(saves ${fmt(saved)} bits/param at the same D_p; D_p/D_U at that rate = ${fmt(best.p.inefficiencyAtEntropy!)}).`,
        );
      }
    }
  }
  if (r.model.ksWeighted !== null && r.model.ksWeighted > 0.1) {
    out.push(`The exponential fit of |w| is rough on this model (parameter-weighted KS = ${fmt(r.model.ksWeighted, 3)} > 0.1): D_L and D_U are model-based estimates, not guarantees.`);
  }
  if (r.alpha.source === 'default') out.push('No distortion fit was given, so α = 1: pass --distortion <distortion.json> to scale the model-level bounds to output distortion.');
  return out;
}

/** Curves for the Fig. 4 plot: parameter-level D_L(R), D_U(R) at the model's effective λ. */
export function boundCurves(lambdaEff: number, maxRate = 15, step = 0.25): { rate: number; DL: number; DU: number }[] {
  const out: { rate: number; DL: number; DU: number }[] = [];
  for (let R = 0; R <= maxRate + 1e-9; R += step) out.push({ rate: R, DL: rateDL(R, lambdaEff), DU: rateDU(R, lambdaEff) });
  return out;
}
