/**
 * Reads a request body straight into one buffer sized from Content-Length, placed so that the
 * binary part (after the JSON header whose length Inference-Header-Content-Length gives) starts
 * on an 8-byte boundary: typed-array views of the input tensors then need no realigning copy,
 * and the buffer belongs to this request alone, so the tensors can be moved to the worker.
 * Limits and length checks follow fastify's own buffer parser (same error codes, so the
 * server's error handler answers 413 / 400 exactly as before).
 * With `acquire` the body goes into a pooled buffer (a lease's: shared memory the worker threads
 * read directly, or ordinary memory for a body computed on the server thread), given back with
 * the lease once the answer is written and the worker is done with it.
 */
import type { Readable } from 'node:stream';
import { errorCodes } from 'fastify';
import type { PooledBuffer } from '../protocol/buffer-pool.ts';
import { alignPad } from '../protocol/infer-codec.ts';
import { ProtocolError } from '../protocol/protocol-error.ts';

/** The 413 for a body over the limit, on either of the server's request paths. */
export function bodyTooLarge(maxBodyMb: number): ProtocolError {
  return new ProtocolError(413, 'too_large', `request body exceeds the server's limit of ${maxBodyMb} MB; raise it with --max-body-mb`);
}

/** ArrayBuffers made here: no other view of them exists outside the request. */
const owned = new WeakSet<ArrayBufferLike>();

/** Whether `body` came from readAlignedBody (so its whole ArrayBuffer may be given away). */
export function isOwnedBody(body: Uint8Array): boolean {
  return owned.has(body.buffer);
}


function fresh(pad: number, length: number, acquire: ((bytes: number) => PooledBuffer) | undefined): Buffer {
  if (acquire) {
    const p = acquire(pad + length);
    if (p.id === 0) owned.add(p.buffer); // below the pooled sizes: a fresh buffer of this request's own
    return p.bytes.subarray(pad, pad + length);
  }
  // allocUnsafeSlow never hands out a slice of Node's shared pool; every byte is overwritten.
  const b = Buffer.allocUnsafeSlow(pad + length);
  owned.add(b.buffer);
  return b.subarray(pad);
}

/**
 * Collects `payload`. `contentLength` NaN means chunked (no Content-Length): the chunks are
 * gathered and copied once at the end, as fastify does.
 */
export function readAlignedBody(
  payload: Readable, contentLength: number, headerLength: string | string[] | undefined, limit: number,
  done: (err: Error | null, body?: Buffer) => void, acquire?: (bytes: number) => PooledBuffer,
): void {
  if (contentLength > limit) {
    done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
    return;
  }
  const known = Number.isSafeInteger(contentLength) && contentLength >= 0;
  const pad = known ? alignPad(headerLength, contentLength) : 0;
  const target = known ? fresh(pad, contentLength, acquire) : undefined;
  const chunks: Buffer[] = [];
  let received = 0;
  let finished = false;

  const finish = (err: Error | null, body?: Buffer) => {
    if (finished) return;
    finished = true;
    payload.removeListener('data', onData);
    payload.removeListener('end', onEnd);
    payload.removeListener('error', onError);
    done(err, body);
  };
  function onData(chunk: Buffer | string): void {
    const c = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (received + c.length > limit) { finish(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE()); return; }
    if (target) {
      if (received + c.length > target.length) { finish(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH()); return; }
      target.set(c, received);
    } else {
      chunks.push(c);
    }
    received += c.length;
  }
  function onEnd(): void {
    if (target) {
      if (received !== target.length) { finish(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH()); return; }
      finish(null, target);
      return;
    }
    const body = fresh(alignPad(headerLength, received), received, acquire);
    let off = 0;
    for (const c of chunks) { body.set(c, off); off += c.length; }
    finish(null, body);
  }
  function onError(err: Error & { statusCode?: number }): void {
    if (!(typeof err.statusCode === 'number' && err.statusCode >= 400)) err.statusCode = 400;
    finish(err);
  }
  payload.on('data', onData);
  payload.on('end', onEnd);
  payload.on('error', onError);
  payload.resume();
}
