/** Worker-thread side of the profile pool: opens the file once, profiles tensors on request. */
import { parentPort, workerData } from 'node:worker_threads';
import { isCoquantError } from '../errors.ts';
import { openWeights, type WeightSource } from '../io/index.ts';
import type { ProfileOptions } from './options.ts';
import { profileTensor } from './tensor-profile.ts';

const { path, opts } = workerData as { path: string; opts: ProfileOptions };
let source: WeightSource | undefined;

parentPort!.on('message', async (msg: { name: string }) => {
  try {
    source ??= await openWeights(path);
    const info = source.tensors.find((t) => t.name === msg.name)!;
    let pending = 0;
    const result = await profileTensor(source, info, opts, (n) => {
      pending += n;
      if (pending >= 1 << 22) {
        parentPort!.postMessage({ kind: 'progress', name: msg.name, n: pending });
        pending = 0;
      }
    });
    if (pending > 0) parentPort!.postMessage({ kind: 'progress', name: msg.name, n: pending });
    parentPort!.postMessage({ kind: 'done', result }, [result.magCounts.buffer as ArrayBuffer, result.sums.buffer as ArrayBuffer]);
  } catch (e) {
    if (isCoquantError(e)) parentPort!.postMessage({ kind: 'error', code: e.code, message: e.message, hint: e.hint, exitCode: e.exitCode });
    else parentPort!.postMessage({ kind: 'error', message: e instanceof Error ? e.message : String(e) });
  }
});
