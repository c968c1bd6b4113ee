/**
 * The system description `plan` and `sweep` read (SPEC §5): two devices, a link, the budgets,
 * the allowed bit-widths and the model's weight groups. A zod schema, so a bad file is
 * rejected with the field path that is wrong, and docs/system-schema.json is generated
 * from the same source (scripts/gen-system-schema.ts).
 */
import { z } from 'zod';

const pos = (what: string) => z.number({ error: `must be a number (${what})` }).finite().positive({ error: `must be > 0 (${what})` });
const nonneg = (what: string) => z.number({ error: `must be a number (${what})` }).finite().nonnegative({ error: `must be ≥ 0 (${what})` });

/** A processor: a continuous clock range, or the discrete steps a real board offers. */
const deviceFields = {
  /** Free text: what this device is and where its numbers come from. */
  name: z.string().optional(),
  source: z.string().optional(),
  fMin: nonneg('Hz').optional().describe('lowest clock in Hz (default 0)'),
  fMax: pos('Hz').optional().describe('highest clock in Hz'),
  /** Discrete clock levels in Hz (e.g. a Jetson's GPU steps). Replaces fMin/fMax. */
  levels: z.array(pos('Hz')).min(1, { error: 'must list at least one clock level' }).optional().describe('discrete clock levels in Hz, instead of fMin/fMax'),
  /** Effective switched capacitance: energy per cycle is kappa·f² J. Or the paper's eta·psi. */
  kappa: nonneg('J/(cycle·Hz²)').optional().describe('effective switched capacitance: energy per cycle = kappa·f² J (or give psi and eta, the paper\'s Eqs. 6-7)'),
  /** Cycles per parameter per bit: running N params at b bits costs c·b·N cycles (our workload model). */
  cyclesPerParamBit: pos('cycles per parameter-bit').optional().describe('cycles per parameter per bit: N params at b bits cost c·b·N cycles (our workload model; or flopsPerCycle)'),
  /** FLOPs per cycle c (the paper's workload model, Eqs. 4-5): a part with N_FLOP FLOPs at b̂ of b stored bits costs b̂·N_FLOP/(b·c) cycles. */
  flopsPerCycle: pos('FLOPs per cycle').optional().describe("FLOPs per cycle c (the paper's FLOP model, Eqs. 4-7): N_FLOP FLOPs at b̂ of the stored b bits cost b̂·N_FLOP/(b·c) cycles; needs model FLOP counts"),
  /** The paper's power-usage-effectiveness factor η (Eqs. 6-7); energy per cycle is eta·psi·f². */
  eta: pos('power-usage effectiveness').optional().describe("power-usage-effectiveness factor eta (the paper's η, Eqs. 6-7; default 1; only with psi)"),
  /** The paper's chip power coefficient ψ (Eqs. 6-7). */
  psi: nonneg('J/(cycle·Hz²)').optional().describe("chip power coefficient psi (the paper's ψ, Eqs. 6-7): energy per cycle = eta·psi·f² J; instead of kappa"),
};

type DeviceFields = { fMin?: number; fMax?: number; levels?: number[]; kappa?: number; cyclesPerParamBit?: number; flopsPerCycle?: number; eta?: number; psi?: number };

function checkClocks(prefix: string) {
  return (d: DeviceFields, ctx: z.RefinementCtx) => {
    if (d.levels === undefined && d.fMax === undefined) {
      ctx.addIssue({ code: 'custom', path: ['fMax'], message: `${prefix} needs either fMax (with optional fMin) or a list of clock levels` });
    }
    if (d.levels !== undefined && (d.fMin !== undefined || d.fMax !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['levels'], message: `give either levels or fMin/fMax for ${prefix}, not both` });
    }
    if (d.fMin !== undefined && d.fMax !== undefined && d.fMin > d.fMax) {
      ctx.addIssue({ code: 'custom', path: ['fMin'], message: `must be ≤ ${prefix}.fMax (got ${d.fMin} > ${d.fMax})` });
    }
    if ((d.cyclesPerParamBit === undefined) === (d.flopsPerCycle === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['cyclesPerParamBit'], message: `${prefix} needs exactly one workload model: cyclesPerParamBit (cycles per parameter-bit) or flopsPerCycle (the paper's FLOP model)` });
    }
    if ((d.kappa === undefined) === (d.psi === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['kappa'], message: `${prefix} needs exactly one energy coefficient: kappa, or psi (with optional eta) as in the paper` });
    }
    if (d.eta !== undefined && d.psi === undefined) {
      ctx.addIssue({ code: 'custom', path: ['eta'], message: `${prefix}.eta only applies with ${prefix}.psi (energy per cycle = eta·psi·f²)` });
    }
  };
}

