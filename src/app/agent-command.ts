/**
 * `coquant agent` wiring: plan + system → replanner; head/full models → quantized sessions per
 * bit assignment; device detection → clock control and power meter when the machine has them;
 * inputs → one record each, printed as it goes and written as JSONL at the end.
 */
import { readPlanFile } from '../documents/plan-document.ts';
import { planFeatures } from '../runtime/split/feature-wire.ts';
import { CoquantError, UsageError } from '../errors.ts';
import { imageCalibration } from './image-inputs.ts';
import { isImageFolder } from '../data/input-files.ts';
import { parseDimFlags } from '../data/random-inputs.ts';
import { commandInputs } from '../tasks/checked-inputs.ts';
import { detectDevice } from '../device/detect.ts';
import { taskFor } from '../tasks/registry.ts';
import { corpusCer, exactMatchRate } from '../ocr/cer.ts';
import { loadSystem } from './load-system.ts';
import type { PlanResult } from '../plan/result.ts';
import { parseQuantSpec } from '../quant/index.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { InferenceClient } from '../runtime/client/inference-client.ts';
import { applyGcHeapGrowth, SERVING_HEAP_GROWTH } from '../runtime/protocol/buffer-pool.ts';
import { createSession, modelSignature, outputNames, type Session } from '../ort/session.ts';
import type { OptionsPlan } from '../plan/options-plan.ts';
import { ExecPlanSource } from '../runtime/agent/exec-plan-source.ts';
import { Agent, type AgentPlan, type AgentRecord, type EnergyMeter, type PlanSource } from '../runtime/agent/agent.ts';
import { Replanner } from '../runtime/agent/replanner.ts';
import { QuantizedSessions } from '../runtime/agent/quantized-sessions.ts';

export interface AgentCliInput {
  server: string;
  model: string;
  token?: string;
  head: string;
  feature?: string;
  full?: string;
  plan: string;
  system?: string;
  preset?: string;
  agentPreset?: string;
  serverPreset?: string;
  profile?: string;
  /** Tensor files/folders (.npz, .npy, .pb, test_data_set_N), or one folder of text-line images. */
  inputs?: readonly string[];
  labels?: string;
  render?: number;
  seed: number;
  quantizer: string;
  fallback: string;
  retries: number;
  timeoutMs: number;
  emulateLinkBps?: number;
  battery?: { joules: number; inferences: number };
  out?: string;
  sysfs: string;
  /** `--dim NAME=VALUE` for generated inputs of a model with dynamic sizes. */
  dim?: readonly string[];
}

