/**
 * The agent's compute device, emulated for real on this machine: a child process that runs the
 * head (and the local fallback) with one onnxruntime thread, under CPU bandwidth control that
 * stands for the planned clock (see device/cpu-bandwidth.ts). Where no cgroup is available, the
 * fallback is time dilation: the run happens at full speed and the caller then waits the
 * difference, so measured wall time still follows the clock. Every measurement says which.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { CoquantError } from '../../errors.ts';
import type { Feed, HostTensor } from '../../data/tensor.ts';
import { CpuBandwidthGroup, DEFAULT_PERIOD_US, detectCpuBandwidth, type ClockEmulation } from '../../device/cpu-bandwidth.ts';
import type { HostReply, HostRequest } from './messages.ts';
import type { DvfsAdapter } from '../../device/types.ts';

export interface EmulatedDeviceOptions {
  /** The device's top clock in Hz (the clock at which it gets `fullSpeedShare` of a core). */
  fMaxHz: number;
  /** Share of one of this machine's cores at fMax: 0.25 = a robot 4× slower than this machine. */
  fullSpeedShare: number;
  /** 'auto' uses cgroups when possible and time dilation otherwise. */
  emulation?: 'auto' | 'cgroup' | 'dilation';
  /**
   * A real clock control (a board with cpufreq or Jetson devfreq, from device/detect.ts): then
   * clocks are set for real, nothing is emulated, and `fullSpeedShare` is not used.
   */
  dvfs?: DvfsAdapter;
  periodUs?: number;
}

/** One emulated run: outputs and the wall time the agent waited for them. */
export interface DeviceRun {
  outputs: Record<string, HostTensor>;
  /** Round trip seen by the caller (includes the IPC hop), ms. */
  ms: number;
  /** Time of the onnxruntime run inside the device, ms. */
  computeMs: number;
}

/** A request without its id (Omit distributed over the union). */
type Request = HostRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

type Pending = { resolve: (r: HostReply) => void; reject: (e: Error) => void };

export class EmulatedDevice {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private clockHz: number;
  private dead: Error | null = null;

  private constructor(
    private readonly child: ChildProcess,
    private readonly group: CpuBandwidthGroup | null,
    readonly emulation: ClockEmulation,
    readonly fMaxHz: number,
    private readonly dvfs: DvfsAdapter | null = null,
  ) {
    this.clockHz = fMaxHz;
    child.on('message', (r: HostReply) => {
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      p.resolve(r);
    });
    child.on('exit', (code, signal) => {
      this.dead = new CoquantError('E_DEVICE_GONE', `the emulated device process exited (${signal ?? `code ${code}`})`, { hint: 'see the messages above; rerun the command' });
      for (const p of this.pending.values()) p.reject(this.dead);
      this.pending.clear();
    });
  }

