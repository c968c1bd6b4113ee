import { basename, extname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { CutCandidate } from '../../runtime/split/split-model.ts';

const collect = (v: string, prev: string[]) => [...prev, v];

function fmtInt(n: number): string {
  return n.toLocaleString('en-US');
}

function table(cands: CutCandidate[], limit: number): string {
  const rows = cands.length <= limit ? cands : pickSpread(cands, limit);
  const head = ['#', 'cut tensor', 'agent params', 'server params', 'feature shape', 'feature KiB'];
  const body = rows.map((c) => [String(c.index), c.name, fmtInt(c.agentParams), fmtInt(c.serverParams), `${c.featureType}[${c.featureDims.join(',')}]`, (c.featureBytes / 1024).toFixed(1)]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((x, i) => (i >= 2 && i !== 4 ? x.padStart(w[i]) : x.padEnd(w[i]))).join('  ');
  return [line(head), ...body.map(line)].join('\n');
}

/** An even spread of cuts, plus the one with the smallest feature: the useful overview. */
function pickSpread(c: CutCandidate[], n: number): CutCandidate[] {
  const idx = new Set<number>();
  for (let k = 0; k < n - 1; k++) idx.add(Math.round((k * (c.length - 1)) / (n - 2)));
  let best = 0;
  c.forEach((x, i) => {
    if (x.featureBytes < c[best].featureBytes) best = i;
  });
  idx.add(best);
  return [...idx].sort((a, b) => a - b).map((i) => c[i]);
}

export function register(program: Command): void {
  program
    .command('split')
    .summary('list the cut points of an ONNX model, or write its head and tail')
    .description(
      'Lists the tensors at which the model can be split into a head (run by the agent) and a tail (run by\n' +
        'the edge server): the only tensor that crosses between them. For each cut it reports the weights on\n' +
        'each side and the feature size, measured with one real forward pass. With --at, writes the two halves\n' +
        'as standalone ONNX files; running head then tail reproduces the original outputs exactly.',
    )
    .argument('<model>', 'ONNX model file')
    .option('--at <tensor>', 'write the head and tail for this cut tensor')
    .option('--out <dir>', 'folder for the head/tail files', 'out/split')
    .option('--dim <name=value>', 'value of a dynamic input dimension (repeatable); batch axes default to 1', collect, [])
    .option('--json', 'print every cut candidate as JSON (the planner reads these as split candidates)')
    .option('--limit <n>', 'rows in the table (an even spread, plus the smallest feature)', '25')
    .addHelpText(
      'after',
      `
Examples:
  coquant split model.onnx --dim p2o.DynamicDimension.1=320
  coquant split model.onnx --dim p2o.DynamicDimension.1=320 --at p2o.Add.119 --out out/split
  coquant split model.onnx --dim p2o.DynamicDimension.1=320 --json > cuts.json`,
    )
    .action(async (model: string, opts: { at?: string; out: string; dim: string[]; json?: boolean; limit: string }) => {
      const [{ parseDimFlags }, { analyzeSplit, splitAt }, { encodeModel }, { writeFileAtomic }, { inlineExternalData }] = await Promise.all([
        import('../../data/random-inputs.ts'),
        import('../../runtime/split/split-model.ts'),
        import('../../graph/extract.ts'),
        import('../../util/atomic-write.ts'),
        import('../../runtime/split/inline-external.ts'),
      ]);
      const analysis = await analyzeSplit(model, parseDimFlags(opts.dim));
      if (!opts.at) {
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ schema: 'coquant.split/1', model: analysis.model.path, sampleShapes: analysis.sampleShapes, cuts: analysis.candidates }, null, 2)}\n`);
        } else {
          process.stdout.write(`${analysis.candidates.length} cut points in ${model} (features measured with input ${JSON.stringify(analysis.sampleShapes)}):\n\n`);
          process.stdout.write(`${table(analysis.candidates, Math.max(3, Number(opts.limit) || 25))}\n`);
          process.stdout.write(`\nWrite one with: coquant split ${model} --at <cut tensor>${opts.dim.map((d) => ` --dim ${d}`).join('')}\n`);
        }
        return;
      }
      const halves = splitAt(analysis, opts.at);
      const stem = basename(model, extname(model));
      const headPath = resolve(join(opts.out, `${stem}.head.onnx`));
      const tailPath = resolve(join(opts.out, `${stem}.tail.onnx`));
      await writeFileAtomic(headPath, encodeModel(await inlineExternalData(halves.head, analysis.model.dir)));
      await writeFileAtomic(tailPath, encodeModel(await inlineExternalData(halves.tail, analysis.model.dir)));
      const c = halves.candidate;
      const summary = { cut: c.name, head: headPath, tail: tailPath, agentParams: c.agentParams, serverParams: c.serverParams, featureDims: c.featureDims, featureBytes: c.featureBytes };
      if (opts.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      else
        process.stdout.write(
          `head: ${headPath}  (${fmtInt(c.agentParams)} weights)\ntail: ${tailPath}  (${fmtInt(c.serverParams)} weights)\n` +
            `feature at the cut: ${c.featureType}[${c.featureDims.join(',')}] = ${(c.featureBytes / 1024).toFixed(1)} KiB per inference\n`,
        );
    });
}
