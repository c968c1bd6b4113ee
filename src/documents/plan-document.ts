/**
 * Reading the two plan documents a model runs by: `coquant.plan/1` (bit-widths, `plan --json`)
 * and `coquant.exec-plan/1` (executable formats, `plan --options --json`). `quantize --plan` and
 * `agent --plan` take either; this is the one reader that tells them apart and checks the fields
 * they use. The full types are the planners' (plan/result.ts, plan/options-plan.ts).
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { UsageError } from '../errors.ts';

const HINT = 'make one with `coquant plan ... --json > plan.json` (or `plan --options ... --json` for an executable plan)';

/** The fields of a `coquant.plan/1` document that running it needs. */
export const bitsPlanSchema = z
  .object({
    schema: z.literal('coquant.plan/1'),
    feasible: z.boolean(),
    bits: z.number().int().nullable().optional(),
    groups: z.array(z.object({ name: z.string(), bits: z.number().int() }).passthrough()).nullable().optional(),
  })
  .passthrough();

/** The fields of a `coquant.exec-plan/1` document that running it needs. */
export const execPlanSchema = z
  .object({
    schema: z.literal('coquant.exec-plan/1'),
    feasible: z.boolean(),
    formats: z.record(z.string(), z.string()).nullable().optional(),
    simulation: z.boolean().optional(),
    cut: z.string().nullable().optional(),
    featureFormat: z.string().optional(),
    /** Added with set cuts and link formats (still coquant.exec-plan/1: older plans lack it and send their cut tensor as fp32). */
    crossing: z
      .array(z.object({ name: z.string().min(1), type: z.string().min(1), dims: z.array(z.number().int().nonnegative()), bytes: z.number().nonnegative(), format: z.string().min(1) }).passthrough())
      .min(1)
      .optional(),
  })
  .passthrough();

/** What crosses the link under an executable plan: every tensor the head sends and its link format. */
export interface PlanLink {
  /** Crossing tensors, in the plan's order (empty when the plan names none: the head's only output is the cut). */
  tensors: string[];
  /** Link format per crossing tensor that is not sent as fp32. */
  formats: Record<string, string>;
}

/** The crossing tensors and link formats of an exec plan (none named in a plan from before set cuts: the head's output goes as fp32). */
export function planLink(doc: { readonly crossing?: readonly { readonly name: string; readonly format: string }[] }): PlanLink {
  if (!doc.crossing) return { tensors: [], formats: {} };
  return { tensors: doc.crossing.map((c) => c.name), formats: Object.fromEntries(doc.crossing.filter((c) => c.format !== 'fp32').map((c) => [c.name, c.format])) };
}

export type PlanFile = { kind: 'bits'; doc: z.infer<typeof bitsPlanSchema> } | { kind: 'exec'; doc: z.infer<typeof execPlanSchema> };

/** Reads a plan file of either kind; errors say which file and what to do. */
export async function readPlanFile(path: string): Promise<PlanFile> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`cannot read plan ${path}: ${(e as Error).message.split('\n')[0]}`, HINT);
  }
  const schema = (raw as { schema?: unknown } | null)?.schema;
  const parsed = schema === 'coquant.exec-plan/1' ? execPlanSchema.safeParse(raw) : schema === 'coquant.plan/1' ? bitsPlanSchema.safeParse(raw) : undefined;
  if (!parsed) throw new UsageError(`${path} is not a coquant plan (schema is ${JSON.stringify(schema)})`, HINT);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new UsageError(`${path} is not a valid ${String(schema)} document: field ${i.path.join('.') || '(root)'}: ${i.message}`, HINT);
  }
  return schema === 'coquant.exec-plan/1' ? { kind: 'exec', doc: parsed.data as z.infer<typeof execPlanSchema> } : { kind: 'bits', doc: parsed.data as z.infer<typeof bitsPlanSchema> };
}
