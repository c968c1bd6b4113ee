/**
 * One HTTP exchange over node:http(s) with keep-alive agents, for the inference client. Compared
 * with `fetch` it writes a body given as several pieces without joining them, and reads the
 * answer straight into one buffer sized from Content-Length and placed so the binary part
 * (after Inference-Header-Content-Length bytes of JSON) is 8-byte aligned: typed-array views
 * of the output tensors then need no copy. Failure mapping matches the fetch-based client:
 * timeout (whole exchange, body included), caller abort, transport failure — each its own error.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { BufferPool, PooledBuffer } from '../protocol/buffer-pool.ts';
import { HEADER_LENGTH_HEADER } from '../protocol/infer-codec.ts';
import { RequestAbortedError, RequestTimeoutError, ServerUnreachableError } from './client-errors.ts';

export interface ExchangeResponse {
  status: number;
  /** Lower-case header lookup; undefined when absent. */
  header(name: string): string | undefined;
  body: Buffer;
  /** Gives a pooled body buffer back (no-op otherwise); the body must not be used afterwards. */
  release(): void;
}

export interface ExchangeRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** Body pieces sent back to back (no copy); omitted for GET. */
  chunks?: readonly Uint8Array[];
  timeoutMs: number;
  signal?: AbortSignal;
  /** Read the answer into a buffer from this pool; the caller must call `release()` on the response. */
  pool?: BufferPool;
}

// Idle sockets are unref'd by the agent, so a kept-alive connection never holds the process open.
// The idle timeout stays below common server keep-alive timeouts (fastify 72 s, Node 5 s).
//
// Plain-HTTP sockets read into one fixed 256 KiB buffer each (net's `onread`) instead of a fresh
// buffer per read: a 1 MiB answer otherwise allocates 1 MiB of short-lived ArrayBuffers on top
// of the HTTP parser's own body copies, and that external memory is what pushes V8 into
// old-space mark-compacts. This is safe because the data is handed to the HTTP parser
// synchronously and Node's parser copies every body chunk (on_body: Buffer::Copy) and turns
// headers into strings, so nothing keeps a view of the fixed buffer past the callback.
// 256 KiB rather than 64: a 1 MiB answer then arrives in fewer reads, each one a parser call and
// a 'data' event (round trip p50 2.06 → 1.85 ms, median of 4 runs each, docs/bench/serve.md).
const READ_BUFFER_BYTES = 256 * 1024;

class FixedReadAgent extends http.Agent {
  // Returned synchronously, so the agent does not wait for a callback.
  override createConnection(opts: http.ClientRequestArgs): net.Socket {
    const onread = {
      buffer: Buffer.allocUnsafeSlow(READ_BUFFER_BYTES),
      callback: (n: number, buf: Buffer): boolean => {
        socket.emit('data', buf.subarray(0, n));
        return !socket.isPaused();
      },
    };
    const socket = net.connect({ ...opts, onread } as net.NetConnectOpts);
    return socket;
  }
}

const agents = {
  'http:': new FixedReadAgent({ keepAlive: true, timeout: 4000, scheduling: 'lifo' }),
  'https:': new https.Agent({ keepAlive: true, timeout: 4000, scheduling: 'lifo' }),
};

/** Bodies above this are gathered chunk by chunk rather than preallocated from a claimed length. */
const MAX_PREALLOC = 512 * 1024 * 1024;

function alignedTarget(
  contentLength: string | undefined, headerLength: string | string[] | undefined, pool: BufferPool | undefined,
): { target: Buffer; pooled?: PooledBuffer } | undefined {
  if (contentLength === undefined || !/^\d{1,15}$/.test(contentLength)) return undefined;
  const n = Number(contentLength);
  if (n > MAX_PREALLOC) return undefined;
  const h = Array.isArray(headerLength) ? headerLength[0] : headerLength;
  const hl = h !== undefined && /^\s*\d{1,15}\s*$/.test(h) ? Number(h) : 0;
  const pad = hl <= n ? (8 - (hl % 8)) % 8 : 0;
  if (!pool) return { target: Buffer.allocUnsafeSlow(pad + n).subarray(pad) };
  const pooled = pool.acquire(pad + n);
  return { target: pooled.bytes.subarray(pad, pad + n), pooled };
}

