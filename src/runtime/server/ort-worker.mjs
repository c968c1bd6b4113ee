// onnxruntime-node's session.run() computes synchronously on the calling thread, so the server
// runs it here, in worker threads, to keep its event loop free for health checks, queueing and
// deadlines. Plain JavaScript so it loads without a TypeScript loader (tsx, vitest, plain node).
// Messages: in  {kind:'run', id, model, feeds:[{name,type,dims,data} | {name,type,dims,ref:{id,off,len},array}],
//                fetches:[name], share:[{id,sab}], out?:{id,cap}} | {kind:'forget', id} | {kind:'release'}
//           out {kind:'ready', models:[{name, inputs, outputs}]} | {kind:'init-failed', model, message}
//               {kind:'done', id, outputs:[{name,type,dims,data} | {name,type,dims,ref}], computeMs, outBytes}
//               {kind:'fail', id, message}
// Shared buffers (the server's pooled request bodies and output buffers) are sent once and kept
// here by id until 'forget'. onnxruntime-node refuses SharedArrayBuffer-backed tensors, and it
// copies every output into a fresh ArrayBuffer of its own even when given a preallocated one
// (`fetches` values), so inputs are copied from the shared buffer into this worker's scratch
// buffers, and outputs from onnxruntime's arrays into the shared output buffer: the main thread
// then allocates nothing per request.
import { parentPort, workerData } from 'node:worker_threads';
import ort from 'onnxruntime-node';

const sessions = new Map();
/** id -> SharedArrayBuffer shared by the main thread. */
const shared = new Map();
/** `${model}/${input}` -> ArrayBuffer reused for that input across runs (one run at a time here). */
const scratch = new Map();

function feedData(model, f) {
  if (!f.ref) return f.data;
  const sab = shared.get(f.ref.id);
  if (!sab) throw new Error(`shared buffer ${f.ref.id} unknown to this worker`);
  const key = `${model}/${f.name}`;
  let buf = scratch.get(key);
  if (!buf || buf.byteLength < f.ref.len) {
    buf = new ArrayBuffer(Math.max(f.ref.len, buf ? buf.byteLength * 2 : 0));
    scratch.set(key, buf);
  }
  new Uint8Array(buf, 0, f.ref.len).set(new Uint8Array(sab, f.ref.off, f.ref.len));
  const Ctor = globalThis[f.array];
  return new Ctor(buf, 0, f.ref.len / Ctor.BYTES_PER_ELEMENT);
}

/** Copies numeric outputs into the shared output buffer while they fit (each 8-byte aligned). */
function placeOutputs(outputs, out) {
  const sab = out ? shared.get(out.id) : undefined;
  let at = 0;
  for (const o of outputs) {
    if (!ArrayBuffer.isView(o.data)) continue;
    const len = o.data.byteLength;
    if (sab && at + len <= out.cap) {
      new Uint8Array(sab, at, len).set(new Uint8Array(o.data.buffer, o.data.byteOffset, len));
      o.ref = { id: out.id, off: at, len };
      o.data = undefined;
    }
    at += Math.ceil(len / 8) * 8;
  }
  return at;
}

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
  if (msg.kind === 'forget') { shared.delete(msg.id); return; }
  if (msg.kind !== 'run') return;
  try {
    for (const x of msg.share) shared.set(x.id, x.sab);
    const s = sessions.get(msg.model);
    if (!s) throw new Error(`model '${msg.model}' is not loaded in this worker`);
    const feeds = {};
    for (const f of msg.feeds) feeds[f.name] = new ort.Tensor(f.type, feedData(msg.model, f), f.dims);
    const t0 = performance.now();
    const res = await s.run(feeds, msg.fetches);
    const computeMs = performance.now() - t0;
    const outputs = msg.fetches.map((n) => {
      const t = res[n];
      return { name: n, type: t.type, dims: Array.from(t.dims, Number), data: t.data };
    });
    const outBytes = placeOutputs(outputs, msg.out);
    // Outputs that did not go into the shared buffer are fresh per run: move them instead of
    // cloning (1 MB clone ≈ a copy plus an allocation on the main thread). Should onnxruntime
    // ever hand out a buffer that cannot be transferred, fall back to the clone.
    const done = { kind: 'done', id: msg.id, outputs, computeMs, outBytes };
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
