/**
 * The executable planner: from a `coquant.options/1` document (per group, the formats the
 * runtime really executes, with measured latency per clock, bytes and output-distortion
 * sensitivity), choose the cut, the clock and every group's format so that the deadline holds
 * at a chosen latency quantile, the agent's energy stays within E0 and, optionally, the head's
 * weights fit a memory budget, with the least predicted output distortion. For each cut and
 * clock the choice of formats is a multiple-choice knapsack solved exactly (choice-solver.ts);
 * the best over cuts and clocks is optimal. Pure: no I/O.
 */
import { CoquantError } from '../errors.ts';
import { solveChoice } from './choice-solver.ts';
import { spreadRatio, type GroupOption, type OptionsDocument } from '../documents/options-document.ts';

export type OptionsObjective = 'do' | 'du' | 'dp';

/** One place the model can be split, seen from the options document. */
export interface OptionsCut {
  name: string;
  /** Groups the agent runs at this cut. */
  groups: readonly string[];
  /** Weightless nodes the agent runs ('all' = every node in the document). */
  nodes: readonly string[] | 'all';
  /** Bytes of the feature sent to the server (0: nothing is sent, the agent runs the whole model). */
  featureBytes: number;
  /** Bytes the agent's runtime returns per run (default featureBytes): the model output when there is no server. */
  outputBytes?: number;
  /** Mean server time of the tail, seconds (compute plus its share of the hop). */
  serverS: number;
  /** Mean time of the reply's return, seconds. */
  downlinkS?: number;
  /** Fixed uplink cost beyond bits/rate (protocol, copies), seconds. */
  uplinkExtraS?: number;
  /** The server round trip's (server + hop) q-quantile over its mean, at the planning quantile (default 1). */
  netSpread?: number;
  /**
   * Link formats the crossing tensors can take at this cut, each with its uplink bytes and the
   * output distortion it adds (the options document's `features`). Absent: fp32 at featureBytes.
   * The planner picks one per cut, with the link's delay and energy, by enumeration (exact).
   */
  featureOptions?: readonly { format: string; bytes: number; deltaDo: number; encodeS?: number }[];
  /** The tensors that cross at this cut (several for a set cut), as measured; the plan names them with their link format. */
  tensors?: readonly CrossingTensorInfo[];
}

export interface CrossingTensorInfo {
  name: string;
  /** onnxruntime type name, e.g. `float32`. */
  type: string;
  dims: readonly number[];
  bytes: number;
}

/** A crossing tensor as the plan sends it: its link format (link formats apply to float32 tensors; others go as they are). */
export interface PlannedCrossing extends CrossingTensorInfo {
  format: string;
}

export interface OptionsSystem {
  /** Agent's effective switched capacitance: energy = κ·C·f² with C = f·t the cycles a run takes. */
  kappa: number;
  link: { rateBps: number; txPowerW: number };
  T0: number;
  E0: number;
  /** Latency quantile the deadline must hold at (0.5 median, 0.95 p95), or the mean. */
  quantile: number | 'mean';
  /** Head weight bytes budget (the edge-memory constraint), if any. */
  memoryBytes?: number;
  /** Formats allowed for every group, or per group; absent = all options in the document. */
  allowed?: readonly string[] | Readonly<Record<string, readonly string[]>>;
  /** Allow simulation (non-executable) options. Default false: plans only what runs. */
  allowSimulation?: boolean;
  objective: OptionsObjective;
  /** α of D_o ≈ α·D_p for the D_U objective (default 1). */
  alpha?: number;
  /** Only these clock indices (e.g. the top clock for a max-clock baseline). */
  clocks?: readonly number[];
  /** Only these cuts. */
  cuts?: readonly string[];
  /** Fix the formats (a baseline's choice) instead of optimising them. */
  fixed?: Readonly<Record<string, string>>;
}

