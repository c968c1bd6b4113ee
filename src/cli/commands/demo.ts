import type { Command } from 'commander';
import { UsageError } from '../../errors.ts';

function num(v: string, flag: string, min: number, max: number): number {
  const x = Number(v);
  if (!Number.isFinite(x) || x < min || x > max) throw new UsageError(`${flag} must be a number from ${min} to ${max} (got '${v}')`);
  return x;
}

export function register(program: Command): void {
  program
    .command('demo')
    .summary('run the whole pipeline on the bundled PaddleOCR model and write an HTML report')
    .description(
      'The main job, end to end on real models: render labelled sign texts, profile the PP-OCRv4 recognizer,\n' +
        'measure its output distortion, compute the rate-distortion bounds, plan bits, clock and cut under T0/E0,\n' +
        'split the model, quantize the head, serve the tail on loopback (KServe v2), run the agent over the\n' +
        'signs and compare accuracy, delay and energy with full precision and with the baseline planners.',
    )
    .option('--out <dir>', 'output folder (report.html and everything it links)', 'out/demo')
    .option('--lines <n>', 'number of rendered sign texts', '24')
    .option('--seed <n>', 'seed for the rendered texts', '1')
    .option('--T0-ms <ms>', 'deadline per decision, ms (default: half the full-precision compute time measured here, plus the radio time of the smallest cut feature)')
    .option('--E0-mj <mJ>', 'agent energy budget per decision, mJ (default: 15% of the full-precision compute energy, plus the radio energy of the smallest cut feature)')
    .option('--link-mbps <rate>', 'uplink rate assumed by the plan, Mbit/s', '20')
    .addHelpText('after', '\nExample:\n  coquant demo --lines 32 --T0-ms 30 --out out/demo\n')
    .action(async (opts: { out: string; lines: string; seed: string; T0Ms?: string; E0Mj?: string; linkMbps: string }) => {
      const log = (m: string) => process.stderr.write(`${m}\n`);
      const { runDemo } = await import('../../demo/run-demo.ts');
      const r = await runDemo({
        out: opts.out,
        lines: num(opts.lines, '--lines', 1, 1000),
        seed: num(opts.seed, '--seed', 0, 2 ** 31),
        T0: opts.T0Ms === undefined ? undefined : num(opts.T0Ms, '--T0-ms', 0.001, 1e7) / 1000,
        E0: opts.E0Mj === undefined ? undefined : num(opts.E0Mj, '--E0-mj', 0.001, 1e7) / 1000,
        linkMbps: num(opts.linkMbps, '--link-mbps', 0.001, 1e6),
        quantizer: { family: 'uniform-symmetric', granularity: { kind: 'channel' }, range: 'absmax' },
        log,
      });
      const ci = r.coInference;
      const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
      process.stdout.write(
        `\nco-inference: accuracy ${pct(ci.accuracy)} (full precision ${pct(r.fp.accuracy)}), CER vs full precision ${pct(ci.cerVsFp)}\n` +
          `  cut ${r.cut.name}, ${ci.paths.edge ?? 0}/${r.labels.length} answered by the edge, median ${ci.stages.total.toFixed(1)} ms per sign (full precision locally ${r.fp.stages.total.toFixed(1)} ms)\n` +
          `  plan: D_U ${r.plan.DU?.toExponential(3)}, predicted ${r.predicted.total.toFixed(1)} ms and ${(r.predicted.energy * 1000).toFixed(2)} mJ (T0 ${(r.plan.constraints.T0 * 1000).toFixed(0)} ms, E0 ${(r.plan.constraints.E0 * 1000).toFixed(1)} mJ)\n` +
          `report: ${r.report}\n`,
      );
    });
}
