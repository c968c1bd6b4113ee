/**
 * `coquant bounds <model | profile.json>`: the SPEC §4 rate-distortion bounds per group and for
 * the model, beside the measured quantizers (their ratio to D_U, fixed and entropy-coded rates),
 * with computed recommendations and the paper's Fig. 4 as SVG. From a profile JSON it is pure
 * arithmetic; from a model it measures the quantizers itself (with codes, for entropy rates).
 */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { CoquantError, UsageError } from '../../errors.ts';
import { openWeights, selectWeights, toFloat32 } from '../../io/index.ts';
import { configLabel, fakeQuantize, isFp8, parseBits, parseQuantSpec, type QuantSpec } from '../../quant/index.ts';
import { codeEntropy, magnitudeEntropy } from '../../theory/entropy.ts';
import { float32MagnitudeKey, ksExponentialBinned, magnitudeEdges, MAGNITUDE_BINS } from '../../theory/exponential.ts';
import { buildBoundsReport, type AlphaInput, type BoundsGroupInput, type BoundsReport, type QuantSeriesInput } from '../../theory/bounds-report.ts';
import { fig4Spec } from '../../theory/bounds-plot.ts';
import { extractFcChain } from '../../theory/fc-chain.ts';
import { fcBoundSection } from '../../theory/fc-report.ts';
import { renderVegaLiteSvg } from '../../report/render-svg.ts';
import { writeFileAtomic } from '../../util/atomic-write.ts';
import { progressBar } from '../../util/progress.ts';

export const DEFAULT_BOUNDS_SPECS = [
  'uniform-symmetric/tensor/absmax',
  'uniform-symmetric/channel/absmax',
  'uniform-symmetric/channel/clip-l1',
  'pot/tensor/absmax',
];

export interface BoundsOptions {
  distortion?: string;
  quant?: string[];
  bits?: string;
  allFloat?: boolean;
  out?: string;
  plot?: boolean;
  quiet?: boolean;
}

// ---- inputs --------------------------------------------------------------------------------