export const agentSchema = z.object(deviceFields).strict().superRefine(checkClocks('agent'));
export const serverSchema = z
  .object({
    ...deviceFields,
    /** Whether the server's part is quantized too; if not it runs at `bits` (full precision). */
    quantized: z.boolean().default(false).describe('quantize the server part too (its D_U then counts)'),
    bits: z.number().int().min(1).max(32).default(16).describe('server bit-width (full precision when not quantized)'),
  })
  .strict()
  .superRefine(checkClocks('server'));

export const linkSchema = z
  .object({
    name: z.string().optional(),
    source: z.string().optional(),
    rateBps: pos('bit/s').describe('uplink rate in bit/s'),
    txPowerW: nonneg('W').describe('transmit power in W while sending'),
    /** Element count of the feature tensor sent at the cut (0: communication left out, as the paper does). */
    featureElems: z.number().int().nonnegative().default(0).describe('elements of the feature tensor sent at the cut (0: no communication)'),
    featureBits: z.number().int().min(1).max(64).default(16).describe('bits per feature element'),
  })
  .strict();

export const constraintsSchema = z
  .object({
    T0: pos('deadline in s').describe('deadline per inference in s (agent + link + server)'),
    E0: pos('agent energy budget in J').describe('agent energy budget per inference in J (compute + transmit)'),
    /** Optional tightness: D_U − D_L ≤ epsilon, enforced per group (a lower limit on each b_g). */
    epsilon: pos('tightness').optional().describe('tightness: D_U − D_L ≤ epsilon per group'),
  })
  .strict();

export const groupSchema = z
  .object({
    name: z.string().min(1),
    params: pos('parameter count'),
    lambda: pos('exponential rate 1/mean|w|').describe('exponential fit of |w|: 1 / mean|w|'),
    alpha: pos('output/parameter distortion ratio').optional(),
    /** FLOPs of this group per inference (to the first token) at the stored bit-width; the FLOP model's workload. */
    flops: nonneg('FLOPs').optional().describe('FLOPs of this group per inference at the stored bit-width (FLOP workload model)'),
  })
  .strict();

export const modelSchema = z
  .object({
    name: z.string().optional(),
    /** D_o ≈ alpha·D_p (SPEC §2); groups may override it. */
    alpha: pos('output/parameter distortion ratio').default(1),
    groups: z.array(groupSchema).min(1, { error: 'must list at least one group' }).optional(),
    /** Path to a `coquant profile --json` document; its groups are used instead of inline ones. */
    profile: z.string().optional(),
    /** Parameters that run on the server and are not listed as groups (e.g. the LLM of BLIP-2). */
    serverParams: nonneg('parameter count').default(0),
    /** Exponential rate for those server parameters (used only if the server is quantized). */
    serverLambda: pos('exponential rate').optional(),
    /** FLOP model: the agent groups' FLOPs, spread over groups without their own `flops` by parameter count. */
    agentFlops: nonneg('FLOPs').optional().describe('FLOP model: FLOPs of the agent groups, spread by parameters over groups that give no flops'),
    /** FLOP model: FLOPs of the server part not listed as groups (the paper's Ñ_FLOP). */
    serverFlops: nonneg('FLOPs').optional().describe("FLOP model: FLOPs of the server part not listed as groups (the paper's Ñ_FLOP)"),
    /** The stored bit-width b the FLOP counts refer to (the b in b̂/b of Eqs. 4 and 6). */
    storedBits: z.number().int().min(1).max(64).default(16).describe('stored bit-width b of the model weights: the FLOP counts are at b, a b̂-bit plan costs b̂/b of them'),
  })
  .strict()
  .superRefine((m, ctx) => {
    if (m.groups === undefined && m.profile === undefined) {
      ctx.addIssue({ code: 'custom', path: ['groups'], message: 'give the model as inline groups or as profile: <profile.json>' });
    }
    if (m.groups !== undefined && m.profile !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['profile'], message: 'give either inline groups or a profile, not both' });
    }
    if (m.groups) {
      const seen = new Set<string>();
      m.groups.forEach((g, i) => {
        if (seen.has(g.name)) ctx.addIssue({ code: 'custom', path: ['groups', i, 'name'], message: `duplicate group name "${g.name}"` });
        seen.add(g.name);
      });
    }
  });