/** The agent's plan source and head sessions for either kind of plan document. */
async function planSources(o: AgentCliInput): Promise<{ replanner: PlanSource; headFor: (p: AgentPlan) => Promise<Session>; localFor?: (p: AgentPlan) => Promise<Session>; release: () => Promise<void>; link?: ReturnType<typeof planFeatures> }> {
  const file = await readPlanFile(o.plan);
  if (file.kind === 'exec') {
    const link = planFeatures(file.doc);
    // An executable plan: the head file already holds the planned formats; it runs as written.
    const plan = file.doc as unknown as OptionsPlan;
    if (!plan.feasible) throw new CoquantError('E_INFEASIBLE_PLAN', `${o.plan} is an infeasible plan; there is nothing to run`, { hint: 'relax T0/E0 and plan again' });
    const replanner = new ExecPlanSource(plan, plan.energyModel?.kappa ?? 1e-27, plan.energyModel?.txPowerW ?? 0.8);
    // Opened on first use, after the signature probe is released: a 2 GB head is never in memory twice.
    let head: Promise<Session> | undefined;
    let local: Promise<Session> | undefined;
    const full = o.full;
    return {
      replanner,
      link,
      headFor: () => (head ??= createSession(o.head, { label: o.head })),
      localFor: full ? () => (local ??= createSession(full, { label: full })) : undefined,
      release: async () => {
        if (head) await (await head).release();
        if (local) await (await local).release();
      },
    };
  }
  const plan = file.doc as unknown as PlanResult;
  if (!plan.feasible || !plan.groups) throw new CoquantError('E_INFEASIBLE_PLAN', `${o.plan} is an infeasible plan; there is nothing to run`, { hint: 'relax T0/E0 and plan again' });
  const sys = await loadSystem({ system: o.system, preset: o.preset, agent: o.agentPreset, server: o.serverPreset, profile: o.profile, T0: plan.constraints.T0, E0: plan.constraints.E0 });
  const cutName = plan.cut ?? sys.problem.cuts[0]?.name;
  const cut = sys.problem.cuts.find((c) => c.name === cutName);
  if (!cut) throw new UsageError(`the plan's cut '${cutName}' is not in the system description`, 'pass the same --system/--preset/--profile the plan was made with');
  const known = new Set(cut.groups.map((g) => g.name));
  const missing = plan.groups!.filter((g) => !known.has(g.name));
  if (missing.length) throw new UsageError(`the plan names groups the system does not have (e.g. '${missing[0].name}')`, 'pass the same --system/--preset/--profile the plan was made with');
  const replanner = new Replanner({ ...sys.problem, cuts: [cut] }, plan, { battery: o.battery });
  const sessions = new QuantizedSessions(parseQuantSpec(o.quantizer));
  const full = o.full;
  return {
    replanner,
    headFor: (p) => sessions.for(o.head, p),
    localFor: full ? (p) => sessions.for(full, p) : undefined,
    release: () => sessions.releaseAll(),
  };
}

