/** What the agent needs from a device: set a clock (DVFS) and read energy (a power meter). */

export interface DvfsState {
  /** Current frequency in Hz. */
  currentHz: number;
  minHz: number;
  maxHz: number;
  /** Discrete steps in Hz when the driver lists them, ascending. */
  availableHz: number[];
  governor: string;
}

export interface DvfsAdapter {
  readonly kind: string;
  /** Human-readable location, for logs. */
  readonly where: string;
  read(): DvfsState;
  /** Sets the clock to the closest available step ≤ hz (≥ min); returns the Hz actually set. */
  setFrequency(hz: number): number;
}

export interface EnergySample {
  /** Monotonic joules since the meter was opened (wrap-arounds unfolded). */
  joules: number;
  /** Instantaneous power in watts when the meter reports it directly (INA3221), else undefined. */
  watts?: number;
  atMs: number;
}

export interface PowerMeter {
  readonly kind: string;
  readonly where: string;
  /** Rail or domain names being summed. */
  readonly channels: string[];
  sample(): EnergySample;
}

/** Picks the available step closest to hz from below (the planner's clock must not be exceeded). */
export function snapDown(hz: number, steps: number[], minHz: number, maxHz: number): number {
  const target = Math.min(Math.max(hz, minHz), maxHz);
  if (steps.length === 0) return Math.round(target);
  let best = steps[0]!;
  for (const s of steps) if (s <= target && s > best) best = s;
  return best;
}
