/**
 * Assembles the `coquant bounds` document from numbers already measured: per-group λ, the
 * measured parameter distortion of each quantizer, and optionally α. Pure arithmetic over groups,
 * so a billion-parameter profile with thousands of groups takes milliseconds, plus one
 * Blahut–Arimoto reference curve at λ = 1 (solved once per process, about 0.1 s, then scaled).
 * Schema `coquant.bounds/1`, documented in docs/theory.md.
 */
import { baReferenceCurve } from './blahut-arimoto.ts';
import type { FcBoundSection } from './fc-report.ts';
import {
  bitsForDU,
  effectiveLambda,
  groupDL,
  groupDU,
  modelDL,
  modelDU,
  modelDUPaper,
  paperGroupDU,
  paperRateDU,
  paperRateForDU,
  rateDExact,
  rateDL,
  rateDU,
  rateForDL,
  rateForDU,
  type BoundKind,
  type RdGroup,
} from './rd-bounds.ts';

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
  /** The α that scales outDL/outDU: the least-squares fit unless `rule` says otherwise. */
  value: number;
  source: 'distortion' | 'default';
  config?: string;
  r2?: number;
  maxRelErr?: number;
  /** Which estimate `value` is: `least-squares` (ours, the default) or `max-ratio` (the paper's §VI-A). */
  rule?: AlphaRule;
  /** The least-squares α of the distortion fit (= value under `least-squares`). */
  leastSquares?: number;
  /** The paper's α: the largest measured D_o/D_p of the same fit (absent in older distortion documents). */
  maxRatio?: number;
}

export type AlphaRule = 'least-squares' | 'max-ratio';

export interface BoundsInput {
  source: { kind: 'model' | 'profile'; path: string };
  groups: BoundsGroupInput[];
  quantizers: QuantSeriesInput[];
  alpha: AlphaInput;
  /** Bit-widths to tabulate the bounds at (default 2..16). */
  bits?: number[];
  /** Bit-widths the recommendations compare quantizers at (default 4 and 8, when measured). */
  compareAt?: number[];
  /** Which upper bound the headline (recommendations, table, plot emphasis) uses; default `ours`. */
  bound?: BoundKind;
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
  /** The paper's D^U (Eq. 26) at R = b − 1, its gap to D_L, and α·D^U. */
  DUPaper: number;
  gapPaper: number;
  outDUPaper: number;
  /** The exact rate-distortion function D(R) at R = b − 1 (closed form, rd-bounds.ts). */
  Dexact: number;
  /** D(R) by Blahut–Arimoto at R = b − 1 (discrete solution), where the reference curve covers R; else null. */
  DBA: number | null;
}

/** One point of the Blahut–Arimoto reference curve at the model's λ_eff. */
export interface BaCurveRow {
  rate: number;
  /** Distortion of the discrete BA solution. */
  D: number;
  /** Interval that contains the continuous D(rate) (solver gap + discretisation). */
  lo: number;
  hi: number;
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
  /** The paper's D^U at b (Eq. 26), D_p over it, and the bits lost against it: b − 1 − R^U(D_p). */
  DUPaper: number;
  inefficiencyPaper: number;
  bitsLostPaper: number;
  /** Rates at D_p (λ_eff): R^L (Eq. 23, = ours), R_U (ours), R^U (paper, Eq. 25), in magnitude bits (R^L, R_U clamped at 0). */
  RL: number;
  RU: number;
  RUPaper: number;
  /** The exact D(R) at R = b − 1: D_p/Dexact is the quantizer's distance from the optimum. */
  Dexact: number;
  DUPaperAtEntropy?: number;
  inefficiencyPaperAtEntropy?: number;
}

export interface BoundsReport {
  schema: 'coquant.bounds/1';
  source: { kind: 'model' | 'profile'; path: string };
  alpha: AlphaInput & { note: string };
  /** Which upper bound the headline uses, and what each one is. */
  bound: { headline: BoundKind; note: string };
  model: {
    params: number;
    groups: number;
    meanAbs: number;
    lambdaEff: number;
    ksWeighted: number | null;
    rows: ModelBoundRow[];
    /** Blahut–Arimoto reference D(R) at λ_eff (Fig. 4's D_BA curve), with its error intervals. */
    ba: { resolution: number; rows: BaCurveRow[] };
  };
  groups: { name: string; params: number; lambda: number; ks: number | null; bits: number[]; DL: number[]; DU: number[]; gap: number[]; DUPaper: number[] }[];
  quantizers: (Omit<QuantSeriesInput, 'points'> & { points: QuantPointReport[] })[];
  recommendations: string[];
  /** SPEC §3 FC bound beside measured errors, when the model is an FC chain (see fc-report.ts). */
  fc?: FcBoundSection | { applicable: false; reason: string };
}

const fmt = (x: number, d = 2) => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(d));

