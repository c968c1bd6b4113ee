/**
 * The validated system description flattened into the numbers the solvers use: one entry per
 * candidate cut, each with its agent-side groups and the constant server-side terms.
 * Pure: no I/O; the profile file (if any) must already have been read into `model.groups`.
 *
 * Both workload models end up as one number per group, `work`: the cycles one bit of that group's
 * bit-width costs, so a plan with bits b_g costs C = Σ_g work_g·b_g cycles on the agent.
 *   param-bits (ours, SPEC §5)   work_g = c·N_g                (c cycles per parameter-bit)
 *   flops (the paper, Eqs. 4-7)  work_g = N_FLOP,g/(b·c)        (c FLOPs per cycle, b the stored bits)
 * The server's part is the same with `serverWork` and the server bit-width. Energy per cycle is
 * kappa·f² in both, with kappa = η·ψ for a device given the paper's way.
 */
import { CoquantError } from '../errors.ts';
import type { BoundKind } from '../theory/rd-bounds.ts';
import { unitDL, unitDU, unitGap, unitObjective, type EnergyScope, type Objective } from './objective.ts';
import type { SystemDescription } from './system.ts';

export type WorkloadModel = 'param-bits' | 'flops';

export interface Device {
  /** Continuous range [fMin, fMax], or sorted discrete `levels` (then fMin/fMax are their extremes). */
  fMin: number;
  fMax: number;
  levels: number[] | null;
  /** Energy per cycle is kappa·f² (J/(cycle·Hz²)); for a device given the paper's way, kappa = eta·psi. */
  kappa: number;
  /** Cycles per parameter-bit (param-bits model), or null for the FLOP model. */
  cyclesPerParamBit: number | null;
  /** FLOPs per cycle c (FLOP model), or null. */
  flopsPerCycle: number | null;
  /** The paper's η and ψ when given (kappa = eta·psi); null otherwise. */
  eta: number | null;
  psi: number | null;
  workload: WorkloadModel;
}

export interface AgentGroup {
  name: string;
  params: number;
  lambda: number;
  alpha: number;
  /** Agent cycles per bit of this group's bit-width (c·N_g, or N_FLOP,g/(b·c)). */
  work: number;
  /** FLOPs of the group at the stored bit-width (FLOP model), else null. */
  flops: number | null;
  /** Smallest bit-width the tightness constraint (and the bound) allows for this group (allowed-bit minimum if none). */
  minBits: number;
}

export interface PlanCut {
  name: string;
  groups: AgentGroup[];
  /** Parameters run by the server. */
  serverParams: number;
  /** Server cycles per bit of the server bit-width: its workload is serverWork·serverBits. */
  serverWork: number;
  /** Server-side D_U and D_L contributions under the plan's bound (0 unless the server is quantized). */
  serverDU: number;
  serverDL: number;
  /** Server-side contribution to the objective. */
  serverObj: number;
  featureElems: number;
}

export interface PlanProblem {
  agent: Device;
  server: Device;
  link: { rateBps: number; txPowerW: number; featureBits: number };
  T0: number;
  E0: number;
  epsilon: number | null;
  /** Allowed bit-widths, ascending. */
  bits: number[];
  mode: 'shared' | 'per-group';
  serverBits: number;
  serverQuantized: boolean;
  /** Total model parameters N (the D_U normaliser). */
  totalParams: number;
  cuts: PlanCut[];
  /** Cut names were given explicitly (split search) rather than implied. */
  splitSearch: boolean;
  /** What the plan minimises: D_U (ours) or D_U − D_L (the paper's P1). */
  objective: Objective;
  /** Which upper bound D_U means: ours (2^(1−b)/λ) or the paper's Eq. 26. */
  bound: BoundKind;
  /** What E0 limits: the agent (plus link), or agent + link + server (the paper's Eq. 9). */
  energyScope: EnergyScope;
  /** The stored bit-width b the FLOP counts refer to. */
  storedBits: number;
}

/** Planning choices that are not part of the system description (command-line flags). */
export interface DesignOptions {
  objective?: Objective;
  /** Default: the paper's bound with the gap objective (P1 as the paper states it), ours otherwise. */
  bound?: BoundKind;
  energy?: EnergyScope;
}

function device(d: SystemDescription['agent'] | SystemDescription['server']): Device {
  const kappa = d.psi !== undefined ? (d.eta ?? 1) * d.psi : (d.kappa as number);
  const common = {
    kappa,
    cyclesPerParamBit: d.cyclesPerParamBit ?? null,
    flopsPerCycle: d.flopsPerCycle ?? null,
    eta: d.psi !== undefined ? (d.eta ?? 1) : null,
    psi: d.psi ?? null,
    workload: (d.flopsPerCycle !== undefined ? 'flops' : 'param-bits') as WorkloadModel,
  };
  if (d.levels) {
    const levels = [...new Set(d.levels)].sort((a, b) => a - b);
    return { fMin: levels[0], fMax: levels[levels.length - 1], levels, ...common };
  }
  return { fMin: d.fMin ?? 0, fMax: d.fMax as number, levels: null, ...common };
}

