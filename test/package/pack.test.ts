/**
 * The package as another project gets it: `npm pack` (its prepack builds dist/), the tarball
 * installed into a temporary project, then the README's library example run there with tsx and
 * type-checked against the shipped declarations. The build happens in a staging copy, never in
 * this checkout: a dist/ here would make bin/coquant.mjs run it while other tests expect src/.
 *
 * No network: the temporary project's lockfile is this repository's, less the dev entries, so
 * `npm ci --offline` takes every tarball from the cache `npm ci` filled. onnxruntime-node's
 * install script (a CUDA download) does not run: npm skips dependency install scripts that no
 * `allowScripts` entry approves.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; version: string; license: string; dependencies: Record<string, string>; bin: Record<string, string>; engines: Record<string, string> };
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

/** The first ```ts block of the README's "Use it as a library" section: the program the README shows. */
function readmeProgram(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((s) => s.startsWith('Use it as a library'));
  const m = section && /```ts\n([\s\S]*?)```/.exec(section);
  if (!m) throw new Error('README.md has no ```ts block in a "## Use it as a library" section');
  return m[1];
}

/** Type-level checks against the shipped declarations: `@ts-expect-error` fails if a type were `any`. */
const TYPES_PROBE = `import { Coquant, CoquantError, planFromOptions, type PlanResult, type ProfileDocument } from 'coquant';
declare const m: Coquant;
const p: Coquant.Plan = await m.plan({ preset: 'paper', T0: 1 });
const r: PlanResult = p.result;
const d: ProfileDocument | undefined = m.profiled;
// @ts-expect-error T0 is a number of seconds
await m.plan({ T0: 'soon' });
// @ts-expect-error the plan document's schema is a literal
const s: 'coquant.plan/2' = r.schema;
// @ts-expect-error planFromOptions takes a document, cuts and a system
planFromOptions();
export const used = [d, s, CoquantError];
`;

/** The dist/ bootstraps of worker threads and child processes, each started once from the installed package. */
const BOOTSTRAPS = `import { Coquant, EmulatedDevice, bundledModels } from 'coquant';
const model = await Coquant.open('rec');
const doc = await model.profile({ threads: 2, bits: [4], specs: [{ family: 'uniform-symmetric', granularity: { kind: 'tensor' }, range: 'absmax' }] });
const device = await EmulatedDevice.start({ fMaxHz: 1e9, fullSpeedShare: 1, emulation: 'dilation' });
await device.close();
const server = await Coquant.serve({ models: [{ name: 'rec', path: bundledModels().rec }], host: '127.0.0.1', port: 0, logLevel: 'silent' });
const live = await fetch(server.url + '/v2/health/ready');
await server.close();
console.log(JSON.stringify({ workers: doc.run?.threads, groups: doc.groups.length, device: device.emulation.kind, ready: live.status }));
`;