export interface OptionsPlan {
  schema: 'coquant.exec-plan/1';
  feasible: boolean;
  objective: OptionsObjective;
  cut: string | null;
  /** Link format of the crossing tensors at the cut, when the cut offered several. */
  featureFormat?: string;
  /**
   * Every tensor that crosses at the cut with the format it is sent in, when the cut says which
   * (the agent sends them all in one request; the served tail takes them so). Absent in plans
   * before set cuts: the cut's name is then the one crossing tensor, sent as fp32.
   */
  crossing?: PlannedCrossing[];
  /** Uplink payload bytes per inference in the chosen link format. */
  uplinkBytes?: number;
  clockHz: number | null;
  /** Format per agent-side group. */
  formats: Record<string, string>;
  /** True when some chosen option is a simulation format (its latency does not follow its bits). */
  simulation: boolean;
  predicted: {
    /** Agent head time, seconds: mean and at the planned quantile. */
    headMeanS: number;
    headQuantileS: number;
    uplinkS: number;
    serverS: number;
    downlinkS: number;
    totalMeanS: number;
    totalQuantileS: number;
    agentJ: number;
    linkJ: number;
    energyJ: number;
    /** Predicted output distortion: the sum of the groups' measured contributions. */
    Do: number;
    /** Objective value (D_o, D_p or D_U). */
    objective: number;
    headWeightBytes: number;
  } | null;
  quantile: number | 'mean';
  constraints: { T0: number; E0: number; memoryBytes?: number };
  /** The energy model the plan was made with (the agent re-evaluates energy with it). */
  energyModel: { kappa: number; txPowerW: number };
  solver: { exact: boolean; lowerBound: number; nodes: number; instances: number; ms: number };
  /** What keeps a better plan out: deadline, energy, memory or formats. */
  binding: string[];
  notes: string[];
  /** When infeasible: the least T0 and E0 any choice needs (each with the other relaxed). */
  diagnosis?: { reason: string; minT0?: number; minE0?: number };
}

interface Unit {
  names: string[];
  params: number;
  options: { format: string; lat: number[]; bytes: number; value: number; Do: number; executable: boolean }[];
}

function optionValue(o: GroupOption, g: OptionsDocument['groups'][number], totalParams: number, obj: OptionsObjective, alpha: number): number {
  if (obj === 'do') return o.deltaDo;
  if (obj === 'dp') {
    if (o.Dp === undefined) throw new CoquantError('E_OPTIONS', `group '${g.name}' option '${o.format}' has no Dp, so the dp objective cannot use it`, { hint: 'use --objective do' });
    return (o.Dp * g.params) / totalParams;
  }
  if (o.bits === undefined || g.lambda === undefined) throw new CoquantError('E_OPTIONS', `group '${g.name}' option '${o.format}' lacks bits or the group lacks lambda, which the D_U objective needs`, { hint: 'use --objective do' });
  return o.bits >= 32 ? 0 : (alpha * (g.params / totalParams) * 2 ** (1 - o.bits)) / g.lambda;
}

/**
 * Groups tied together become one unit whose options are the formats they all have. A group in
 * no tie is a unit of its own at every cut: `cache` keeps those across the cuts of one planning.
 */
