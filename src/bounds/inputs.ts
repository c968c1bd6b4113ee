/**
 * The two documents `coquant bounds` reads: a `coquant profile --json` document (groups and the
 * model-scope quantizer measurements) and a `coquant distortion --json` document (its fitted α).
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { CoquantError } from '../errors.ts';
import type { AlphaInput, AlphaRule, BoundsGroupInput, QuantSeriesInput } from '../theory/bounds-report.ts';

const profileSchema = z.object({
  schema: z.literal('coquant.profile/1'),
  // λ is null for an all-zero tensor: JSON has no Infinity, and the profile document writes λ = ∞ as null.
  groups: z.array(z.object({ name: z.string(), params: z.number().nonnegative(), lambda: z.number().positive().nullable(), ks: z.number().nullable().optional() })),
  distortion: z.array(
    z.object({
      scope: z.string(),
      family: z.string(),
      granularity: z.string(),
      range: z.string(),
      bits: z.number(),
      l1: z.number().nonnegative(),
      /** Optional (proposed): entropy-coded magnitude rate of the codes, bits/param. */
      magnitudeEntropy: z.number().nonnegative().optional(),
    }),
  ),
});

function zodWhere(e: z.ZodError, file: string): string {
  const i = e.issues[0];
  return `${file}: field ${i.path.join('.') || '(root)'}: ${i.message}`;
}

export async function readJson(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new CoquantError('E_NOT_FOUND', `${path}: cannot read the ${what}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CoquantError('E_BAD_JSON', `${path}: not valid JSON (${(e as Error).message})`);
  }
}

/** Groups and model-scope quantizer series from a `coquant profile --json` document. */
export function fromProfile(doc: unknown, path: string): { groups: BoundsGroupInput[]; quantizers: QuantSeriesInput[] } {
  const p = profileSchema.safeParse(doc);
  if (!p.success) throw new CoquantError('E_BAD_PROFILE', zodWhere(p.error, path), { hint: 'pass the output of `coquant profile --json`' });
  // An all-zero group (λ = ∞) has no distortion at any rate and adds nothing to the bounds.
  const groups = p.data.groups.filter((g) => g.lambda !== null).map((g) => ({ name: g.name, params: g.params, lambda: g.lambda as number, ks: g.ks ?? undefined }));
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

const distortionSchema = z.object({
  fit: z.object({
    alpha: z.number(),
    /** The paper's α (largest measured D_o/D_p); absent in documents written before it was added. */
    alphaMax: z.number().optional(),
    r2: z.number().optional(),
    maxRelErr: z.number().optional(),
    config: z.string().optional(),
  }),
});

/**
 * α from a `coquant distortion --json` document. `rule` picks which estimate scales the output
 * columns: `least-squares` (fit.alpha, ours) or `max-ratio` (fit.alphaMax, the paper's §VI-A);
 * both are carried into the report when present.
 */
export async function readAlpha(path: string | undefined, rule: AlphaRule = 'least-squares'): Promise<AlphaInput> {
  if (!path) return { value: 1, source: 'default' };
  const doc = await readJson(path, 'distortion JSON');
  const p = distortionSchema.safeParse(doc);
  if (!p.success) throw new CoquantError('E_BAD_DISTORTION', zodWhere(p.error, path), { hint: 'pass the output of `coquant distortion --json`' });
  const { alpha, alphaMax, r2, maxRelErr, config } = p.data.fit;
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
