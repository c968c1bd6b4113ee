/**
 * What one HTTP exchange of the inference client takes and gives, and the answer buffer both
 * transports fill (http1-transport.ts for http:, node:https for https:). The answer is read
 * straight into one buffer sized from Content-Length and placed so that the binary part
 * (after Inference-Header-Content-Length bytes of JSON) is 8-byte aligned: typed-array views of
 * the output tensors then need no copy.
 */
import type { BufferPool, PooledBuffer } from '../protocol/buffer-pool.ts';
import { alignPad } from '../protocol/infer-codec.ts';

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

/** Bodies above this are gathered chunk by chunk rather than preallocated from a claimed length. */
const MAX_PREALLOC = 512 * 1024 * 1024;

/** A failure that means a kept-alive socket was closed by the server just before reuse. */
export function staleSocket(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}

/** Marks a transport error as the keep-alive race, which exchange() retries once on a fresh connection. */
export function markStale<E extends Error>(e: E): E {
  return Object.assign(e, { staleReuse: true });
}

export function isStale(e: unknown): boolean {
  return (e as { staleReuse?: boolean }).staleReuse === true;
}

/**
 * The answer's body as it arrives: into one aligned buffer when the length is announced,
 * gathered (copied, since a transport's bytes may be views of its read buffer) otherwise.
 */
export class AnswerBody {
  private readonly target?: Buffer;
  private pooled?: PooledBuffer;
  private readonly chunks: Buffer[] = [];
  private received = 0;

  constructor(contentLength: string | undefined, headerLength: string | string[] | undefined, private readonly pool: BufferPool | undefined) {
    if (contentLength === undefined || !/^\d{1,15}$/.test(contentLength)) return;
    const n = Number(contentLength);
    if (n > MAX_PREALLOC) return;
    const pad = alignPad(headerLength, n);
    if (!pool) {
      this.target = Buffer.allocUnsafeSlow(pad + n).subarray(pad);
      return;
    }
    this.pooled = pool.acquire(pad + n);
    this.target = this.pooled.bytes.subarray(pad, pad + n);
  }

  /** Appends bytes (copied); an error message when they overflow the announced length. */
  add(bytes: Uint8Array): string | undefined {
    if (this.target) {
      if (this.received + bytes.length > this.target.length) return 'the answer is longer than its Content-Length';
      this.target.set(bytes, this.received);
    } else {
      this.chunks.push(Buffer.from(bytes));
    }
    this.received += bytes.length;
    return undefined;
  }

  /** The whole body, or an error message when fewer bytes came than announced. */
  finish(): Buffer | string {
    if (this.target) {
      if (this.received !== this.target.length) return `the answer ended after ${this.received} of ${this.target.length} bytes`;
      return this.target;
    }
    return this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.received);
  }

  /** Gives a pooled buffer back; idempotent. */
  release(): void {
    if (this.pooled) this.pool!.release(this.pooled);
    this.pooled = undefined;
  }
}
