import type { Command } from 'commander';
import { UsageError } from '../../errors.ts';
import type { AgentCliInput } from '../../app/agent-command.ts';
import { inputFlags, quantizerFlag, textLineFlags } from '../flags.ts';

/** The flags as commander hands them over: the runner's input, with the parsed fields still text. */
type AgentCliOptions = Omit<AgentCliInput, 'render' | 'seed' | 'retries' | 'timeoutMs' | 'emulateLinkBps' | 'battery'> & {
  render?: string;
  seed: string;
  retries: string;
  timeoutMs: string;
  emulateLinkMbps?: string;
  battery?: string;
  dim: string[];
};

function int(v: string, flag: string, min: number): number {
  const x = Number(v);
  if (!Number.isInteger(x) || x < min) throw new UsageError(`${flag} must be an integer ≥ ${min} (got '${v}')`);
  return x;
}

export function register(program: Command): void {
  const cmd = program
    .command('agent')
    .summary('run the quantized head locally and the tail on an edge server (KServe v2 / Triton)')
    .description(
      'The robot side of co-inference. Loads a plan, quantizes the head at the planned bits, and for every ' +
        'input runs the head with onnxruntime, sends the feature in binary to the edge server, and receives the ' +
        'outputs. It times each stage, estimates energy with the plan\'s device model (or reads a power meter), ' +
        'sets the clock where cpufreq allows, re-plans when the measured link or the battery drifts, retries with ' +
        'backoff, and then follows --fallback. Every input ends in one record: outputs or an explicit error.',
    )
    .requiredOption('--server <url>', 'edge server base URL, e.g. http://127.0.0.1:8000 (coquant serve, Triton or KServe)')
    .option('--model <name>', 'name of the tail model on the server', 'tail')
    .option('--token <token>', 'bearer token (or set COQUANT_TOKEN)')
    .requiredOption('--head <head.onnx>', 'the head written by `coquant split --at`')
    .option('--feature <tensor>', "the cut tensor (default: the head's only output)")
    .option('--full <model.onnx>', 'the whole model, for --fallback local')
    .requiredOption('--plan <plan.json>', '`coquant plan --json` output: bits and clock to run at')
    .option('--system <file>', 'system description the plan was made from (enables re-planning)')
    .option('--preset <name>', 'or the preset it was made from')
    .option('--agent-preset <name>', 'agent device preset (as `plan --agent`)')
    .option('--server-preset <name>', 'server device preset (as `plan --server`)')
    .option('--profile <profile.json>', 'profile the plan was made from');
  inputFlags(cmd, { inputs: "the head's inputs", images: 'a folder of text-line images (PP-OCR rec preprocessing)', dim: 'for --render on a model coquant has no task for' });
  textLineFlags(quantizerFlag(cmd, 'the bits are applied with'), { render: 'render n labelled sign texts instead of reading --inputs', seed: 'seed for --render' })
    .option('--fallback <policy>', 'when the edge fails after retries: local (run the whole model here) or fail', 'local')
    .option('--retries <n>', 'retries per request before falling back', '2')
    .option('--timeout-ms <ms>', 'per-request timeout', '5000')
    .option('--emulate-link-mbps <rate>', 'wait each feature\'s transmission time at this rate (testing on loopback)')
    .option('--battery <J:n>', 'mission budget: J joules for n inferences (re-plans as it is spent)')
    .option('--out <records.jsonl>', 'write one JSON record per input (atomically, at the end)')
    .option('--sysfs <root>', 'sysfs root for clock control and power meters', '/sys')
    .addHelpText(
      'after',
      `
Example (edge and robot on one machine):
  coquant split model.onnx --dim p2o.DynamicDimension.1=320 --at conv2d_207.tmp_0 --out out/split
  coquant serve out/split/model.tail.onnx --name tail --port 8000 &
  coquant agent --server http://127.0.0.1:8000 --head out/split/model.head.onnx --full model.onnx \\
                --plan plan.json --preset paper --render 16`,
    )
    .action(async (opts: AgentCliOptions) => {
      const { runAgentCli } = await import('../../app/agent-command.ts');
      if (!opts.inputs === !opts.render) throw new UsageError('give exactly one of --inputs PATH… or --render N');
      if (opts.fallback !== 'local' && opts.fallback !== 'fail') throw new UsageError(`--fallback must be local or fail (got '${opts.fallback}')`);
      if (opts.fallback === 'local' && !opts.full) throw new UsageError('--fallback local needs --full <model.onnx> (the whole model to run here)', 'or use --fallback fail');
      let battery: { joules: number; inferences: number } | undefined;
      if (opts.battery) {
        const m = /^([\d.eE+-]+):(\d+)$/.exec(opts.battery);
        if (!m || !(Number(m[1]) > 0)) throw new UsageError(`--battery must look like 50:1000 (joules:inferences), got '${opts.battery}'`);
        battery = { joules: Number(m[1]), inferences: Number(m[2]) };
      }
      await runAgentCli({
        ...opts,
        token: opts.token ?? process.env.COQUANT_TOKEN,
        render: opts.render === undefined ? undefined : int(opts.render, '--render', 1),
        seed: int(opts.seed, '--seed', 0),
        retries: int(opts.retries, '--retries', 0),
        timeoutMs: int(opts.timeoutMs, '--timeout-ms', 1),
        emulateLinkBps: opts.emulateLinkMbps === undefined ? undefined : Number(opts.emulateLinkMbps) * 1e6,
        fallback: opts.fallback,
        battery,
      });
    });
}
