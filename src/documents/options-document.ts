/**
 * `coquant.options/1`: per weight group, the formats it can run in and what each costs and
 * distorts, measured. This is the document the executable planner reads (`plan --options`).
 * `coquant options` writes one for an ONNX model on the emulated device; a user can also write
 * one by hand for another runtime (say per-layer INT4/INT8 latencies measured on a GPU), since
 * every field is plain numbers. See docs/options.md for the format with a hand-written example.
 */
import { z } from 'zod';
import { readFile } from 'node:fs/promises';
import { CoquantError, UsageError } from '../errors.ts';
import { stringifyDocument } from './json-numbers.ts';

export const OPTIONS_SCHEMA = 'coquant.options/1';

const perClock = z.array(z.number().nonnegative());

const optionSchema = z.object({
  /** Format name, e.g. fp32, qdq-int8, nbits4 (free text for hand-written documents). */
  format: z.string().min(1),
  /** False for simulation formats (fake b-bit): their latency does not follow the bits. */
  executable: z.boolean().default(true),
  /** Bits per weight the format stores (for D_U objectives and reports). */
  bits: z.number().positive().optional(),
  /** Mean latency this group adds to a run in this format, seconds, one entry per device clock. */
  latencyS: perClock,
  /** Bytes of the group's weights as stored in this format. */
  bytes: z.number().nonnegative(),
  /** Measured parameter distortion mean|w − ŵ| of the weights as written. */
  Dp: z.number().nonnegative().optional(),
  /** Measured change of output distortion when only this group takes this option (0 for the reference). */
  deltaDo: z.number(),
  /** Optional task metric with only this group in this option (e.g. CER against the reference). */
  task: z.number().optional(),
});

const groupSchema = z.object({
  name: z.string().min(1),
  /** Compute node carrying the weights (for ONNX models). */
  node: z.string().optional(),
  op: z.string().optional(),
  params: z.number().int().nonnegative(),
  /** Exponential rate of |w| (needed only for the D_U objective). */
  lambda: z.number().positive().optional(),
  options: z.array(optionSchema).min(1),
});

export const optionsDocumentSchema = z.object({
  schema: z.literal(OPTIONS_SCHEMA),
  model: z.object({
    source: z.string(),
    /** True when the model's weights are generated, not pretrained. */
    synthetic: z.boolean().default(false),
    inputs: z.record(z.string(), z.array(z.number().int())).optional(),
  }),
  device: z.object({
    name: z.string(),
    /** The clocks every latency array is indexed by, Hz, ascending. */
    clocksHz: z.array(z.number().positive()).min(1),
    /** How the clock was produced: a real DVFS setting, or an emulation (cgroup CPU bandwidth, time dilation). */
    emulation: z.string().default('none'),
    note: z.string().optional(),
  }),
  /**
   * Per-run cost outside the groups, seconds per clock: session overhead and the hop to the
   * runtime, plus the intercept of the clock's time model (negative under CPU bandwidth control,
   * where a run starts with its period's quota unspent).
   */
  overheadS: z.array(z.number()),
  /** Extra per-run cost for each byte the runtime returns (the hop of the head's output), seconds per byte per clock. */
  outputByteS: perClock.default([]),
  /** Latency of the nodes that carry no weights, per clock (for cut-dependent fixed cost). Absent: none. */
  nodes: z.array(z.object({ name: z.string(), latencyS: perClock })).default([]),
  /** Run-time spread: the q-quantile of a run's time divided by its mean, per clock. */
  spread: z
    .object({ quantiles: z.array(z.number().gt(0).lt(1)), ratio: z.array(z.array(z.number().positive())) })
    .default({ quantiles: [], ratio: [] }),
  distortion: z.object({
    /** What deltaDo measures, e.g. "mean |y − y_ref| of the model output". */
    metric: z.string(),
    reference: z.string().default('fp32'),
    inputs: z.number().int().nonnegative().default(0),
    /** Name of the task metric in `task`, e.g. "CER vs fp32". */
    task: z.string().optional(),
  }),
  groups: z.array(groupSchema).min(1),
  /** Groups that must take the same option (e.g. weights shared or fused at run time). */
  ties: z.array(z.array(z.string()).min(2)).default([]),
  /** Server-side fp32 time of each node (groups and weightless nodes), seconds, for tails at any cut. */
  server: z.object({ nodeS: z.record(z.string(), z.number().nonnegative()), overheadS: z.number().nonnegative() }).optional(),
  /**
   * Link formats of the crossing tensors per cut (fp32, fp16, int8, int8-channel), each with its
   * uplink bytes, the output distortion it alone adds (measured like the weights' deltaDo) and
   * optionally the agent's time to encode it (`encodeS`, seconds; part of the head's time).
   * Optional: without it every cut sends fp32.
   */
  features: z
    .array(
      z.object({
        cut: z.string().min(1),
        options: z.array(z.object({ format: z.string().min(1), bytes: z.number().nonnegative(), deltaDo: z.number(), task: z.number().optional(), encodeS: z.number().nonnegative().optional() })).min(1),
      }),
    )
    .optional(),
  /**
   * The cuts the link formats were measured at, as the planner needs them without the model:
   * the tensors that cross (measured type, shape, bytes; several for a set cut, a graph input
   * for "send the input"), the groups and weightless nodes the agent runs, and the server time of
   * the tail (the measured fp32 node times outside the head, plus the server's overhead).
   * Optional: `plan --options` then plans the whole model on the agent.
   */
  cuts: z
    .array(
      z.object({
        name: z.string().min(1),
        kind: z.enum(['tensor', 'set', 'input']).default('tensor'),
        tensors: z.array(z.object({ name: z.string().min(1), type: z.string().min(1), dims: z.array(z.number().int().nonnegative()), bytes: z.number().nonnegative() })).min(1),
        groups: z.array(z.string()),
        nodes: z.array(z.string()),
        serverS: z.number().nonnegative(),
      }),
    )
    .optional(),
});

