/**
 * A progress bar that opens on the first report (when the total is known) and is stopped however
 * the work ends: a bar left running on an error kept its timer alive, so the command printed its
 * error and then never exited.
 */
import { progressBar, type Progress } from '../util/progress.ts';

/** Reports one step: `done` of `total`, with a short label. */
export type Tick = (done: number, total: number, label?: string) => void;

export async function withProgress<T>(title: string, opts: { quiet?: boolean }, run: (tick: Tick) => Promise<T>): Promise<T> {
  let bar: Progress | undefined;
  try {
    return await run((_done, total, label) => {
      bar ??= progressBar(total, title, opts);
      bar.tick(1, label);
    });
  } finally {
    bar?.stop();
  }
}
