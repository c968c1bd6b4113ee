/**
 * `npm run fuzz [-- models|server|soak] [--models N] [--start K] [--commands LIST] [--seed S] [--workers W] [--timeout-ms T]`:
 * the reliability jobs of docs/reliability.md. `models` (the default) runs every command over
 * the generated corpus; `server` sends fast-check requests to a real server on loopback;
 * `soak` runs agent and server for minutes with injected faults. Each writes its report to
 * out/fuzz/<job>.json and prints a summary; the exit code is 1 when a goal is missed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const job = args.find((a) => !a.startsWith('--') && !/^\d/.test(a)) ?? 'models';
const flag = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const out = 'out/fuzz';
mkdirSync(out, { recursive: true });

if (job === 'models') {
  const { runModelFuzz } = await import('./models.ts');
  const models = flag('models', 10_000);
  let last = 0;
  const report = await runModelFuzz({
    models,
    start: flag('start', 0),
    seed: flag('seed', 1),
    workers: flag('workers', 2),
    timeoutMs: flag('timeout-ms', 120_000),
    out,
    // `--commands 'quantize --format int4,distortion'`: only these (to re-run the incidents of some).
    ...(args.includes('--commands') ? { commands: args[args.indexOf('--commands') + 1].split(',').map((c) => c.trim()) as import('./models.ts').CommandName[] } : {}),
    onProgress: (d, t) => {
      if (d - last >= Math.max(1, Math.floor(t / 50)) || d === t) {
        last = d;
        process.stderr.write(`fuzz: ${d}/${t} models, load ${loadavg()[0].toFixed(2)}\n`);
      }
    },
  });
  writeFileSync(join(out, flag('start', 0) || args.includes('--commands') ? 'models-rerun.json' : 'models.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`models: ${report.models.generated} generated (${report.models.operators} operators) + ${report.models.mutants} mutants of the bundled models, ${report.seconds.toFixed(0)} s`);
  console.log('command                       ok  refusal  (no hint)  crash  hang  wrong  bad-hint');
  let bad = 0;
  for (const [c, k] of Object.entries(report.counts)) {
    console.log(`${c.padEnd(28)}${String(k.ok).padStart(4)}${String(k.refusal).padStart(9)}${String(k.refusalWithoutHint).padStart(11)}${String(k.crash).padStart(7)}${String(k.hang).padStart(6)}${String(k.wrong).padStart(7)}${String(k.badHint).padStart(10)}`);
    bad += k.crash + k.hang + k.wrong;
  }
  for (const i of report.incidents.slice(0, 20)) console.log(`  ${i.outcome} ${i.command} ${i.model}: ${i.detail.split('\n')[0]}`);
  process.exitCode = bad ? 1 : 0;
} else if (job === 'server') {
  const { runServerFuzz } = await import('./server-fuzz.ts');
  const report = await runServerFuzz({
    requests: flag('requests', 1_000_000),
    seed: flag('seed', 1),
    concurrency: flag('concurrency', 16),
    onProgress: (d) => {
      if (d % 50_000 === 0) process.stderr.write(`fuzz server: ${d} requests, load ${loadavg()[0].toFixed(2)}\n`);
    },
  });
  writeFileSync(join(out, 'server.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify(report, null, 2));
  process.exitCode = report.status5xx === 0 && report.rssGrowth <= 0.1 ? 0 : 1;
} else if (job === 'soak') {
  const { runSoak } = await import('./soak.ts');
  const report = await runSoak({ seconds: flag('seconds', 600), seed: flag('seed', 1) });
  writeFileSync(join(out, 'soak.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify(report, null, 2));
  process.exitCode = report.unaccounted === 0 && report.memoryFlat ? 0 : 1;
} else {
  console.error(`unknown fuzz job '${job}': use models, server or soak`);
  process.exitCode = 2;
}
