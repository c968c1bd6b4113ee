import type { Command } from 'commander';
import { UsageError } from '../../errors.ts';
import { BOUND_NAMES, ENERGY_SCOPE_NAMES, METHODS, OBJECTIVE_NAMES, type Method } from '../../plan/methods.ts';
import { parseBitsArg, parseNumberArg } from '../../app/plan-flags.ts';
import type { SystemOptions } from '../../app/load-system.ts';
import type { EnergyScope, Objective } from '../../plan/objective.ts';
import { PRESET_NAMES } from '../../plan/presets.ts';
import type { DesignOptions } from '../../plan/problem.ts';
import type { BoundKind } from '../../theory/rd-bounds.ts';

/** The system flags `plan` and `sweep` share. */
export function addSystemOptions(cmd: Command): Command {
  return cmd
    .option('--system <file>', 'system description (JSON or YAML; schema in docs/system-schema.json)')
    .option('--preset <name>', `start from a preset (${PRESET_NAMES.join(', ')}); default paper when no --system`)
    .option('--agent <preset>', 'replace the agent (and link) with a device preset, e.g. jetson-orin-agent')
    .option('--server <preset>', 'replace the server with a device preset, e.g. edge-gpu-server')
    .option('--profile <profile.json>', "take the model's groups (params, lambda) from a `coquant profile --json` document")
    .option('--T0 <s>', 'deadline in seconds', parseNumberArg('--T0'))
    .option('--E0 <J>', 'agent energy budget per inference in joules', parseNumberArg('--E0'))
    .option('--epsilon <x>', 'tightness: D_U − D_L ≤ epsilon per group (a lower limit on each bit-width)', parseNumberArg('--epsilon'))
    .option('--bits <set>', 'allowed bit-widths: a range 2-16 or a list 2,4,8', parseBitsArg)
    .option('--per-group', 'one bit-width per group instead of one shared bit-width')
    .option('--server-bits <b>', 'quantize the server part too, at this bit-width', parseNumberArg('--server-bits'))
    .option('--device-profile <device.json>', 'agent constants (and measured latency table) from `coquant calibrate`');
}

/** The design flags `plan` and `sweep` share (the objective flag is declared by each command). */
export function addDesignOptions(cmd: Command): Command {
  return cmd
    .option('--bound <kind>', "upper bound the plan uses: ours (2^(1−b)/λ) or paper (the paper's Eq. 26); default paper with --objective gap, else ours")
    .option('--energy <scope>', "what E0 limits: agent (agent compute + link, ours) or total (agent + link + server, the paper's Eq. 9; both clocks chosen)", 'agent')
    .option('--seed <n>', 'seed of the random baselines (feasible-random, ppo)', parseNumberArg('--seed'), 1)
    .option('--draws <n>', 'random bit-width draws of feasible-random', parseNumberArg('--draws'), 400)
    .option('--ppo-steps <n>', 'PPO training budget: designs sampled and scored', parseNumberArg('--ppo-steps'), 4096);
}

/** Validated design choices from the flags; `objective` is the bits planner's (du or gap). */
export function designOptionsFrom(o: Record<string, unknown>, objective: string): DesignOptions {
  if (objective === 'do') {
    throw new UsageError("--objective do (measured output distortion) needs measured option tables: use it with plan --options FILE (docs/options.md)", "the bits planner minimises a bound: --objective du (ours, default) or gap (the paper's P1, D^U − D^L)");
  }
  if (!(OBJECTIVE_NAMES as readonly string[]).includes(objective)) throw new UsageError(`--objective ${objective}: unknown objective`, `without --options: ${OBJECTIVE_NAMES.join(', ')}; with --options: do, du, dp`);
  const bound = o.bound as string | undefined;
  if (bound !== undefined && !(BOUND_NAMES as readonly string[]).includes(bound)) throw new UsageError(`--bound ${bound}: expected ours or paper`);
  const energy = (o.energy as string | undefined) ?? 'agent';
  if (!(ENERGY_SCOPE_NAMES as readonly string[]).includes(energy)) throw new UsageError(`--energy ${energy}: expected agent or total`);
  return { objective: objective as Objective, ...(bound ? { bound: bound as BoundKind } : {}), energy: energy as EnergyScope };
}

/** Seed, draws and PPO budget, checked. */
export function methodOptionsFrom(o: Record<string, unknown>): { seed: number; draws: number; ppoSteps: number } {
  const int = (flag: string, v: unknown, min: number) => {
    const x = Number(v);
    if (!Number.isInteger(x) || x < min) throw new UsageError(`${flag} ${String(v)}: expected an integer ≥ ${min}`);
    return x;
  };
  return { seed: int('--seed', o.seed ?? 1, 0), draws: int('--draws', o.draws ?? 400, 1), ppoSteps: int('--ppo-steps', o.ppoSteps ?? 4096, 2) };
}

