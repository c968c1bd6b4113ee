/**
 * The client's own HTTP/1.1 transport over real loopback sockets, against raw servers that
 * write exactly the bytes a test chooses.
 * - Differential: for generated responses (Content-Length, chunked or close framing, cut into
 *   random TCP writes), the transport returns the status, headers and body that node:http's
 *   own parser (llhttp) reads from the same bytes.
 * - Connections: kept alive and reused while the server allows it; not reused after
 *   `Connection: close`, an overrun or an early answer; a server that closed an idle
 *   connection costs one retry, never an error.
 * - Hostile servers: garbage, a head that never ends, a body cut short, a stall: each a typed
 *   error (BadResponseError, ServerUnreachableError, RequestTimeoutError) and no hang; a
 *   header value with CR/LF is refused before anything is sent.
 */
import fc from 'fast-check';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { BadResponseError, InferenceClientError, RequestTimeoutError, ServerUnreachableError } from '../../src/runtime/client/client-errors.ts';
import { exchange } from '../../src/runtime/client/http-exchange.ts';

interface RawServer { url: string; connections: number; requests: Buffer[]; close(): Promise<void> }
const servers: RawServer[] = [];
afterAll(async () => { for (const s of servers) await s.close(); });

/**
 * A server that reads each request (head and Content-Length body) and lets `answer` write to the
 * socket as it likes. `answer` gets the request's index on its connection.
 */
