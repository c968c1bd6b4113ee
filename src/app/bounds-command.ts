/**
 * `coquant bounds` minus printing: the SPEC §4 rate-distortion bounds and the paper's (its
 * Eqs. 23–26) per group and for the model, with the Blahut–Arimoto D(R), beside the measured
 * quantizers (their ratio to the headline D_U, fixed and entropy-coded rates), with computed
 * recommendations and the paper's Fig. 4 (all four curves) as SVG. From a profile JSON it is pure
 * arithmetic; from a model it measures the quantizers itself (with codes, for entropy rates).
 */
import { serializeBounds } from '../documents/bounds-document.ts';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CoquantError, UsageError } from '../errors.ts';
import { parseBits, parseQuantSpec } from '../quant/index.ts';
import { buildBoundsReport, type AlphaRule, type BoundsGroupInput, type BoundsReport, type QuantSeriesInput } from '../theory/bounds-report.ts';
import { BOUND_KINDS, type BoundKind } from '../theory/rd-bounds.ts';
import { fig4Spec } from '../theory/bounds-plot.ts';
import { extractFcChain } from '../bounds/fc-chain-onnx.ts';
import { fcBoundSection } from '../theory/fc-report.ts';
import { renderVegaLiteSvg } from '../report/render-svg.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { fromProfile, readAlpha, readJson } from '../bounds/inputs.ts';
import { measureModel } from '../bounds/measure-model.ts';
import { DEFAULT_BOUNDS_SPECS, type BoundsOptions } from '../bounds/options.ts';

/** The SPEC §3 bound when the ONNX model is an FC chain; otherwise the reason it does not apply. */
async function fcSection(path: string, o: BoundsOptions): Promise<NonNullable<BoundsReport['fc']>> {
  let chain;
  try {
    chain = extractFcChain(new Uint8Array(await readFile(path)));
  } catch (e) {
    if (e instanceof CoquantError && e.code === 'E_NOT_FC') return { applicable: false, reason: e.message };
    throw e;
  }
  const specs = (o.quant?.length ? o.quant : DEFAULT_BOUNDS_SPECS).map(parseQuantSpec);
  return fcBoundSection(chain, specs, parseBits(o.bits ?? '2,3,4,6,8'));
}

/** Whole command minus printing: input → report (+ files under `out`). Exported for the benchmark. */
/** `--bound`: which upper bound the headline uses. */
export function parseBoundKind(v: string | undefined): BoundKind {
  if (v === undefined) return 'ours';
  if ((BOUND_KINDS as readonly string[]).includes(v)) return v as BoundKind;
  throw new UsageError(`--bound must be one of ${BOUND_KINDS.join(', ')}, got '${v}'`, "ours = 2^(−R)/λ (SPEC §4), paper = the paper's Eq. 26");
}

/** `--alpha`: which α estimate scales the output-level columns. */
export function parseAlphaRule(v: string | undefined): AlphaRule {
  if (v === undefined || v === 'lsq') return 'least-squares';
  if (v === 'max') return 'max-ratio';
  throw new UsageError(`--alpha must be lsq or max, got '${v}'`, "lsq = least squares through the origin (ours), max = the largest measured D_o/D_p (the paper's)");
}

export async function runBounds(input: string, o: BoundsOptions): Promise<{ report: BoundsReport; files: string[] }> {
  const bound = parseBoundKind(o.bound);
  const rule = parseAlphaRule(o.alpha);
  if (o.alpha !== undefined && !o.distortion) throw new UsageError('--alpha needs --distortion <distortion.json>', 'α comes from a `coquant distortion --json` fit');
  const alpha = await readAlpha(o.distortion, rule);
  const isJson = input.toLowerCase().endsWith('.json');
  let data: { groups: BoundsGroupInput[]; quantizers: QuantSeriesInput[] };
  if (isJson) {
    if (o.quant?.length) throw new UsageError('--quant only applies to a model input; a profile JSON carries its own measurements');
    data = fromProfile(await readJson(input, 'profile JSON'), input);
  } else {
    const specs = (o.quant?.length ? o.quant : DEFAULT_BOUNDS_SPECS).map(parseQuantSpec);
    data = await measureModel(input, specs, parseBits(o.bits ?? '2,3,4,6,8'), { allFloat: o.allFloat, quiet: o.quiet });
  }
  const report = buildBoundsReport({ source: { kind: isJson ? 'profile' : 'model', path: input }, alpha, bound, ...data });
  if (!isJson && input.toLowerCase().endsWith('.onnx')) report.fc = await fcSection(input, o);
  const files: string[] = [];
  if (o.out) {
    const jsonPath = join(o.out, 'bounds.json');
    await writeFileAtomic(jsonPath, serializeBounds(report));
    files.push(jsonPath);
    if (o.plot !== false) {
      const svgPath = join(o.out, 'fig4-rd-bounds.svg');
      await writeFileAtomic(svgPath, await renderVegaLiteSvg(fig4Spec(report)));
      files.push(svgPath);
    }
  }
  return { report, files };
}