export type OptionsDocument = z.infer<typeof optionsDocumentSchema>;
export type OptionsGroup = OptionsDocument['groups'][number];
export type GroupOption = OptionsGroup['options'][number];
export type FeatureCutEntry = NonNullable<OptionsDocument['features']>[number];
export type CutEntry = NonNullable<OptionsDocument['cuts']>[number];

/** Validates a parsed JSON value; errors name the field and what to fix. */
export function parseOptionsDocument(value: unknown, where = 'options document'): OptionsDocument {
  const r = optionsDocumentSchema.safeParse(value);
  if (!r.success) {
    const issues = r.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`);
    throw new CoquantError('E_OPTIONS', `${where} is not a valid ${OPTIONS_SCHEMA} document: ${issues.join('; ')}`, { hint: 'see docs/options.md for the format, or write one with `coquant options MODEL`' });
  }
  const doc = r.data;
  const nClocks = doc.device.clocksHz.length;
  const bad: string[] = [];
  if (doc.overheadS.length !== nClocks) bad.push(`overheadS has ${doc.overheadS.length} entries for ${nClocks} clocks`);
  if (doc.outputByteS.length !== 0 && doc.outputByteS.length !== nClocks) bad.push(`outputByteS has ${doc.outputByteS.length} entries for ${nClocks} clocks`);
  for (const n of doc.nodes) if (n.latencyS.length !== nClocks) bad.push(`nodes '${n.name}' latencyS has ${n.latencyS.length} entries`);
  const names = new Set<string>();
  for (const g of doc.groups) {
    if (names.has(g.name)) bad.push(`group '${g.name}' appears twice`);
    names.add(g.name);
    const formats = new Set<string>();
    for (const o of g.options) {
      if (o.latencyS.length !== nClocks) bad.push(`group '${g.name}' option '${o.format}': latencyS has ${o.latencyS.length} entries for ${nClocks} clocks`);
      if (formats.has(o.format)) bad.push(`group '${g.name}' lists option '${o.format}' twice`);
      formats.add(o.format);
    }
  }
  for (const t of doc.ties) for (const n of t) if (!names.has(n)) bad.push(`ties: unknown group '${n}'`);
  if (doc.spread.ratio.length > 0 && doc.spread.ratio.length !== nClocks) bad.push(`spread.ratio has ${doc.spread.ratio.length} rows for ${nClocks} clocks`);
  for (const row of doc.spread.ratio) if (row.length !== doc.spread.quantiles.length) bad.push('spread.ratio rows must have one entry per quantile');
  for (let i = 1; i < nClocks; i++) if (!(doc.device.clocksHz[i] > doc.device.clocksHz[i - 1])) bad.push('device.clocksHz must be strictly ascending');
  const cutNames = new Set<string>();
  for (const c of doc.cuts ?? []) {
    if (cutNames.has(c.name)) bad.push(`cut '${c.name}' appears twice`);
    cutNames.add(c.name);
    for (const g of c.groups) if (!names.has(g)) bad.push(`cut '${c.name}': unknown group '${g}'`);
  }
  if (bad.length) throw new CoquantError('E_OPTIONS', `${where}: ${bad.slice(0, 5).join('; ')}${bad.length > 5 ? `; and ${bad.length - 5} more` : ''}`, { hint: 'see docs/options.md' });
  return doc;
}

/** Reads and validates an options document file. */
export async function readOptionsDocument(path: string): Promise<OptionsDocument> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`cannot read options document ${path}: ${(e as Error).message.split('\n')[0]}`, 'write one with `coquant options MODEL` or by hand (docs/options.md)');
  }
  return parseOptionsDocument(raw, path);
}

/** The document as written to disk (non-finite numbers encoded, trailing newline). */
export function serializeOptionsDocument(doc: OptionsDocument): string {
  return stringifyDocument(doc);
}

/** The ratio of a run's q-quantile time to its mean at clock index k (1 for the mean; interpolated between measured quantiles). */
export function spreadRatio(doc: OptionsDocument, k: number, q: number | 'mean'): number {
  if (q === 'mean') return 1;
  const qs = doc.spread.quantiles;
  const row = doc.spread.ratio[k];
  if (!row || qs.length === 0) throw new CoquantError('E_OPTIONS', `the options document has no run-time spread, so it cannot plan for the ${q} quantile`, { hint: 'plan for the mean (--deadline-quantile mean), or measure the document with coquant options' });
  const order = qs.map((v, i) => [v, row[i]] as const).sort((a, b) => a[0] - b[0]);
  if (q <= order[0][0]) return order[0][1];
  for (let i = 1; i < order.length; i++) {
    if (q <= order[i][0]) {
      const [q0, r0] = order[i - 1];
      const [q1, r1] = order[i];
      return r0 + ((r1 - r0) * (q - q0)) / (q1 - q0);
    }
  }
  return order[order.length - 1][1];
}
