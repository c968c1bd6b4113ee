/**
 * The inference client's transport for plain http: HTTP/1.1 over kept-alive `net` sockets,
 * with the response parsed by http1-response-parser.ts. Each socket reads into one fixed
 * 256 KiB buffer (net's `onread`) and the body is copied from there straight into the answer
 * buffer: one copy per byte, no per-chunk Buffer, stream or 'data' event. Against node:http's
 * client this took 0.3–0.5 ms off a 1 MiB round trip on loopback (docs/bench/serve.md).
 *
 * Same contract as the node:https path in http-exchange.ts: any status is returned; timeout
 * (whole exchange, body included), caller abort and transport failure are each their own error;
 * a reused socket that the server had closed is retried once by exchange().
 */
import net from 'node:net';
import { BadResponseError, InferenceClientError, RequestAbortedError, RequestTimeoutError, ServerUnreachableError } from './client-errors.ts';
import { AnswerBody, markStale, staleSocket, type ExchangeRequest, type ExchangeResponse } from './exchange-contract.ts';
import { HEADER_LENGTH_HEADER } from '../protocol/infer-codec.ts';
import { ResponseParser, ResponseSyntaxError, type ResponseHead } from './http1-response-parser.ts';

/** A 1 MiB answer then arrives in a few reads (64 KiB, Node's default, makes 16). */
const READ_BUFFER_BYTES = 256 * 1024;
/** Idle sockets are closed after this; it stays below common server keep-alive timeouts (fastify 72 s, Node 5 s). */
const IDLE_TIMEOUT_MS = 4000;

/** What a connection in use hands its bytes and its end to. */
interface Receiver {
  data(bytes: Uint8Array): void;
  end(): void;
  error(e: Error & { code?: string }): void;
  /** The socket closed (after `end` or `error`, or on its own). */
  closed(): void;
}

class Connection {
  readonly socket: net.Socket;
  receiver?: Receiver;
  /** Exchanges this socket has carried; a reused one may have been closed by the server meanwhile. */
  uses = 0;

  constructor(host: string, port: number, private readonly onGone: (c: Connection) => void) {
    const onread = {
      buffer: Buffer.allocUnsafeSlow(READ_BUFFER_BYTES),
      callback: (n: number, buf: Buffer): boolean => {
        const r = this.receiver;
        // Bytes on an idle connection were never asked for: the connection is not trustworthy.
        if (r) r.data(buf.subarray(0, n));
        else this.socket.destroy();
        return true;
      },
    };
    this.socket = net.connect({ host, port, onread } as net.NetConnectOpts);
    this.socket.setNoDelay(true);
    this.socket.on('end', () => (this.receiver ? this.receiver.end() : this.socket.destroy()));
    this.socket.on('error', (e) => this.receiver?.error(e));
    this.socket.on('timeout', () => this.socket.destroy());
    this.socket.on('close', () => {
      const r = this.receiver;
      this.receiver = undefined;
      this.onGone(this);
      r?.closed();
    });
  }
}

/** Kept-alive connections per host:port, reused last-in first-out (the warmest socket first). */
const idle = new Map<string, Connection[]>();

function forget(key: string, c: Connection): void {
  const list = idle.get(key);
  const i = list?.indexOf(c) ?? -1;
  if (i >= 0) list!.splice(i, 1);
  if (list?.length === 0) idle.delete(key);
}

function take(key: string, host: string, port: number): Connection {
  const list = idle.get(key);
  while (list?.length) {
    const c = list.pop()!;
    if (list.length === 0) idle.delete(key);
    if (c.socket.destroyed) continue;
    c.socket.setTimeout(0);
    c.socket.ref();
    return c;
  }
  return new Connection(host, port, (c) => forget(key, c));
}

function putBack(key: string, c: Connection): void {
  c.receiver = undefined;
  // Unref'd: a kept-alive connection never holds the process open.
  c.socket.unref();
  c.socket.setTimeout(IDLE_TIMEOUT_MS);
  let list = idle.get(key);
  if (!list) idle.set(key, (list = []));
  list.push(c);
}

