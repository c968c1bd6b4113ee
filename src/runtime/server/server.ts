/**
 * The edge server: KServe v2 / Open Inference Protocol over HTTP (fastify 5) with Triton's
 * binary tensor data extension, serving ONNX models through onnxruntime-node.
 * Every user-caused failure is a 4xx with `{"error": "..."}`; a 5xx means a bug.
 */
import Fastify, { LogController, type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import { CoquantError } from '../../errors.ts';
import { BufferLease, SERVING_HEAP_GROWTH, applyGcHeapGrowth, type BufferPoolStats } from '../protocol/buffer-pool.ts';
import { HEADER_LENGTH_HEADER, JSON_CONTENT_TYPE, type EncodedParts } from '../protocol/infer-codec.ts';
import { ProtocolError, invalidArg, unavailable } from '../protocol/protocol-error.ts';
import { makeTokenCheck } from './auth.ts';
import { isOwnedBody, readAlignedBody } from './body-reader.ts';
import { DEFAULT_IDLE_GC_MS, IdleCollector } from './idle-collector.ts';
import { ComputeDispatch, DEFAULT_INLINE_BELOW_MS, type ComputeStats } from './compute-dispatch.ts';
import { handleInfer } from './infer-handler.ts';
import { ConcurrencyLimiter } from './limiter.ts';
import { ServerMetrics } from './metrics.ts';
import { checkModelFiles, describeModel, lookupModel, modelMetadata, type LoadedModel, type ModelSpec } from './model-registry.ts';
import { WorkerPool } from './worker-pool.ts';

export const SERVER_NAME = 'coquant';
export const SERVER_VERSION = '0.1.0';
export const EXTENSIONS = ['binary_tensor_data', 'parameters'];

export interface ServerOptions {
  models: ModelSpec[];
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Bearer token; every endpoint except /v2/health/* requires it when set. */
  token?: string;
  maxBodyMb?: number;
  concurrency?: number;
  queue?: number;
  /** Per-request deadline in ms (queue wait + compute); 0 or undefined for none. */
  timeoutMs?: number;
  logLevel?: string;
  /** onnxruntime intra-op threads per worker; default: cores / concurrency. */
  intraOpThreads?: number;
  /** Node process metrics (memory, event loop) on /metrics. */
  processMetrics?: boolean;
  /**
   * V8's old-generation growth after a mark-compact, in percent (`--heap-growing-percent`, set for
   * the whole process; see applyGcHeapGrowth); default $COQUANT_GC_HEAP_GROWTH or SERVING_HEAP_GROWTH (400), 0 leaves
   * V8's own heuristic alone. With its own heuristic a server often settled into a mark-compact
   * every ~8 megabyte requests.
   */
  gcHeapGrowthPercent?: number;
  /**
   * After this many ms without a request, collect the garbage the larger heap growth let build up
   * (IdleCollector). Default 2000; 0 turns it off. Off as well when the growth is V8's own.
   */
  idleGcMs?: number;
  /**
   * Run a model on the event-loop thread instead of a worker while the median of its last
   * compute times is below this many ms and nothing else is computing (compute-placement.ts):
   * the hop to a worker and back costs 0.3–0.5 ms. Default DEFAULT_INLINE_BELOW_MS (1); 0 keeps
   * every request on the workers.
   */
  inlineBelowMs?: number;
}

export interface RunningServer {
  url: string;
  models: LoadedModel[];
  metrics: ServerMetrics;
  /** The pooled request/answer buffers: in use, free, allocated so far. */
  bufferStats(): BufferPoolStats;
  /** Requests computed inline on the event loop and on worker threads so far (see inlineBelowMs). */
  computeStats(): ComputeStats;
  /** Idle collections run so far (see idleGcMs). */
  idleCollections(): number;
  /** Stops accepting, drains in-flight requests, releases the sessions. Idempotent. */
  close(): Promise<void>;
}

interface Route { re: RegExp; methods: string }
/** Known paths, so a wrong method gets 405 (with Allow) rather than 404. */
const ROUTES: Route[] = [
  { re: /^\/v2\/health\/(live|ready)$/, methods: 'GET, HEAD' },
  { re: /^\/v2\/?$/, methods: 'GET, HEAD' },
  { re: /^\/metrics$/, methods: 'GET, HEAD' },
  { re: /^\/v2\/models\/[^/]+(\/versions\/[^/]+)?(\/ready)?$/, methods: 'GET, HEAD' },
  { re: /^\/v2\/models\/[^/]+(\/versions\/[^/]+)?\/infer$/, methods: 'POST' },
];

function sendError(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).type(JSON_CONTENT_TYPE).send(JSON.stringify({ error: message }));
}

