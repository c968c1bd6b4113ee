/**
 * `sweep --measure MODEL`: applies each plan a sweep chose to the real ONNX model and measures
 * what the bound only predicts: the output distortion against full precision and, for the
 * PP-OCR recognizer, the task accuracy on rendered labelled lines. Plans with the same bits
 * are measured once.
 */
import type { TopLevelSpec } from 'vega-lite';
import { asFloat32 } from '../data/tensor.ts';
import { UsageError } from '../errors.ts';
import { openOnnx } from '../io/onnx-weights.ts';
import { selectWeights } from '../io/open-weights.ts';
import { taskFor } from '../tasks/registry.ts';
import { OutputDiff } from '../tasks/output-distortion.ts';
import type { Decoded } from '../tasks/task.ts';
import type { PlanResult } from '../plan/result.ts';
import type { QuantConfig } from '../quant/types.ts';
import { createSession, modelSignature, outputNames, runFeed } from '../ort/session.ts';
import { quantizeModel } from '../runtime/quantize-model.ts';

export interface MeasuredPlan {
  axis: string;
  T0: number;
  E0: number;
  method: string;
  feasible: boolean;
  DU: number | null;
  /** Mean |y − ŷ| over outputs and inputs, against full precision. */
  Do: number | null;
  relL2: number | null;
  /** Exact-match rate against the labels (PP-OCR rec only). */
  accuracy: number | null;
  cerVsFp: number | null;
}

export interface SweepMeasureOptions {
  lines: number;
  seed: number;
  config: Omit<QuantConfig, 'bits'>;
  onProgress?: (done: number, total: number) => void;
}

type Point = { axis: string; T0: number; E0: number; method: string; plan: PlanResult };

export async function measurePlans(model: string, points: Point[], o: SweepMeasureOptions): Promise<MeasuredPlan[]> {
  const src = await openOnnx(model);
  const names = new Set(selectWeights(src.tensors).map((t) => t.name));
  const withBits = points.filter((p) => p.plan.groups && p.plan.groups.length > 0);
  if (!withBits.some((p) => p.plan.groups!.some((g) => names.has(g.name)))) {
    throw new UsageError(
      `none of the planned groups are weights of ${model}`,
      `plan from this model's profile: coquant profile ${model} --json > profile.json, then sweep --profile profile.json --measure ${model}`,
    );
  }
  const fp = await createSession(src.model.bytes, { label: model });
  const signature = modelSignature(fp);
  const output = outputNames(fp)[0];
  const task = taskFor(signature);
  const cal = await task.makeInputs(signature, { count: o.lines, seed: o.seed });
  const fpOut: Float32Array[] = [];
  // Task items (decoded text for the OCR recognizer) when the task decodes this output.
  let fpItems: unknown[] | undefined = task.decode && task.score ? [] : undefined;
  for (const f of cal.feeds) {
    const y = (await runFeed(fp, f, [output]))[output];
    fpOut.push(asFloat32(y));
    const d = fpItems && (await task.decode!(y));
    if (d) fpItems!.push(...d);
    else fpItems = undefined;
  }
  await fp.release();

  const cache = new Map<string, Omit<MeasuredPlan, 'axis' | 'T0' | 'E0' | 'method' | 'feasible' | 'DU'>>();
  const keys = [...new Set(withBits.map((p) => p.plan.groups!.map((g) => g.bits).join(',')))];
  let done = 0;
  const results: MeasuredPlan[] = [];
  for (const p of points) {
    const base = { axis: p.axis, T0: p.T0, E0: p.E0, method: p.method, feasible: p.plan.feasible, DU: p.plan.DU };
    if (!p.plan.groups || p.plan.groups.length === 0) {
      results.push({ ...base, Do: null, relL2: null, accuracy: null, cerVsFp: null });
      continue;
    }
    const key = p.plan.groups.map((g) => g.bits).join(',');
    let m = cache.get(key);
    if (!m) {
      const bits = Object.fromEntries(p.plan.groups.filter((g) => names.has(g.name)).map((g) => [g.name, g.bits]));
      const q = await quantizeModel(src, { bits, config: o.config });
      const s = await createSession(q.bytes, { label: `${model} @ plan` });
      const diff = new OutputDiff();
      const items: unknown[] = [];
      for (const [i, f] of cal.feeds.entries()) {
        const yq = (await runFeed(s, f, [output]))[output];
        diff.add(fpOut[i], asFloat32(yq));
        if (fpItems) items.push(...((await task.decode!(yq)) ?? []));
      }
      await s.release();
      const metrics = fpItems ? Object.fromEntries(task.score!(fpItems as Decoded, items, cal.labels).map((x) => [x.name, x.value])) : {};
      const { Do, relL2 } = diff.result();
      m = { Do, relL2, accuracy: metrics.accuracy ?? null, cerVsFp: metrics.cerVsFp ?? null };
      cache.set(key, m);
      o.onProgress?.(++done, keys.length);
    }
    results.push({ ...base, ...m });
  }
  return results;
}

/** Measured quality against the swept budget, one line per method: the bound-optimal plan checked against reality. */
export function measuredSpec(rows: MeasuredPlan[], axis: 'T0' | 'E0', y: 'accuracy' | 'Do', fixed: string): TopLevelSpec {
  const values = rows.filter((r) => r.axis === axis && r[y] !== null).map((r) => ({ x: axis === 'T0' ? r.T0 : r.E0, y: r[y], method: r.method, status: r.feasible ? 'meets T0 and E0' : 'breaks a constraint' }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `measured ${y === 'Do' ? 'output distortion D_o' : 'task accuracy'} vs ${axis} (${fixed})`,
    width: 480,
    height: 280,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: axis === 'T0' ? 'T0 (s)' : 'E0 (J)' },
      y: { field: 'y', type: 'quantitative', title: y === 'Do' ? 'D_o' : 'exact-match accuracy', scale: y === 'Do' ? { type: 'log' } : { domain: [0, 1] } },
      color: { field: 'method', type: 'nominal' },
      shape: { field: 'status', type: 'nominal' },
    },
  } as TopLevelSpec;
}
