/**
 * An incremental parser of one HTTP/1.1 response (RFC 9112), for the inference client's own
 * transport. Pure: it takes bytes and reports the head, the body bytes and the end; the socket
 * is elsewhere (http1-transport.ts).
 *
 * Why not node:http's parser: on the client side Node runs llhttp from JavaScript, copies every
 * body chunk into a fresh Buffer and wraps the answer in stream objects. For a 1 MiB answer that
 * is 4–16 parser calls, 4–16 copies and as many 'data' events; here the body is handed over as
 * views of the bytes read, so the caller copies each byte once, into the answer buffer
 * (docs/bench/serve.md has the measurement).
 *
 * Strict where leniency would be a smuggling or memory hazard: a bounded head, digits-only
 * Content-Length (a list of equal values at most), hex chunk sizes of bounded length, no
 * obsolete line folding, no bare CR or NUL in a header value.
 */

/** The head of the final (non-1xx) response. Header names are lower-case; repeated headers are joined with ", ". */
export interface ResponseHead {
  status: number;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minorVersion: number;
  headers: Readonly<Record<string, string>>;
}

/** The server's bytes are not a valid HTTP/1.1 response. */
export class ResponseSyntaxError extends Error {}

export interface ParserEvents {
  /** The final head, once. */
  head(h: ResponseHead): void;
  /** Body bytes in order: a view of the pushed chunk, valid only during this call. */
  body(bytes: Uint8Array): void;
}

/** Limits: node:http's default header limit is 16 KiB; a few times that tolerates chatty proxies. */
export const MAX_HEAD_BYTES = 64 * 1024;
const MAX_CHUNK_LINE_BYTES = 1024;
/** Chunk sizes beyond 2^52 are not a real answer. */
const MAX_CHUNK_HEX_DIGITS = 13;

const CR = 13;
const LF = 10;
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?:[ \t][^\0\r\n]*)?$/;
const HEADER_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*([^\0\r\n]*?)[ \t]*$/;
const CHUNK_SIZE = /^([0-9A-Fa-f]+)[ \t]*(?:;[^\0\r\n]*)?$/;

type State = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-crlf' | 'trailers' | 'until-close' | 'done';

/** The body framing RFC 9112 §6.3 assigns to a response. */
function framing(method: string, h: ResponseHead): { state: State; length: number; keepAlive: boolean } {
  const connection = (h.headers.connection ?? '').toLowerCase().split(',').map((s) => s.trim());
  let keepAlive = h.minorVersion === 1 ? !connection.includes('close') : connection.includes('keep-alive');
  if (method === 'HEAD' || h.status === 204 || h.status === 304) return { state: 'done', length: 0, keepAlive };
  const te = h.headers['transfer-encoding'];
  if (te !== undefined) {
    const codings = te.toLowerCase().split(',').map((s) => s.trim());
    // With both Transfer-Encoding and Content-Length the former wins, and the connection is not reused (§6.3 item 3).
    if (h.headers['content-length'] !== undefined) keepAlive = false;
    if (codings[codings.length - 1] === 'chunked') return { state: 'chunk-size', length: 0, keepAlive };
    return { state: 'until-close', length: 0, keepAlive: false };
  }
  const cl = h.headers['content-length'];
  if (cl !== undefined) {
    const values = new Set(cl.split(',').map((s) => s.trim()));
    const [only] = values;
    if (values.size !== 1 || !/^\d{1,15}$/.test(only!)) throw new ResponseSyntaxError(`invalid Content-Length ${JSON.stringify(cl.slice(0, 40))}`);
    const n = Number(only);
    return { state: n === 0 ? 'done' : 'length', length: n, keepAlive };
  }
  return { state: 'until-close', length: 0, keepAlive: false };
}

function parseHead(text: string): ResponseHead {
  const lines = text.split('\r\n');
  const m = STATUS_LINE.exec(lines[0]!);
  if (!m) throw new ResponseSyntaxError(`not an HTTP/1.x status line: ${JSON.stringify(lines[0]!.slice(0, 60))}`);
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const h = HEADER_LINE.exec(line);
    if (!h) throw new ResponseSyntaxError(`malformed header line ${JSON.stringify(line.slice(0, 60))}`);
    const name = h[1]!.toLowerCase();
    const prev = headers[name];
    headers[name] = prev === undefined ? h[2]! : `${prev}, ${h[2]!}`;
  }
  return { status: Number(m[2]), minorVersion: Number(m[1]), headers };
}

function copyOf(v: Uint8Array): Uint8Array {
  const u = new Uint8Array(v.length);
  u.set(v);
  return u;
}

/** Index just past the first CRLFCRLF in `b` whose last byte is at or after `from` (≥ 3), or -1. */
function endOfHead(b: Uint8Array, from: number): number {
  for (let i = from; i < b.length; i++) {
    if (b[i] === LF && b[i - 1] === CR && b[i - 2] === LF && b[i - 3] === CR) return i + 1;
  }
  return -1;
}

/**
 * One response, fed with `push` as bytes arrive and `end` at the end of the stream.
 * `push` answers true once the response is complete; `overrun` then says whether the chunk
 * held bytes past it (a server that sends more than it framed: the connection is not reusable).
 */
export class ResponseParser {
  private state: State = 'head';
  /** Bytes of the head, or of a chunk-size or trailer line, gathered across pushes. */
  private pending: Uint8Array = new Uint8Array(0);
  private remaining = 0;
  private trailerBytes = 0;
  /** Whether any byte has arrived: a reused connection that closes before one did was stale. */
  started = false;
  keepAlive = false;
  overrun = false;

