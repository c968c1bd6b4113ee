import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { UsageError } from '../../errors.ts';
import { bundledModels } from '../../io/index.ts';
import { configLabel, parseBits } from '../../quant/index.ts';
import { profileModel, resolveOptions, specsFromFlags, type ProfileDocument } from '../../profile/index.ts';
import { distortionSpec, magnitudeHistogramSpec } from '../../profile/plots.ts';
import { renderVegaLiteSvg } from '../../report/render-svg.ts';
import { writeFileAtomic } from '../../util/atomic-write.ts';
import { progressBar } from '../../util/progress.ts';

const HELP = `
The model is an ONNX file, a .safetensors file, a sharded *.safetensors.index.json, a folder
of shards, or one of the bundled PaddleOCR models: rec, det, cls.

Weights are float tensors of rank >= 2 (add --all-float for biases and norms). For every
weight group and for the whole model it reports params, mean|w|, max|w|, std, the exponential
fit lambda = 1/mean|w| with its Kolmogorov-Smirnov distance, and for every quantizer and
bit-width the parameter distortion L1 = mean|w - Q(w)|, the MSE and L1 / mean|w|.

Default quantizers: uniform-symmetric, uniform-asymmetric and pot, each per-tensor absmax and
per-channel clip-l1, at bits 2..16. --granularity/--range pick a cross product instead;
--quant lists exact specs (family/granularity/range).

Examples:
  coquant profile rec                                   table + plots in out/profile
  coquant profile rec --json > rec-profile.json         one JSON document on stdout
  coquant profile model.safetensors --granularity tensor --range absmax --threads 2
  coquant profile model.onnx --quant uniform-symmetric/group128/clip-mse pot/channel/absmax --bits 4,8
  coquant profile rec --families fp8-e4m3,fp8-e5m2 --granularity channel

Schema of the JSON document: docs/profile-json.md. Quantizer definitions: docs/quantizers.md.`;

const list = (v: string, prev: string[] = []) => [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];

function resolveModel(m: string): string {
  if (!existsSync(m)) {
    const b = bundledModels() as unknown as Record<string, string>;
    if (m in b && m !== 'dict') return b[m];
  }
  return resolve(m);
}

function fmt(x: number): string {
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return String(x);
  return Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? x.toPrecision(4) : x.toExponential(2);
}

function table(rows: string[][]): string {
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((s, c) => (c === 0 ? s.padEnd(w[c]) : s.padStart(w[c]))).join('  ')).join('\n');
}

export function renderTable(doc: ProfileDocument): string {
  const t = doc.totals;
  const out: string[] = [];
  out.push(`${doc.model.path} (${doc.model.format}, ${doc.model.selection})`);
  out.push(`model: ${t.params.toLocaleString('en-US')} params in ${t.groups} groups, mean|w| ${fmt(t.meanAbs)}, max|w| ${fmt(t.maxAbs)}, std ${fmt(t.std)}, λ ${fmt(t.lambda)}, KS ${fmt(t.ks)}${t.ksBound ? ` ±${fmt(t.ksBound)}` : ''}`);
  out.push('');
  out.push(table([['group', 'shape', 'params', 'mean|w|', 'max|w|', 'std', 'λ', 'KS'], ...doc.groups.map((g) => [g.name, `[${g.shape.join('x')}]`, String(g.params), fmt(g.meanAbs), fmt(g.maxAbs), fmt(g.std), fmt(g.lambda), fmt(g.ks)])]));
  out.push('');
  const model = doc.distortion.filter((d) => d.scope === 'model');
  const bits = [...new Set(model.map((d) => d.bits))].sort((a, b) => a - b);
  const labels = [...new Set(model.map((d) => `${d.family}/${d.granularity}/${d.range}`))];
  out.push('model-level relative L1 distortion (mean|w − Q(w)| / mean|w|):');
  out.push(
    table([
      ['quantizer', ...bits.map((b) => `${b}b`)],
      ...labels.map((l) => [l, ...bits.map((b) => {
        const d = model.find((x) => `${x.family}/${x.granularity}/${x.range}` === l && x.bits === b);
        return d ? fmt(d.relL1) : '-';
      })]),
    ]),
  );
  return out.join('\n');
}

export function register(program: Command): void {
  program
    .command('profile')
    .description('weight statistics, exponential fit and quantization distortion per bit-width')
    .argument('<model>', 'model file or folder, or a bundled model: rec, det, cls')
    .option('--json', 'print one JSON document (schema coquant.profile/1) on stdout and nothing else')
    .option('--out <dir>', 'folder for profile.json and the SVG plots (without --json)', 'out/profile')
    .option('--families <list>', 'quantizer families, comma-separated: uniform-symmetric, uniform-asymmetric, pot, fp8-e4m3, fp8-e5m2', list)
    .option('--bits <spec>', 'bit-widths for the integer families, e.g. 2-16, 4,8 or 2-8,16', '2-16')
    .option('--granularity <list>', 'tensor, channel (axis 0) or groupN, comma-separated', list)
    .option('--range <list>', 'absmax, clip-l1 or clip-mse, comma-separated', list)
    .option('--quant <specs...>', 'exact quantizer specs family/granularity/range (overrides the three flags above)')
    .option('--all-float', 'include every float tensor (biases, norms), not only rank >= 2 weights')
    .addOption(new Option('--threads <n>', 'worker threads (each tensor is profiled on one thread)').default(String(Math.min(2, availableParallelism()))))
    .option('--quiet', 'no progress bar')
    .addHelpText('after', HELP)
    .action(async (model: string, o: { json?: boolean; out: string; families?: string[]; bits: string; granularity?: string[]; range?: string[]; quant?: string[]; allFloat?: boolean; threads: string; quiet?: boolean }) => {
      const threads = Number(o.threads);
      if (!Number.isInteger(threads) || threads < 1 || threads > 64) throw new UsageError(`--threads must be an integer in 1..64, got '${o.threads}'`);
      const opts = resolveOptions({
        specs: specsFromFlags({ families: o.families, granularity: o.granularity, range: o.range, quant: o.quant }),
        bits: parseBits(o.bits),
        allFloat: !!o.allFloat,
        threads,
      });
      const path = resolveModel(model);
      let bar: ReturnType<typeof progressBar> | undefined;
      let shown = 0;
      const doc = await profileModel(path, opts, {
        onProgress: (done, total, label) => {
          bar ??= progressBar(total, 'profile', { quiet: o.quiet || total < 1e6 });
          bar.tick(done - shown, label);
          shown = done;
        },
      });
      bar?.stop();
      if (o.json) {
        process.stdout.write(`${JSON.stringify(doc)}\n`);
        return;
      }
      const outDir = resolve(o.out);
      await writeFileAtomic(join(outDir, 'profile.json'), `${JSON.stringify(doc, null, 1)}\n`);
      await writeFileAtomic(join(outDir, 'magnitudes.svg'), await renderVegaLiteSvg(magnitudeHistogramSpec(doc)));
      await writeFileAtomic(join(outDir, 'distortion.svg'), await renderVegaLiteSvg(distortionSpec(doc)));
      process.stdout.write(`${renderTable(doc)}\n\nquantizers: ${opts.specs.map((s) => configLabel(s)).join(', ')}\n`);
      process.stdout.write(`wrote ${join(outDir, 'profile.json')}, magnitudes.svg, distortion.svg\n`);
    });
}
