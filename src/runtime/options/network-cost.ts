/**
 * The network part of a round trip, measured: a model with the tail's reply size is served on
 * loopback and called with an input of the uplink's size; the round trip beyond the server's
 * own compute (`compute_us` + `queue_us` in the reply) is the protocol, the copies and the hop.
 * The planner splits it between uplink and downlink by bytes (exec-cuts.ts).
 */
import type { Feed } from '../../data/tensor.ts';
import { mean, quantile } from '../../calibrate/stats.ts';
import { writeFileAtomic } from '../../util/atomic-write.ts';
import { InferenceClient } from '../client/inference-client.ts';
import { fromOrtType } from '../protocol/datatypes.ts';
import type { InferTensor } from '../protocol/tensor-codec.ts';
import { startServer } from '../server/server.ts';
import type { NetworkCost } from './exec-cuts.ts';

export interface MeasuredNetwork extends NetworkCost {
  /** The round trip's q-quantile over its mean (1 for the mean). */
  spread: number;
}

/** Serves `model` (written to `path`) on loopback and times `rounds` calls with `feed` after 2 warm-ups, asking for `outputs` (all when absent). */
export async function measureNetworkCost(model: Uint8Array, feed: Feed, path: string, q: number | 'mean', o: { rounds?: number; outputs?: string[] } = {}): Promise<MeasuredNetwork> {
  await writeFileAtomic(path, model);
  const server = await startServer({ models: [{ name: 'probe', path }], host: '127.0.0.1', port: 0, logLevel: 'silent' });
  try {
    const client = new InferenceClient({ url: server.url, timeoutMs: 60_000 });
    const inputs: InferTensor[] = Object.entries(feed).map(([name, t]) => ({ name, datatype: fromOrtType(t.type)!, shape: [...t.dims], data: t.data as InferTensor['data'] }));
    const over: number[] = [];
    const rtts: number[] = [];
    let replyBytes = 0;
    const rounds = o.rounds ?? 20;
    for (let i = 0; i < rounds + 2; i++) {
      const ts = performance.now();
      const r = await client.infer('probe', inputs, o.outputs ? { outputs: o.outputs } : {});
      const rtt = performance.now() - ts;
      const p = r.parameters ?? {};
      const serverMs = ((typeof p.compute_us === 'number' ? p.compute_us : 0) + (typeof p.queue_us === 'number' ? p.queue_us : 0)) / 1000;
      replyBytes = r.outputs.reduce((a, t) => a + (t.data as { byteLength: number }).byteLength, 0);
      if (i >= 2) {
        over.push((rtt - serverMs) / 1000);
        rtts.push(rtt);
      }
    }
    return { overheadS: mean(over), replyBytes, spread: q === 'mean' ? 1 : quantile(rtts, q) / mean(rtts) };
  } finally {
    await server.close();
  }
}