/** RFC 9110 token characters, and what a field value must not hold (a CR or LF would smuggle headers). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE = /[\0\r\n]/;

function requestHead(r: ExchangeRequest, url: URL, bodyBytes: number | undefined): string {
  let head = `${r.method} ${url.pathname}${url.search} HTTP/1.1\r\n`;
  let host = url.host;
  let extra = '';
  for (const [name, value] of Object.entries(r.headers)) {
    if (!TOKEN.test(name) || BAD_VALUE.test(value)) {
      throw new InferenceClientError('E_BAD_HEADER', `the request header ${JSON.stringify(name)} has an invalid name or value (a control character such as CR or LF)`, false,
        'check the headers and the token given to the client');
    }
    const lower = name.toLowerCase();
    if (lower === 'host') host = value;
    else if (lower !== 'content-length' && lower !== 'transfer-encoding' && lower !== 'connection') extra += `${name}: ${value}\r\n`;
  }
  head += `Host: ${host}\r\n${extra}`;
  if (bodyBytes !== undefined) head += `Content-Length: ${bodyBytes}\r\n`;
  return `${head}\r\n`;
}

/** One exchange over a pooled connection to `url`'s host (plain http only). */
export function attemptHttp1(r: ExchangeRequest, url: URL): Promise<ExchangeResponse> {
  return new Promise<ExchangeResponse>((resolve, reject) => {
    if (r.signal?.aborted) { reject(new RequestAbortedError(r.url)); return; }
    let bodyBytes: number | undefined;
    if (r.chunks) {
      bodyBytes = 0;
      for (const c of r.chunks) bodyBytes += c.length;
    }
    let head: string;
    try {
      head = requestHead(r, url, bodyBytes);
    } catch (e) {
      reject(e);
      return;
    }
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const port = url.port === '' ? 80 : Number(url.port);
    const key = `${host}:${port}`;
    const conn = take(key, host, port);
    const reused = conn.uses++ > 0;
    let settled = false;
    let answer: AnswerBody | undefined;
    let got: ResponseHead | undefined;

    const cleanup = () => {
      clearTimeout(timer);
      r.signal?.removeEventListener('abort', onAbort);
      conn.receiver = undefined;
    };
    const fail = (e: Error) => {
      if (settled) return;
      settled = true;
      cleanup();
      conn.socket.destroy();
      answer?.release();
      reject(e);
    };
    const timer = setTimeout(() => fail(new RequestTimeoutError(r.url, r.timeoutMs)), r.timeoutMs);
    const onAbort = () => fail(new RequestAbortedError(r.url));
    r.signal?.addEventListener('abort', onAbort, { once: true });

    const parser = new ResponseParser(r.method, {
      head: (h) => {
        got = h;
        answer = new AnswerBody(h.headers['content-length'], h.headers[HEADER_LENGTH_HEADER], r.pool);
      },
      body: (bytes) => {
        const overflow = answer!.add(bytes);
        if (overflow) throw new ResponseSyntaxError(overflow);
      },
    });
    const succeed = () => {
      const body = answer!.finish();
      if (typeof body === 'string') { fail(new ServerUnreachableError(r.url, body)); return; }
      settled = true;
      cleanup();
      // Reused only when the answer was framed, complete, alone in its bytes, and our whole
      // request went out (an early answer, such as a 413, may leave the body half written).
      if (parser.keepAlive && !parser.overrun && conn.socket.writableLength === 0 && !conn.socket.destroyed) putBack(key, conn);
      else conn.socket.destroy();
      const h = got!.headers;
      const release = answer!.release.bind(answer);
      resolve({ status: got!.status, header: (name) => h[name.toLowerCase()], body, release });
    };
    const gone = (detail: string, e?: Error & { code?: string }) => {
      const err = new ServerUnreachableError(r.url, detail, e);
      // Node's documented keep-alive race: the server closed an idle connection as we reused it.
      fail(reused && !parser.started && (e === undefined || staleSocket(e)) ? markStale(err) : err);
    };
    const closedEarly = () => gone(parser.started ? 'the connection closed before the whole answer arrived' : 'the server closed the connection without answering');

    conn.receiver = {
      data: (bytes) => {
        if (settled) return;
        try {
          if (parser.push(bytes)) succeed();
        } catch (e) {
          if (e instanceof ResponseSyntaxError) fail(new BadResponseError(r.url, `not a valid HTTP/1.1 response: ${e.message}`));
          else fail(e as Error);
        }
      },
      end: () => {
        if (settled) return;
        if (parser.end()) succeed();
        else closedEarly();
      },
      error: (e) => {
        if (!settled) gone(e.code ?? e.message, e);
      },
      closed: () => {
        if (!settled) closedEarly();
      },
    };

    const s = conn.socket;
    s.cork();
    s.write(head, 'latin1');
    if (r.chunks) for (const c of r.chunks) if (c.length) s.write(c);
    s.uncork();
  });
}