const BOUND_NOTES: Record<BoundKind, string> = {
  ours: 'headline bound: ours, D_U(R) = 2^(−R)/λ (exponential test channel, SPEC §4); the paper\'s D^U (Eq. 26) is reported beside it as DUPaper',
  paper: 'headline bound: the paper\'s D^U(R) = (1/(2λ))(√(1 + 4/(2^R − 1)) − 1) (Laplacian test channel, Eq. 26); ours, 2^(−R)/λ, is reported beside it as DU',
};

export function buildBoundsReport(input: BoundsInput): BoundsReport {
  const bits = input.bits ?? Array.from({ length: 15 }, (_, i) => i + 2);
  const { groups, alpha } = input;
  const headline = input.bound ?? 'ours';
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
  // D(R; λ) = D(R; 1)/λ for every curve here, so the BA reference is solved once, at λ = 1.
  const ref = baReferenceCurve();
  const baRows: BaCurveRow[] = ref.rows.map((p) => ({ rate: p.rate, D: p.D / lambdaEff, lo: p.continuous[0] / lambdaEff, hi: p.continuous[1] / lambdaEff }));
  const rows: ModelBoundRow[] = bits.map((b) => {
    const DL = modelDL(b, groups);
    const DU = modelDU(b, groups);
    const DUPaper = modelDUPaper(b, groups);
    const ba = baRows.find((p) => p.rate === b - 1);
    return {
      bits: b,
      rate: b - 1,
      DL,
      DU,
      gap: DU - DL,
      outDL: alpha.value * DL,
      outDU: alpha.value * DU,
      DUPaper,
      gapPaper: DUPaper - DL,
      outDUPaper: alpha.value * DUPaper,
      Dexact: rateDExact(b - 1, lambdaEff),
      DBA: ba ? ba.D : null,
    };
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
    DUPaper: bits.map((b) => paperGroupDU(b, g.lambda)),
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
      const DUPaper = modelDUPaper(p.bits, groups);
      const RUPaper = paperRateForDU(p.Dp, lambdaEff);
      const out: QuantPointReport = {
        bits: p.bits,
        Dp: p.Dp,
        DL,
        DU,
        inefficiency: p.Dp / DU,
        belowDL: p.Dp < DL,
        bitsLost: p.bits - bitsForDU(p.Dp, lambdaEff),
        fixedRate: p.bits - 1,
        DUPaper,
        inefficiencyPaper: p.Dp / DUPaper,
        bitsLostPaper: p.bits - 1 - RUPaper,
        RL: Math.max(0, rateForDL(p.Dp, lambdaEff)),
        RU: Math.max(0, rateForDU(p.Dp, lambdaEff)),
        RUPaper,
        Dexact: rateDExact(p.bits - 1, lambdaEff),
      };
      if (p.entropyRate !== undefined) {
        out.entropyRate = p.entropyRate;
        out.DUAtEntropy = rateDU(p.entropyRate, lambdaEff);
        out.inefficiencyAtEntropy = p.Dp / out.DUAtEntropy;
        out.DUPaperAtEntropy = paperRateDU(p.entropyRate, lambdaEff);
        out.inefficiencyPaperAtEntropy = p.Dp / out.DUPaperAtEntropy;
      }
      return out;
    }),
  }));
  const ksWeighted = ksParams > 0 ? ksAcc / ksParams : null;
  const report: BoundsReport = {
    schema: 'coquant.bounds/1',
    source: input.source,
    alpha: { ...alpha, note: alphaNote(alpha) },
    bound: { headline, note: BOUND_NOTES[headline] },
    model: { params, groups: groups.length, meanAbs: 1 / lambdaEff, lambdaEff, ksWeighted, rows, ba: { resolution: ref.resolution, rows: baRows } },
    groups: groupRows,
    quantizers,
    recommendations: [],
  };
  report.recommendations = recommend(report, input.compareAt ?? [4, 8]);
  return report;
}

function alphaNote(alpha: AlphaInput): string {
  if (alpha.source !== 'distortion') return 'α = 1 (no --distortion fit given): model-level bounds are parameter-level only';
  const rule = alpha.rule ?? 'least-squares';
  const used = rule === 'max-ratio' ? 'the paper\'s α (largest measured D_o/D_p)' : 'the least-squares α';
  const other =
    rule === 'max-ratio'
      ? alpha.leastSquares !== undefined
        ? `; least-squares α = ${fmt(alpha.leastSquares, 4)}`
        : ''
      : alpha.maxRatio !== undefined
        ? `; the paper's α (largest D_o/D_p) = ${fmt(alpha.maxRatio, 4)}`
        : '';
  return (
    `α = ${fmt(alpha.value, 4)}, ${used}, from the distortion fit${alpha.config ? ` of ${alpha.config}` : ''}` +
    `${alpha.r2 !== undefined ? ` (R² = ${fmt(alpha.r2, 3)})` : ''}${other}: outDL/outDU estimate output distortion`
  );
}

