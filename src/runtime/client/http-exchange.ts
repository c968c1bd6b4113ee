/**
 * One HTTP exchange for the inference client: plain http over coquant's own HTTP/1.1
 * transport (http1-transport.ts), https over node:https with a keep-alive agent. Both write a
 * body given as several pieces without joining them, read the answer into one aligned buffer
 * (exchange-contract.ts), and map failures the same way: timeout (whole exchange, body
 * included), caller abort, transport failure, each its own error.
 */
import https from 'node:https';
import { HEADER_LENGTH_HEADER } from '../protocol/infer-codec.ts';
import { RequestAbortedError, RequestTimeoutError, ServerUnreachableError } from './client-errors.ts';
import { AnswerBody, isStale, markStale, staleSocket, type ExchangeRequest, type ExchangeResponse } from './exchange-contract.ts';
import { attemptHttp1 } from './http1-transport.ts';

export type { ExchangeRequest, ExchangeResponse } from './exchange-contract.ts';

// Idle sockets are unref'd by the agent, so a kept-alive connection never holds the process open.
// The idle timeout stays below common server keep-alive timeouts (fastify 72 s, Node 5 s).
const httpsAgent = new https.Agent({ keepAlive: true, timeout: 4000, scheduling: 'lifo' });

export async function exchange(req: ExchangeRequest): Promise<ExchangeResponse> {
  try {
    return await attempt(req);
  } catch (e) {
    // The keep-alive race: the server closed an idle connection as we reused it. Nothing
    // reached the model then, and inference has no side effects, so one fresh try is safe.
    if (isStale(e)) return attempt(req);
    throw e;
  }
}

function attempt(r: ExchangeRequest): Promise<ExchangeResponse> {
  const url = new URL(r.url);
  return url.protocol === 'https:' ? attemptHttps(r, url) : attemptHttp1(r, url);
}

function attemptHttps(r: ExchangeRequest, url: URL): Promise<ExchangeResponse> {
  return new Promise<ExchangeResponse>((resolve, reject) => {
    if (r.signal?.aborted) { reject(new RequestAbortedError(r.url)); return; }
    let settled = false;
    let gotResponse = false;
    let answer: AnswerBody | undefined;
    const headers: Record<string, string | number> = { ...r.headers };
    if (r.chunks) {
      let n = 0;
      for (const c of r.chunks) n += c.length;
      headers['content-length'] = n;
    }
    const req = https.request(url, { method: r.method, headers, agent: httpsAgent });
    const cleanup = () => {
      clearTimeout(timer);
      r.signal?.removeEventListener('abort', onAbort);
    };
    const fail = (e: Error) => {
      if (settled) return;
      settled = true;
      cleanup();
      req.destroy();
      answer?.release();
      reject(e);
    };
    const timer = setTimeout(() => fail(new RequestTimeoutError(r.url, r.timeoutMs)), r.timeoutMs);
    const onAbort = () => fail(new RequestAbortedError(r.url));
    r.signal?.addEventListener('abort', onAbort, { once: true });

    req.on('socket', (s) => s.setNoDelay(true));
    req.on('error', (e: Error & { code?: string }) => {
      if (settled) return;
      const err = new ServerUnreachableError(r.url, e.code ?? e.message, e);
      fail(!gotResponse && req.reusedSocket && staleSocket(e) ? markStale(err) : err);
    });
    req.on('response', (res) => {
      gotResponse = true;
      const body = new AnswerBody(res.headers['content-length'], res.headers[HEADER_LENGTH_HEADER], settled ? undefined : r.pool);
      answer = body;
      res.on('data', (c: Buffer) => {
        if (settled) return; // failed already: a pooled target may serve another exchange by now
        const overflow = body.add(c);
        if (overflow) fail(new ServerUnreachableError(r.url, overflow));
      });
      res.on('error', (e: Error & { code?: string }) => fail(new ServerUnreachableError(r.url, e.code ?? e.message, e)));
      res.on('close', () => {
        if (!res.complete) fail(new ServerUnreachableError(r.url, 'the connection closed before the whole answer arrived'));
      });
      res.on('end', () => {
        if (settled) return;
        const whole = body.finish();
        if (typeof whole === 'string') { fail(new ServerUnreachableError(r.url, whole)); return; }
        settled = true;
        cleanup();
        const h = res.headers;
        resolve({
          status: res.statusCode ?? 0,
          header: (name) => { const v = h[name.toLowerCase()]; return Array.isArray(v) ? v.join(', ') : v; },
          body: whole,
          release: () => body.release(),
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