function units(doc: OptionsDocument, names: ReadonlySet<string>, sys: OptionsSystem, cache?: Map<string, Unit>): Unit[] {
  const tiedNames = cache ? new Set(doc.ties.flat()) : undefined;
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r)!;
    return r;
  };
  for (const n of names) parent.set(n, n);
  for (const t of doc.ties) {
    // A tie across the cut binds only its agent-side members: the server side runs fp32.
    const inHead = t.filter((n) => names.has(n));
    for (let i = 1; i < inHead.length; i++) parent.set(find(inHead[i]), find(inHead[0]));
  }
  const totalParams = doc.groups.reduce((s, g) => s + g.params, 0);
  const alpha = sys.alpha ?? 1;
  const byRoot = new Map<string, OptionsDocument['groups'][number][]>();
  for (const g of doc.groups) if (names.has(g.name)) byRoot.set(find(g.name), [...(byRoot.get(find(g.name)) ?? []), g]);
  const allowedFor = (name: string): ReadonlySet<string> | null => {
    const a = sys.allowed;
    if (!a) return null;
    if (Array.isArray(a)) return new Set(a as readonly string[]);
    const per = (a as Readonly<Record<string, readonly string[]>>)[name];
    return per ? new Set(per) : null;
  };
  const out: Unit[] = [];
  for (const gs of byRoot.values()) {
    const alone = cache && gs.length === 1 && !tiedNames!.has(gs[0].name) ? gs[0].name : undefined;
    const hit = alone === undefined ? undefined : cache!.get(alone);
    if (hit) {
      out.push(hit);
      continue;
    }
    let formats = gs[0].options.map((o) => o.format);
    for (const g of gs) {
      const have = new Set(g.options.map((o) => o.format));
      const ok = allowedFor(g.name);
      formats = formats.filter((f) => have.has(f) && (!ok || ok.has(f)));
    }
    if (sys.fixed) formats = formats.filter((f) => gs.every((g) => (sys.fixed![g.name] ?? 'fp32') === f));
    const options: Unit['options'] = [];
    for (const f of formats) {
      const os = gs.map((g) => g.options.find((o) => o.format === f)!);
      const executable = os.every((o) => o.executable);
      if (!executable && !sys.allowSimulation) continue;
      const nClocks = os[0].latencyS.length;
      options.push({
        format: f,
        lat: Array.from({ length: nClocks }, (_, k) => os.reduce((s, o) => s + o.latencyS[k], 0)),
        bytes: os.reduce((s, o) => s + o.bytes, 0),
        value: os.reduce((s, o, i) => s + optionValue(o, gs[i], totalParams, sys.objective, alpha), 0),
        Do: os.reduce((s, o) => s + o.deltaDo, 0),
        executable,
      });
    }
    if (options.length === 0) {
      throw new CoquantError('E_NO_FORMAT', `no allowed format is left for group${gs.length > 1 ? 's' : ''} ${gs.map((g) => `'${g.name}'`).join(', ')}`, {
        hint: `the options document offers ${gs[0].options.map((o) => o.format).join(', ')}; check the allowed formats${doc.ties.length ? ' and the ties' : ''}`,
      });
    }
    const unit = { names: gs.map((g) => g.name), params: gs.reduce((s, g) => s + g.params, 0), options };
    if (alone !== undefined) cache!.set(alone, unit);
    out.push(unit);
  }
  return out;
}

/** The least T0 and the least E0 any choice of cut, clock and allowed formats needs (each with the other relaxed). */
export function budgetFloor(doc: OptionsDocument, cuts: readonly OptionsCut[], sys: Omit<OptionsSystem, 'T0' | 'E0'>): { minT0: number; minE0: number } {
  const r = planFromOptions(doc, cuts, { ...sys, T0: Number.MIN_VALUE, E0: Number.MIN_VALUE });
  return { minT0: r.diagnosis?.minT0 ?? Infinity, minE0: r.diagnosis?.minE0 ?? Infinity };
}

