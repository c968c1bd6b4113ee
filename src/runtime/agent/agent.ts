/**
 * The agent's request loop: run the quantized head locally, ship the feature to the edge in
 * binary, get the tail's outputs back. Around that loop sit the things a robot needs: bounded
 * retries, a circuit breaker so a dead server costs one timeout and not one per frame, a
 * fallback policy, per-stage timing, an energy estimate from the plan's device model (or a
 * real power meter), and re-planning when the link or the battery drifts.
 *
 * Invariant: every input yields exactly one record, with outputs or with an explicit error.
 */
import type { Feed, HostTensor } from '../../data/tensor.ts';
import { CoquantError } from '../../errors.ts';
import { InferenceClientError, ServerHttpError } from '../client/client-errors.ts';
import { outputByName, type InferenceClient } from '../client/inference-client.ts';
import { toOrtType } from '../protocol/datatypes.ts';
import type { FeatureFormat } from '../../formats/feature-format.ts';
import { featureInputs } from '../split/feature-wire.ts';
import type { InferTensor } from '../protocol/tensor-codec.ts';
import { runFeed, type Session } from '../../ort/session.ts';
import { backoffDelayMs, type BackoffPolicy } from './backoff.ts';
import type { ActivePlan } from './replanner.ts';

/** What the agent needs of a plan: bits or formats, the clock, a cache key (a Replanner's plan also carries its PlanResult). */
export type AgentPlan = Omit<ActivePlan, 'result'>;

export type FallbackPolicy = 'local' | 'fail';

/** Where the agent's plan comes from: a Replanner (bits plans that adapt) or a fixed executable plan. */
export interface PlanSource {
  beforeRequest(): string | undefined;
  readonly current: AgentPlan;
  observeLink(bits: number, seconds: number): void;
  /** Energy of one request, by the device model; `headSeconds` is the measured head time. */
  energyOf(plan: AgentPlan, linkSeconds: number, headSeconds: number): { agentJ: number; linkJ: number; totalJ: number };
  afterRequest(joules: number): void;
}

/** Something that runs a feed: an onnxruntime session here, or a model on the emulated device. */
export interface FeedRunner {
  runFeed(feed: Feed, names?: readonly string[]): Promise<Record<string, HostTensor>>;
}

const runOn = (h: Session | FeedRunner, feed: Feed, names?: readonly string[]) => ('runFeed' in h ? h.runFeed(feed, names) : runFeed(h, feed, names));

export interface StageTimes {
  headMs: number;
  uploadMs: number;
  serverMs: number;
  downloadMs: number;
  /** Whole model run locally (fallback). */
  localMs: number;
  totalMs: number;
}

export interface AgentRecord {
  id: string;
  status: 'ok' | 'error';
  /** Where the answer came from. */
  path: 'edge' | 'local' | 'none';
  outputs?: Record<string, HostTensor>;
  error?: { code: string; message: string };
  attempts: number;
  stages: StageTimes;
  energy: { agentJ: number; linkJ: number; totalJ: number; source: 'device-model' | 'power-meter' };
  plan: { bits: number | Record<string, number>; agentHz: number; formats?: Record<string, string> };
  /** The clock the head ran at and how it was produced (a real DVFS setting or an emulation). */
  device?: { clockHz: number; emulation: string };
  replanned?: string;
}

export interface AgentEvent {
  level: 'info' | 'warn';
  msg: string;
  [k: string]: unknown;
}

/** Reads cumulative energy in joules (RAPL, INA3221); absent on most dev machines. */
export interface EnergyMeter {
  readJoules(): Promise<number>;
}

