/**
 * `coquant quantize MODEL --plan exec-plan.json`: writes the model (or a head from `split`) with
 * each group in the format the executable plan names, and reports which kernel onnxruntime
 * runs for each group. A group that falls back to float is a warning, and exit code 4.
 */
import { basename, extname, join } from 'node:path';
import { CoquantError, UsageError } from '../../errors.ts';

/** The fields of a coquant.exec-plan/1 document this command reads. */
export interface ExecPlanFields {
  schema?: string;
  feasible?: boolean;
  formats?: Record<string, string> | null;
  simulation?: boolean;
}

/** `plan` is the already-parsed document at `planPath` (the caller read it to tell the plan kinds apart). */
export async function quantizeExecCli(model: string, planPath: string, plan: ExecPlanFields, o: { out?: string; json?: boolean; calib: string; dim: string[]; inputs?: string[] }): Promise<void> {
  if (!plan.feasible) throw new CoquantError('E_INFEASIBLE_PLAN', `${planPath} is an infeasible plan: it names no formats`, { hint: 'relax T0/E0 and plan again' });
  if (plan.simulation) throw new UsageError(`${planPath} uses simulation formats, which no kernel executes`, 'plan without --simulation to get an executable plan');
  const [{ modelWithInputs }, { writeExecHead }, { writeFileAtomic }] = await Promise.all([
    import('../model-inputs.ts'),
    import('../../runtime/options/exec-head.ts'),
    import('../../util/atomic-write.ts'),
  ]);
  const n = Number(o.calib);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--calib must be a positive integer (got '${o.calib}')`);
  const { bytes, calibration: calib } = await modelWithInputs(model, n, 11, o.dim, { inputs: o.inputs, command: 'quantize --plan' });
  const out = o.out ?? join('out', `${basename(model, extname(model))}.plan.onnx`);
  // A head with external data is written by writeExecHead itself, with <out>.data beside it.
  const head = await writeExecHead(bytes, plan.formats ?? {}, { calibration: calib.feeds, where: model, external: { headPath: model, outPath: out } });
  if (!head.written) await writeFileAtomic(out, head.bytes);
  const counts = new Map<string, number>();
  for (const f of Object.values(head.applied)) counts.set(f, (counts.get(f) ?? 0) + 1);
  const report = { out, bytes: head.bytes.length, formats: Object.fromEntries(counts), kernels: head.kernels, warnings: head.warnings };
  if (o.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    process.stdout.write(`wrote ${out} (${(head.bytes.length / (1 << 20)).toFixed(2)} MiB): ${[...counts].map(([f, c]) => `${c}×${f}`).join(', ')}\n`);
    const integer = head.kernels.filter((k) => k.integer).length;
    process.stdout.write(`  onnxruntime runs ${integer} of ${head.kernels.length} groups in integer kernels, as planned for ${head.kernels.filter((k) => k.ok).length}\n`);
    for (const w of head.warnings) process.stdout.write(`  warning: ${w}\n`);
  }
  if (head.warnings.length) process.exitCode = 4;
}