export const splitSchema = z
  .object({
    name: z.string().min(1),
    /** Groups run by the agent at this cut; the other groups run on the server. */
    agentGroups: z.array(z.string()).min(1).optional(),
    /** Agent-side parameters when the groups are not listed (treated as one group at the model's lambda). */
    agentParams: pos('parameter count').optional(),
    /** Server-side parameters (workload). Default: everything not on the agent. */
    serverParams: nonneg('parameter count').optional(),
    /** FLOP model, with agentParams: the agent side's FLOPs. */
    agentFlops: nonneg('FLOPs').optional(),
    /** FLOP model: the server side's FLOPs (default: the model's total less the agent's). */
    serverFlops: nonneg('FLOPs').optional(),
    featureElems: z.number().int().nonnegative(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.agentGroups === undefined && s.agentParams === undefined) {
      ctx.addIssue({ code: 'custom', path: ['agentGroups'], message: `cut "${s.name}" needs agentGroups or agentParams` });
    }
  });

const bitsSchema = z
  .array(z.number().int().min(1).max(32))
  .min(1, { error: 'the allowed bit set is empty' })
  .transform((a) => [...new Set(a)].sort((x, y) => x - y));

export const systemSchema = z
  .object({
    $schema: z.string().optional(),
    /** What this description is (e.g. "illustrative, SPEC §5"). */
    label: z.string().optional(),
    illustrative: z.boolean().optional(),
    agent: agentSchema,
    server: serverSchema,
    link: linkSchema,
    constraints: constraintsSchema,
    bits: bitsSchema.default([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]).describe('allowed agent bit-widths'),
    /** One bit-width for all agent groups, or one per group. */
    agentBits: z.enum(['shared', 'per-group']).default('shared').describe('one bit-width for all agent groups, or one per group'),
    model: modelSchema,
    splits: z.array(splitSchema).min(1).optional(),
  })
  .strict();

export type SystemInput = z.input<typeof systemSchema>;
export type SystemDescription = z.output<typeof systemSchema>;
export type DeviceDescription = z.output<typeof agentSchema>;
export type GroupDescription = z.output<typeof groupSchema>;

/** One line per problem, each starting with the field path, e.g. `agent.fMin: must be ≤ agent.fMax (…)`. */
export function formatIssues(issues: readonly { path: readonly PropertyKey[]; message: string; code?: string; keys?: string[] }[]): string[] {
  return issues.map((i) => {
    const path = i.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[');
    const msg = i.code === 'unrecognized_keys' && i.keys ? `unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}` : i.message;
    return `${path || '(top level)'}: ${msg}`;
  });
}

export type ParseResult = { ok: true; value: SystemDescription } | { ok: false; errors: string[] };

/** Validates a plain object (already parsed from JSON or YAML); never throws. */
export function parseSystem(input: unknown): ParseResult {
  const r = systemSchema.safeParse(input);
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, errors: formatIssues(r.error.issues as never) };
}
