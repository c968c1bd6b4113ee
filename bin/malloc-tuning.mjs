// glibc malloc settings for the commands that move tensors over HTTP: serve, agent and demo.
//
// Why: every 1 MiB inference request allocates short-lived buffers (Node's HTTP parser copies
// each body chunk; onnxruntime-node returns each output in a fresh ArrayBuffer). With glibc's
// defaults, a freed block above 128 KiB goes back to the kernel (mmap/munmap) and a freed heap
// top above 128 KiB is trimmed, so the next request faults the same memory back in page by page.
// Measured on `coquant serve` (docs/bench/serve.md): about 400 page faults per 1 MiB request
// with the defaults and 13–19 with these settings, and the server's CPU per request fell from
// 2.5–3.1 ms to 1.5–1.8 ms. The settings only make glibc keep freed memory for reuse: blocks up to
// 16 MiB come from the heap, and up to 64 MiB of free heap top is kept per arena.
//
// glibc reads GLIBC_TUNABLES once, when the process starts, so `coquant serve|agent|demo`
// starts itself again with the variable set (one extra small process that forwards signals and
// exits with the child's status). A GLIBC_TUNABLES already in the environment is left alone
// (the user's choice, or a harness that starts the tuned process itself); COQUANT_MALLOC_TUNING=0
// turns the relaunch off. Other platforms, and other C libraries, are untouched.
import { spawn } from 'node:child_process';

/** The GLIBC_TUNABLES value coquant's serving commands run with. */
export const MALLOC_TUNABLES = 'glibc.malloc.mmap_threshold=16777216:glibc.malloc.trim_threshold=67108864';

/** The commands that get the tuned allocator. */
export const TUNED_COMMANDS = ['serve', 'agent', 'demo'];

/** `env` with the tunables added: for harnesses that start `coquant serve` and need its own pid. */
export function withMallocTuning(env = process.env) {
  return { ...env, GLIBC_TUNABLES: MALLOC_TUNABLES };
}

/**
 * Whether `coquant <args>` should start again with the tunables. `args` excludes node and the
 * script. The command is the first argument that is not an option (the CLI's only global option,
 * --verbose, takes no value). Help and version requests run as they are.
 */
export function wantsRelaunch(args, env = process.env, platform = process.platform) {
  if (platform !== 'linux') return false;
  if (env.GLIBC_TUNABLES !== undefined || env.COQUANT_MALLOC_TUNING === '0') return false;
  if (args.some((a) => a === '--help' || a === '-h' || a === '--version' || a === '-V')) return false;
  const command = args.find((a) => !a.startsWith('-'));
  return command !== undefined && TUNED_COMMANDS.includes(command);
}

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

/**
 * Runs this same command line again with the tunables and mirrors the child: signals sent to
 * this process are passed on (the child has its own process group, so a Ctrl-C reaches it once,
 * through here), and this process exits with the child's code or dies of the child's signal.
 * If this process is killed outright, the child notices its IPC channel close and follows.
 */
export function relaunchTuned() {
  // Named apart from the command it relays, so that `pkill -f "coquant.mjs serve"` signals the
  // server once (a second SIGTERM during the drain would end it at once) and `ps` tells them apart.
  process.title = 'coquant-relay';
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...withMallocTuning(), COQUANT_RELAUNCHED: '1' },
    detached: true,
  });
  for (const s of FORWARDED) process.on(s, () => { if (child.exitCode === null) child.kill(s); });
  child.on('error', (e) => {
    process.stderr.write(`coquant: cannot start ${process.execPath}: ${e.message}\n  hint: set COQUANT_MALLOC_TUNING=0 to run without the relaunch\n`);
    process.exit(70);
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      for (const s of FORWARDED) process.removeAllListeners(s);
      process.kill(process.pid, signal);
      return;
    }
    process.exit(code ?? 1);
  });
}

/**
 * In the relaunched child: die with the parent. Without this a `kill -9` of the parent would
 * leave the server running, holding its port. The channel is unref'd so it never keeps the
 * process alive by itself.
 */
export function followParent() {
  const relaunched = process.env.COQUANT_RELAUNCHED === '1';
  delete process.env.COQUANT_RELAUNCHED; // not inherited by this command's own children
  if (!relaunched || !process.channel) return;
  process.channel.unref();
  process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));
}