export interface AgentOptions {
  client: InferenceClient;
  /** Name of the tail model on the edge server. */
  tailModel: string;
  /** Name of the cut tensor: the head's output and the tail's input. */
  feature: string;
  /** Every crossing tensor of a cut where several cross (default `[feature]`); the head outputs them all. */
  features?: string[];
  /** Link format per crossing tensor (fp32 when absent); the tail must take them so (formats/feature-tail.ts). */
  featureFormats?: Readonly<Record<string, FeatureFormat>>;
  /** Outputs wanted from the tail (all when omitted). */
  outputs?: string[];
  replanner: PlanSource;
  /** Quantized head session for a plan; called again (and cached by the caller) when a re-plan changes bits. */
  headFor(plan: AgentPlan): Promise<Session | FeedRunner>;
  /** Whole model at the planned bits, for `fallback: 'local'`. Created lazily on first use. */
  localFor?(plan: AgentPlan): Promise<Session | FeedRunner>;
  fallback: FallbackPolicy;
  backoff: BackoffPolicy;
  requestTimeoutMs: number;
  /** After this many consecutive edge failures, skip the edge for `breakerCooldownMs`. */
  breakerFailures?: number;
  breakerCooldownMs?: number;
  meter?: EnergyMeter;
  /**
   * Emulate an uplink of this rate on a fast network (loopback): the agent waits the feature's
   * transmission time before sending, so measured upload time and energy reflect the radio the
   * plan assumes. Off by default.
   */
  emulateLinkBps?: number;
  /** Applies a clock (DVFS); returns the clock actually set. */
  setClock?(hz: number): Promise<number>;
  /** How the clock is produced, recorded with every request (e.g. 'cgroup-v1', 'dvfs'). */
  clockSource?: string;
  log?(e: AgentEvent): void;
  rand?: () => number;
  sleep?(ms: number): Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function fromInfer(t: InferTensor): HostTensor {
  return { type: (toOrtType(t.datatype) ?? 'float32') as HostTensor['type'], dims: [...t.shape], data: t.data as HostTensor['data'] };
}

function byteLen(t: HostTensor | InferTensor): number {
  return (t.data as { byteLength: number }).byteLength;
}

/** Errors worth retrying: transport failures, timeouts, garbage, 5xx and 503 back-pressure. 4xx is our fault or a mismatch. */
function retryable(e: unknown): boolean {
  if (e instanceof ServerHttpError) return e.status >= 500 || e.status === 429;
  return e instanceof InferenceClientError;
}

export class Agent {
  private consecutiveFailures = 0;
  private breakerOpenUntil = 0;
  private clockHz = 0;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly rand: () => number;

  constructor(private readonly o: AgentOptions) {
    this.sleep = o.sleep ?? defaultSleep;
    this.rand = o.rand ?? Math.random;
  }

  private log(level: AgentEvent['level'], msg: string, extra: Record<string, unknown> = {}): void {
    this.o.log?.({ level, msg, ...extra });
  }

  private async applyClock(plan: AgentPlan): Promise<void> {
    if (!this.o.setClock || plan.agentHz === this.clockHz) return;
    this.clockHz = await this.o.setClock(plan.agentHz);
  }

  /** Processes one input end to end. Never throws: failures become error records. */
  async process(id: string, feed: Feed): Promise<AgentRecord> {
    const t0 = performance.now();
    const stages: StageTimes = { headMs: 0, uploadMs: 0, serverMs: 0, downloadMs: 0, localMs: 0, totalMs: 0 };
    const change = this.o.replanner.beforeRequest();
    const plan = this.o.replanner.current;
    if (change) this.log('info', `re-planned: ${change}`, { id, bits: plan.bits, agentHz: plan.agentHz });
    const e0 = this.o.meter ? await this.o.meter.readJoules().catch(() => undefined) : undefined;
    let attempts = 0;
    let record: Omit<AgentRecord, 'energy' | 'stages' | 'plan' | 'attempts'>;
    let featureBits = 0;
    let linkSeconds = 0;
    try {
      await this.applyClock(plan);
      const head = await this.o.headFor(plan);
      const th = performance.now();
      const features = await runOn(head, feed, this.o.features ?? [this.o.feature]);
      const inputs = featureInputs(features, this.o.featureFormats);
      stages.headMs = performance.now() - th;
      featureBits = inputs.reduce((s, t) => s + byteLen(t), 0) * 8;
      const edge = await this.tryEdge(id, inputs, stages, () => attempts++);
      if (edge.ok) {
        record = { id, status: 'ok', path: 'edge', outputs: edge.outputs };
        linkSeconds = stages.uploadMs / 1000;
        this.o.replanner.observeLink(featureBits, stages.uploadMs / 1000);
      } else {
        record = await this.fallback(id, feed, plan, edge.error, stages);
      }
    } catch (e) {
      const err = e instanceof CoquantError ? { code: e.code, message: e.message } : { code: 'E_AGENT', message: (e as Error).message };
      record = { id, status: 'error', path: 'none', error: err };
    }
    stages.totalMs = performance.now() - t0;
    const model = this.o.replanner.energyOf(plan, linkSeconds, (stages.headMs + stages.localMs) / 1000);
    let energy: AgentRecord['energy'] = { ...model, source: 'device-model' };
    if (this.o.meter && e0 !== undefined) {
      const e1 = await this.o.meter.readJoules().catch(() => undefined);
      if (e1 !== undefined && e1 >= e0) energy = { agentJ: e1 - e0, linkJ: 0, totalJ: e1 - e0, source: 'power-meter' };
    }
    this.o.replanner.afterRequest(energy.totalJ);
    return {
      ...record,
      attempts,
      stages,
      energy,
      plan: { bits: plan.bits, agentHz: plan.agentHz, ...(plan.formats ? { formats: plan.formats } : {}) },
      ...(this.o.clockSource ? { device: { clockHz: this.clockHz || plan.agentHz, emulation: this.o.clockSource } } : {}),
      ...(change ? { replanned: change } : {}),
    };
  }

