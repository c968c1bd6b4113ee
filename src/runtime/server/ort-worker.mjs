// onnxruntime-node's session.run() computes synchronously on the calling thread, so the server
// runs it here, in worker threads, to keep its event loop free for health checks, queueing and
// deadlines. Plain JavaScript so it loads without a TypeScript loader (tsx, vitest, plain node).
// Messages: in  {kind:'run', id, model, feeds:[{name,type,dims,data}], fetches:[name]}
//           out {kind:'ready', models:[{name, inputs, outputs}]} | {kind:'init-failed', model, message}
//               {kind:'done', id, outputs:[{name,type,dims,data}], computeMs} | {kind:'fail', id, message}
import { parentPort, workerData } from 'node:worker_threads';
import ort from 'onnxruntime-node';

const sessions = new Map();

function meta(list) {
  return list.map((m) => (m.isTensor
    ? { name: m.name, isTensor: true, type: m.type, shape: m.shape.map((d) => (typeof d === 'number' ? d : -1)) }
    : { name: m.name, isTensor: false, type: 'non-tensor', shape: [] }));
}

async function init() {
  const models = [];
  for (const m of workerData.models) {
    try {
      const s = await ort.InferenceSession.create(m.path, {
        intraOpNumThreads: workerData.intraOpThreads,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
        // onnxruntime's own log only with coquant --verbose (see ortLogSeverity in src/ort/session.ts).
        logSeverityLevel: process.env.COQUANT_VERBOSE ? 2 : 4,
        // No busy-waiting intra-op threads: an edge box often shares its cores (with other
        // workers, or with the agent in tests and the demo), and spinning steals them.
        extra: { session: { intra_op: { allow_spinning: '0' } } },
      });
      sessions.set(m.name, s);
      models.push({ name: m.name, inputs: meta(s.inputMetadata), outputs: meta(s.outputMetadata) });
    } catch (e) {
      parentPort.postMessage({ kind: 'init-failed', model: m.name, message: String(e && e.message ? e.message : e).split('\n')[0] });
      return;
    }
  }
  parentPort.postMessage({ kind: 'ready', models });
}

parentPort.on('message', async (msg) => {
  if (msg.kind === 'release') {
    for (const s of sessions.values()) await s.release().catch(() => undefined);
    sessions.clear();
    parentPort.postMessage({ kind: 'released' });
    return;
  }
  if (msg.kind !== 'run') return;
  try {
    const s = sessions.get(msg.model);
    if (!s) throw new Error(`model '${msg.model}' is not loaded in this worker`);
    const feeds = {};
    for (const f of msg.feeds) feeds[f.name] = new ort.Tensor(f.type, f.data, f.dims);
    const t0 = performance.now();
    const res = await s.run(feeds, msg.fetches);
    const computeMs = performance.now() - t0;
    const outputs = msg.fetches.map((n) => {
      const t = res[n];
      return { name: n, type: t.type, dims: Array.from(t.dims, Number), data: t.data };
    });
    // Output buffers are fresh per run: move them instead of cloning (1 MB clone ≈ a copy plus
    // an allocation on the main thread). Should onnxruntime ever hand out a buffer that cannot
    // be transferred, fall back to the clone.
    const done = { kind: 'done', id: msg.id, outputs, computeMs };
    const owned = new Set();
    for (const o of outputs) if (o.data && o.data.buffer instanceof ArrayBuffer && !owned.has(o.data.buffer)) owned.add(o.data.buffer);
    try {
      parentPort.postMessage(done, [...owned]);
    } catch {
      parentPort.postMessage(done);
    }
  } catch (e) {
    parentPort.postMessage({ kind: 'fail', id: msg.id, message: String(e && e.message ? e.message : e).split('\n')[0] });
  }
});

init();
