import { basename } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../errors.ts';
import { numberFlag } from '../number-flag.ts';

const EXAMPLE = `
Examples:
  coquant serve out/split/tail.onnx --name tail --port 8000
  curl -s localhost:8000/v2/models/tail                      # inputs, outputs, shapes (-1 = any size)
  curl -s -X POST localhost:8000/v2/models/tail/infer \\
       -H 'Content-Type: application/json' \\
       -d '{"inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}'

Protocol: KServe v2 / Open Inference Protocol over HTTP, with Triton's binary tensor data
extension (Inference-Header-Content-Length). Endpoints: /v2/health/live, /v2/health/ready, /v2,
/v2/models/<m>[/versions/<v>][/ready|/infer], /metrics (Prometheus). See docs/serving.md.
The token can also come from the COQUANT_TOKEN environment variable. TLS and production
authentication belong to a reverse proxy in front of this server.`;

function int(name: string, min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, got '${v}'`);
    return n;
  };
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve ONNX models (e.g. the tail of a split model) over KServe v2 / Triton-compatible HTTP')
    .argument('<models...>', 'ONNX model files; each is served under its --name or its file name without .onnx')
    .option('--name <names>', 'comma-separated model names, one per file')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--port <port>', 'TCP port (0 picks a free one)', int('port', 0), 8000)
    .option('--token <token>', 'require "Authorization: Bearer <token>" (default: $COQUANT_TOKEN)')
    .option('--max-body-mb <mb>', 'largest request body accepted, in MB (413 beyond)', (v) => {
      const n = Number(v);
      if (!(n > 0)) throw new UsageError(`--max-body-mb must be a positive number, got '${v}'`);
      return n;
    }, 64)
    .option('--concurrency <n>', 'inferences computed at once (one onnxruntime worker thread each)', int('concurrency', 1), 1)
    .option('--queue <n>', 'requests allowed to wait for a slot (503 beyond)', int('queue', 0), 64)
    .option('--timeout-ms <ms>', 'per-request deadline covering queue wait and compute; 0 = none', int('timeout-ms', 0), 30000)
    .option('--threads <n>', 'onnxruntime intra-op threads per worker (default: cores / concurrency)', int('threads', 1))
    .option('--inline-below-ms <ms>', 'compute a model on the server thread instead of a worker while its median compute time is below this and nothing else is computing (saves the 0.3-0.5 ms hop to a worker); 0 = always workers', (v) => numberFlag(v, '--inline-below-ms', 0, 1e6), 1)
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (JSON logs on stderr; a line per request at debug and trace)', 'info')
    .addHelpText('after', EXAMPLE)
    .action(async (files: string[], o: {
      name?: string; host: string; port: number; token?: string; maxBodyMb: number; concurrency: number;
      queue: number; timeoutMs: number; threads?: number; inlineBelowMs: number; logLevel: string;
    }) => {
      const names = o.name ? o.name.split(',').map((s) => s.trim()) : files.map((f) => basename(f).replace(/\.onnx$/i, ''));
      if (names.length !== files.length) throw new UsageError(`--name lists ${names.length} names for ${files.length} model files`);
      const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
      if (!levels.includes(o.logLevel)) throw new UsageError(`--log-level must be one of ${levels.join(', ')}`);
      const token = o.token ?? process.env.COQUANT_TOKEN;
      // Loaded here, not at the top: `coquant --help` should not pay for fastify, prom-client and onnxruntime.
      const { startServer } = await import('../../runtime/server/server.ts');
      const srv = await startServer({
        models: files.map((path, i) => ({ name: names[i]!, path })),
        host: o.host, port: o.port, token: token || undefined, maxBodyMb: o.maxBodyMb,
        concurrency: o.concurrency, queue: o.queue, timeoutMs: o.timeoutMs, intraOpThreads: o.threads,
        inlineBelowMs: o.inlineBelowMs, logLevel: o.logLevel, processMetrics: true,
      });
      process.stderr.write(`coquant serve: listening on ${srv.url} (models: ${names.join(', ')}${token ? '; bearer token required' : ''})\n`);
      process.stdout.write(`${srv.url}\n`);
      await new Promise<void>((resolve) => {
        const stop = (sig: string) => {
          process.stderr.write(`coquant serve: ${sig}: draining in-flight requests\n`);
          srv.close().then(resolve, resolve);
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
      process.stderr.write('coquant serve: stopped\n');
    });
}
