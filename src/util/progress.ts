import cliProgress from 'cli-progress';

/** A progress bar on stderr, so `--json` output on stdout stays clean. Silent when `quiet`. */
export interface Progress {
  tick(n?: number, label?: string): void;
  stop(): void;
}

export function progressBar(total: number, title: string, opts: { quiet?: boolean } = {}): Progress {
  if (opts.quiet || total <= 0) return { tick() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${title} [{bar}] {percentage}% | {value}/{total} | {label}`,
      hideCursor: false,
      clearOnComplete: false,
      noTTYOutput: !process.stderr.isTTY,
      notTTYSchedule: 5000,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { label: '' });
  let value = 0;
  return {
    tick(n = 1, label = '') {
      value += n;
      bar.update(value, { label });
    },
    stop() {
      bar.stop();
    },
  };
}