  static async start(o: EmulatedDeviceOptions): Promise<EmulatedDevice> {
    if (!(o.fullSpeedShare > 0)) throw new CoquantError('E_CLOCK', `fullSpeedShare must be positive, got ${o.fullSpeedShare}`);
    const want = o.emulation ?? 'auto';
    const cg = want === 'dilation' || o.dvfs ? null : detectCpuBandwidth();
    if (want === 'cgroup' && !cg) throw new CoquantError('E_NO_CGROUP', 'cgroup CPU bandwidth control is not available to this process', { hint: 'run as root on Linux, or choose --clock-emulation dilation' });
    const child = fork(new URL('./host-boot.mjs', import.meta.url), [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
    const ready = new Promise<void>((res, rej) => {
      child.once('message', () => res());
      child.once('error', rej);
      child.once('exit', (c) => rej(new CoquantError('E_DEVICE_GONE', `the emulated device process failed to start (exit ${c})`)));
    });
    await ready;
    let group: CpuBandwidthGroup | null = null;
    if (cg) {
      group = CpuBandwidthGroup.create(`coquant-agent-${process.pid}-${child.pid}`, o.periodUs ?? DEFAULT_PERIOD_US);
      group.add(child.pid!);
    }
    const emulation: ClockEmulation = o.dvfs
      ? { kind: 'dvfs', fullSpeedShare: 1, periodUs: 0, where: `${o.dvfs.kind} ${o.dvfs.where}` }
      : { kind: cg ?? 'time-dilation', fullSpeedShare: o.fullSpeedShare, periodUs: o.periodUs ?? DEFAULT_PERIOD_US, ...(group ? { where: group.dir } : {}) };
    const d = new EmulatedDevice(child, group, emulation, o.fMaxHz, o.dvfs ?? null);
    await d.setClock(o.fMaxHz);
    return d;
  }

  get clock(): number {
    return this.clockHz;
  }

  /** Share of one core at `hz`. */
  shareAt(hz: number): number {
    return (this.emulation.fullSpeedShare * hz) / this.fMaxHz;
  }

  /** Applies a clock in (0, fMax]; returns the clock set. */
  async setClock(hz: number): Promise<number> {
    if (!(hz > 0) || hz > this.fMaxHz * (1 + 1e-9)) throw new CoquantError('E_CLOCK', `clock ${(hz / 1e9).toFixed(3)} GHz is outside (0, ${(this.fMaxHz / 1e9).toFixed(3)}] GHz`);
    if (this.dvfs) {
      this.clockHz = this.dvfs.setFrequency(hz);
      return this.clockHz;
    }
    this.group?.setShare(this.shareAt(hz));
    this.clockHz = hz;
    return hz;
  }

  /** One whole core of this machine (no throttling): for measurements that bandwidth control would blur. */
  async setFullCore(): Promise<void> {
    if (this.dvfs) {
      this.clockHz = this.dvfs.setFrequency(this.fMaxHz);
      return;
    }
    this.group?.setShare(1);
    this.clockHz = this.fMaxHz / this.emulation.fullSpeedShare;
  }

  private call(req: Request): Promise<HostReply> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise<HostReply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ ...req, id } as HostRequest);
    }).then((r) => {
      if (r.t === 'error') throw new CoquantError(r.code, r.message, { hint: r.hint });
      return r;
    });
  }

  /** Loads a model (bytes or path) under `key`; `profile` turns on onnxruntime's profiler for it. */
  async load(key: string, model: Uint8Array | string, profile = false): Promise<void> {
    await this.call({ t: 'load', key, model, profile });
  }

  async run(key: string, feed: Feed, names?: string[]): Promise<DeviceRun> {
    const t0 = performance.now();
    const r = await this.call({ t: 'run', key, feed, names });
    if (r.t !== 'result') throw new CoquantError('E_DEVICE', 'unexpected reply from the device');
    let ms = performance.now() - t0;
    let computeMs = r.ms;
    if (this.emulation.kind === 'time-dilation') {
      // The run happened at full speed: wait out the difference so wall time follows the clock.
      const stretch = 1 / this.shareAt(this.clockHz);
      const extra = ms * (stretch - 1);
      await new Promise((res) => setTimeout(res, extra));
      ms *= stretch;
      computeMs *= stretch;
    }
    return { outputs: r.outputs, ms, computeMs };
  }

  /** Ends profiling of `key`; returns the parsed trace events (the file is removed). */
  async endProfile(key: string): Promise<unknown[]> {
    const r = await this.call({ t: 'end-profile', key });
    if (r.t !== 'profile') throw new CoquantError('E_DEVICE', 'unexpected reply from the device');
    const events = JSON.parse(await readFile(r.file, 'utf8')) as unknown[];
    await rm(r.file, { force: true });
    return events;
  }

  async release(key: string): Promise<void> {
    await this.call({ t: 'release', key });
  }

  async close(): Promise<void> {
    if (!this.dead) {
      const exited = new Promise<void>((res) => this.child.once('exit', () => res()));
      this.child.disconnect();
      await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
      if (!this.dead) this.child.kill('SIGKILL');
    }
    this.group?.close(this.child.pid ? [this.child.pid] : []);
  }
}
