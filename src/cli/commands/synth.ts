import type { Command } from 'commander';
import { UsageError } from '../../errors.ts';

const EXAMPLE = `
Examples:
  coquant synth vit --preset vit-b16 --out .cache/models/vit-b16.onnx          # ≈86 M parameters, 344 MB of weights
  coquant synth vit --preset vit-g14 --out .cache/models/vit-g14.onnx          # ≈1.0 B parameters, 4 GB in external data
  coquant synth decoder --preset gpt2-medium --past 64 --out out/gpt2m.onnx    # with KV-cache inputs
  coquant synth vit --depth 4 --width 256 --heads 4 --seq 64 --patch-dim 192 --vocab 10 --out out/tiny.onnx

Presets (shapes only; the weights are synthetic, drawn from per-layer Laplace laws, never pretrained):
  vit-b16      12 blocks, width 768,  12 heads, 196 patches + class token
  vit-l14      24 blocks, width 1024, 16 heads, 256 patches + class token (BLIP-2's ViT-L shape)
  vit-g14      40 blocks, width 1408, 16 heads, MLP 6144 (ViT-g/14-like, ≈1.0 B parameters)
  gpt2-medium  24 blocks, width 1024, 16 heads, vocabulary 50257, 128 tokens per call
Flags given with a preset override its values. The weights go to <out>.data (ONNX external
data), one tensor at a time. The model's metadata says coquant.weights = synthetic.`;

function positive(name: string, min = 1) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, got '${v}'`);
    return n;
  };
}

interface SynthFlags {
  preset?: string;
  out?: string;
  depth?: number;
  width?: number;
  heads?: number;
  mlp?: number;
  seq?: number;
  patchDim?: number;
  vocab?: number;
  past?: number;
  seed: number;
  json?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('synth')
    .summary('generate a transformer ONNX model with synthetic weights (ViT encoder or GPT-style decoder)')
    .description(
      'Writes a pre-LN transformer built from standard ONNX ops (MatMul, Add, LayerNormalization, Softmax,\n' +
        'Erf-form GELU, Reshape/Transpose attention) with seeded synthetic weights in an external-data file,\n' +
        'so split, quantize, serve and agent can be run on transformer shapes up to 1 B parameters.',
    )
    .argument('<kind>', 'vit or decoder')
    .option('--preset <name>', 'vit-b16, vit-l14, vit-g14 or gpt2-medium')
    .option('--out <file>', 'model file (the weights go to <file>.data)');
  const shapeFlags: [string, string, number][] = [
    ['depth', 'blocks', 1],
    ['width', 'model width D', 1],
    ['heads', 'attention heads (must divide the width)', 1],
    ['mlp', 'MLP hidden width (default 4 × width)', 1],
    ['seq', 'vit: patches (the sequence is patches + 1); decoder: tokens per call', 1],
    ['patch-dim', 'vit: values per flattened patch (3·p·p)', 1],
    ['vocab', 'vit: classifier classes (0 = none); decoder: vocabulary', 0],
    ['past', 'decoder: KV-cache length; > 0 adds past_key/past_value inputs and present outputs', 0],
  ];
  for (const [flag, what, min] of shapeFlags) cmd.option(`--${flag} <n>`, what, positive(flag, min));
  cmd
    .option('--seed <n>', 'weight seed', positive('seed', 0), 1)
    .option('--json', 'print the result as JSON')
    .addHelpText('after', EXAMPLE)
    .action(async (kind: string, o: SynthFlags) => {
      if (kind !== 'vit' && kind !== 'decoder') throw new UsageError(`unknown kind '${kind}'`, 'use coquant synth vit or coquant synth decoder');
      const { TRANSFORMER_PRESETS, writeTransformer } = await import('../../synth/transformer.ts');
      let base;
      if (o.preset) {
        base = TRANSFORMER_PRESETS[o.preset];
        if (!base) throw new UsageError(`unknown preset '${o.preset}'`, `use one of ${Object.keys(TRANSFORMER_PRESETS).join(', ')}`);
        if (base.kind !== kind) throw new UsageError(`preset '${o.preset}' is a ${base.kind}, not a ${kind}`, `run coquant synth ${base.kind} --preset ${o.preset}`);
      } else if (kind === 'vit') base = { kind, depth: 12, width: 768, heads: 12, seq: 196, patchDim: 768, vocab: 1000 } as const;
      else base = { kind, depth: 12, width: 768, heads: 12, seq: 128, vocab: 50257 } as const;
      const spec = {
        ...base,
        ...(o.depth !== undefined ? { depth: o.depth } : {}),
        ...(o.width !== undefined ? { width: o.width } : {}),
        ...(o.heads !== undefined ? { heads: o.heads } : {}),
        ...(o.mlp !== undefined ? { mlp: o.mlp } : {}),
        ...(o.seq !== undefined ? { seq: o.seq } : {}),
        ...(o.patchDim !== undefined ? { patchDim: o.patchDim } : {}),
        ...(o.vocab !== undefined ? { vocab: o.vocab } : {}),
        ...(o.past !== undefined ? { past: o.past } : {}),
        seed: o.seed,
      };
      if (spec.kind === 'vit' && o.past !== undefined) throw new UsageError('--past applies to the decoder only');
      const out = o.out ?? `out/synth/${o.preset ?? kind}.onnx`;
      let last = 0;
      const r = await writeTransformer(spec, out, (done, total) => {
        const pct = Math.floor((100 * done) / total);
        if (!o.json && pct >= last + 10) {
          last = pct;
          process.stderr.write(`  ${pct}% of ${total.toLocaleString('en-US')} weights written\n`);
        }
      });
      const summary = { schema: 'coquant.synth/1', weights: 'synthetic', kind, spec, ...r };
      if (o.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      else
        process.stdout.write(
          `${r.modelPath}: ${kind}, ${r.params.toLocaleString('en-US')} parameters (synthetic weights, not pretrained)\n` +
            `  weights: ${r.dataPath} (${(r.dataBytes / 2 ** 20).toFixed(1)} MiB external data), graph ${(r.modelBytes / 1024).toFixed(1)} KiB, ${r.seconds.toFixed(1)} s\n` +
            `  inputs: ${r.inputs.map((i) => `${i.name} ${i.type}[${i.dims.join(',')}]`).join(', ')}\n` +
            `  block outputs (cut points): ${r.blockOutputs[0]} … ${r.blockOutputs[r.blockOutputs.length - 1]}\n`,
        );
    });
}