/**
 * Lower limit on b from the per-group gap α·(D_U − D_L) ≤ ε under the bound, as an allowed bit-width
 * (our bound: α·2^(−b)/λ ≤ ε). With the paper's bound b = 1 is excluded: its D^U is infinite there.
 */
export function tightnessMinBits(alpha: number, lambda: number, epsilon: number | null, bits: readonly number[], bound: BoundKind = 'ours'): number {
  for (const b of bits) {
    if (bound === 'paper' && b < 2) continue;
    if (epsilon === null || unitGap(bound, alpha, b, lambda) <= epsilon) return b;
  }
  return Infinity;
}

/** Resolves the design defaults: du/ours/agent; gap alone means the paper's P1 with its bound. */
export function resolveDesign(d: DesignOptions = {}): { objective: Objective; bound: BoundKind; energyScope: EnergyScope } {
  const objective = d.objective ?? 'du';
  return { objective, bound: d.bound ?? (objective === 'gap' ? 'paper' : 'ours'), energyScope: d.energy ?? 'agent' };
}

/** Builds the solver's view of a validated description. Throws CoquantError on inconsistent names. */
export function toProblem(sys: SystemDescription, design: DesignOptions = {}): PlanProblem {
  const groups = sys.model.groups;
  if (!groups || groups.length === 0) {
    throw new CoquantError('E_SYSTEM', 'model: no groups (give model.groups inline or model.profile)');
  }
  const { objective, bound, energyScope } = resolveDesign(design);
  const alpha = sys.model.alpha;
  const bits = sys.bits;
  const epsilon = sys.constraints.epsilon ?? null;
  const agentDev = device(sys.agent);
  const serverDev = device(sys.server);
  const storedBits = sys.model.storedBits;
  const groupParams = groups.reduce((s, g) => s + g.params, 0);
  const totalParams = groupParams + sys.model.serverParams;
  // Model-level rate: 1/λ is mean|w|, so the pooled rate is N / Σ N_g/λ_g.
  const pooledLambda = groupParams / groups.reduce((s, g) => s + g.params / g.lambda, 0);
  const serverLambda = sys.model.serverLambda ?? pooledLambda;
  const serverBits = sys.server.bits;
  const serverQuantized = sys.server.quantized;

  // FLOPs of every group: its own, or a parameter share of model.agentFlops (FLOP model only).
  const needFlops = agentDev.workload === 'flops' || serverDev.workload === 'flops';
  const groupFlops = new Map<string, number>();
  if (needFlops) {
    const given = groups.reduce((s, g) => s + (g.flops ?? 0), 0);
    const without = groups.filter((g) => g.flops === undefined);
    const withoutParams = without.reduce((s, g) => s + g.params, 0);
    if (without.length && sys.model.agentFlops === undefined && agentDev.workload === 'flops') {
      throw new CoquantError('E_SYSTEM', `model.agentFlops: the FLOP workload model (agent.flopsPerCycle) needs FLOP counts: give model.agentFlops or flops on every group (group "${without[0].name}" has none)`);
    }
    const rest = Math.max(0, (sys.model.agentFlops ?? given) - given);
    for (const g of groups) groupFlops.set(g.name, g.flops ?? (withoutParams > 0 ? (rest * g.params) / withoutParams : 0));
  }
  const totalFlops = needFlops ? [...groupFlops.values()].reduce((s, x) => s + x, 0) + (sys.model.serverFlops ?? 0) : 0;
  const agentWork = (g: { name: string; params: number }) => {
    if (agentDev.workload === 'flops') return (groupFlops.get(g.name) ?? 0) / (storedBits * (agentDev.flopsPerCycle as number));
    return (agentDev.cyclesPerParamBit as number) * g.params;
  };
  const serverWork = (params: number, flops: number | undefined, where: string) => {
    if (serverDev.workload === 'param-bits') return (serverDev.cyclesPerParamBit as number) * params;
    if (flops === undefined) {
      if (params === 0) return 0;
      throw new CoquantError('E_SYSTEM', `${where}: the server uses the FLOP workload model (server.flopsPerCycle) but its FLOPs are not given`, { hint: 'give model.serverFlops (or the cut\'s serverFlops)' });
    }
    return flops / (storedBits * (serverDev.flopsPerCycle as number));
  };

  const mk = (g: { name: string; params: number; lambda: number; alpha?: number }, flopsOverride?: number): AgentGroup => {
    const a = g.alpha ?? alpha;
    const flops = flopsOverride ?? (needFlops ? (groupFlops.get(g.name) ?? null) : null);
    const work = flopsOverride !== undefined && agentDev.workload === 'flops' ? flopsOverride / (storedBits * (agentDev.flopsPerCycle as number)) : agentWork(g);
    return { name: g.name, params: g.params, lambda: g.lambda, alpha: a, work, flops, minBits: tightnessMinBits(a, g.lambda, epsilon, bits, bound) };
  };
  const serverTerms = (serverGroups: Array<{ params: number; lambda: number; alpha: number }>) => {
    if (!serverQuantized) return { du: 0, dl: 0, obj: 0 };
    let du = 0;
    let dl = 0;
    let obj = 0;
    for (const g of serverGroups) {
      const w = (g.alpha * g.params) / totalParams;
      if (w === 0) continue;
      du += w * unitDU(bound, serverBits, g.lambda);
      dl += w * unitDL(serverBits, g.lambda);
      obj += w * unitObjective(objective, bound, serverBits, g.lambda);
    }
    return { du, dl, obj };
  };
  const byName = new Map(groups.map((g) => [g.name, g]));
  const cuts: PlanCut[] = [];
  if (!sys.splits) {
    const s = serverTerms([{ params: sys.model.serverParams, lambda: serverLambda, alpha }]);
    cuts.push({
      name: 'default',
      groups: groups.map((g) => mk(g)),
      serverParams: sys.model.serverParams,
      serverWork: serverWork(sys.model.serverParams, sys.model.serverFlops, 'model.serverFlops'),
      serverDU: s.du,
      serverDL: s.dl,
      serverObj: s.obj,
      featureElems: sys.link.featureElems,
    });
  } else {
    sys.splits.forEach((sp, i) => {
      let agentGroups: AgentGroup[];
      let serverSide: Array<{ params: number; lambda: number; alpha: number }>;
      let serverFlops: number | undefined;
      if (sp.agentGroups) {
        const names = new Set(sp.agentGroups);
        for (const n of names) {
          if (!byName.has(n)) throw new CoquantError('E_SYSTEM', `splits[${i}].agentGroups: unknown group "${n}"`, { hint: `known groups: ${[...byName.keys()].slice(0, 8).join(', ')}${byName.size > 8 ? ', …' : ''}` });
        }
        agentGroups = groups.filter((g) => names.has(g.name)).map((g) => mk(g));
        serverSide = groups.filter((g) => !names.has(g.name)).map((g) => ({ params: g.params, lambda: g.lambda, alpha: g.alpha ?? alpha }));
        serverSide.push({ params: sys.model.serverParams, lambda: serverLambda, alpha });
        if (needFlops) serverFlops = sp.serverFlops ?? (sys.model.serverFlops ?? 0) + groups.filter((g) => !names.has(g.name)).reduce((s, g) => s + (groupFlops.get(g.name) ?? 0), 0);
      } else {
        const ap = sp.agentParams as number;
        if (ap > totalParams) throw new CoquantError('E_SYSTEM', `splits[${i}].agentParams: ${ap} exceeds the model's ${totalParams} parameters`);
        if (agentDev.workload === 'flops' && sp.agentFlops === undefined) {
          throw new CoquantError('E_SYSTEM', `splits[${i}].agentFlops: cut "${sp.name}" gives agentParams, so the FLOP workload model needs its agentFlops`);
        }
        agentGroups = [mk({ name: `${sp.name}.agent`, params: ap, lambda: pooledLambda }, sp.agentFlops)];
        serverSide = [{ params: totalParams - ap, lambda: pooledLambda, alpha }];
        if (needFlops) serverFlops = sp.serverFlops ?? Math.max(0, totalFlops - (sp.agentFlops ?? 0));
      }
      const serverParamsDefault = serverSide.reduce((s, g) => s + g.params, 0);
      const st = serverTerms(serverSide);
      const sParams = sp.serverParams ?? serverParamsDefault;
      cuts.push({
        name: sp.name,
        groups: agentGroups,
        serverParams: sParams,
        serverWork: serverWork(sParams, serverFlops, `splits[${i}].serverFlops`),
        serverDU: st.du,
        serverDL: st.dl,
        serverObj: st.obj,
        featureElems: sp.featureElems,
      });
    });
  }
  if (agentDev.workload === 'flops') {
    for (const c of cuts) if (c.groups.every((g) => !(g.work > 0))) throw new CoquantError('E_SYSTEM', `cut "${c.name}": the agent's FLOP count is 0; give model.agentFlops or group flops`);
  }
  return {
    agent: agentDev,
    server: serverDev,
    link: { rateBps: sys.link.rateBps, txPowerW: sys.link.txPowerW, featureBits: sys.link.featureBits },
    T0: sys.constraints.T0,
    E0: sys.constraints.E0,
    epsilon,
    bits,
    mode: sys.agentBits,
    serverBits,
    serverQuantized,
    totalParams,
    cuts,
    splitSearch: !!sys.splits,
    objective,
    bound,
    energyScope,
    storedBits,
  };
}

/** Same problem with other budgets: sweeps and the monotonicity tests vary only these. */
export function withBudgets(p: PlanProblem, T0: number, E0: number): PlanProblem {
  return { ...p, T0, E0 };
}
