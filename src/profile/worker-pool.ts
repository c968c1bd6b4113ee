/**
 * Runs `profileTensor` on worker threads: each worker opens the file itself and takes the next
 * tensor whenever it finishes one, so big and small tensors balance across cores. Results come
 * back as plain data (typed arrays transferred, not copied) and are re-ordered by tensor.
 */
import { Worker } from 'node:worker_threads';
import { isCoquantError } from '../errors.ts';
import { CoquantError } from '../errors.ts';
import type { TensorInfo } from '../io/index.ts';
import type { ProfileOptions } from './options.ts';
import type { TensorProfile } from './tensor-profile.ts';

type FromWorker =
  | { kind: 'progress'; name: string; n: number }
  | { kind: 'done'; result: TensorProfile }
  | { kind: 'error'; code?: string; message: string; hint?: string; exitCode?: number };

export async function profileTensorsInWorkers(
  path: string,
  tensors: TensorInfo[],
  opts: ProfileOptions,
  onProgress: (name: string, n: number) => void,
): Promise<TensorProfile[]> {
  const count = Math.max(1, Math.min(opts.threads, tensors.length));
  // Largest first, so the long poles start early.
  const queue = tensors.map((t, i) => ({ t, i })).sort((a, b) => b.t.size - a.t.size);
  const results: TensorProfile[] = new Array(tensors.length);
  const workers: Worker[] = [];
  const url = new URL('./profile-worker.mjs', import.meta.url);
  try {
    await new Promise<void>((resolve, reject) => {
      let active = 0;
      let failed = false;
      const next = (w: Worker) => {
        const job = queue.shift();
        if (!job) {
          active--;
          if (active === 0) resolve();
          return;
        }
        (w as Worker & { job?: number }).job = job.i;
        w.postMessage({ name: job.t.name });
      };
      for (let k = 0; k < count; k++) {
        const w = new Worker(url, { workerData: { path, opts } });
        workers.push(w);
        active++;
        w.on('message', (m: FromWorker) => {
          if (failed) return;
          if (m.kind === 'progress') onProgress(m.name, m.n);
          else if (m.kind === 'done') {
            results[(w as Worker & { job?: number }).job!] = m.result;
            next(w);
          } else {
            failed = true;
            reject(m.code ? new CoquantError(m.code, m.message, { hint: m.hint, exitCode: m.exitCode }) : new Error(m.message));
          }
        });
        w.on('error', (e) => {
          failed = true;
          reject(isCoquantError(e) ? e : e);
        });
        next(w);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}