export async function runAgentCli(o: AgentCliInput): Promise<void> {
  const log = (m: string) => process.stderr.write(`${m}\n`);
  const { replanner, headFor, localFor, release, link } = await planSources(o);
  const probe = await createSession(o.head, { label: o.head });
  const heads = outputNames(probe);
  const signature = modelSignature(probe);
  const specs = signature.inputs;
  // The head's inputs say what the model is for: its task renders inputs and reads the tail's answers.
  const task = taskFor(signature);
  await probe.release();
  // A plan that names its crossing tensors (a set cut, link formats) says what the head sends; older plans have one.
  const planned = link?.tensors.length ? link.tensors : undefined;
  const missing = planned?.filter((t) => !heads.includes(t)) ?? [];
  if (missing.length) throw new UsageError(`the plan sends ${missing.map((t) => `'${t}'`).join(', ')}, which the head ${o.head} does not output (it outputs ${heads.join(', ')})`, "split at the plan's cut: `coquant split MODEL --at CUT --link FORMAT`, then `coquant quantize HEAD --plan PLAN`");
  const feature = planned?.[0] ?? o.feature ?? (heads.length === 1 ? heads[0] : undefined);
  if (!feature || !heads.includes(feature)) throw new UsageError(`the head has outputs ${heads.join(', ')}; name the cut tensor with --feature`);

  const device = detectDevice(o.sysfs);
  for (const n of device.notes) log(`note: ${n}`);
  const meter: EnergyMeter | undefined = device.power ? { readJoules: async () => (await device.power!.sample()).joules } : undefined;
  const setClock = device.dvfs ? async (hz: number) => device.dvfs!.setFrequency(hz) : undefined;

  // Inputs are checked as every command checks them (declared types, valid index inputs; --inputs also by one run of the head).
  const images = o.inputs?.length === 1 && (await isImageFolder(o.inputs[0])) ? o.inputs[0] : undefined;
  if (o.labels && !images) throw new UsageError('--labels goes with --inputs FOLDER of text-line images', 'tensor inputs carry no labels; the records hold the texts read');
  if (images && specs.length !== 1) throw new UsageError(`image inputs need a head with one input; ${o.head} has ${specs.length}`, 'pass tensors with --inputs (a .npz per sample with an array per input)');
  const dims = parseDimFlags(o.dim ?? []);
  const cal = await commandInputs({
    model: o.head,
    command: 'agent',
    specs,
    inputs: images ? undefined : o.inputs,
    make: () => (images ? imageCalibration(images, specs, 'ppocr-rec', o.labels) : task.makeInputs(signature, { count: o.render ?? 1, seed: o.seed, dims })),
    seed: o.seed,
    comparesOutputs: false,
    hasDim: true,
    skipRun: !o.inputs?.length,
  });
  // This process is the agent's own, so it takes the server's heap growth (the library leaves the
  // embedding application's collector alone): with V8's default, a client receiving 1 MiB answers
  // settled into 5–6 mark-compacts per 100 requests and a p99 of 10–15 ms, against 1 per 1,500 and
  // 4–6 ms with it (docs/bench/serve.md). $COQUANT_GC_HEAP_GROWTH still wins; 0 leaves V8 alone.
  applyGcHeapGrowth(undefined, SERVING_HEAP_GROWTH);
  const client = new InferenceClient({ url: o.server, token: o.token, timeoutMs: o.timeoutMs });
  if (!(await client.isReady().catch(() => false))) log(`warning: ${o.server} is not ready; requests will ${o.fallback === 'local' ? 'fall back to local runs' : 'fail'} until it is`);
  const agent = new Agent({
    client,
    tailModel: o.model,
    feature,
    ...(planned ? { features: planned, featureFormats: link!.formats } : {}),
    replanner,
    headFor,
    localFor,
    fallback: o.fallback as 'local' | 'fail',
    backoff: { retries: o.retries, baseMs: 50, maxMs: 1000 },
    requestTimeoutMs: o.timeoutMs,
    emulateLinkBps: o.emulateLinkBps,
    meter,
    setClock,
    clockSource: device.dvfs ? `dvfs (${device.dvfs.kind})` : 'none (the OS sets the clock)',
    log: (e) => log(`${e.level}: ${e.msg}`),
  });
  const records: AgentRecord[] = [];
  const texts: string[] = [];
  for (const [i, feed] of cal.feeds.entries()) {
    const r = await agent.process(`input-${i}`, feed);
    records.push(r);
    const out = r.outputs ? Object.values(r.outputs)[0] : undefined;
    const decoded = out && task.decode ? await task.decode(out) : undefined;
    const text = typeof decoded?.[0] === 'string' ? decoded[0] : undefined;
    texts.push(text ?? '');
    log(
      `${r.id}: ${r.status} via ${r.path} in ${r.stages.totalMs.toFixed(1)} ms (head ${r.stages.headMs.toFixed(1)}, up ${r.stages.uploadMs.toFixed(1)}, server ${r.stages.serverMs.toFixed(1)}, down ${r.stages.downloadMs.toFixed(1)}), ` +
        `${(r.energy.totalJ * 1000).toFixed(3)} mJ${text !== undefined ? ` → "${text}"` : ''}${r.error ? ` [${r.error.code}: ${r.error.message}]` : ''}`,
    );
  }
  await release();
  const ok = records.filter((r) => r.status === 'ok').length;
  process.stdout.write(`${ok}/${records.length} inputs answered (${records.filter((r) => r.path === 'edge').length} by the edge, ${records.filter((r) => r.path === 'local').length} locally)\n`);
  if (cal.labels && texts.some((t) => t)) {
    process.stdout.write(`accuracy ${(100 * exactMatchRate(texts, cal.labels)).toFixed(1)}%, CER ${(100 * corpusCer(texts, cal.labels)).toFixed(1)}%\n`);
  }
  if (o.out) {
    const lines = records.map((r, i) => JSON.stringify({ ...r, outputs: r.outputs ? Object.fromEntries(Object.entries(r.outputs).map(([k, t]) => [k, { type: t.type, dims: t.dims }])) : undefined, text: texts[i] || undefined }));
    await writeFileAtomic(o.out, `${lines.join('\n')}\n`);
    process.stdout.write(`records: ${o.out}\n`);
  }
  if (ok < records.length) process.exitCode = 1;
}
