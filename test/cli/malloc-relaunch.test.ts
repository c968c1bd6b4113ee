/**
 * `coquant serve|agent|demo` start themselves again with glibc malloc settings
 * (bin/malloc-tuning.mjs). Checked here: which invocations relaunch, that the served process
 * really has the variable, and that the wrapper is transparent to signals and exit status (a
 * SIGTERM still drains the server; a killed wrapper does not leave the server holding its port).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { MALLOC_TUNABLES, wantsRelaunch, withMallocTuning } from '../../bin/malloc-tuning.mjs';
import { suiteTempDir } from '../io/fixtures.ts';
import { makeIdentityModel } from '../runtime/fixtures/tiny-models.ts';
import { bin } from './run-cli.ts';

describe('which invocations relaunch', () => {
  const env = { PATH: '/usr/bin' };
  it('relaunches the serving commands on Linux only, and never over a GLIBC_TUNABLES already set or with COQUANT_MALLOC_TUNING=0', () => {
    const cases: Array<[string[], NodeJS.ProcessEnv, NodeJS.Platform, boolean]> = [
      [['serve', 'm.onnx'], env, 'linux', true],
      [['agent', '--plan', 'p.json'], env, 'linux', true],
      [['demo'], env, 'linux', true],
      [['--verbose', 'serve', 'm.onnx'], env, 'linux', true],
      [['profile', 'm.onnx'], env, 'linux', false],
      [['quantize', 'serve'], env, 'linux', false], // 'serve' is an argument here, not the command
      [['serve', '--help'], env, 'linux', false],
      [['--version'], env, 'linux', false],
      [[], env, 'linux', false],
      [['serve', 'm.onnx'], env, 'darwin', false],
      [['serve', 'm.onnx'], { ...env, GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }, 'linux', false],
      [['serve', 'm.onnx'], { ...env, COQUANT_MALLOC_TUNING: '0' }, 'linux', false],
    ];
    for (const [args, e, platform, want] of cases) expect(wantsRelaunch(args, e, platform), args.join(' ')).toBe(want);
    expect(withMallocTuning(env).GLIBC_TUNABLES).toBe(MALLOC_TUNABLES);
  });
});

/** The wrapper's one child (Linux /proc). */
function childOf(pid: number): number {
  const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  expect(kids).toHaveLength(1);
  return kids[0]!;
}

/** Whether something accepts connections on the port now. */
function listening(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect({ host: '127.0.0.1', port }, () => { s.destroy(); res(true); });
    s.on('error', () => res(false));
  });
}

/** Whether `pid` has ended (gone, or a zombie its reaper has not collected yet). */
function ended(pid: number): boolean {
  try { return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z'); } catch { return true; }
}

async function startWrapped(model: string): Promise<{ wrapper: ChildProcess; url: string; exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> }> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.GLIBC_TUNABLES;
  delete env.COQUANT_MALLOC_TUNING;
  const wrapper = spawn(process.execPath, [bin, 'serve', model, '--name', 'identity', '--port', '0', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'], env });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => wrapper.on('exit', (code, signal) => res({ code, signal })));
  let err = '';
  wrapper.stderr!.on('data', (d) => (err += d));
  const url = await new Promise<string>((res, rej) => {
    let out = '';
    wrapper.stdout!.on('data', (d) => {
      out += d;
      const m = /(http:\/\/\S+)/.exec(out);
      if (m) res(m[1]!);
    });
    void exit.then((e) => rej(new Error(`coquant serve ended (${e.code ?? e.signal}) before listening: ${err}`)));
  });
  return { wrapper, url, exit };
}

describe.runIf(process.platform === 'linux')('coquant serve under the relaunch', () => {
  const tmp = suiteTempDir('coquant-relaunch-');

  it('serves from a child that has the tunables, and a SIGTERM to the wrapper drains it and exits 0', async () => {
    const { wrapper, url, exit } = await startWrapped(makeIdentityModel(tmp.dir));
    const child = childOf(wrapper.pid!);
    // The relay is named apart, so `pkill -f "coquant.mjs serve"` reaches the server alone.
    expect(readFileSync(`/proc/${wrapper.pid}/cmdline`, 'utf8')).toMatch(/^coquant-relay/);
    expect(readFileSync(`/proc/${child}/cmdline`, 'utf8')).toContain('coquant.mjs');
    // glibc parses the variable in place, so /proc shows it cut at the first ':'; the name and
    // the first setting are enough to tell it was passed.
    const environ = readFileSync(`/proc/${child}/environ`, 'utf8').split('\0');
    expect(environ.some((v) => v.startsWith(`GLIBC_TUNABLES=${MALLOC_TUNABLES.split(':')[0]}`))).toBe(true);
    expect((await fetch(`${url}/v2/health/ready`)).status).toBe(200);
    wrapper.kill('SIGTERM');
    expect(await exit).toEqual({ code: 0, signal: null });
    expect(ended(child)).toBe(true);
  }, 60_000);

  it('a wrapper killed outright takes the server with it (the port is free again)', async () => {
    const { wrapper, url, exit } = await startWrapped(makeIdentityModel(tmp.dir));
    const port = Number(new URL(url).port);
    const child = childOf(wrapper.pid!);
    expect(await listening(port)).toBe(true);
    wrapper.kill('SIGKILL');
    expect((await exit).signal).toBe('SIGKILL');
    const t0 = Date.now();
    while ((await listening(port)) && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 50));
    expect(await listening(port)).toBe(false);
    expect(ended(child)).toBe(true);
  }, 60_000);
});
