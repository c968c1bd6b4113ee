import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const logLoads = fileURLToPath(new URL('./fixtures/log-loads.mjs', import.meta.url));

/** Module URLs loaded by `coquant <args>`, as seen by an ESM load hook registered before tsx. */
function loadedModules(args: string[]): { urls: string[]; stdout: string; status: number | null } {
  const r = spawnSync(process.execPath, ['--import', logLoads, 'bin/coquant.mjs', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  const urls = r.stderr.split('\n').filter((l) => l.startsWith('LOADED ')).map((l) => l.slice(7));
  return { urls, stdout: r.stdout, status: r.status };
}

// Packages and source areas that only a command's action needs; none may load for --help.
const HEAVY = [
  /node_modules\/onnxruntime-node\//,
  /node_modules\/fastify\//,
  /node_modules\/prom-client\//,
  /node_modules\/vega(-lite)?\//,
  /node_modules\/sharp\//,
  /node_modules\/@resvg\//,
  /node_modules\/onnx-proto\//,
  /node_modules\/zod\//,
  /node_modules\/yaml\//,
  /\/src\/(io|ort|formats|runtime|distortion|profile|theory|ocr|data|tasks|documents|synth|graph)\//,
  // The one --bits grammar (quant/spec.ts, pure) is the only quantizer code a flag parser loads.
  /\/src\/quant\/(?!(spec|validate|errors|types)\.ts)/,
  // Of the application layer, --help may load the planner's flag parsers only.
  /\/src\/app\/(?!plan-flags\.ts)/,
  /\/src\/bounds\/(?!options\.ts)/,
  /\/src\/calibrate\/(?!calib-formats\.ts)/,
  // plan/sweep need the preset names, the method list (result.ts and its pure cost.ts) and their flag parsers.
  /\/src\/plan\/(?!(methods|objective|presets|result|cost)\.ts)/,
];

describe('CLI start-up', () => {
  it('--help loads no command implementation (the hook does see the CLI modules, so an empty list cannot pass)', () => {
    const { urls, stdout, status } = loadedModules(['--help']);
    expect(status).toBe(0);
    expect(stdout).toContain('Usage: coquant');
    // The hook works: the entry, main.ts and every command file are in the list.
    expect(urls.some((u) => u.endsWith('/src/cli/main.ts'))).toBe(true);
    for (const c of ['profile', 'bounds', 'distortion', 'plan', 'sweep', 'serve', 'calibrate']) expect(urls.some((u) => u.endsWith(`/src/cli/commands/${c}.ts`))).toBe(true);
    const heavy = urls.filter((u) => HEAVY.some((re) => re.test(u)));
    expect(heavy).toEqual([]);
  });

  it('a command still loads its implementation when it runs (bounds on a missing input reaches the runner)', () => {
    const { urls, status } = loadedModules(['bounds', 'no-such-profile.json', '--json']);
    expect(status).not.toBe(0);
    expect(urls.some((u) => u.endsWith('/src/app/bounds-command.ts'))).toBe(true);
  });
});