describe('npm pack → install → use', () => {
  let dir: string;
  let app: string;
  let files: string[] = [];
  const seconds: Record<string, number> = {};
  const timed = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await f();
    } finally {
      seconds[what] = Number(((performance.now() - t0) / 1000).toFixed(1));
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coquant-pack-'));
    // Staging copy: what the build and the package need, with this checkout's node_modules for tsc.
    const stage = join(dir, 'coquant');
    for (const p of ['package.json', '.gitignore', 'README.md', 'tsconfig.json', 'tsconfig.build.json', 'bin', 'src', 'scripts/build-dist.mjs', 'docs/library.md']) cpSync(join(root, p), join(stage, p), { recursive: true });
    symlinkSync(join(root, 'node_modules'), join(stage, 'node_modules'), 'dir');
    const packed = await timed('pack (build included)', () => run(npm, ['pack', '--json', '--pack-destination', dir], { cwd: stage, maxBuffer: 64 << 20 }));
    const info = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    files = info[0].files.map((f) => f.path);
    const tarball = join(dir, info[0].filename);

    // The consumer: depends on the tarball only; the lockfile pins what this repository's pins.
    app = join(dir, 'app');
    mkdirSync(app);
    const dep = `file:${tarball}`;
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'coquant-consumer', private: true, type: 'module', dependencies: { [pkg.name]: dep } }, null, 2));
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; devOptional?: boolean }> };
    const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
    const packages: Record<string, unknown> = {
      '': { name: 'coquant-consumer', dependencies: { [pkg.name]: dep } },
      [`node_modules/${pkg.name}`]: { version: pkg.version, resolved: dep, integrity, license: pkg.license, dependencies: pkg.dependencies, bin: pkg.bin, engines: pkg.engines },
    };
    for (const [k, v] of Object.entries(lock.packages)) if (k !== '' && !v.dev && !v.devOptional) packages[k] = v;
    writeFileSync(join(app, 'package-lock.json'), JSON.stringify({ name: 'coquant-consumer', lockfileVersion: 3, requires: true, packages }, null, 2));
    // A user installing offline skips onnxruntime-node's CUDA download the same way (README).
    await timed('install', () => run(npm, ['ci', '--offline', '--no-audit', '--no-fund'], { cwd: app, maxBuffer: 64 << 20, env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' } }));

    writeFileSync(join(app, 'main.ts'), readmeProgram());
    writeFileSync(join(app, 'types-probe.ts'), TYPES_PROBE);
    writeFileSync(join(app, 'bootstraps.ts'), BOOTSTRAPS);
    // A user's strict NodeNext project; @types/node is a dev dependency here, so it comes from this checkout.
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: ['node'], typeRoots: [join(root, 'node_modules', '@types')] }, files: ['main.ts', 'types-probe.ts', 'bootstraps.ts'] }),
    );
  }, 300_000);

  afterAll(() => {
    process.stderr.write(`package test timings (s): ${JSON.stringify(seconds)}\n`);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('packs the build, the CLI and the library doc, and no sources or tests', () => {
    for (const f of ['dist/index.js', 'dist/index.d.ts', 'dist/coquant.js', 'dist/cli/main.js', 'dist/build-info.json', 'bin/coquant.mjs', 'package.json', 'README.md', 'docs/library.md']) expect(files).toContain(f);
    // Workers and child processes start these; in dist they import the emitted .js, without tsx.
    for (const f of ['dist/runtime/device-host/host-boot.mjs', 'dist/profile/profile-worker.mjs', 'dist/io/synthetic-worker-boot.mjs', 'dist/runtime/server/ort-worker.mjs']) expect(files).toContain(f);
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/') || f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    const boot = readFileSync(join(app, 'node_modules', pkg.name, 'dist/runtime/device-host/host-boot.mjs'), 'utf8');
    expect(boot).toContain("import('./host-main.js')");
    expect(boot).not.toContain('tsx');
  });

  it("runs the README's library example: profiles the bundled recognizer and plans it", async () => {
    const { stdout } = await timed('README example', () => run(process.execPath, ['--import', 'tsx', 'main.ts'], { cwd: app, maxBuffer: 16 << 20 }));
    expect(stdout).toMatch(/^47 weight groups, 2669672 parameters$/m);
    expect(stdout).toContain('coquant plan (exact');
    const last = JSON.parse(stdout.trim().split('\n').at(-1)!) as { feasible: boolean; bits: number; agentHz: number };
    expect(last.feasible).toBe(true);
    expect(last.bits).toBeGreaterThanOrEqual(2);
    expect(last.bits).toBeLessThanOrEqual(16);
    expect(last.agentHz).toBeGreaterThan(0);
  }, 120_000);

  it('type-checks the example against the shipped declarations (strict, NodeNext)', async () => {
    const r = await timed('tsc', () => run(process.execPath, [tsc, '-p', '.'], { cwd: app }).then(() => '', (e: { stdout?: string }) => e.stdout ?? String(e)));
    expect(r).toBe('');
  }, 120_000);

  it('starts the worker and child-process bootstraps from dist (profile workers, the emulated device, the server)', async () => {
    const { stdout } = await timed('bootstraps', () => run(process.execPath, ['--import', 'tsx', 'bootstraps.ts'], { cwd: app, maxBuffer: 16 << 20 }));
    expect(JSON.parse(stdout.trim())).toEqual({ workers: 2, groups: 47, device: 'time-dilation', ready: 200 });
  }, 120_000);

  it('installs the CLI, which runs from the build', async () => {
    const bin = join(app, 'node_modules', '.bin', 'coquant');
    expect(existsSync(bin)).toBe(true);
    const { stdout } = await run(process.execPath, [bin, '--help'], { cwd: app });
    expect(stdout).toContain('Usage: coquant');
    // A command that loads its implementation lazily (dynamic imports rewritten to .js).
    const plan = await run(process.execPath, [bin, 'plan', '--preset', 'paper', '--json'], { cwd: app, maxBuffer: 16 << 20 });
    expect(JSON.parse(plan.stdout).schema).toBe('coquant.plan/1');
    expect(existsSync(join(app, 'node_modules', pkg.name, 'src'))).toBe(false);
  }, 60_000);
});