async function rawServer(answer: (sock: net.Socket, request: Buffer, indexOnConnection: number) => void): Promise<RawServer> {
  const sockets = new Set<net.Socket>();
  const s: RawServer = { url: '', connections: 0, requests: [], close: async () => undefined };
  const server = net.createServer((sock) => {
    s.connections++;
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    let n = 0;
    sock.on('data', (c) => {
      buf = Buffer.concat([buf, c]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.toString('latin1', 0, end);
        const cl = /\r\ncontent-length: *(\d+)/i.exec(head);
        const total = end + 4 + (cl ? Number(cl[1]) : 0);
        if (buf.length < total) return;
        const req = buf.subarray(0, total);
        buf = buf.subarray(total);
        s.requests.push(req);
        answer(sock, req, n++);
      }
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  s.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  s.close = () => new Promise((ok) => { for (const k of sockets) k.destroy(); server.close(() => ok()); });
  servers.push(s);
  return s;
}

const get = (url: string, timeoutMs = 5000, headers: Record<string, string> = {}) => exchange({ method: 'GET', url, headers, timeoutMs });
const post = (url: string, body: Uint8Array, timeoutMs = 5000) => exchange({ method: 'POST', url, headers: { 'content-type': 'application/octet-stream' }, chunks: [body], timeoutMs });

/** What node:http's client reads from the same server. */
function nodeGet(url: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((ok, fail) => {
    http.get(url, { agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => ok({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts) }));
      res.on('error', fail);
    }).on('error', fail);
  });
}

/** Writes `bytes` in pieces cut at `cuts`, a macrotask apart, so the client sees separate reads. */
async function writeCut(sock: net.Socket, bytes: Buffer, cuts: number[]): Promise<void> {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let prev = 0;
  for (const c of [...points, bytes.length]) {
    if (c <= prev) continue;
    sock.write(bytes.subarray(prev, c));
    prev = c;
    await new Promise((r) => setImmediate(r));
  }
}

describe('HTTP/1.1 transport: the same answers as node:http', () => {
  it('status, headers and body equal node:http\'s reading of the same bytes (fast-check, 60 runs)', async () => {
    const body = fc.uint8Array({ maxLength: 200_000 });
    const framing = fc.constantFrom('length', 'chunked', 'close');
    await fc.assert(fc.asyncProperty(body, framing, fc.integer({ min: 200, max: 599 }).filter((s) => s !== 204 && s !== 304), fc.array(fc.nat(), { maxLength: 6 }), async (b, f, status, cuts) => {
      const payload = Buffer.from(b);
      let wire: Buffer;
      const head = `HTTP/1.1 ${status} Whatever\r\nX-Test: a b\r\nX-Rep: 1\r\nX-Rep: 2\r\n`;
      if (f === 'length') wire = Buffer.concat([Buffer.from(`${head}Content-Length: ${payload.length}\r\n\r\n`), payload]);
      else if (f === 'close') wire = Buffer.concat([Buffer.from(`${head}Connection: close\r\n\r\n`), payload]);
      else {
        const parts = [Buffer.from(`${head}Transfer-Encoding: chunked\r\n\r\n`)];
        for (let off = 0; off < payload.length; off += 4099) {
          const c = payload.subarray(off, off + 4099);
          parts.push(Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from('\r\n'));
        }
        parts.push(Buffer.from('0\r\nX-Trailer: t\r\n\r\n'));
        wire = Buffer.concat(parts);
      }
      const srv = await rawServer((sock) => { void writeCut(sock, wire, cuts).then(() => { if (f === 'close') sock.end(); }); });
      const mine = await get(`${srv.url}/x`);
      const theirs = await nodeGet(`${srv.url}/x`);
      expect(mine.status).toBe(theirs.status);
      expect(mine.header('x-test')).toBe(theirs.headers['x-test']);
      expect(mine.header('x-rep')).toBe(theirs.headers['x-rep']);
      expect(mine.body.equals(theirs.body)).toBe(true);
      expect(mine.body.equals(payload)).toBe(true);
      await srv.close();
      servers.splice(servers.indexOf(srv), 1);
    }), { numRuns: 60 });
  });

  it('sends the body given in pieces unjoined and byte-exact, with Host and Content-Length', async () => {
    const srv = await rawServer((sock) => sock.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
    const pieces = [Buffer.from('{"a":1}'), new Uint8Array(70_000).map((_, i) => i % 251), Buffer.alloc(0), Buffer.from('end')];
    const r = await exchange({ method: 'POST', url: `${srv.url}/v2/models/m/infer?x=1`, headers: { 'x-k': 'v' }, chunks: pieces, timeoutMs: 5000 });
    expect(r.status).toBe(200);
    const req = srv.requests[0]!;
    const end = req.indexOf('\r\n\r\n');
    const head = req.toString('latin1', 0, end);
    expect(head.split('\r\n')[0]).toBe('POST /v2/models/m/infer?x=1 HTTP/1.1');
    expect(head).toContain(`\r\nHost: ${new URL(srv.url).host}`);
    expect(head).toContain('\r\nx-k: v');
    expect(head).toContain(`\r\nContent-Length: ${7 + 70_000 + 3}`);
    expect(req.subarray(end + 4).equals(Buffer.concat(pieces.map((p) => Buffer.from(p))))).toBe(true);
  });

  it('places a binary answer so its tensor part is 8-byte aligned', async () => {
    const json = '{"model_name":"m"}'; // 18 bytes: the binary part starts at 18
    const bin = Buffer.alloc(64, 1);
    const srv = await rawServer((sock) => sock.write(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nInference-Header-Content-Length: ${json.length}\r\nContent-Length: ${json.length + bin.length}\r\n\r\n${json}`), bin])));
    const r = await get(`${srv.url}/a`);
    expect((r.body.byteOffset + json.length) % 8).toBe(0);
    expect(r.body.subarray(json.length).equals(bin)).toBe(true);
  });
});

describe('HTTP/1.1 transport: connections', () => {
  const ok = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';

  it('keeps one connection alive across sequential exchanges', async () => {
    const srv = await rawServer((sock) => sock.write(ok));
    for (let i = 0; i < 5; i++) expect((await post(`${srv.url}/p`, Buffer.alloc(100_000, i))).body.toString()).toBe('ok');
    expect(srv.connections).toBe(1);
    expect(srv.requests.length).toBe(5);
  });

  it('opens one connection per concurrent exchange, and reuses them afterwards', async () => {
    const srv = await rawServer((sock) => setTimeout(() => sock.write(ok), 20));
    await Promise.all([1, 2, 3].map(() => get(`${srv.url}/c`)));
    expect(srv.connections).toBe(3);
    await Promise.all([1, 2, 3].map(() => get(`${srv.url}/c`)));
    expect(srv.connections).toBe(3);
  });

  it('does not reuse a connection after Connection: close, an HTTP/1.0 answer, or bytes past the answer', async () => {
    for (const answer of ['HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok', 'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok', `${ok}EXTRA`]) {
      const srv = await rawServer((sock) => sock.write(answer));
      for (let i = 0; i < 3; i++) expect((await get(`${srv.url}/x`)).body.toString()).toBe('ok');
      expect(srv.connections).toBe(3);
    }
  });

  it('retries once, on a fresh connection, when the server closed the idle one it was about to reuse', async () => {
    // Answers and then closes without saying so: the keep-alive race, every time.
    const srv = await rawServer((sock) => { sock.write(ok); setTimeout(() => sock.destroy(), 5); });
    await get(`${srv.url}/r`);
    await new Promise((r) => setTimeout(r, 30));
    for (let i = 0; i < 3; i++) {
      expect((await get(`${srv.url}/r`)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 30));
    }
  });

  it('drops an idle connection the server writes to unasked, and the next exchange still works', async () => {
    const srv = await rawServer((sock, _req, i) => {
      sock.write(ok);
      if (i === 0) setTimeout(() => sock.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstale'), 10);
    });
    await get(`${srv.url}/u`);
    await new Promise((r) => setTimeout(r, 40));
    expect((await get(`${srv.url}/u`)).body.toString()).toBe('ok');
    expect(srv.connections).toBe(2);
  });

  it('skips interim 100 and 103 answers', async () => {
    const srv = await rawServer((sock) => sock.write(`HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n${ok}`));
    const r = await get(`${srv.url}/i`);
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('ok');
  });
});

describe('HTTP/1.1 transport: hostile servers get typed errors, never a hang', () => {
  const expectError = async (p: Promise<unknown>, type: new (...a: never[]) => Error, text: RegExp) => {
    const e = await p.then(() => undefined, (x: unknown) => x);
    expect(e).toBeInstanceOf(type);
    expect((e as Error).message).toMatch(text);
  };

  it('garbage instead of HTTP', async () => {
    const srv = await rawServer((sock) => sock.write('SSH-2.0-OpenSSH_9.2\r\n\r\n'));
    await expectError(get(`${srv.url}/g`), BadResponseError, /not a valid HTTP\/1\.1 response: not an HTTP\/1\.x status line/);
  });

  it('a head that never ends', async () => {
    const srv = await rawServer((sock) => {
      sock.write('HTTP/1.1 200 OK\r\n');
      const t = setInterval(() => { if (!sock.destroyed) sock.write(`X-Pad: ${'p'.repeat(4000)}\r\n`); else clearInterval(t); }, 1);
    });
    await expectError(get(`${srv.url}/h`), BadResponseError, /head longer than/);
  });

  it('a body cut short by the server closing', async () => {
    const srv = await rawServer((sock) => { sock.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly this'); sock.end(); });
    await expectError(get(`${srv.url}/s`), ServerUnreachableError, /closed before the whole answer arrived/);
  });

  it('a server that closes without answering, on a fresh connection', async () => {
    const srv = await rawServer((sock) => sock.destroy());
    await expectError(get(`${srv.url}/d`), ServerUnreachableError, /closed the connection without answering|ECONNRESET/);
  });

  it('a stalled body hits the timeout', async () => {
    const srv = await rawServer((sock) => sock.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nsome'));
    await expectError(get(`${srv.url}/t`, 150), RequestTimeoutError, /within 150 ms/);
  });

  it('nothing listening', async () => {
    const srv = await rawServer(() => undefined);
    await srv.close();
    await expectError(get(`${srv.url}/n`), ServerUnreachableError, /ECONNREFUSED/);
  });

  it('a header value with CR/LF is refused before anything is sent', async () => {
    const srv = await rawServer((sock) => sock.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
    const e = await get(`${srv.url}/h`, 1000, { 'x-evil': 'a\r\nInjected: 1' }).then(() => undefined, (x: unknown) => x);
    expect(e).toBeInstanceOf(InferenceClientError);
    expect((e as InferenceClientError).code).toBe('E_BAD_HEADER');
    await new Promise((r) => setTimeout(r, 20));
    expect(srv.requests.length).toBe(0);
  });
});
