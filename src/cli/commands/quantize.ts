import { stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import type { Command } from 'commander';
import { CoquantError, UsageError } from '../../errors.ts';
import type { BitAssignment } from '../../runtime/quantize-model.ts';
import { writeFileAtomic } from '../../util/atomic-write.ts';
import { withProgress } from '../with-progress.ts';
import { inputFlags, quantizerFlag } from '../flags.ts';

/** The bit assignment of a `coquant plan --json` document (read by documents/plan-document.ts). */
function bitsOf(path: string, doc: { feasible: boolean; bits?: number | null; groups?: Array<{ name: string; bits: number }> | null }): BitAssignment {
  if (!doc.feasible) throw new CoquantError('E_INFEASIBLE_PLAN', `${path} is an infeasible plan: it has no bit-widths to apply`, { hint: 'relax T0/E0 and plan again' });
  if (typeof doc.bits === 'number') return doc.bits;
  if (doc.groups && doc.groups.length > 0) return Object.fromEntries(doc.groups.map((g) => [g.name, g.bits]));
  throw new UsageError(`${path}: the plan lists no bit-widths`);
}

function fmtBytes(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(2)} MiB` : `${(n / 1024).toFixed(1)} KiB`;
}

export function register(program: Command): void {
  const cmd = program
    .command('quantize')
    .summary('write a fake-quantized copy of an ONNX model at planned bit-widths')
    .description(
      'Quantizes the weights of an ONNX model (float tensors of rank ≥ 2: matrices and conv kernels) and ' +
        'writes the dequantized values back, so onnxruntime runs exactly what the plan and the distortion ' +
        'figures describe. Bit-widths come from a plan (one per weight group, or one shared) or from --bits. ' +
        'The output is written to a temporary file and renamed into place: it is never half-written.',
    )
    .argument('<model>', 'ONNX model file')
    .option('--plan <plan.json>', 'a `coquant plan --json` document: bits plans are applied as simulation; executable plans (plan --options) write each layer in its planned format')
    .option('--bits <n>', 'one bit-width for every weight (2..16)')
    .option('--all-float', 'also quantize biases and norms (every float tensor)')
    .option('--format <format>', 'fake (float storage, any plan) | qdq-int8 (real int8 QDQ, integer kernels) | int4 (com.microsoft MatMulNBits)', 'fake')
    .option('--block-size <n>', 'int4: block size along K (16..256)', '64')
    .option('--calib <n>', 'qdq-int8: rendered text lines (PP-OCR rec inputs) or random inputs to calibrate activations on', '24')
    .option('--range <method>', 'qdq-int8 activation ranges: minmax | percentile (99.99 %, for outputs with rare extreme values, e.g. ISNet)', 'minmax')
    .option('-o, --out <file>', 'output model (default out/<name>.<format|q<bits>>.onnx)')
    .option('--json', 'print a JSON report instead of the summary');
  quantizerFlag(cmd);
  inputFlags(cmd, { inputs: 'calibration inputs (--format, --plan) instead of generated ones', dim: 'for generated calibration inputs' });
  cmd
    .addHelpText(
      'after',
      `
Examples:
  coquant quantize model.onnx --bits 6
  coquant plan --preset paper --profile out/profile/profile.json --per-group --json > plan.json
  coquant quantize model.onnx --plan plan.json --quantizer pot/channel/absmax -o out/model.plan.onnx
  coquant quantize model.onnx --format qdq-int8          # real int8 weights and activations
  coquant quantize model.onnx --format int4 --bits 4     # MatMulNBits weights, 4 bits, block 64
  coquant quantize out/demo/head-fp32.onnx --plan out/demo/plan.json   # mixed formats, as the executable plan says`,
    )
    .action(async (model: string, opts: { plan?: string; bits?: string; quantizer: string; allFloat?: boolean; out?: string; json?: boolean; format: string; blockSize: string; calib: string; dim: string[]; inputs?: string[]; range: string }) => {
      if (opts.format !== 'fake') {
        const { quantizeFormatCli } = await import('../../app/quantize-format-command.ts');
        await quantizeFormatCli(model, { format: opts.format, bits: opts.bits, blockSize: opts.blockSize, calib: opts.calib, dim: opts.dim, inputs: opts.inputs, out: opts.out, json: opts.json, range: opts.range });
        return;
      }
      if (!opts.plan === !opts.bits) throw new UsageError('give exactly one of --plan or --bits');
      const planFile = opts.plan ? await (await import('../../documents/plan-document.ts')).readPlanFile(opts.plan) : undefined;
      if (opts.plan && planFile?.kind === 'exec') {
        const { quantizeExecCli } = await import('./quantize-exec.ts');
        await quantizeExecCli(model, opts.plan, planFile.doc, { out: opts.out, json: opts.json, calib: opts.calib, dim: opts.dim, inputs: opts.inputs });
        return;
      }
      let bits: BitAssignment;
      if (opts.bits) {
        bits = Number(opts.bits);
        if (!Number.isInteger(bits) || bits < 2 || bits > 16) throw new UsageError(`--bits must be an integer from 2 to 16 (got '${opts.bits}')`);
      } else {
        bits = bitsOf(opts.plan!, planFile!.doc as Parameters<typeof bitsOf>[1]);
      }
      const [{ parseQuantSpec }, { quantizeModel }] = await Promise.all([import('../../quant/index.ts'), import('../../runtime/quantize-model.ts')]);
      const spec = parseQuantSpec(opts.quantizer);
      const tag = typeof bits === 'number' ? `q${bits}` : 'plan';
      const out = opts.out ?? join('out', `${basename(model, extname(model))}.${tag}.onnx`);
      const q = await withProgress('quantizing weights', { quiet: opts.json }, (tick) =>
        quantizeModel(model, { bits, config: spec, allFloat: opts.allFloat, onProgress: (done, total, name) => tick(done, total, name.slice(0, 32)) }),
      );
      // Nothing to do is a refusal (exit 3), as in every command: no file that changes nothing.
      if (q.groups.length === 0) throw new CoquantError('E_NO_WEIGHTS', `${model}: no weight to quantize (float tensors of rank ≥ 2)`, { hint: opts.allFloat ? 'the model holds no float tensor coquant can quantize' : 'add --all-float to include biases and norms', exitCode: 3 });
      await writeFileAtomic(out, q.bytes);
      const inSize = (await stat(model)).size;
      const meanAbsBits = q.groups.reduce((a, g) => a + g.bits * g.params, 0) / Math.max(1, q.quantizedParams);
      const report = {
        model,
        out,
        quantizer: opts.quantizer,
        bits: typeof bits === 'number' ? bits : 'per-group',
        meanBits: meanAbsBits,
        quantizedParams: q.quantizedParams,
        Dp: q.Dp,
        fileBytes: { input: inSize, output: q.bytes.length },
        groups: q.groups,
        keptFloat: q.keptFloat,
        notInModel: q.notInModel,
      };
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        return;
      }
      process.stdout.write(
        `wrote ${out}\n` +
          `  ${q.quantizedParams.toLocaleString('en-US')} weights in ${q.groups.length} tensors quantized (${opts.quantizer}, mean ${meanAbsBits.toFixed(2)} bits)\n` +
          `  parameter distortion D_p = mean|w − Q(w)| = ${q.Dp.toExponential(3)}\n` +
          `  file size ${fmtBytes(q.bytes.length)} (input ${fmtBytes(inSize)}; fake quantization keeps float storage — use --format for real low-bit files)\n`,
      );
      if (q.keptFloat.length) process.stdout.write(`  warning: ${q.keptFloat.length} weights not named by the plan stay in float: ${q.keptFloat.slice(0, 5).join(', ')}${q.keptFloat.length > 5 ? ', …' : ''}\n`);
      if (q.notInModel.length) process.stdout.write(`  note: ${q.notInModel.length} planned groups are not in this model (e.g. on the other side of a split)\n`);
    });
}
