/**
 * The edge server: KServe v2 / Open Inference Protocol over HTTP (fastify 5) with Triton's
 * binary tensor data extension, serving ONNX models through onnxruntime-node.
 * Every user-caused failure is a 4xx with `{"error": "..."}`; a 5xx means a bug.
 */
import { createServer } from 'node:http';
import Fastify, { LogController, type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import { CoquantError } from '../../errors.ts';
import { BufferPool, SERVING_HEAP_GROWTH, applyGcHeapGrowth, type BufferPoolStats } from '../protocol/buffer-pool.ts';
import { HEADER_LENGTH_HEADER, JSON_CONTENT_TYPE } from '../protocol/infer-codec.ts';
import { ProtocolError } from '../protocol/protocol-error.ts';
import { admissionRefusal } from './admission.ts';
import { makeTokenCheck } from './auth.ts';
import { bodyTooLarge, readAlignedBody } from './body-reader.ts';
import { DEFAULT_IDLE_GC_MS, IdleCollector } from './idle-collector.ts';
import { ComputeDispatch, DEFAULT_INLINE_BELOW_MS, type ComputeStats } from './compute-dispatch.ts';
import { makeInferRoute } from './infer-route.ts';
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
  /** The pooled request/answer buffers (shared with the workers, and ordinary memory): in use, free, allocated so far. */
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

function sumStats(a: BufferPoolStats, b: BufferPoolStats): BufferPoolStats {
  return { inUse: a.inUse + b.inUse, free: a.free + b.free, freeBytes: a.freeBytes + b.freeBytes, created: a.created + b.created };
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
  // A line per request only at debug and trace: at info they cost about 0.3 ms per request
  // (docs/bench/serve.md) and flood the log at a thousand requests a second.
  const perRequestLogs = logLevel === 'debug' || logLevel === 'trace';
  const bodyLimit = Math.floor(maxBodyMb * 1024 * 1024);
  // Inference requests bypass fastify's pipeline (infer-route.ts).
  const localBuffers = new BufferPool();
  const route = makeInferRoute({
    ctx: { limiter, compute, metrics, timeoutMs },
    models,
    buffers: pool.buffers,
    localBuffers,
    likelyInline: (model) => compute.likelyInline(model),
    bodyLimit,
    maxBodyMb,
    admit: (url, req) => admissionRefusal(url, req.headers, checkToken),
    closing: () => closing,
    onRequest: () => collector?.touch(),
    // Called only once requests arrive, when fastify (and its logger) exist.
    log: { error: (o, m) => app.log.error(o, m), debug: (o, m) => app.log.debug(o, m) },
    debug: perRequestLogs,
  });

  const app = Fastify({
    serverFactory: (fastifyHandler) => {
      const server = createServer((req, res) => {
        if (!route(req, res)) fastifyHandler(req, res);
      });
      // What fastify sets on a server of its own making: keep-alive 72 s, no request or socket timeout.
      server.keepAliveTimeout = 72_000;
      server.requestTimeout = 0;
      server.setTimeout(0);
      return server;
    },
    logger: { level: logLevel, stream: process.stderr },
    // fastify's two lines per request ("incoming request", "request completed"); the server's own
    // failures (5xx) are logged at every level.
    logController: new LogController({ disableRequestLogging: !perRequestLogs }),
    bodyLimit,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });

  // The other routes take no body, but a POST to one of them (or to no route) still has its
  // body read before the 404 or 405, whatever its content type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (req, payload, done) => {
    readAlignedBody(payload, Number(req.headers['content-length']), req.headers[HEADER_LENGTH_HEADER], bodyLimit, done);
  });

  app.addHook('onRequest', async (req, reply) => {
    collector?.touch();
    const refusal = admissionRefusal(req.url, req.headers, checkToken);
    if (!refusal) return;
    if (refusal.headers) reply.headers(refusal.headers);
    return sendError(reply, refusal.status, refusal.message);
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
      const tooLarge = bodyTooLarge(maxBodyMb);
      return sendError(reply, tooLarge.status, tooLarge.message);
    }
    const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
    if (status >= 400 && status < 500) {
      return sendError(reply, status, err.message);
    }
    req.log.error({ err }, 'internal error (a bug)');
    return sendError(reply, 500, `internal server error: ${err.message}`);
  });

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
  for (const prefix of ['/v2/models/:model', '/v2/models/:model/versions/:version']) {
    app.get(prefix, metadata);
    app.get(`${prefix}/ready`, ready);
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
    bufferStats: () => sumStats(pool.buffers.stats(), localBuffers.stats()),
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