/** A failure that means a kept-alive socket was closed by the server just before reuse. */
function staleSocket(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}

export async function exchange(req: ExchangeRequest): Promise<ExchangeResponse> {
  try {
    return await attempt(req);
  } catch (e) {
    // Node's documented keep-alive race: the server closed an idle connection as we reused it.
    // Nothing reached the model then, and inference has no side effects, so one fresh try is safe.
    if ((e as { staleReuse?: boolean }).staleReuse) return attempt(req);
    throw e;
  }
}

function attempt(r: ExchangeRequest): Promise<ExchangeResponse> {
  const url = new URL(r.url);
  const lib = url.protocol === 'https:' ? https : http;
  const agent = url.protocol === 'https:' ? agents['https:'] : agents['http:'];
  return new Promise<ExchangeResponse>((resolve, reject) => {
    if (r.signal?.aborted) { reject(new RequestAbortedError(r.url)); return; }
    let settled = false;
    let gotResponse = false;
    let pooled: PooledBuffer | undefined;
    const giveBack = () => {
      if (pooled) r.pool!.release(pooled);
      pooled = undefined;
    };
    const headers: Record<string, string | number> = { ...r.headers };
    if (r.chunks) {
      let n = 0;
      for (const c of r.chunks) n += c.length;
      headers['content-length'] = n;
    }
    const req = lib.request(url, { method: r.method, headers, agent });
    const cleanup = () => {
      clearTimeout(timer);
      r.signal?.removeEventListener('abort', onAbort);
    };
    const fail = (e: Error) => {
      if (settled) return;
      settled = true;
      cleanup();
      req.destroy();
      giveBack();
      reject(e);
    };
    const timer = setTimeout(() => fail(new RequestTimeoutError(r.url, r.timeoutMs)), r.timeoutMs);
    const onAbort = () => fail(new RequestAbortedError(r.url));
    r.signal?.addEventListener('abort', onAbort, { once: true });

    req.on('socket', (s) => s.setNoDelay(true));
    req.on('error', (e: Error & { code?: string }) => {
      if (settled) return;
      const err = new ServerUnreachableError(r.url, e.code ?? e.message, e);
      if (!gotResponse && req.reusedSocket && staleSocket(e)) Object.assign(err, { staleReuse: true });
      fail(err);
    });
    req.on('response', (res) => {
      gotResponse = true;
      const placed = alignedTarget(res.headers['content-length'], res.headers[HEADER_LENGTH_HEADER], settled ? undefined : r.pool);
      const target = placed?.target;
      pooled = placed?.pooled;
      const chunks: Buffer[] = [];
      let received = 0;
      res.on('data', (c: Buffer) => {
        if (settled) return; // failed already: a pooled target may serve another exchange by now
        if (target) {
          if (received + c.length > target.length) { fail(new ServerUnreachableError(r.url, 'the answer is longer than its Content-Length')); return; }
          target.set(c, received);
        } else {
          chunks.push(c);
        }
        received += c.length;
      });
      res.on('error', (e: Error & { code?: string }) => fail(new ServerUnreachableError(r.url, e.code ?? e.message, e)));
      res.on('close', () => {
        if (!res.complete) fail(new ServerUnreachableError(r.url, 'the connection closed before the whole answer arrived'));
      });
      res.on('end', () => {
        if (settled) return;
        if (target && received !== target.length) {
          fail(new ServerUnreachableError(r.url, `the answer ended after ${received} of ${target.length} bytes`));
          return;
        }
        settled = true;
        cleanup();
        const body = target ?? (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received));
        const h = res.headers;
        resolve({
          status: res.statusCode ?? 0,
          header: (name) => { const v = h[name.toLowerCase()]; return Array.isArray(v) ? v.join(', ') : v; },
          body,
          release: giveBack,
        });
      });
    });
    if (r.chunks) {
      req.cork();
      for (const c of r.chunks) req.write(c);
      req.uncork();
    }
    req.end();
  });
}
