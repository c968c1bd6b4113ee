import { basename, extname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../errors.ts';
import type { CutCandidate, SplitAnalysis } from '../../runtime/split/split-model.ts';
import { inputFlags } from '../flags.ts';

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

const wireOf = (t: string, f: string) => (f === 'fp16' ? `${t}.fp16` : `${t}.int8 + .scale + .zero_point`);

const shapeOf = (t: CutCandidate['tensors'][number]) => `${t.name} ${t.type}[${t.dims.join(',')}]`;

/** The minimum-bytes cut per head-size cell, and the tensors of each set cut. */
function windowTable(a: SplitAnalysis): string {
  const byName = new Map([...a.candidates, ...a.setCandidates].map((c) => [c.name, c]));
  const head = ['head params share', 'min-bytes cut', 'agent params', 'tensors', 'feature KiB'];
  // Neighbouring cells won by the same cut are one row.
  const merged: { from: number; to: number; cut: string; bytes: number }[] = [];
  for (const w of a.windows) {
    const last = merged[merged.length - 1];
    if (last && last.cut === w.cut) last.to = w.toShare;
    else merged.push({ from: w.fromShare, to: w.toShare, cut: w.cut, bytes: w.bytes });
  }
  const body = merged.map((w) => {
    const c = byName.get(w.cut)!;
    return [`${(100 * w.from).toFixed(1)}–${(100 * w.to).toFixed(1)} %`, w.cut, fmtInt(c.agentParams), String(c.tensors.length), (w.bytes / 1024).toFixed(1)];
  });
  const wd = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((x, i) => (i >= 2 ? x.padStart(wd[i]) : x.padEnd(wd[i]))).join('  ');
  const sets = a.setCandidates.map((c) => `  ${c.name} (${(c.featureBytes / 1024).toFixed(1)} KiB): ${c.tensors.map(shapeOf).join(', ')}`);
  return [line(head), ...body.map(line), ...(sets.length ? ['', 'Set cuts (several tensors cross):', ...sets] : [])].join('\n');
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
  const cmd = program
    .command('split')
    .summary('list the cut points of an ONNX model, or write its head and tail')
    .description(
      'Lists where the model can be split into a head (run by the agent) and a tail (run by the edge server).\n' +
        'Single-tensor cuts: one tensor crosses. Set cuts: for each head-size cell (a share of the parameters),\n' +
        'the cut with the fewest crossing bytes over the whole graph, found by an exact min-cut; several tensors\n' +
        '(e.g. skip connections) may cross, and a graph input the tail reads crosses too. For each cut it reports\n' +
        'the weights on each side and the crossing tensors, measured with one real forward pass. With --at, writes\n' +
        'the two halves as standalone ONNX files; running head then tail reproduces the original outputs exactly.',
    )
    .argument('<model>', 'ONNX model file')
    .option('--at <cut>', 'write the head and tail of this cut: a cut name from the list, or the crossing tensors, comma-separated')
    .option('--out <dir>', 'folder for the head/tail files', 'out/split')
    .option('--json', 'print every cut candidate as JSON (the planner reads these as split candidates)')
    .option('--limit <n>', 'rows in the table (an even spread, plus the smallest feature)', '25')
    .option('--cells <n>', 'head-size cells searched for set cuts (parameter-share grid)', '20')
    .option('--link <format>', 'with --at: the tail takes the float32 crossing tensors as fp32, fp16, int8 or int8-channel (affine, scale and zero point sent alongside)', 'fp32');
  inputFlags(cmd, { inputs: 'measure with this input instead of a generated one', dim: 'batch axes default to 1' });
  cmd
    .addHelpText(
      'after',
      `
Examples:
  coquant split model.onnx --dim p2o.DynamicDimension.1=320
  coquant split model.onnx --dim p2o.DynamicDimension.1=320 --at p2o.Add.119 --out out/split
  coquant split model.onnx --dim p2o.DynamicDimension.1=320 --json > cuts.json
  coquant split det.onnx --dim x:2=256 --dim x:3=256 --at mincut-14 --out out/split
  coquant split det.onnx --dim x:2=256 --dim x:3=256 --at conv2d_469.tmp_0,conv2d_470.tmp_0,conv2d_471.tmp_0,conv2d_473.tmp_0`,
    )
    .action(async (model: string, opts: { at?: string; out: string; dim: string[]; json?: boolean; limit: string; cells: string; link: string }) => {
      const [{ parseDimFlags }, { analyzeSplit, splitAt }, { writeSplitHalf }, { isSyntheticModel, SYNTHETIC_NOTE }] = await Promise.all([
        import('../../data/random-inputs.ts'),
        import('../../runtime/split/split-model.ts'),
        import('../../runtime/split/write-half.ts'),
        import('../../io/synthetic-marker.ts'),
      ]);
      const { numberFlag } = await import('../number-flag.ts');
      // The sample input, checked before any work: declared types, valid index/shape inputs, one run of the original model.
      const [{ checkedSignature, commandInputs }, { randomInputs }, { sampleDims }] = await Promise.all([import('../../tasks/checked-inputs.ts'), import('../../data/random-inputs.ts'), import('../../runtime/split/split-model.ts')]);
      const signature = await checkedSignature(model, 'split');
      const dims = sampleDims(signature.inputs, parseDimFlags(opts.dim));
      const inputs = (opts as { inputs?: string[] }).inputs;
      const sample = await commandInputs({ model, command: 'split', specs: signature.inputs, inputs, make: async () => ({ feeds: randomInputs(signature.inputs, { count: 1, seed: 1, dims }), source: 'random:1 (seed 1)' }), seed: 1, comparesOutputs: false, hasDim: true });
      const analysis = await analyzeSplit(model, dims, { cells: Math.round(numberFlag(opts.cells, '--cells', 1, 1000)), feed: sample.feeds[0] });
      if (!opts.at) {
        if (opts.json) {
          const doc = { schema: 'coquant.split/1', ...(isSyntheticModel(analysis.model.proto) ? { weights: 'synthetic' } : {}), model: analysis.model.path, sampleShapes: analysis.sampleShapes, cuts: analysis.candidates, setCuts: analysis.setCandidates, windows: analysis.windows };
          process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
        } else {
          if (isSyntheticModel(analysis.model.proto)) process.stdout.write(`${model}: ${SYNTHETIC_NOTE}\n`);
          process.stdout.write(`${analysis.candidates.length} single-tensor cuts in ${model} (features measured with input ${JSON.stringify(analysis.sampleShapes)}):\n\n`);
          if (analysis.candidates.length) process.stdout.write(`${table(analysis.candidates, Math.max(3, Number(opts.limit) || 25))}\n`);
          process.stdout.write(`\nFewest crossing bytes for each head size (exact min-cut over the whole graph):\n\n${windowTable(analysis)}\n`);
          process.stdout.write(`\nWrite one with: coquant split ${model} --at <cut name | tensor,tensor,…>${opts.dim.map((d) => ` --dim ${d}`).join('')}\n`);
        }
        return;
      }
      const { isFeatureFormat, FEATURE_FORMATS } = await import('../../formats/feature-format.ts');
      if (!isFeatureFormat(opts.link)) throw new UsageError(`unknown link format '${opts.link}'`, `use one of ${FEATURE_FORMATS.join(', ')}`);
      const halves = splitAt(analysis, opts.at, { link: opts.link });
      const stem = basename(model, extname(model));
      const headPath = resolve(join(opts.out, `${stem}.head.onnx`));
      const tailPath = resolve(join(opts.out, `${stem}.tail.onnx`));
      // External data in: each half gets its own data file, copied tensor by tensor.
      const [head, tail] = [await writeSplitHalf(halves.head, headPath, analysis.model.dir), await writeSplitHalf(halves.tail, tailPath, analysis.model.dir)];
      const c = halves.candidate;
      const synthetic = isSyntheticModel(analysis.model.proto);
      const { featureWireBytes } = await import('../../formats/feature-format.ts');
      const linkBytes = c.tensors.reduce((s, t) => s + (halves.linkFormats[t.name] ? featureWireBytes(halves.linkFormats[t.name], t.dims) : t.bytes), 0);
      const summary = { ...(synthetic ? { weights: 'synthetic' } : {}), cut: c.name, head: headPath, tail: tailPath, ...(head.dataPath ? { headData: head.dataPath, tailData: tail.dataPath } : {}), agentParams: c.agentParams, serverParams: c.serverParams, featureDims: c.featureDims, featureBytes: c.featureBytes, tensors: c.tensors, ...(Object.keys(halves.linkFormats).length ? { link: halves.linkFormats, linkBytes } : {}) };
      if (opts.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      else
        process.stdout.write(
          (synthetic ? `${SYNTHETIC_NOTE}\n` : '') +
            `head: ${headPath}${head.dataPath ? ` + ${basename(head.dataPath)}` : ''}  (${fmtInt(c.agentParams)} weights)\ntail: ${tailPath}${tail.dataPath ? ` + ${basename(tail.dataPath)}` : ''}  (${fmtInt(c.serverParams)} weights)\n` +
            `crossing the link: ${c.tensors.map(shapeOf).join(', ')} = ${(c.featureBytes / 1024).toFixed(1)} KiB per inference` +
            (opts.link !== 'fp32' ? `, sent as ${opts.link}: ${(linkBytes / 1024).toFixed(1)} KiB (the tail takes ${Object.keys(halves.linkFormats).map((t) => wireOf(t, opts.link)).join(', ')})` : '') +
            '\n',
        );
    });
}
