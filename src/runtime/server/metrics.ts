/**
 * Prometheus metrics for one server instance (its own registry, so several servers in one
 * process — tests, the demo — do not collide). Names follow Triton's (`nv_inference_*`) with
 * our prefix; durations are in microseconds like Triton's.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const US_BUCKETS = [100, 250, 500, 1e3, 2.5e3, 5e3, 1e4, 2.5e4, 5e4, 1e5, 2.5e5, 5e5, 1e6, 2.5e6, 5e6, 1e7];

export class ServerMetrics {
  readonly registry = new Registry();
  readonly success: Counter<'model'>;
  readonly failure: Counter<'model' | 'reason'>;
  readonly http: Counter<'route' | 'status'>;
  readonly requestDuration: Histogram<'model'>;
  readonly queueDuration: Histogram<'model'>;
  readonly computeDuration: Histogram<'model'>;
  readonly pending: Gauge<'model'>;
  readonly placement: Counter<'model' | 'place'>;
  readonly queueDepth: Gauge;

  constructor(queueDepth: () => number, opts: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.success = new Counter({ name: 'coquant_inference_request_success', help: 'Successful inference requests', labelNames: ['model'], registers });
    this.failure = new Counter({ name: 'coquant_inference_request_failure', help: 'Failed inference requests by reason', labelNames: ['model', 'reason'], registers });
    this.http = new Counter({ name: 'coquant_http_requests', help: 'HTTP requests by route and status code', labelNames: ['route', 'status'], registers });
    this.requestDuration = new Histogram({ name: 'coquant_inference_request_duration_us', help: 'End-to-end inference handling time (body parsed to reply ready), microseconds', labelNames: ['model'], buckets: US_BUCKETS, registers });
    this.queueDuration = new Histogram({ name: 'coquant_inference_queue_duration_us', help: 'Time spent waiting for a compute slot, microseconds', labelNames: ['model'], buckets: US_BUCKETS, registers });
    this.computeDuration = new Histogram({ name: 'coquant_inference_compute_infer_duration_us', help: 'onnxruntime compute time, microseconds', labelNames: ['model'], buckets: US_BUCKETS, registers });
    this.placement = new Counter({ name: 'coquant_inference_compute_placement', help: 'Computed inferences by where they ran: worker (a worker thread) or inline (the server thread, see --inline-below-ms)', labelNames: ['model', 'place'], registers });
    this.pending = new Gauge({ name: 'coquant_inference_pending_request_count', help: 'Inference requests accepted and not yet answered', labelNames: ['model'], registers });
    this.queueDepth = new Gauge({
      name: 'coquant_inference_queue_depth', help: 'Requests waiting for a compute slot', registers,
      collect() { this.set(queueDepth()); },
    });
    // Off in tests: the default collectors keep an event-loop-delay monitor alive per registry.
    if (opts.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'coquant_' });
  }
}
