/**
 * The client baseline the serve benchmark measures coquant's own HTTP/1.1 transport against:
 * node:http's client with a keep-alive agent, the same codec, and the answer read into one
 * aligned buffer, as a careful user of node:http would write it. What coquant's client saves
 * over it, in the same rounds, is what its own transport (src/runtime/client/http1-transport.ts)
 * is for.
 */
import http from 'node:http';
import type { InferTensor } from '../src/runtime/protocol/tensor-codec.ts';
import { HEADER_LENGTH_HEADER, decodeInferResponse, encodeInferRequestParts } from '../src/runtime/protocol/infer-codec.ts';

const agent = new http.Agent({ keepAlive: true, scheduling: 'lifo' });

/** POST …/infer over node:http; the decoded outputs. */
export function nodeHttpInfer(baseUrl: string, model: string, inputs: InferTensor[]): Promise<InferTensor[]> {
  const msg = encodeInferRequestParts(inputs, { binaryInputs: true, binaryOutputs: true });
  let length = 0;
  for (const c of msg.chunks) length += c.length;
  const headers: Record<string, string | number> = { 'content-type': msg.contentType, 'content-length': length };
  if (msg.headerLength !== undefined) headers[HEADER_LENGTH_HEADER] = String(msg.headerLength);
  return new Promise((resolve, reject) => {
    const req = http.request(`${baseUrl}/v2/models/${encodeURIComponent(model)}/infer`, { method: 'POST', headers, agent }, (res) => {
      const n = Number(res.headers['content-length']);
      const hl = String(res.headers[HEADER_LENGTH_HEADER]);
      const pad = (8 - (Number(hl) % 8)) % 8;
      const body = Buffer.allocUnsafeSlow(pad + n).subarray(pad);
      let got = 0;
      res.on('data', (c: Buffer) => { body.set(c, got); got += c.length; });
      res.on('end', () => {
        try { resolve(decodeInferResponse(body, hl).outputs); } catch (e) { reject(e); }
      });
      res.on('error', reject);
    });
    req.on('socket', (s) => s.setNoDelay(true));
    req.on('error', reject);
    req.cork();
    for (const c of msg.chunks) req.write(c);
    req.uncork();
    req.end();
  });
}
