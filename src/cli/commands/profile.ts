import { availableParallelism } from 'node:os';
import { Command, Option } from 'commander';
import type { ProfileCliOptions } from '../../app/profile-command.ts';

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
    .action(async (model: string, o: ProfileCliOptions) => {
      // Loaded here, not at the top: `coquant --help` should not pay for the profile engine, weight readers and vega.
      const { runProfileCli } = await import('../../app/profile-command.ts');
      await runProfileCli(model, o);
    });
}
