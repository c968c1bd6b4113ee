/**
 * `coquant plan --options FILE`: the executable planner on a coquant.options/1 document. Without
 * cuts in the document the whole measured part runs on the agent and the feature size, server
 * time and link come from flags; the output is a coquant.exec-plan/1 document (`--json`) or a
 * summary.
 */
import { UsageError } from '../../errors.ts';
import { readOptionsDocument } from '../../documents/options-document.ts';
import { planFromOptions, type OptionsObjective, type OptionsPlan } from '../../plan/options-plan.ts';

export interface PlanOptionsFlags {
  options: string;
  T0?: number;
  E0?: number;
  deadlineQuantile: string;
  objective: string;
  memoryBytes?: number;
  formats?: string;
  kappa: number;
  linkMbps: number;
  txPower: number;
  featureBytes: number;
  serverMs: number;
  simulation?: boolean;
  json?: boolean;
}

export async function planOptionsCli(o: PlanOptionsFlags): Promise<OptionsPlan> {
  const doc = await readOptionsDocument(o.options);
  if (o.T0 === undefined || o.E0 === undefined) throw new UsageError('plan --options needs --T0 and --E0', 'e.g. --T0 0.05 --E0 0.2 (seconds, joules)');
  if (!['do', 'du', 'dp'].includes(o.objective)) throw new UsageError(`--objective must be do, du or dp with --options (got '${o.objective}')`);
  const q = o.deadlineQuantile === 'mean' ? 'mean' : Number(o.deadlineQuantile);
  if (q !== 'mean' && !(q > 0 && q < 1)) throw new UsageError(`--deadline-quantile must be in (0, 1) or 'mean' (got '${o.deadlineQuantile}')`);
  const allowed = o.formats ? o.formats.split(',').map((s) => s.trim()) : undefined;
  // A document that carries its cuts (measured with --link-formats) is planned over them: set cuts, the input, link formats.
  const { execCuts } = await import('../../runtime/options/exec-cuts.ts');
  const cuts = doc.cuts?.length ? execCuts(doc.cuts, doc, { overheadS: 0, replyBytes: 0 }) : [{ name: 'whole', groups: doc.groups.map((g) => g.name), nodes: 'all' as const, featureBytes: o.featureBytes, serverS: o.serverMs / 1000 }];
  const plan = planFromOptions(doc, cuts, {
    kappa: o.kappa,
    link: { rateBps: o.linkMbps * 1e6, txPowerW: o.txPower },
    T0: o.T0,
    E0: o.E0,
    quantile: q,
    objective: o.objective as OptionsObjective,
    ...(o.memoryBytes !== undefined ? { memoryBytes: o.memoryBytes } : {}),
    ...(allowed ? { allowed } : {}),
    allowSimulation: o.simulation,
  });
  if (doc.model.synthetic) plan.notes.push('synthetic weights: the model is generated, not pretrained');
  if (o.json) process.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
  else process.stdout.write(`${summary(plan, doc.device.name)}\n`);
  if (!plan.feasible) process.exitCode = 3;
  return plan;
}

function summary(p: OptionsPlan, device: string): string {
  const ms = (s: number) => `${(s * 1000).toFixed(2)} ms`;
  if (!p.feasible || !p.predicted) {
    const d = p.diagnosis;
    return `no plan: ${d?.reason ?? 'infeasible'}${d?.minT0 ? `; the fastest formats need T0 ≥ ${ms(d.minT0)}` : ''}${d?.minE0 ? `, the cheapest E0 ≥ ${(d.minE0 * 1000).toFixed(3)} mJ` : ''}`;
  }
  const counts = new Map<string, number>();
  for (const f of Object.values(p.formats)) counts.set(f, (counts.get(f) ?? 0) + 1);
  const x = p.predicted;
  return [
    ...(p.cut && p.cut !== 'whole' ? [`cut ${p.cut}: ${(p.crossing ?? []).map((c) => `${c.name} (${c.format})`).join(', ')}, ${((p.uplinkBytes ?? 0) / 1024).toFixed(1)} KiB up`] : []),
    `plan on ${device}: clock ${((p.clockHz ?? 0) / 1e9).toFixed(3)} GHz, formats ${[...counts].map(([f, n]) => `${n}×${f}`).join(', ')}${p.simulation ? ' (SIMULATION formats: latency does not follow their bits)' : ''}`,
    `  predicted: head ${ms(x.headMeanS)} mean, ${ms(x.headQuantileS)} at ${p.quantile === 'mean' ? 'the mean' : `p${Math.round((p.quantile as number) * 100)}`}; total ${ms(x.totalQuantileS)} (T0 ${ms(p.constraints.T0)})`,
    `  energy ${(x.energyJ * 1000).toFixed(3)} mJ (E0 ${(p.constraints.E0 * 1000).toFixed(3)} mJ); head weights ${(x.headWeightBytes / 1024).toFixed(1)} KiB${p.constraints.memoryBytes !== undefined ? ` (budget ${(p.constraints.memoryBytes / 1024).toFixed(1)} KiB)` : ''}`,
    `  objective ${p.objective} = ${x.objective.toExponential(3)}, predicted D_o ${x.Do.toExponential(3)}; ${p.solver.exact ? 'certified optimal' : 'NOT certified optimal'} (${p.solver.instances} clock instances, ${p.solver.ms.toFixed(2)} ms); binding: ${p.binding.join(', ')}`,
    ...p.notes.map((n) => `  note: ${n}`),
  ].join('\n');
}