  private async tryEdge(
    id: string,
    inputs: InferTensor[],
    stages: StageTimes,
    countAttempt: () => void,
  ): Promise<{ ok: true; outputs: Record<string, HostTensor> } | { ok: false; error: { code: string; message: string } }> {
    if (performance.now() < this.breakerOpenUntil) {
      return { ok: false, error: { code: 'E_EDGE_SKIPPED', message: 'edge server skipped: it failed repeatedly just before (circuit open)' } };
    }
    const upBytes = inputs.reduce((s, t) => s + byteLen(t), 0);
    const radioMs = this.o.emulateLinkBps ? (upBytes * 8 * 1000) / this.o.emulateLinkBps : 0;
    let last: unknown;
    for (let attempt = 0; attempt <= this.o.backoff.retries; attempt++) {
      if (attempt > 0) await this.sleep(backoffDelayMs(this.o.backoff, attempt - 1, this.rand));
      countAttempt();
      if (radioMs > 0) await this.sleep(radioMs);
      const ts = performance.now();
      try {
        const res = await this.o.client.infer(this.o.tailModel, inputs, { id, timeoutMs: this.o.requestTimeoutMs, outputs: this.o.outputs });
        const rtt = performance.now() - ts;
        const outputs: Record<string, HostTensor> = {};
        const names = this.o.outputs ?? res.outputs.map((t) => t.name);
        let downBytes = 0;
        for (const n of names) {
          const t = fromInfer(outputByName(res, n));
          outputs[n] = t;
          downBytes += byteLen(t);
        }
        splitRoundTrip(stages, rtt, res.parameters, upBytes, downBytes);
        stages.uploadMs += radioMs;
        this.consecutiveFailures = 0;
        return { ok: true, outputs };
      } catch (e) {
        last = e;
        this.log('warn', `edge attempt ${attempt + 1} failed: ${(e as Error).message}`, { id });
        if (!retryable(e)) break;
      }
    }
    this.consecutiveFailures++;
    if (this.consecutiveFailures >= (this.o.breakerFailures ?? 3)) {
      this.breakerOpenUntil = performance.now() + (this.o.breakerCooldownMs ?? 2000);
      this.log('warn', `edge server failed ${this.consecutiveFailures} requests in a row; skipping it for ${this.o.breakerCooldownMs ?? 2000} ms`);
    }
    const err = last instanceof CoquantError ? { code: last.code, message: last.message } : { code: 'E_EDGE', message: String((last as Error)?.message ?? last) };
    return { ok: false, error: err };
  }

  private async fallback(id: string, feed: Feed, plan: AgentPlan, edgeError: { code: string; message: string }, stages: StageTimes): Promise<Omit<AgentRecord, 'energy' | 'stages' | 'plan' | 'attempts'>> {
    if (this.o.fallback === 'local' && this.o.localFor) {
      const local = await this.o.localFor(plan);
      const tl = performance.now();
      const outputs = await runOn(local, feed, this.o.outputs);
      stages.localMs = performance.now() - tl;
      return { id, status: 'ok', path: 'local', outputs, error: { code: edgeError.code, message: `edge failed (${edgeError.message}); answered locally` } };
    }
    return { id, status: 'error', path: 'none', error: edgeError };
  }
}

/**
 * Splits a measured round trip into upload, server and download. The server's own time comes
 * from the response's `compute_us`/`queue_us` parameters when it reports them (coquant serve
 * does); the network remainder is shared between the two directions by bytes moved.
 */
export function splitRoundTrip(stages: StageTimes, rttMs: number, params: Record<string, unknown> | undefined, upBytes: number, downBytes: number): void {
  const num = (k: string) => (typeof params?.[k] === 'number' ? (params[k] as number) : 0);
  const serverMs = Math.min(rttMs, (num('compute_us') + num('queue_us')) / 1000);
  const net = Math.max(0, rttMs - serverMs);
  const up = upBytes + downBytes > 0 ? upBytes / (upBytes + downBytes) : 0.5;
  stages.serverMs = serverMs;
  stages.uploadMs = net * up;
  stages.downloadMs = net - stages.uploadMs;
}