/** The headline bound's numbers at one quantizer point. */
function headlineOf(r: BoundsReport, p: QuantPointReport): { DU: number; inefficiency: number; bitsLost: number; inefficiencyAtEntropy?: number; name: string } {
  return r.bound.headline === 'paper'
    ? { DU: p.DUPaper, inefficiency: p.inefficiencyPaper, bitsLost: p.bitsLostPaper, inefficiencyAtEntropy: p.inefficiencyPaperAtEntropy, name: 'D^U (paper)' }
    : { DU: p.DU, inefficiency: p.inefficiency, bitsLost: p.bitsLost, inefficiencyAtEntropy: p.inefficiencyAtEntropy, name: 'D_U' };
}

/** Plain-language findings, every number computed from the report. */
export function recommend(r: BoundsReport, compareAt: readonly number[]): string[] {
  const out: string[] = [];
  for (const b of compareAt) {
    const at = r.quantizers
      .map((q) => ({ q, p: q.points.find((p) => p.bits === b) }))
      .filter((x): x is { q: (typeof r.quantizers)[number]; p: QuantPointReport } => x.p !== undefined)
      .map((x) => ({ ...x, h: headlineOf(r, x.p) }))
      .filter((x) => Number.isFinite(x.h.inefficiency));
    if (at.length === 0) continue;
    at.sort((x, y) => x.h.inefficiency - y.h.inefficiency);
    const best = at[0];
    const worst = at[at.length - 1];
    const U = best.h.name;
    if (at.length > 1 && worst.h.inefficiency > best.h.inefficiency) {
      out.push(
        `${best.q.label} at ${b} bits is ${fmt(worst.h.inefficiency / best.h.inefficiency, 1)}× closer to the bound than ${worst.q.label} ` +
          `(D_p/${U} = ${fmt(best.h.inefficiency)} vs ${fmt(worst.h.inefficiency)}).`,
      );
    }
    if (best.p.belowDL) {
      out.push(
        `${best.q.label} at ${b} bits measures below D_L (D_p/D_L = ${fmt(best.p.Dp / best.p.DL)}): these weights are more compressible than the exponential model says` +
          (r.model.ksWeighted !== null ? ` (parameter-weighted KS = ${fmt(r.model.ksWeighted, 3)})` : '') +
          ', so read the bounds as estimates here.',
      );
    } else if (best.h.inefficiency > 1) {
      out.push(
        `Even the best quantizer at ${b} bits (${best.q.label}) is ${fmt(best.h.inefficiency)}× above ${U}: it spends ${fmt(best.h.bitsLost, 1)} bits/param more than the test-channel bound needs for the same D_p.`,
      );
    } else {
      out.push(`${best.q.label} at ${b} bits is within ${U} (D_p/${U} = ${fmt(best.h.inefficiency)}), ${fmt(best.p.Dp / best.p.DL)}× D_L.`);
    }
    if (worst !== best && worst.h.bitsLost > 0.5) {
      out.push(`${worst.q.label} at ${b} bits behaves like an ideal quantizer at ${fmt(b - worst.h.bitsLost, 1)} bits: ${fmt(worst.h.bitsLost, 1)} bits/param are lost to its range rule or granularity.`);
    }
    // Entropy coding, for the quantizer recommended above: the rate it really needs at its D_p.
    if (best.p.entropyRate !== undefined) {
      const saved = best.p.fixedRate - best.p.entropyRate;
      if (saved > 0.05) {
        out.push(
          `Entropy-coding ${best.q.label}'s ${b}-bit codes needs ${fmt(best.p.entropyRate)} magnitude bits/param instead of ${best.p.fixedRate} ` +
            `(saves ${fmt(saved)} bits/param at the same D_p; D_p/${U} at that rate = ${fmt(best.h.inefficiencyAtEntropy!)}).`,
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

/**
 * Curves for the Fig. 4 plot at the model's effective λ: D_L(R), D_U(R) (ours), the paper's D^U(R)
 * (Infinity at R = 0) and the exact D(R). The BA curve is `model.ba` of the report.
 */
export function boundCurves(lambdaEff: number, maxRate = 15, step = 0.25): { rate: number; DL: number; DU: number; DUPaper: number; Dexact: number }[] {
  const out: { rate: number; DL: number; DU: number; DUPaper: number; Dexact: number }[] = [];
  for (let R = 0; R <= maxRate + 1e-9; R += step) {
    out.push({ rate: R, DL: rateDL(R, lambdaEff), DU: rateDU(R, lambdaEff), DUPaper: paperRateDU(R, lambdaEff), Dexact: rateDExact(R, lambdaEff) });
  }
  return out;
}