export function systemOptionsFrom(o: Record<string, unknown>): SystemOptions {
  return {
    system: o.system as string | undefined,
    preset: o.preset as string | undefined,
    agent: o.agent as string | undefined,
    server: o.server as string | undefined,
    profile: o.profile as string | undefined,
    T0: o.T0 as number | undefined,
    E0: o.E0 as number | undefined,
    epsilon: o.epsilon as number | undefined,
    bits: o.bits as number[] | undefined,
    perGroup: o.perGroup as boolean | undefined,
    serverBits: o.serverBits as number | undefined,
    deviceProfile: o.deviceProfile as string | undefined,
  };
}

export function register(program: Command): void {
  const cmd = program
    .command('plan')
    .description('choose bit-widths and clocks that minimise the distortion bound D_U under a deadline T0 and an energy budget E0 (exact)');
  addDesignOptions(addSystemOptions(cmd))
    .option('--method <m>', `solver: ${METHODS.join(' | ')}`, 'exact')
    .option('--options <options.json>', 'plan executable formats per layer from a coquant.options/1 document (`coquant options`, docs/options.md)')
    .option('--objective <o>', "bits planner: du (D_U, ours; default) | gap (D^U − D^L, the paper's P1). With --options: do (measured output distortion; default) | du | dp")
    .option('--deadline-quantile <q>', "with --options: latency quantile T0 must hold at (0.5, 0.95, …) or 'mean'", '0.5')
    .option('--memory-bytes <n>', 'with --options: budget for the head\'s weight bytes', parseNumberArg('--memory-bytes'))
    .option('--formats <list>', 'with --options: formats allowed, e.g. fp32,qdq-int8')
    .option('--kappa <k>', 'with --options: agent switched capacitance (energy = κ·C·f², C = f·t)', parseNumberArg('--kappa'), 1e-27)
    .option('--link-mbps <r>', 'with --options: uplink rate, Mbit/s', parseNumberArg('--link-mbps'), 50)
    .option('--tx-power <W>', 'with --options: radio transmit power, W', parseNumberArg('--tx-power'), 0.8)
    .option('--feature-bytes <n>', 'with --options: bytes sent to the server per inference', parseNumberArg('--feature-bytes'), 0)
    .option('--server-ms <ms>', 'with --options: server time per inference, ms', parseNumberArg('--server-ms'), 0)
    .option('--simulation', 'with --options: also allow simulation (non-executable) options')
    .option('--json', 'print the plan as one JSON document (schema coquant.plan/1, docs/plan.md)')
    .addHelpText('after', "\nExamples:\n  coquant plan --preset paper\n  coquant plan --preset paper-blip2 --objective gap --energy total        # the paper's P1 with its constants\n" + '  coquant plan --preset paper --per-group --E0 1.5 --json\n  coquant plan --agent jetson-orin-agent --server edge-gpu-server --T0 0.5 --E0 2\n  coquant plan --profile out/profile/profile.json --T0 0.01 --E0 0.01\n  coquant plan --options docs/examples/gpu.options.json --T0 0.004 --E0 0.5 --deadline-quantile 0.95')
    .action(async (o: Record<string, unknown>) => {
      if (o.options) {
        o.objective ??= 'do';
        const { planOptionsCli } = await import('./plan-options.ts');
        await planOptionsCli(o as unknown as Parameters<typeof planOptionsCli>[0]);
        return;
      }
      const method = o.method as string;
      if (!(METHODS as readonly string[]).includes(method)) throw new UsageError(`--method ${method}: unknown method`, `methods: ${METHODS.join(', ')}`);
      const design = designOptionsFrom(o, (o.objective as string | undefined) ?? 'du');
      const mopts = methodOptionsFrom(o);
      // Loaded here, not at the top: `coquant --help` should not pay for zod, yaml and the solvers.
      const [{ loadSystem }, { solveMethod }, { planOnTable }, { formatSummary }] = await Promise.all([
        import('../../app/load-system.ts'),
        import('../../plan/baselines.ts'),
        import('../../plan/device-profile.ts'),
        import('../../plan/summary.ts'),
      ]);
      const loaded = await loadSystem({ ...systemOptionsFrom(o), design });
      let result = solveMethod(loaded.problem, method as Method, mopts);
      if (loaded.deviceProfile) {
        // Exact plans use the measured table when it covers the allowed bit-widths; otherwise the fitted linear model.
        const why: string[] = [];
        const table = method === 'exact' ? planOnTable(loaded.problem, loaded.deviceProfile, why) : null;
        if (table) result = table;
        else result.notes.push(...why, 'delay model: linear T = c·b·N/f with the device profile\'s fitted c');
      }
      result.notes.push(...loaded.notes);
      // Bit-widths 2..16 are the paper's analysis: no CPU kernel runs an 11-bit weight.
      result.notes.push('simulation plan: these bit-widths are applied as fake quantization, which runs float kernels, so the delay model is not what a runtime measures; `plan --options` plans the formats onnxruntime executes');
      if (loaded.system.illustrative) result.notes.push('illustrative system: the numbers are a simulation, not measurements');
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ ...result, system: { origin: loaded.origin, label: loaded.system.label ?? null } }, null, 2)}\n`);
      } else {
        process.stdout.write(`${formatSummary(loaded.problem, result, loaded.origin, loaded.system.label)}\n`);
      }
      // An infeasible problem is an answer, not a crash; scripts can still tell from the exit code.
      if (!result.feasible) process.exitCode = 3;
    });
}
