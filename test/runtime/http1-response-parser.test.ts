/**
 * The client's HTTP/1.1 response parser, pure. Invariant: for any well-formed response (any
 * status, headers, body, framing by Content-Length, chunked or close, with interim 1xx heads
 * before it) cut into any pieces, the parser reports the same head and the same body bytes,
 * completes exactly where the message ends (close-delimited only at end of stream), and the
 * keep-alive decision follows RFC 9112 §9.3. Malformed framing is refused with a
 * ResponseSyntaxError, never a hang or an unbounded buffer.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_HEAD_BYTES, ResponseParser, ResponseSyntaxError, type ResponseHead } from '../../src/runtime/client/http1-response-parser.ts';

interface Message {
  interim: number[];
  minor: 0 | 1;
  status: number;
  reason: string;
  headers: Array<[string, string]>;
  body: Uint8Array;
  framing: 'length' | 'chunked' | 'close';
  chunkSizes: number[];
  close: boolean;
  trailers: Array<[string, string]>;
}

const tokenChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&\'*+-.^_`|~'.split(''));
const name = fc.array(tokenChar, { minLength: 1, maxLength: 12 }).map((a) => `x-${a.join('')}`);
// Field values: visible ASCII and inner spaces, no leading or trailing whitespace.
const value = fc.array(fc.integer({ min: 0x20, max: 0x7e }), { maxLength: 30 }).map((a) => String.fromCharCode(...a).trim());
const message: fc.Arbitrary<Message> = fc.record({
  interim: fc.array(fc.constantFrom(100, 102, 103), { maxLength: 2 }),
  minor: fc.constantFrom(0 as const, 1 as const),
  status: fc.oneof(fc.constantFrom(200, 400, 404, 500, 503), fc.integer({ min: 200, max: 599 }).filter((s) => s !== 204 && s !== 304)),
  reason: fc.constantFrom('', 'OK', 'Not Found', 'Some Reason'),
  headers: fc.array(fc.tuple(name, value), { maxLength: 6 }),
  body: fc.uint8Array({ maxLength: 3000 }),
  framing: fc.constantFrom('length' as const, 'chunked' as const, 'close' as const),
  chunkSizes: fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 8 }),
  close: fc.boolean(),
  trailers: fc.array(fc.tuple(name, value), { maxLength: 2 }),
});

function serialize(m: Message): Uint8Array {
  const parts: Buffer[] = [];
  for (const s of m.interim) parts.push(Buffer.from(`HTTP/1.1 ${s} Continue\r\nx-interim: 1\r\n\r\n`, 'latin1'));
  let head = `HTTP/1.${m.minor} ${m.status}${m.reason ? ` ${m.reason}` : ''}\r\n`;
  for (const [k, v] of m.headers) head += `${k}: ${v}\r\n`;
  if (m.framing === 'length') head += `Content-Length: ${m.body.length}\r\n`;
  if (m.framing === 'chunked') head += 'Transfer-Encoding: chunked\r\n';
  if (m.close) head += 'Connection: close\r\n';
  else if (m.minor === 0) head += 'Connection: keep-alive\r\n';
  parts.push(Buffer.from(`${head}\r\n`, 'latin1'));
  if (m.framing !== 'chunked') parts.push(Buffer.from(m.body));
  else {
    let off = 0;
    let i = 0;
    while (off < m.body.length) {
      const n = Math.min(m.chunkSizes[i++ % m.chunkSizes.length]!, m.body.length - off);
      parts.push(Buffer.from(`${n.toString(16)}${i % 2 ? ';ext=1' : ''}\r\n`, 'latin1'), Buffer.from(m.body.subarray(off, off + n)), Buffer.from('\r\n'));
      off += n;
    }
    let tail = '0\r\n';
    for (const [k, v] of m.trailers) tail += `${k}: ${v}\r\n`;
    parts.push(Buffer.from(`${tail}\r\n`, 'latin1'));
  }
  return Buffer.concat(parts);
}

/** Feeds `bytes` cut at `cuts`; returns what the parser reported and where it completed. */
function feed(bytes: Uint8Array, cuts: number[], method = 'POST') {
  let head: ResponseHead | undefined;
  const body: number[] = [];
  let heads = 0;
  const p = new ResponseParser(method, {
    head: (h) => { head = h; heads++; },
    body: (b) => { for (const x of b) body.push(x); },
  });
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let prev = 0;
  let doneAt = -1;
  // Each piece is pushed from one scratch buffer that is overwritten afterwards, as a socket's
  // fixed read buffer is: the parser must keep nothing but copies.
  const scratch = new Uint8Array(bytes.length);
  for (const c of [...points, bytes.length]) {
    if (c < prev) continue;
    const piece = scratch.subarray(0, c - prev);
    piece.set(bytes.subarray(prev, c));
    if (p.push(piece) && doneAt < 0) doneAt = c;
    piece.fill(0xee);
    prev = c;
  }
  return { p, head, body: Uint8Array.from(body), heads, doneAt };
}

