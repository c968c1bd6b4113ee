/**
 * onnxruntime sessions of a model quantized at a plan's bits, one per (model, bit assignment).
 * Re-planning often returns to an earlier assignment; quantizing and loading costs a second or
 * so, so each one is built once and kept until `releaseAll`.
 */
import type { QuantConfig } from '../../quant/types.ts';
import { createSession, type Session } from '../../ort/session.ts';
import { quantizeModel } from '../quantize-model.ts';
import type { ActivePlan } from './replanner.ts';

export class QuantizedSessions {
  private readonly sessions = new Map<string, Promise<Session>>();

  constructor(private readonly config: Omit<QuantConfig, 'bits'>) {}

  /** `path` quantized at `plan.bitsByGroup` (weights the plan does not name stay as they are). */
  for(path: string, plan: Pick<ActivePlan, 'key' | 'bitsByGroup'>): Promise<Session> {
    const key = `${path}\n${plan.key}`;
    let s = this.sessions.get(key);
    if (!s) {
      s = quantizeModel(path, { bits: plan.bitsByGroup, config: this.config }).then((q) => createSession(q.bytes, { label: `${path} at the planned bits` }));
      s.catch(() => this.sessions.delete(key));
      this.sessions.set(key, s);
    }
    return s;
  }

  async releaseAll(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of await Promise.allSettled(all)) if (s.status === 'fulfilled') await s.value.release();
  }
}