/** Plans formats, clock and cut from an options document. */
export function planFromOptions(doc: OptionsDocument, cuts: readonly OptionsCut[], sys: OptionsSystem): OptionsPlan {
  const t0 = performance.now();
  if (!(sys.T0 > 0) || !(sys.E0 > 0) || !Number.isFinite(sys.T0) || !Number.isFinite(sys.E0)) throw new CoquantError('E_SYSTEM', `T0 and E0 must be positive (got T0 = ${sys.T0}, E0 = ${sys.E0})`);
  const clocks = doc.device.clocksHz;
  const clockIdx = sys.clocks ?? clocks.map((_, k) => k);
  const nodeLat = new Map(doc.nodes.map((n) => [n.name, n.latencyS]));
  let best: { plan: OptionsPlan; value: number } | null = null;
  let instances = 0;
  let nodes = 0;
  let allExact = true;
  let lowerBound = Infinity;
  let minT0 = Infinity;
  let minE0 = Infinity;
  const useCuts = sys.cuts ? cuts.filter((c) => sys.cuts!.includes(c.name)) : cuts;
  if (useCuts.length === 0) throw new CoquantError('E_NO_CUT', sys.cuts ? `none of the cuts ${sys.cuts.join(', ')} is known` : 'no cut to plan for');
  const links = (cut: OptionsCut) => {
    const all = cut.featureOptions?.length ? cut.featureOptions : [{ format: undefined, bytes: cut.featureBytes, deltaDo: 0, encodeS: 0 }];
    // A link format's distortion is measured as output distortion: only the D_o objective can weigh it, so the others keep lossless links.
    return sys.objective === 'do' ? all : all.filter((l) => l.deltaDo === 0);
  };
  const unitCache = new Map<string, Unit>();
  for (const cut of useCuts) {
    const us = units(doc, new Set(cut.groups), sys, unitCache);
    // No choice of formats at this cut is below this: a link whose distortion alone lifts it over the best plan is skipped (exact).
    const floorValue = us.reduce((s, u) => s + Math.min(...u.options.map((o) => o.value)), 0);
    for (const link of links(cut)) {
      const radioS = (link.bytes * 8) / sys.link.rateBps;
      const uplinkS = radioS + (cut.uplinkExtraS ?? 0);
      const linkJ = sys.link.txPowerW * radioS;
      const downlinkS = cut.downlinkS ?? 0;
      for (const k of clockIdx) {
        const f = clocks[k];
        // The agent encodes the link format before sending (measured with the link formats): part of its head time.
        const fixedS =
          (link.encodeS ?? 0) +
          doc.overheadS[k] +
          (doc.outputByteS[k] ?? 0) * (cut.outputBytes ?? cut.featureBytes) +
          (cut.nodes === 'all' ? doc.nodes.reduce((s, n) => s + n.latencyS[k], 0) : cut.nodes.reduce((s, n) => s + (nodeLat.get(n)?.[k] ?? 0), 0));
        const r = spreadRatio(doc, k, sys.quantile);
        // Radio time is deterministic; the server and the hop spread like the measured round trip.
        const netQ = radioS + (cut.netSpread ?? 1) * (uplinkS - radioS + cut.serverS + downlinkS);
        const capT = (sys.T0 - netQ) / r - fixedS;
        const perSecJ = sys.kappa * f ** 3; // energy per second of agent compute at clock f
        const capE = perSecJ > 0 ? (sys.E0 - linkJ) / perSecJ - fixedS : Infinity;
        const cap = Math.min(capT, capE);
        const fastest = us.reduce((s, u) => s + Math.min(...u.options.map((o) => o.lat[k])), 0);
        minT0 = Math.min(minT0, r * (fixedS + fastest) + netQ);
        minE0 = Math.min(minE0, perSecJ * (fixedS + fastest) + linkJ);
        instances++;
        if (cap < 0) continue;
        if (best && floorValue + link.deltaDo > best.value + 1e-18) continue;
        const sol = solveChoice({
          values: us.map((u) => u.options.map((o) => o.value)),
          weights: us.map((u) => u.options.map((o) => o.lat[k])),
          cap,
          ...(sys.memoryBytes !== undefined ? { weights2: us.map((u) => u.options.map((o) => o.bytes)), cap2: sys.memoryBytes } : {}),
        });
        nodes += sol.nodes;
        if (!sol.feasible) continue;
        allExact &&= sol.exact;
        const value = sol.value + link.deltaDo;
        lowerBound = Math.min(lowerBound, sol.lowerBound + link.deltaDo);
        if (best && !(value < best.value - 1e-18 || (Math.abs(value - best.value) <= 1e-18 && f < (best.plan.clockHz ?? Infinity)))) continue;
        const formats: Record<string, string> = {};
        let headS = fixedS;
        let Do = link.deltaDo;
        let bytes = 0;
        let simulation = false;
        us.forEach((u, i) => {
          const o = u.options[sol.choice[i]];
          for (const n of u.names) formats[n] = o.format;
          headS += o.lat[k];
          Do += o.Do;
          bytes += o.bytes;
          simulation ||= !o.executable;
        });
        headS = Math.max(headS, 0);
        const agentJ = perSecJ * headS;
        const binding: string[] = [];
        const slackT = sys.T0 - (r * headS + netQ);
        if (slackT <= 0.02 * sys.T0) binding.push('deadline');
        if (sys.E0 - agentJ - linkJ <= 0.02 * sys.E0) binding.push('energy');
        if (sys.memoryBytes !== undefined && sys.memoryBytes - bytes <= 0.02 * sys.memoryBytes) binding.push('memory');
        best = {
          value,
          plan: {
            schema: 'coquant.exec-plan/1',
            feasible: true,
            objective: sys.objective,
            cut: cut.name,
            ...(link.format !== undefined ? { featureFormat: link.format } : {}),
            ...(cut.tensors ? { crossing: cut.tensors.map((t) => ({ ...t, dims: [...t.dims], format: t.type === 'float32' ? (link.format ?? 'fp32') : 'fp32' })) } : {}),
            uplinkBytes: link.bytes,
            clockHz: f,
            formats,
            simulation,
            predicted: {
              headMeanS: headS,
              headQuantileS: r * headS,
              uplinkS,
              serverS: cut.serverS,
              downlinkS,
              totalMeanS: headS + uplinkS + cut.serverS + downlinkS,
              totalQuantileS: r * headS + netQ,
              agentJ,
              linkJ,
              energyJ: agentJ + linkJ,
              Do,
              objective: value,
              headWeightBytes: bytes,
            },
            quantile: sys.quantile,
            constraints: { T0: sys.T0, E0: sys.E0, ...(sys.memoryBytes !== undefined ? { memoryBytes: sys.memoryBytes } : {}) },
            energyModel: { kappa: sys.kappa, txPowerW: sys.link.txPowerW },
            solver: { exact: true, lowerBound: 0, nodes: 0, instances: 0, ms: 0 },
            binding,
            notes: simulation ? ['some groups use simulation formats: their latency does not change with their bits, so this plan is for analysis, not for running'] : [],
          },
        };
      }
    }
  }
  const ms = performance.now() - t0;
  if (!best) {
    const reason = minT0 > sys.T0 && minE0 > sys.E0 ? 'the deadline and the energy budget are both too tight' : minT0 > sys.T0 ? 'the deadline is too tight even for the fastest formats' : minE0 > sys.E0 ? 'the energy budget is too small even for the cheapest formats' : 'the deadline and the energy budget cannot both hold at any one clock';
    return {
      schema: 'coquant.exec-plan/1',
      feasible: false,
      objective: sys.objective,
      cut: null,
      clockHz: null,
      formats: {},
      simulation: false,
      predicted: null,
      quantile: sys.quantile,
      constraints: { T0: sys.T0, E0: sys.E0, ...(sys.memoryBytes !== undefined ? { memoryBytes: sys.memoryBytes } : {}) },
      energyModel: { kappa: sys.kappa, txPowerW: sys.link.txPowerW },
      solver: { exact: true, lowerBound: Infinity, nodes, instances, ms },
      binding: [],
      notes: [],
      diagnosis: { reason, ...(Number.isFinite(minT0) ? { minT0 } : {}), ...(Number.isFinite(minE0) ? { minE0 } : {}) },
    };
  }
  const plan = best.plan;
  plan.solver = { exact: allExact, lowerBound: Math.min(lowerBound, best.value), nodes, instances, ms };
  if (plan.binding.length === 0) plan.binding.push('formats');
  return plan;
}
