/**
 * The floor the serve benchmark measures coquant's server against: a bare node:http server
 * with coquant's own codec and onnxruntime on its own thread, and nothing else (no limits, no
 * metrics, no errors worth the name, no worker threads). What it costs per request is what
 * the kernel, node:http, the codec and onnxruntime's copies cost on this host at this moment;
 * coquant's overhead above it is what the server itself adds.
 *
 * Run alone (`node --import tsx bench/bare-http-server.ts MODEL`), it prints its URL and serves
 * until killed; serve.bench.ts also starts it in-process with `startBareServer`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createSession, outputSpecs, runRaw, type RawTensor } from '../src/ort/session.ts';
import { SERVING_HEAP_GROWTH, applyGcHeapGrowth } from '../src/runtime/protocol/buffer-pool.ts';
import { toOrtType, type NumericArray } from '../src/runtime/protocol/datatypes.ts';
import { HEADER_LENGTH_HEADER, decodeInferRequest, encodeInferResponseParts } from '../src/runtime/protocol/infer-codec.ts';

/** Also sets V8's heap growth for the process, as `coquant serve` does, so the floor is not flattered or handicapped. */
export async function startBareServer(modelPath: string): Promise<{ url: string; close(): Promise<void> }> {
  applyGcHeapGrowth(undefined, SERVING_HEAP_GROWTH);
  const session = await createSession(modelPath, { intraOpThreads: 1 });
  const fetches = outputSpecs(session).map((o) => o.name);
  const free: Buffer[] = [];
  const server = http.createServer((req, res) => {
    const n = Number(req.headers['content-length']);
    const hl = String(req.headers[HEADER_LENGTH_HEADER]);
    const pad = (8 - (Number(hl) % 8)) % 8;
    let whole = free.pop();
    if (!whole || whole.length < pad + n) whole = Buffer.allocUnsafeSlow(pad + n);
    const body = whole.subarray(pad, pad + n);
    let got = 0;
    req.on('data', (c: Buffer) => { body.set(c, got); got += c.length; });
    req.on('end', async () => {
      const r = decodeInferRequest(body, hl);
      const feed: Record<string, RawTensor> = {};
      for (const t of r.inputs) feed[t.name] = { type: toOrtType(t.datatype)!, data: t.data as NumericArray, dims: t.shape };
      const out = await runRaw(session, feed, fetches);
      // FP32 outputs only: the benchmark serves the FP32 identity model.
      const msg = encodeInferResponseParts({ model_name: 'identity', model_version: '1', parameters: { queue_us: 0, compute_us: 0 } },
        fetches.map((name) => ({ name, datatype: 'FP32' as const, shape: [...out[name]!.dims], data: out[name]!.data as Float32Array, binary: true })));
      res.writeHead(200, { 'content-type': msg.contentType, [HEADER_LENGTH_HEADER]: String(msg.headerLength), 'content-length': String(msg.byteLength) });
      res.cork();
      for (const c of msg.chunks) res.write(c);
      res.end();
      res.once('finish', () => free.push(whole));
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const s = await startBareServer(process.argv[2]!);
  console.log(s.url);
}