const profileSchema = z.object({
  schema: z.literal('coquant.profile/1'),
  groups: z.array(z.object({ name: z.string(), params: z.number().nonnegative(), lambda: z.number().positive(), ks: z.number().optional() })),
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

async function readJson(path: string, what: string): Promise<unknown> {
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
  const groups = p.data.groups.map((g) => ({ name: g.name, params: g.params, lambda: g.lambda, ks: g.ks }));
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
  fit: z.object({ alpha: z.number(), r2: z.number().optional(), maxRelErr: z.number().optional(), config: z.string().optional() }),
});

export async function readAlpha(path: string | undefined): Promise<AlphaInput> {
  if (!path) return { value: 1, source: 'default' };
  const doc = await readJson(path, 'distortion JSON');
  const p = distortionSchema.safeParse(doc);
  if (!p.success) throw new CoquantError('E_BAD_DISTORTION', zodWhere(p.error, path), { hint: 'pass the output of `coquant distortion --json`' });
  const { alpha, r2, maxRelErr, config } = p.data.fit;
  if (!(alpha > 0) || !Number.isFinite(alpha)) throw new CoquantError('E_BAD_DISTORTION', `${path}: field fit.alpha must be a positive number, got ${alpha}`);
  return { value: alpha, source: 'distortion', config, r2, maxRelErr };
}

/** Rate of the codes, in magnitude bits: the bounds are stated for R = magnitude bits. */
function rateOf(spec: QuantSpec, codes: Int32Array): number {
  if (spec.family === 'uniform-symmetric' || spec.family === 'pot') return magnitudeEntropy(codes);
  if (isFp8(spec.family)) {
    const mag = new Int32Array(codes.length);
    for (let i = 0; i < codes.length; i++) mag[i] = codes[i] & 0x7f;
    return codeEntropy(mag);
  }
  return Math.max(0, codeEntropy(codes) - 1);
}

function rateKindOf(spec: QuantSpec): QuantSeriesInput['rateKind'] {
  if (spec.family === 'uniform-symmetric' || spec.family === 'pot') return 'magnitude';
  return isFp8(spec.family) ? 'fp8-magnitude' : 'code-minus-sign';
}

/** Reads a model's weights once, tensor by tensor, and measures λ, KS, D_p and entropy rates. */
export async function measureModel(
  path: string,
  specs: QuantSpec[],
  bitList: number[],
  opts: { allFloat?: boolean; quiet?: boolean } = {},
): Promise<{ groups: BoundsGroupInput[]; quantizers: QuantSeriesInput[] }> {
  const src = await openWeights(path);
  try {
    const tensors = selectWeights(src.tensors, { allFloat: opts.allFloat });
    if (tensors.length === 0) throw new CoquantError('E_NO_WEIGHTS', `${path}: no float weight tensors of rank ≥ 2`, { hint: 'try --all-float' });
    const perSpecBits = specs.map((s) => (isFp8(s.family) ? [8] : bitList));
    const l1 = specs.map((_, i) => new Float64Array(perSpecBits[i].length));
    const ent = specs.map((_, i) => new Float64Array(perSpecBits[i].length));
    const groups: BoundsGroupInput[] = [];
    let total = 0;
    const bar = progressBar(tensors.length, 'bounds', { quiet: opts.quiet });
    const edges = magnitudeEdges('float32');
    for (const t of tensors) {
      const values = toFloat32(await src.read(t.name));
      let sAbs = 0;
      const counts = new Uint32Array(MAGNITUDE_BINS);
      const u32 = new Uint32Array(values.buffer, values.byteOffset, values.length);
      for (let i = 0; i < values.length; i++) {
        sAbs += Math.abs(values[i]);
        counts[float32MagnitudeKey(u32[i])]++;
      }
      const meanAbs = sAbs / values.length;
      const lambda = meanAbs > 0 ? 1 / meanAbs : Infinity;
      groups.push({ name: t.name, params: values.length, lambda, ks: ksExponentialBinned(counts, edges, lambda).ks });
      total += values.length;
      for (let s = 0; s < specs.length; s++) {
        perSpecBits[s].forEach((bits, j) => {
          const { values: q, codes } = fakeQuantize(values, t.shape, { ...specs[s], bits }, { wantCodes: true, name: t.name });
          let e = 0;
          for (let i = 0; i < values.length; i++) e += Math.abs(values[i] - q[i]);
          l1[s][j] += e;
          ent[s][j] += values.length * rateOf(specs[s], codes!);
        });
      }
      bar.tick(1, t.name);
    }
    bar.stop();
    const quantizers = specs.map((spec, s) => ({
      label: configLabel(spec),
      family: spec.family,
      granularity: spec.granularity.kind === 'group' ? `group${spec.granularity.size}` : spec.granularity.kind,
      range: spec.range,
      rateKind: rateKindOf(spec),
      points: perSpecBits[s].map((bits, j) => ({ bits, Dp: l1[s][j] / total, entropyRate: ent[s][j] / total })),
    }));
    return { groups, quantizers };
  } finally {
    await src.close();
  }
}

// ---- output --------------------------------------------------------------------------------

const e3 = (x: number) => (x === 0 ? '0' : x.toExponential(3));

export function boundsTable(r: BoundsReport, showGroups = false): string {
  const lines: string[] = [];
  lines.push(`coquant bounds — ${r.source.kind} ${r.source.path}`);
  lines.push(`${r.model.params} parameters in ${r.model.groups} groups; mean|w| = ${e3(r.model.meanAbs)}, λ_eff = ${r.model.lambdaEff.toPrecision(4)}` + (r.model.ksWeighted !== null ? `, KS (param-weighted) = ${r.model.ksWeighted.toFixed(3)}` : ''));
  lines.push(r.alpha.note);
  lines.push('');
  const withAlpha = r.alpha.source === 'distortion';
  lines.push(['  b', '  R', 'D_L'.padStart(10), 'D_U'.padStart(10), 'gap'.padStart(10), ...(withAlpha ? ['α·D_L'.padStart(10), 'α·D_U'.padStart(10)] : [])].join('  '));
  for (const row of r.model.rows) {
    lines.push([String(row.bits).padStart(3), String(row.rate).padStart(3), e3(row.DL).padStart(10), e3(row.DU).padStart(10), e3(row.gap).padStart(10), ...(withAlpha ? [e3(row.outDL).padStart(10), e3(row.outDU).padStart(10)] : [])].join('  '));
  }
  if (r.quantizers.length > 0) {
    lines.push('');
    const w = Math.max(9, ...r.quantizers.map((q) => q.label.length));
    lines.push(['quantizer'.padEnd(w), '  b', 'D_p'.padStart(10), 'D_p/D_U'.padStart(8), 'bits lost'.padStart(9), 'R fixed'.padStart(7), 'R entropy'.padStart(9)].join('  '));
    for (const q of r.quantizers) {
      for (const p of q.points) {
        lines.push(
          [q.label.padEnd(w), String(p.bits).padStart(3), e3(p.Dp).padStart(10), p.inefficiency.toFixed(2).padStart(8), p.bitsLost.toFixed(2).padStart(9), String(p.fixedRate).padStart(7), (p.entropyRate !== undefined ? p.entropyRate.toFixed(2) : '—').padStart(9)].join('  ') +
            (p.belowDL ? '  (below D_L)' : ''),
        );
      }
    }
  }
  if (showGroups) {
    lines.push('');
    const w = Math.max(5, ...r.groups.map((g) => g.name.length));
    const i4 = r.groups[0]?.bits.indexOf(4) ?? -1;
    const i8 = r.groups[0]?.bits.indexOf(8) ?? -1;
    lines.push(['group'.padEnd(w), 'params'.padStart(10), 'λ'.padStart(10), 'KS'.padStart(6), 'D_U(4)'.padStart(10), 'D_U(8)'.padStart(10)].join('  '));
    for (const g of r.groups) {
      lines.push([g.name.padEnd(w), String(g.params).padStart(10), g.lambda.toPrecision(4).padStart(10), (g.ks !== null ? g.ks.toFixed(3) : '—').padStart(6), (i4 >= 0 ? e3(g.DU[i4]) : '—').padStart(10), (i8 >= 0 ? e3(g.DU[i8]) : '—').padStart(10)].join('  '));
    }
  }
  if (r.fc && 'rows' in r.fc) {
    lines.push('');
    lines.push(`FC bound (SPEC §3), widths ${r.fc.widths.join('→')}, max over ${r.fc.inputs} random unit inputs (seed ${r.fc.seed}):`);
    const w = Math.max(9, ...r.fc.rows.map((x) => x.quantizer.length));
    lines.push(['quantizer'.padEnd(w), '  b', 'measured'.padStart(10), 'bound'.padStart(10), 'L1 bound'.padStart(10), 'meas/bound'.padStart(10)].join('  '));
    for (const x of r.fc.rows) lines.push([x.quantizer.padEnd(w), String(x.bits).padStart(3), e3(x.measuredMax).padStart(10), e3(x.bound).padStart(10), e3(x.boundL1).padStart(10), x.tightness.toFixed(3).padStart(10)].join('  '));
  }
  if (r.recommendations.length > 0) {
    lines.push('');
    for (const s of r.recommendations) lines.push(`• ${s}`);
  }
  return lines.join('\n') + '\n';
}

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
export async function runBounds(input: string, o: BoundsOptions): Promise<{ report: BoundsReport; files: string[] }> {
  const alpha = await readAlpha(o.distortion);
  const isJson = input.toLowerCase().endsWith('.json');
  let data: { groups: BoundsGroupInput[]; quantizers: QuantSeriesInput[] };
  if (isJson) {
    if (o.quant?.length) throw new UsageError('--quant only applies to a model input; a profile JSON carries its own measurements');
    data = fromProfile(await readJson(input, 'profile JSON'), input);
  } else {
    const specs = (o.quant?.length ? o.quant : DEFAULT_BOUNDS_SPECS).map(parseQuantSpec);
    data = await measureModel(input, specs, parseBits(o.bits ?? '2,3,4,6,8'), { allFloat: o.allFloat, quiet: o.quiet });
  }
  const report = buildBoundsReport({ source: { kind: isJson ? 'profile' : 'model', path: input }, alpha, ...data });
  if (!isJson && input.toLowerCase().endsWith('.onnx')) report.fc = await fcSection(input, o);
  const files: string[] = [];
  if (o.out) {
    const jsonPath = join(o.out, 'bounds.json');
    await writeFileAtomic(jsonPath, JSON.stringify(report, null, 2) + '\n');
    files.push(jsonPath);
    if (o.plot !== false) {
      const svgPath = join(o.out, 'fig4-rd-bounds.svg');
      await writeFileAtomic(svgPath, await renderVegaLiteSvg(fig4Spec(report)));
      files.push(svgPath);
    }
  }
  return { report, files };
}

export function register(program: Command): void {
  program
    .command('bounds')
    .description('rate-distortion bounds D_L, D_U (SPEC §4) per group and for the model, beside the measured quantizers')
    .argument('<input>', 'a model (ONNX, safetensors) or a `coquant profile --json` document (*.json)')
    .option('--distortion <file>', 'a `coquant distortion --json` document; its fit.alpha scales the model-level bounds')
    .option('--quant <spec...>', `quantizers to measure on a model input (default: ${DEFAULT_BOUNDS_SPECS.join(' ')})`)
    .option('--bits <list>', 'bit-widths to measure on a model input, e.g. 2-8 or 4,8', '2,3,4,6,8')
    .option('--all-float', 'include every float tensor, not only rank ≥ 2 weights')
    .option('--out <dir>', 'write bounds.json and fig4-rd-bounds.svg here', 'out/bounds')
    .option('--no-plot', 'skip the SVG plot')
    .option('--groups', 'also print the per-group table')
    .option('--json', 'print the report as one JSON document (schema coquant.bounds/1, docs/theory.md)')
    .action(async (input: string, o: BoundsOptions & { json?: boolean; groups?: boolean }) => {
      const { report, files } = await runBounds(input, { ...o, quiet: o.quiet });
      if (o.json) {
        process.stdout.write(JSON.stringify(report) + '\n');
      } else {
        process.stdout.write(boundsTable(report, o.groups));
        for (const f of files) process.stdout.write(`wrote ${f}\n`);
      }
    });
}
