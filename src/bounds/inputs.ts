/**
 * The two documents `coquant bounds` reads: a `coquant profile --json` document (groups and the
 * model-scope quantizer measurements) and a `coquant distortion --json` document (its fitted α).
 */
import { CoquantError } from '../errors.ts';
import { parseProfile } from '../documents/profile-document.ts';
import { readDistortion } from '../documents/distortion-document.ts';

import type { AlphaInput, AlphaRule, BoundsGroupInput, QuantSeriesInput } from '../theory/bounds-report.ts';

export { readJsonFile as readJson } from '../documents/read-json.ts';

/** Groups and model-scope quantizer series from a `coquant profile --json` document. */
export function fromProfile(doc: unknown, path: string): { groups: BoundsGroupInput[]; quantizers: QuantSeriesInput[] } {
  const p = { data: parseProfile(doc, path) };
  // An all-zero group (λ = ∞) has no distortion at any rate and adds nothing to the bounds.
  const groups = p.data.groups.filter((g) => Number.isFinite(g.lambda) && g.lambda > 0).map((g) => ({ name: g.name, params: g.params, lambda: g.lambda, ks: g.ks ?? undefined }));
  if (groups.length === 0) throw new CoquantError('E_BAD_PROFILE', `${path}: every weight tensor is all zeros, so there is nothing to bound`);
  const series = new Map<string, QuantSeriesInput>();
  for (const d of p.data.distortion) {
    if (d.scope !== 'model') continue;
    const label = `${d.family}/${d.granularity}/${d.range}`;
    let s = series.get(label);
    if (!s) {
      s = { label, family: d.family, granularity: d.granularity, range: d.range, points: [] };
      if (d.magnitudeEntropy !== undefined) s.rateKind = 'magnitude';
      series.set(label, s);
    }
    s.points.push({ bits: d.bits, Dp: d.l1, ...(d.magnitudeEntropy !== undefined ? { entropyRate: d.magnitudeEntropy } : {}) });
  }
  for (const s of series.values()) s.points.sort((a, b) => a.bits - b.bits);
  return { groups, quantizers: [...series.values()] };
}

/**
 * α from a `coquant distortion --json` document. `rule` picks which estimate scales the output
 * columns: `least-squares` (fit.alpha, ours) or `max-ratio` (fit.alphaMax, the paper's §VI-A);
 * both are carried into the report when present.
 */
export async function readAlpha(path: string | undefined, rule: AlphaRule = 'least-squares'): Promise<AlphaInput> {
  if (!path) return { value: 1, source: 'default' };
  const { alpha, alphaMax, r2, maxRelErr, config } = (await readDistortion(path)).fit;
  if (!(alpha > 0) || !Number.isFinite(alpha)) throw new CoquantError('E_BAD_DISTORTION', `${path}: field fit.alpha must be a positive number, got ${alpha}`);
  if (alphaMax !== undefined && !(alphaMax > 0 && Number.isFinite(alphaMax))) {
    throw new CoquantError('E_BAD_DISTORTION', `${path}: field fit.alphaMax must be a positive number, got ${alphaMax}`);
  }
  if (rule === 'max-ratio' && alphaMax === undefined) {
    throw new CoquantError('E_BAD_DISTORTION', `${path}: has no fit.alphaMax (the paper's α), which --alpha max needs`, {
      hint: 're-run `coquant distortion --json` to get a document with fit.alphaMax, or use --alpha lsq',
    });
  }
  return {
    value: rule === 'max-ratio' ? alphaMax! : alpha,
    source: 'distortion',
    config,
    r2,
    maxRelErr,
    rule,
    leastSquares: alpha,
    ...(alphaMax !== undefined ? { maxRatio: alphaMax } : {}),
  };
}