describe('HTTP/1.1 response parser', () => {
  it('reads any well-formed response cut into any pieces (fast-check, 2,000 runs)', () => {
    fc.assert(fc.property(message, fc.array(fc.nat(), { maxLength: 12 }), (m, cuts) => {
      const bytes = serialize(m);
      const r = feed(bytes, cuts);
      expect(r.heads).toBe(1);
      expect(r.head!.status).toBe(m.status);
      expect(r.head!.minorVersion).toBe(m.minor);
      // Repeated names are joined with ", " in order of arrival.
      const joined = new Map<string, string[]>();
      for (const [k, v] of m.headers) joined.set(k.toLowerCase(), [...(joined.get(k.toLowerCase()) ?? []), v]);
      for (const [k, vs] of joined) expect(r.head!.headers[k]).toBe(vs.join(', '));
      expect(r.p.overrun).toBe(false);
      if (m.framing === 'close') {
        expect(r.doneAt).toBe(-1);
        expect(r.p.end()).toBe(true);
        expect(r.p.keepAlive).toBe(false);
      } else {
        expect(r.doneAt).toBe(bytes.length);
        expect(r.p.keepAlive).toBe(!m.close);
      }
      expect(Buffer.from(r.body).equals(Buffer.from(m.body))).toBe(true);
    }), { numRuns: 2000 });
  });

  it('reports bytes past the end of a framed response as an overrun', () => {
    fc.assert(fc.property(message.filter((m) => m.framing !== 'close'), fc.uint8Array({ minLength: 1, maxLength: 50 }), (m, extra) => {
      const bytes = Buffer.concat([serialize(m), extra]);
      const r = feed(bytes, []);
      expect(r.p.complete).toBe(true);
      expect(r.p.overrun).toBe(true);
      expect(Buffer.from(r.body).equals(Buffer.from(m.body))).toBe(true);
    }), { numRuns: 300 });
  });

  it('is incomplete at end of stream when a framed body is cut short', () => {
    fc.assert(fc.property(message.filter((m) => m.framing !== 'close' && m.body.length > 0), fc.nat(), (m, cut) => {
      const bytes = serialize(m);
      const r = feed(bytes.subarray(0, cut % bytes.length), []);
      expect(r.p.complete).toBe(false);
      expect(r.p.end()).toBe(false);
    }), { numRuns: 300 });
  });

  it('has no body for 204, 304 and HEAD, whatever the headers say', () => {
    for (const [status, method] of [[204, 'GET'], [304, 'GET'], [200, 'HEAD']] as const) {
      const r = feed(Buffer.from(`HTTP/1.1 ${status} X\r\nContent-Length: 10\r\n\r\n`), [], method);
      expect(r.p.complete).toBe(true);
      expect(r.body.length).toBe(0);
    }
  });

  const refused: Array<[string, string]> = [
    ['not HTTP', 'SSH-2.0-OpenSSH_9.2\r\n\r\n'],
    ['HTTP/2 status line', 'HTTP/2 200\r\n\r\n'],
    ['three-digit status required', 'HTTP/1.1 20 OK\r\n\r\n'],
    ['status 0xx', 'HTTP/1.1 099 Odd\r\n\r\n'],
    ['unasked 101', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n'],
    ['header without colon', 'HTTP/1.1 200 OK\r\nno colon here\r\n\r\n'],
    ['space before colon', 'HTTP/1.1 200 OK\r\nContent-Length : 1\r\n\r\nx'],
    ['obsolete line folding', 'HTTP/1.1 200 OK\r\nX-A: 1\r\n  folded\r\n\r\n'],
    ['bare CR in a value', 'HTTP/1.1 200 OK\r\nX-A: a\rb\r\n\r\n'],
    ['NUL in a value', 'HTTP/1.1 200 OK\r\nX-A: a\0b\r\n\r\n'],
    ['negative Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n'],
    ['hex Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n'],
    ['two different Content-Lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd'],
    ['a list of different lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 3, 4\r\n\r\nabcd'],
    ['huge Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n'],
    ['chunk size not hex', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
    ['chunk size too long', `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${'f'.repeat(20)}\r\n`],
    ['chunk longer than its size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n'],
    ['chunk line with bare LF', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\nab\r\n0\r\n\r\n'],
  ];
  for (const [what, text] of refused) {
    it(`refuses ${what}`, () => {
      expect(() => feed(Buffer.from(text, 'latin1'), [])).toThrow(ResponseSyntaxError);
    });
  }

  it('equal repeated Content-Lengths are one length (RFC 9110 §8.6)', () => {
    const r = feed(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\nabc'), []);
    expect(r.p.complete).toBe(true);
    expect(Buffer.from(r.body).toString()).toBe('abc');
  });

  it('with both Transfer-Encoding and Content-Length, chunked wins and the connection is not reused', () => {
    const r = feed(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'), []);
    expect(r.p.complete).toBe(true);
    expect(Buffer.from(r.body).toString()).toBe('abc');
    expect(r.p.keepAlive).toBe(false);
  });

  it('bounds the head: a server that never ends its head is refused once it passes the limit, a byte at a time too', () => {
    const p = new ResponseParser('GET', { head: () => undefined, body: () => undefined });
    p.push(Buffer.from('HTTP/1.1 200 OK\r\n'));
    const line = Buffer.from(`X-Pad: ${'a'.repeat(1000)}\r\n`);
    let threw: unknown;
    try {
      for (let i = 0; i < 100; i++) p.push(line);
    } catch (e) { threw = e; }
    expect(threw).toBeInstanceOf(ResponseSyntaxError);
    const q = new ResponseParser('GET', { head: () => undefined, body: () => undefined });
    const bytes = Buffer.from(`HTTP/1.1 200 OK\r\nX: ${'b'.repeat(MAX_HEAD_BYTES)}`);
    expect(() => { for (let i = 0; i < bytes.length; i += 997) q.push(bytes.subarray(i, i + 997)); }).toThrow(ResponseSyntaxError);
  });

  it('bounds trailers', () => {
    const p = new ResponseParser('GET', { head: () => undefined, body: () => undefined });
    p.push(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n'));
    expect(() => { for (let i = 0; i < 200; i++) p.push(Buffer.from(`X-T: ${'c'.repeat(1000)}\r\n`)); }).toThrow(ResponseSyntaxError);
  });
});
