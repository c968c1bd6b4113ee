import type { Command } from 'commander';
import { UsageError } from '../../errors.ts';
import { numberFlag } from '../number-flag.ts';
import { progressBar, type Progress } from '../../util/progress.ts';
import { robotFlags, robotFrom, sensitivityBlocksFlag, sensitivityBlocksFrom, TENSOR_FILES, type RobotFlagValues } from '../flags.ts';


export function register(program: Command): void {
  const cmd = program
    .command('demo')
    .summary('run the whole pipeline on the bundled PaddleOCR model and write an HTML report')
    // One paragraph: commander wraps it to the terminal, so no hard line breaks here.
    .description(
      'The main job, end to end on real models. A robot (emulated for real: a process under Linux CPU ' +
        'bandwidth control, 4× slower than this machine at its top clock) reads rendered sign texts with the ' +
        'PP-OCRv4 recognizer. coquant profiles the model, measures every executable format (fp32, int8 QDQ, ' +
        'MatMulNBits int4) per layer on the robot at each clock, plans the cut, the per-layer formats and the ' +
        'clock under T0 (at p95) and E0, writes exactly that mixed-format head, serves the tail on loopback ' +
        '(KServe v2), runs the robot over the signs and reports predicted against measured per stage, with ' +
        'the baselines (fixed int8, fp32 at the top clock, the paper\'s rounded continuous design).',
    )
    .option('--out <dir>', 'output folder (report.html and everything it links)', 'out/demo')
    .option('--lines <n>', 'number of rendered sign texts', '24')
    .option('--inputs <paths...>', `the signs as tensors instead of rendered ones, the recognizer's input x of shape [1, 3, 48, 320] (${TENSOR_FILES}); labelled with the full-precision model's texts`)
    .option('--seed <n>', 'seed for the rendered texts', '1')
    .option('--T0-ms <ms>', 'deadline per decision, ms (default: between the fastest co-inference plan and full precision on the robot)')
    .option('--E0-mj <mJ>', 'robot energy budget per decision, mJ (default: just under what the fastest plan at T0 uses)')
    .option('--deadline-quantile <q>', "latency quantile the deadline must hold at: 0.5, 0.9, 0.95 or 'mean'", '0.95')
    .option('--link-mbps <rate>', 'uplink rate, Mbit/s (the radio time is emulated on loopback)', '50');
  sensitivityBlocksFlag(cmd, '; default: each layer alone (fewer blocks measure faster, but tie their layers to one format)');
  robotFlags(cmd, 'robot clock levels the planner may choose');
  cmd
    .addHelpText('after', '\nExamples:\n  coquant demo\n  coquant demo --lines 32 --T0-ms 60 --deadline-quantile 0.5 --out out/demo\n  coquant demo --slowdown 2 --clocks-ghz 0.8,1.6\n')
    .action(async (opts: RobotFlagValues & { out: string; lines: string; inputs?: string[]; seed: string; T0Ms?: string; E0Mj?: string; linkMbps: string; deadlineQuantile: string; sensitivityBlocks?: string }, self: Command) => {
      const log = (m: string) => void process.stderr.write(`${m}\n`);
      const q = opts.deadlineQuantile === 'mean' ? 'mean' : numberFlag(opts.deadlineQuantile, '--deadline-quantile', 0.01, 0.99);
      const robot = robotFrom(opts);
      if (opts.inputs && self.getOptionValueSource('lines') === 'cli') throw new UsageError('give --lines N (rendered signs) or --inputs PATH… (your own), not both');
      const { runDemo } = await import('../../app/demo/run-demo.ts');
      let bar: Progress | null = null;
      const r = await runDemo({
        out: opts.out,
        lines: numberFlag(opts.lines, '--lines', 1, 1000),
        inputs: opts.inputs,
        seed: numberFlag(opts.seed, '--seed', 0, 2 ** 31),
        T0: opts.T0Ms === undefined ? undefined : numberFlag(opts.T0Ms, '--T0-ms', 0.001, 1e7) / 1000,
        E0: opts.E0Mj === undefined ? undefined : numberFlag(opts.E0Mj, '--E0-mj', 0.001, 1e7) / 1000,
        linkMbps: numberFlag(opts.linkMbps, '--link-mbps', 0.001, 1e6),
        slowdown: robot.slowdown,
        clocksHz: robot.clocksHz,
        quantile: q,
        emulation: robot.emulation,
        sensitivityBlocks: sensitivityBlocksFrom(opts.sensitivityBlocks),
        quantizer: { family: 'uniform-symmetric', granularity: { kind: 'channel' }, range: 'absmax' },
        log,
        progress: (done, total, what) => {
          bar ??= progressBar(total, '      measuring');
          bar.tick(1, what);
          if (done >= total) {
            bar.stop();
            bar = null;
          }
        },
      }).finally(() => (bar as Progress | null)?.stop()); // a bar left running on an error keeps the process alive
      const p = r.plan;
      const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
      const f1 = (x: number) => x.toFixed(1);
      /** Measured against predicted, as a signed percentage of the prediction. */
      const err = (measured: number, predicted: number) => `${measured >= predicted ? '+' : ''}${((100 * (measured - predicted)) / predicted).toFixed(1)}%`;
      const predictedJ = p.plan.predicted?.energyJ ?? Number.NaN;
      const counts = new Map<string, number>();
      for (const f of Object.values(p.plan.formats)) counts.set(f, (counts.get(f) ?? 0) + 1);
      process.stdout.write(
        `\nco-inference: accuracy ${pct(p.accuracy)} (full precision ${pct(r.local.accuracy)}), CER vs full precision ${pct(p.cerVsFp)}\n` +
          `  cut ${p.plan.cut} (${p.plan.crossing?.length ?? 1} tensor${(p.plan.crossing?.length ?? 1) > 1 ? 's' : ''}, ${p.plan.featureFormat ?? 'fp32'} link), robot clock ${((p.plan.clockHz ?? 0) / 1e9).toFixed(2)} GHz, head formats ${[...counts].map(([f, n]) => `${n}×${f}`).join(', ')}\n` +
          `  end to end: predicted ${f1(p.predicted.total)} ms mean / ${f1(p.predicted.totalQ)} ms p${r.constraints.quantile === 'mean' ? 'mean' : Math.round((r.constraints.quantile as number) * 100)}, measured ${f1(p.stages.total.mean)} ms mean (${err(p.stages.total.mean, p.predicted.total)} against the prediction) / ${f1(p.stages.total.p50)} ms p50 / ${f1(p.stages.total.p90)} ms p90\n` +
          `  met T0 = ${f1(r.constraints.T0 * 1000)} ms in ${pct(p.metT0)} of the signs; full precision on the robot: ${f1(r.local.stages.total.p50)} ms p50\n` +
          // E0 holds the planner's mean energy, so the measured mean is the figure to read against it.
          `  robot energy ${f1(p.energyJ.mean * 1000)} mJ mean (predicted ${f1(predictedJ * 1000)} mJ, ${err(p.energyJ.mean, predictedJ)}; E0 ${f1(r.constraints.E0 * 1000)} mJ), ${f1(p.energyJ.p50 * 1000)} mJ p50\n` +
          `report: ${r.report}\n`,
      );
    });
}
