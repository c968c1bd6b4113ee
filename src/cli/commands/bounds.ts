/**
 * `coquant bounds <model | profile.json>`: the SPEC §4 rate-distortion bounds and the paper's
 * (Eqs. 23–26) per group and for the model, beside the Blahut–Arimoto D(R) and the measured
 * quantizers. Options and help only; the work is in src/bounds/.
 */
import type { Command } from 'commander';
import { DEFAULT_BOUNDS_SPECS, type BoundsOptions } from '../../bounds/options.ts';

export function register(program: Command): void {
  program
    .command('bounds')
    .description("rate-distortion bounds per group and for the model: D_L, D_U (ours, SPEC §4) and the paper's D^U/R^U, D^L/R^L, with D(R) by Blahut–Arimoto, beside the measured quantizers")
    .argument('<input>', 'a model (ONNX, safetensors) or a `coquant profile --json` document (*.json)')
    .option('--distortion <file>', 'a `coquant distortion --json` document; its fit scales the model-level bounds')
    .option('--bound <kind>', "upper bound the headline, table and plot emphasise: ours (2^(−R)/λ) or paper (the paper's Eq. 26); both are always reported", 'ours')
    .option('--alpha <rule>', "with --distortion: lsq (least squares, default) or max (the paper's α, the largest measured D_o/D_p) scales the output columns")
    .option('--quant <spec...>', `quantizers to measure on a model input (default: ${DEFAULT_BOUNDS_SPECS.join(' ')})`)
    .option('--bits <list>', 'bit-widths to measure on a model input, e.g. 2-8 or 4,8', '2,3,4,6,8')
    .option('--all-float', 'include every float tensor, not only rank ≥ 2 weights')
    .option('--out <dir>', 'write bounds.json and fig4-rd-bounds.svg here', 'out/bounds')
    .option('--no-plot', 'skip the SVG plot')
    .option('--groups', 'also print the per-group table')
    .option('--json', 'print the report as one JSON document (schema coquant.bounds/1, docs/theory.md)')
    .action(async (input: string, o: BoundsOptions & { json?: boolean; groups?: boolean }) => {
      // Loaded here, not at the top: `coquant --help` should not pay for zod, the weight readers and vega.
      const [{ runBounds }, { boundsTable }, { serializeBounds }] = await Promise.all([import('../../app/bounds-command.ts'), import('../../bounds/table.ts'), import('../../documents/bounds-document.ts')]);
      const { report, files } = await runBounds(input, { ...o, quiet: o.quiet });
      if (o.json) {
        process.stdout.write(serializeBounds(report));
      } else {
        process.stdout.write(boundsTable(report, o.groups));
        for (const f of files) process.stdout.write(`wrote ${f}\n`);
      }
    });
}
