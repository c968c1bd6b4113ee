/**
 * POST …/infer on node:http directly, ahead of fastify: the one route where the server's own
 * time is the product. fastify's request pipeline (request and reply objects, hooks, the
 * content-type parser, the router) measured 0.3–1 ms per 1 MiB request against a bare
 * node:http handler with the same codec (docs/bench/serve.md). Everything else (health,
 * metadata, metrics, 404 and 405) stays on fastify.
 *
 * The contract is the same as every other route's: the admission checks of admission.ts, the
 * body limit, `{"error": …}` with Triton's status codes, the same metrics, and a 503 with
 * `Connection: close` while the server drains.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BufferLease, type BufferPool, type PooledBuffer } from '../protocol/buffer-pool.ts';
import { HEADER_LENGTH_HEADER, JSON_CONTENT_TYPE, type EncodedParts } from '../protocol/infer-codec.ts';
import { ProtocolError, invalidArg, unavailable } from '../protocol/protocol-error.ts';
import type { Refusal } from './admission.ts';
import { bodyTooLarge, isOwnedBody, readAlignedBody } from './body-reader.ts';
import { handleInfer, type InferContext } from './infer-handler.ts';
import { lookupModel, type LoadedModel } from './model-registry.ts';

/** `/v2/models/{model}[/versions/{version}]/infer`, with an optional query string (ignored, as fastify does). */
const INFER_PATH = /^\/v2\/models\/([^/?#]+)(?:\/versions\/([^/?#]+))?\/infer(?:\?.*)?$/;

/** The route labels of `coquant_http_requests`, as fastify names its routes. */
const ROUTE_LABEL = { plain: '/v2/models/:model/infer', versioned: '/v2/models/:model/versions/:version/infer' } as const;

/**
 * After an answer given before the body was read (refused, unknown model, draining), Node reads
 * and discards the rest of the body to keep the connection. Beyond this size, or of unknown
 * length, the connection is closed instead: a client must not make the server read 60 MB it
 * has already refused.
 */
const DRAIN_MAX_BYTES = 1024 * 1024;

function worthDraining(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return false;
  const n = Number(req.headers['content-length'] ?? 0);
  return Number.isFinite(n) && n <= DRAIN_MAX_BYTES;
}

export interface InferRouteDeps {
  ctx: InferContext;
  models: Map<string, LoadedModel>;
  /** The pooled request/answer buffers, shared with the workers (each request's lease comes from here). */
  buffers: BufferPool;
  /** Ordinary-memory buffers for the bodies of requests that will likely compute on this thread. */
  localBuffers: BufferPool;
  /** ComputeDispatch.likelyInline. */
  likelyInline(model: string): boolean;
  /** Bytes; a larger body gets 413. */
  bodyLimit: number;
  maxBodyMb: number;
  /** admissionRefusal bound to the server's token. */
  admit(url: string, req: IncomingMessage): Refusal | undefined;
  /** True once the server has begun to drain. */
  closing(): boolean;
  /** Called at the start of every request (the idle collector's clock). */
  onRequest(): void;
  /** The server's logger: a 5xx always, one line per request when `debug`. */
  log: { error(obj: object, msg: string): void; debug(obj: object, msg: string): void };
  debug: boolean;
}

/** Read the body into pooled memory; body-reader's errors become the protocol's. */
function readBody(req: IncomingMessage, deps: InferRouteDeps, acquire: (bytes: number) => PooledBuffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    readAlignedBody(req, Number(req.headers['content-length']), req.headers[HEADER_LENGTH_HEADER], deps.bodyLimit, (err, body) => {
      if (!err) return resolve(body!);
      const code = (err as { code?: string }).code;
      if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return reject(bodyTooLarge(deps.maxBodyMb));
      reject(new ProtocolError(400, 'bad_request', err.message));
    }, acquire);
  });
}

/**
 * Writes headers, the JSON header and every output section in one corked writev: no copy into
 * one buffer first (measured 0.4 ms less per 1 MiB reply than a stream).
 */
function writeMessage(res: ServerResponse, msg: EncodedParts, closing: boolean): void {
  const headers: Record<string, string> = { 'content-type': msg.contentType, 'content-length': String(msg.byteLength) };
  if (msg.headerLength !== undefined) headers[HEADER_LENGTH_HEADER] = String(msg.headerLength);
  if (closing) headers.connection = 'close';
  res.writeHead(200, headers);
  res.cork();
  for (const c of msg.chunks) res.write(c);
  res.end();
}

