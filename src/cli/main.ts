import { Command, CommanderError } from 'commander';
import { isCoquantError } from '../errors.ts';
import { commands } from './commands/index.ts';

const HELP_AFTER = `
A typical session (SPEC §6):
  coquant profile  model.onnx --out out/profile     weight statistics, exponential fit, distortion per bit-width
  coquant bounds   out/profile/profile.json          rate-distortion bounds beside the measured quantizers
  coquant plan     --preset paper --profile out/profile/profile.json
  coquant demo                                       the whole pipeline on the bundled PaddleOCR model

Run 'coquant <command> --help' for a command's options.`;

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('coquant')
    .description(
      'Quantization-aware collaborative inference: choose bit-widths and clocks for the on-robot ' +
        'part of a split model, check the distortion they cause, and run the split model for real.',
    )
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .option('--verbose', "also show onnxruntime's own log on stderr (warnings and errors)")
    .hook('preAction', (cmd) => {
      if (cmd.opts().verbose) process.env.COQUANT_VERBOSE = '1';
    })
    .addHelpText('after', HELP_AFTER);
  for (const register of commands) register(program);
  return program;
}

/** CLI entry: user errors become one clear line and a non-zero exit; bugs say they are bugs. */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode;
      return;
    }
    if (isCoquantError(e)) {
      process.stderr.write(`coquant: error: ${e.message}\n`);
      if (e.hint) process.stderr.write(`  hint: ${e.hint}\n`);
      process.exitCode = e.exitCode;
      return;
    }
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`coquant: internal error: ${msg}\n  This is a bug in coquant. Re-run with COQUANT_DEBUG=1 for details and report it.\n`);
    if (process.env.COQUANT_DEBUG) process.stderr.write(`${e instanceof Error ? e.stack : ''}\n`);
    process.exitCode = 70;
  }
}