  constructor(private readonly method: string, private readonly events: ParserEvents) {}

  get complete(): boolean { return this.state === 'done'; }

  private gather(chunk: Uint8Array, from: number, to: number): Uint8Array {
    const g = new Uint8Array(this.pending.length + (to - from));
    g.set(this.pending, 0);
    g.set(chunk.subarray(from, to), this.pending.length);
    return g;
  }

  /** Consumes a line ending in CRLF starting at `off`; returns [line text, new offset] or undefined when incomplete. */
  private line(chunk: Uint8Array, off: number, max: number, what: string): [string, number] | undefined {
    let i = off;
    while (i < chunk.length && chunk[i] !== LF) i++;
    const seen = this.pending.length + (i - off);
    if (i === chunk.length) {
      if (seen > max) throw new ResponseSyntaxError(`${what} longer than ${max} bytes`);
      this.pending = this.gather(chunk, off, i);
      return undefined;
    }
    const whole = this.pending.length ? this.gather(chunk, off, i + 1) : chunk.subarray(off, i + 1);
    this.pending = new Uint8Array(0);
    if (whole.length < 2 || whole[whole.length - 2] !== CR) throw new ResponseSyntaxError(`${what} does not end in CRLF`);
    if (whole.length > max) throw new ResponseSyntaxError(`${what} longer than ${max} bytes`);
    return [Buffer.from(whole.buffer, whole.byteOffset, whole.length - 2).toString('latin1'), i + 1];
  }

  /** Hands over up to `remaining` body bytes from `off`; moves to `next` when they are all in. Returns the new offset. */
  private bodyBytes(chunk: Uint8Array, off: number, next: State): number {
    const take = Math.min(this.remaining, chunk.length - off);
    this.events.body(chunk.subarray(off, off + take));
    this.remaining -= take;
    if (this.remaining === 0) this.state = next;
    return off + take;
  }

  push(chunk: Uint8Array): boolean {
    if (chunk.length > 0) this.started = true;
    let off = 0;
    while (off < chunk.length) {
      switch (this.state) {
        case 'head': {
          const before = this.pending.length;
          const joined = before ? this.gather(chunk, 0, chunk.length) : chunk;
          // pending held no terminator, so the search resumes at the first new byte; a head
          // is at least its own 4-byte terminator past `off`.
          const end = endOfHead(joined, Math.max(before, off + 3));
          if (end < 0) {
            if (joined.length - off > MAX_HEAD_BYTES) throw new ResponseSyntaxError(`response head longer than ${MAX_HEAD_BYTES} bytes`);
            // A copy: `chunk` may be a view of a read buffer that the next read overwrites.
            this.pending = copyOf(joined.subarray(off));
            return false;
          }
          if (end - off > MAX_HEAD_BYTES) throw new ResponseSyntaxError(`response head longer than ${MAX_HEAD_BYTES} bytes`);
          const text = Buffer.from(joined.buffer, joined.byteOffset + off, end - off - 4).toString('latin1');
          this.pending = new Uint8Array(0);
          off = end - before;
          const head = parseHead(text);
          if (head.status === 101) throw new ResponseSyntaxError('the server switched protocols (101) unasked');
          if (head.status < 200) break; // interim (100 Continue, 103 Early Hints): the final head follows
          const f = framing(this.method, head);
          this.keepAlive = f.keepAlive;
          this.remaining = f.length;
          this.state = f.state;
          this.events.head(head);
          break;
        }
        case 'length':
          off = this.bodyBytes(chunk, off, 'done');
          break;
        case 'until-close':
          this.events.body(off === 0 ? chunk : chunk.subarray(off));
          return false;
        case 'chunk-size': {
          const got = this.line(chunk, off, MAX_CHUNK_LINE_BYTES, 'chunk-size line');
          if (!got) return false;
          off = got[1];
          const m = CHUNK_SIZE.exec(got[0]);
          if (!m || m[1]!.length > MAX_CHUNK_HEX_DIGITS) throw new ResponseSyntaxError(`invalid chunk size ${JSON.stringify(got[0].slice(0, 40))}`);
          this.remaining = Number.parseInt(m[1]!, 16);
          this.state = this.remaining === 0 ? 'trailers' : 'chunk-data';
          break;
        }
        case 'chunk-data':
          off = this.bodyBytes(chunk, off, 'chunk-crlf');
          break;
        case 'chunk-crlf': {
          const got = this.line(chunk, off, 2, 'the CRLF after chunk data');
          if (!got) return false;
          if (got[0] !== '') throw new ResponseSyntaxError('chunk data longer than its size');
          off = got[1];
          this.state = 'chunk-size';
          break;
        }
        case 'trailers': {
          const got = this.line(chunk, off, MAX_HEAD_BYTES, 'trailer line');
          if (!got) return false;
          off = got[1];
          this.trailerBytes += got[0].length + 2;
          if (this.trailerBytes > MAX_HEAD_BYTES) throw new ResponseSyntaxError(`trailers longer than ${MAX_HEAD_BYTES} bytes`);
          if (got[0] === '') this.state = 'done';
          else if (!HEADER_LINE.test(got[0])) throw new ResponseSyntaxError(`malformed trailer line ${JSON.stringify(got[0].slice(0, 60))}`);
          break;
        }
        case 'done':
          this.overrun = true;
          return true;
      }
    }
    return this.state === 'done';
  }

  /** The stream ended. Completes a close-delimited body; anything else unfinished is an error. */
  end(): boolean {
    if (this.state === 'until-close') this.state = 'done';
    return this.state === 'done';
  }
}