function writeError(res: ServerResponse, status: number, message: string, extra: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const body = JSON.stringify({ error: message });
  res.writeHead(status, { ...extra, 'content-type': JSON_CONTENT_TYPE, 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}

/**
 * The route as a node:http request listener that answers `true` when the request is an
 * inference request it has taken, `false` to leave it to fastify.
 */
export function makeInferRoute(deps: InferRouteDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { ctx } = deps;
  const { metrics } = ctx;

  async function serve(req: IncomingMessage, res: ServerResponse, url: string, rawModel: string, rawVersion: string | undefined): Promise<number> {
    const t0 = performance.now();
    let label = '_unknown';
    let pending = false;
    let held = false;
    let lease: BufferLease | undefined;
    let bodyRead = false;
    const closing = deps.closing();
    /** `connection: close` when the server drains, or when a body left unread is not worth reading. */
    const closeHeader = (): Record<string, string> => (closing || (!bodyRead && !worthDraining(req)) ? { connection: 'close' } : {});
    try {
      if (closing) throw unavailable('the server is shutting down; retry on another server or once it has restarted', 'shutting_down');
      const refusal = deps.admit(url, req);
      if (refusal) {
        writeError(res, refusal.status, refusal.message, { ...refusal.headers, ...closeHeader() });
        return refusal.status;
      }
      let name: string;
      let version: string | undefined;
      try {
        name = decodeURIComponent(rawModel);
        version = rawVersion === undefined ? undefined : decodeURIComponent(rawVersion);
      } catch {
        throw invalidArg('the model name or version in the URL is not valid percent-encoding', 'bad_request');
      }
      const model = lookupModel(deps.models, name, version);
      label = model.name;
      // Given back when the response is closed (written, failed or cut off), and not before the
      // worker is done with it: the job holds the lease too.
      const own = new BufferLease(deps.buffers);
      lease = own;
      res.once('close', () => own.drop());
      const from = deps.likelyInline(model.name) ? deps.localBuffers : deps.buffers;
      const body = await readBody(req, deps, (n) => own.acquire(n, from));
      bodyRead = true;
      // Held while the request is handled, so the body stays ours even if the client goes away meanwhile.
      held = own.hold();
      if (!held) throw unavailable('the client closed the connection before its request was handled', 'client_gone');
      metrics.pending.inc({ model: label });
      pending = true;
      if (body.length === 0) throw invalidArg('the request has no body; send an inference request document', 'json');
      const hl = req.headers[HEADER_LENGTH_HEADER];
      const msg = await handleInfer(ctx, model, body, Array.isArray(hl) ? hl[0] : hl, isOwnedBody(body), own);
      metrics.success.inc({ model: label });
      metrics.requestDuration.observe({ model: label }, (performance.now() - t0) * 1000);
      writeMessage(res, msg, deps.closing());
      return 200;
    } catch (e) {
      const known = e instanceof ProtocolError;
      metrics.failure.inc({ model: label, reason: known ? e.reason : 'internal' });
      if (!known) deps.log.error({ err: e }, 'internal error (a bug)');
      const status = known ? e.status : 500;
      const message = known ? e.message : `internal server error: ${e instanceof Error ? e.message : String(e)}`;
      writeError(res, status, message, closeHeader());
      return status;
    } finally {
      if (pending) metrics.pending.dec({ model: label });
      if (held) lease?.drop();
    }
  }

  return (req, res) => {
    if (req.method !== 'POST') return false;
    const url = req.url ?? '';
    const m = INFER_PATH.exec(url);
    if (!m) return false;
    deps.onRequest();
    const t0 = deps.debug ? performance.now() : 0;
    if (deps.debug) deps.log.debug({ method: 'POST', url: url.slice(0, 200) }, 'incoming request');
    const route = m[2] === undefined ? ROUTE_LABEL.plain : ROUTE_LABEL.versioned;
    serve(req, res, url, m[1]!, m[2]).then((status) => {
      metrics.http.inc({ route, status: String(status) });
      if (deps.debug) deps.log.debug({ method: 'POST', url: url.slice(0, 200), statusCode: status, responseTime: performance.now() - t0 }, 'request completed');
    }, (e: unknown) => {
      deps.log.error({ err: e }, 'internal error (a bug)');
      writeError(res, 500, 'internal server error');
    });
    return true;
  };
}