/**
 * Sends an encoded reply. One piece goes through fastify as it is. Several pieces (the JSON
 * header, then each output's own memory) are written straight to the response, corked, so that
 * headers, JSON and tensors leave in one writev: no copy into one buffer first, and none of a
 * stream's per-chunk machinery (measured 0.4 ms less per 1 MiB reply than a `Readable`).
 * fastify's onResponse hooks still run (they listen for the response's end); the onSend hook
 * does not, so the Connection header it would add while the server drains is set here.
 */
function sendMessage(reply: FastifyReply, msg: EncodedParts, closing: boolean): FastifyReply {
  reply.type(msg.contentType);
  if (msg.headerLength !== undefined) reply.header(HEADER_LENGTH_HEADER, String(msg.headerLength));
  if (msg.chunks.length === 1) return reply.send(msg.chunks[0]);
  reply.header('content-length', String(msg.byteLength));
  if (closing) reply.header('Connection', 'close');
  reply.hijack();
  const res = reply.raw;
  res.writeHead(reply.statusCode, reply.getHeaders() as Record<string, string>);
  res.cork();
  for (const c of msg.chunks) res.write(c);
  res.end();
  return reply;
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const maxBodyMb = opts.maxBodyMb ?? 64;
  const concurrency = opts.concurrency ?? 1;
  const queueMax = opts.queue ?? 64;
  const timeoutMs = opts.timeoutMs && opts.timeoutMs > 0 ? opts.timeoutMs : Number.POSITIVE_INFINITY;

  checkModelFiles(opts.models);
  const growth = applyGcHeapGrowth(opts.gcHeapGrowthPercent, SERVING_HEAP_GROWTH);
  const idleMs = opts.idleGcMs ?? DEFAULT_IDLE_GC_MS;
  const collector = growth > 0 && idleMs > 0 ? new IdleCollector(idleMs, growth) : undefined;
  const pool = await WorkerPool.start(opts.models, concurrency, opts.intraOpThreads);
  const loaded: LoadedModel[] = opts.models.map((spec, i) => describeModel(spec, pool.modelMetadata[i]!));
  const models = new Map(loaded.map((m) => [m.name, m]));
  const limiter = new ConcurrencyLimiter(concurrency, queueMax);
  const metrics = new ServerMetrics(() => limiter.waiting, { processMetrics: opts.processMetrics });
  const compute = new ComputeDispatch(pool, loaded, opts.inlineBelowMs ?? DEFAULT_INLINE_BELOW_MS, pool.intraOpThreads, (model, place) => metrics.placement.inc({ model, place }));
  const checkToken = opts.token ? makeTokenCheck(opts.token) : undefined;
  let closing = false;

  const logLevel = opts.logLevel ?? 'info';
  const app = Fastify({
    logger: { level: logLevel, stream: process.stderr },
    // fastify's two lines per request ("incoming request", "request completed") only at debug and
    // trace: at info they cost about 0.3 ms per request (docs/bench/serve.md) and flood the log at
    // a thousand requests a second. The server's own failures (5xx) are logged at every level.
    logController: new LogController({ disableRequestLogging: !(logLevel === 'debug' || logLevel === 'trace') }),
    bodyLimit: Math.floor(maxBodyMb * 1024 * 1024),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });

  // Bodies arrive as raw buffers whatever their content type: the JSON header's length comes
  // from Inference-Header-Content-Length, so the split happens in the codec, not in fastify.
  app.removeAllContentTypeParsers();
  const bodyLimit = Math.floor(maxBodyMb * 1024 * 1024);
  app.addContentTypeParser('*', (req, payload, done) => {
    readAlignedBody(payload, Number(req.headers['content-length']), req.headers[HEADER_LENGTH_HEADER], bodyLimit, done, leases.get(req.raw));
  });

  // Each inference request reads its body into, and answers from, pooled buffers: its lease
  // is created here and given back when the response is closed (written, failed or cut off),
  // and not before the worker is done with it (the job holds the lease too).
  const leases = new WeakMap<object, BufferLease>();
  app.addHook('onRequest', async (req, reply) => {
    collector?.touch();
    if (req.method !== 'POST' || !req.url.endsWith('/infer')) return;
    const lease = new BufferLease(pool.buffers);
    leases.set(req.raw, lease);
    reply.raw.once('close', () => lease.drop());
  });

  app.addHook('onRequest', async (req, reply) => {
    const enc = req.headers['content-encoding'];
    if (enc && enc !== 'identity') return sendError(reply, 501, `Content-Encoding '${enc}' is not supported; send the body uncompressed`);
    if (checkToken && !req.url.startsWith('/v2/health/') && !checkToken(req.headers.authorization)) {
      reply.header('WWW-Authenticate', 'Bearer');
      return sendError(reply, 401, 'missing or wrong bearer token (send "Authorization: Bearer <token>")');
    }
  });
  // While draining, answers close their keep-alive connection so the drain ends when the
  // in-flight work does, not when the idle-connection timeout (72 s) expires.
  app.addHook('onSend', async (_req, reply) => {
    if (closing) reply.header('Connection', 'close');
  });
  app.addHook('onResponse', async (req, reply) => {
    metrics.http.inc({ route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) });
  });

  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0]!;
    const route = ROUTES.find((r) => r.re.test(path));
    if (route) {
      reply.header('Allow', route.methods);
      return sendError(reply, 405, `method ${req.method} is not allowed on ${path.slice(0, 200)}; use ${route.methods}`);
    }
    return sendError(reply, 404, `no such endpoint: ${req.method} ${path.slice(0, 200)}`);
  });

  app.setErrorHandler((err: FastifyError | ProtocolError, req, reply) => {
    if (err instanceof ProtocolError) return sendError(reply, err.status, err.message);
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      countFailure(req, 'too_large');
      return sendError(reply, 413, `request body exceeds the server's limit of ${maxBodyMb} MB; raise it with --max-body-mb`);
    }
    const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
    if (status >= 400 && status < 500) {
      countFailure(req, 'bad_request');
      return sendError(reply, status, err.message);
    }
    req.log.error({ err }, 'internal error (a bug)');
    countFailure(req, 'internal');
    return sendError(reply, 500, `internal server error: ${err.message}`);
  });

  function modelLabel(req: FastifyRequest): string {
    const m = (req.params as { model?: string } | undefined)?.model;
    return m !== undefined && models.has(m) ? m : '_unknown';
  }
  function countFailure(req: FastifyRequest, reason: string): void {
    if (req.url.endsWith('/infer')) metrics.failure.inc({ model: modelLabel(req), reason });
  }

  app.get('/v2/health/live', async (_req, reply) => reply.code(200).send());
  app.get('/v2/health/ready', async (_req, reply) => reply.code(closing ? 400 : 200).send());
  app.get('/v2', async (_req, reply) =>
    reply.type(JSON_CONTENT_TYPE).send(JSON.stringify({ name: SERVER_NAME, version: SERVER_VERSION, extensions: EXTENSIONS })));
  app.get('/metrics', async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));

  type P = { model: string; version?: string };
  const metadata = async (req: FastifyRequest<{ Params: P }>, reply: FastifyReply) =>
    reply.type(JSON_CONTENT_TYPE).send(JSON.stringify(modelMetadata(lookupModel(models, req.params.model, req.params.version))));
  const ready = async (req: FastifyRequest<{ Params: P }>, reply: FastifyReply) => {
    lookupModel(models, req.params.model, req.params.version);
    return reply.code(closing ? 400 : 200).send();
  };
  const infer = async (req: FastifyRequest<{ Params: P }>, reply: FastifyReply) => {
    const t0 = performance.now();
    let label = '_unknown';
    let pending = false;
    // Held while this handler runs, so the body stays ours even if the client goes away meanwhile.
    const lease = leases.get(req.raw);
    const held = lease?.hold() ?? false;
    try {
      if (lease && !held) throw unavailable('the client closed the connection before its request was handled', 'client_gone');
      const model = lookupModel(models, req.params.model, req.params.version);
      label = model.name;
      metrics.pending.inc({ model: label });
      pending = true;
      const body = req.body;
      if (!(body instanceof Uint8Array) || body.length === 0) throw invalidArg('the request has no body; send an inference request document', 'json');
      const hl = req.headers[HEADER_LENGTH_HEADER];
      const msg = await handleInfer({ limiter, compute, metrics, timeoutMs }, model, body, Array.isArray(hl) ? hl[0] : hl, isOwnedBody(body), lease);
      metrics.success.inc({ model: label });
      metrics.requestDuration.observe({ model: label }, (performance.now() - t0) * 1000);
      return sendMessage(reply, msg, closing);
    } catch (e) {
      metrics.failure.inc({ model: label, reason: e instanceof ProtocolError ? e.reason : 'internal' });
      throw e;
    } finally {
      if (pending) metrics.pending.dec({ model: label });
      if (held) lease?.drop();
    }
  };
  for (const prefix of ['/v2/models/:model', '/v2/models/:model/versions/:version']) {
    app.get(prefix, metadata);
    app.get(`${prefix}/ready`, ready);
    app.post(`${prefix}/infer`, infer);
  }

  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? 8000;
  let address: string;
  try {
    address = await app.listen({ host, port });
  } catch (e) {
    await pool.close();
    const why = (e as { code?: string }).code ?? (e instanceof Error ? e.message : String(e));
    throw new CoquantError('E_LISTEN', `cannot listen on ${host}:${port}: ${why}`, { hint: 'pick another --port or stop the process that holds it', exitCode: 2 });
  }
  const url = address;
  let closed: Promise<void> | undefined;
  return {
    url,
    models: loaded,
    metrics,
    bufferStats: () => pool.buffers.stats(),
    computeStats: () => compute.stats(),
    idleCollections: () => collector?.collections ?? 0,
    close() {
      closed ??= (async () => {
        closing = true;
        collector?.close();
        await app.close();
        await compute.close();
        await pool.close();
      })();
      return closed;
    },
  };
}
