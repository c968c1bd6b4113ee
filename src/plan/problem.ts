/**
 * The validated system description flattened into the numbers the solvers use: one entry per
 * candidate cut, each with its agent-side groups and the constant server-side terms.
 * Pure: no I/O; the profile file (if any) must already have been read into `model.groups`.
 */
import { CoquantError } from '../errors.ts';
import type { SystemDescription } from './system.ts';

export interface Device {
  /** Continuous range [fMin, fMax], or sorted discrete `levels` (then fMin/fMax are their extremes). */
  fMin: number;
  fMax: number;
  levels: number[] | null;
  kappa: number;
  cyclesPerParamBit: number;
}

export interface AgentGroup {
  name: string;
  params: number;
  lambda: number;
  alpha: number;
  /** Smallest bit-width the tightness constraint allows for this group (allowed-bit minimum if none). */
  minBits: number;
}

export interface Cut {
  name: string;
  groups: AgentGroup[];
  /** Parameters run by the server (its workload is c_s·serverBits·serverParams). */
  serverParams: number;
  /** Server-side D_U and D_L contributions (0 unless the server is quantized). */
  serverDU: number;
  serverDL: number;
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
  cuts: Cut[];
  /** Cut names were given explicitly (split search) rather than implied. */
  splitSearch: boolean;
}

function device(d: SystemDescription["agent"] | SystemDescription["server"]): Device {
  if (d.levels) {
    const levels = [...new Set(d.levels)].sort((a, b) => a - b);
    return { fMin: levels[0], fMax: levels[levels.length - 1], levels, kappa: d.kappa, cyclesPerParamBit: d.cyclesPerParamBit };
  }
  return { fMin: d.fMin ?? 0, fMax: d.fMax as number, levels: null, kappa: d.kappa, cyclesPerParamBit: d.cyclesPerParamBit };
}

/** Lower limit on b from α·2^(−b)/λ ≤ ε (the per-group gap D_U − D_L), as an allowed bit-width. */
export function tightnessMinBits(alpha: number, lambda: number, epsilon: number | null, bits: readonly number[]): number {
  if (epsilon === null) return bits[0];
  for (const b of bits) if ((alpha * 2 ** -b) / lambda <= epsilon) return b;
  return Infinity;
}

/** Builds the solver's view of a validated description. Throws CoquantError on inconsistent names. */
export function toProblem(sys: SystemDescription): PlanProblem {
  const groups = sys.model.groups;
  if (!groups || groups.length === 0) {
    throw new CoquantError('E_SYSTEM', 'model: no groups (give model.groups inline or model.profile)');
  }
  const alpha = sys.model.alpha;
  const bits = sys.bits;
  const epsilon = sys.constraints.epsilon ?? null;
  const groupParams = groups.reduce((s, g) => s + g.params, 0);
  const totalParams = groupParams + sys.model.serverParams;
  // Model-level rate: 1/λ is mean|w|, so the pooled rate is N / Σ N_g/λ_g.
  const pooledLambda = groupParams / groups.reduce((s, g) => s + g.params / g.lambda, 0);
  const serverLambda = sys.model.serverLambda ?? pooledLambda;
  const serverBits = sys.server.bits;
  const serverQuantized = sys.server.quantized;
  const mk = (g: { name: string; params: number; lambda: number; alpha?: number }): AgentGroup => {
    const a = g.alpha ?? alpha;
    return { name: g.name, params: g.params, lambda: g.lambda, alpha: a, minBits: tightnessMinBits(a, g.lambda, epsilon, bits) };
  };
  const serverTerms = (serverGroups: Array<{ params: number; lambda: number; alpha: number }>) => {
    if (!serverQuantized) return { du: 0, dl: 0 };
    let dl = 0;
    for (const g of serverGroups) dl += (g.alpha * (g.params / totalParams) * 2 ** -serverBits) / g.lambda;
    return { du: 2 * dl, dl };
  };
  const byName = new Map(groups.map((g) => [g.name, g]));
  const cuts: Cut[] = [];
  if (!sys.splits) {
    const s = serverTerms([{ params: sys.model.serverParams, lambda: serverLambda, alpha }]);
    cuts.push({ name: 'default', groups: groups.map(mk), serverParams: sys.model.serverParams, serverDU: s.du, serverDL: s.dl, featureElems: sys.link.featureElems });
  } else {
    sys.splits.forEach((sp, i) => {
      let agentGroups: AgentGroup[];
      let serverSide: Array<{ params: number; lambda: number; alpha: number }>;
      if (sp.agentGroups) {
        const names = new Set(sp.agentGroups);
        for (const n of names) {
          if (!byName.has(n)) throw new CoquantError('E_SYSTEM', `splits[${i}].agentGroups: unknown group "${n}"`, { hint: `known groups: ${[...byName.keys()].slice(0, 8).join(', ')}${byName.size > 8 ? ', …' : ''}` });
        }
        agentGroups = groups.filter((g) => names.has(g.name)).map(mk);
        serverSide = groups.filter((g) => !names.has(g.name)).map((g) => ({ params: g.params, lambda: g.lambda, alpha: g.alpha ?? alpha }));
        serverSide.push({ params: sys.model.serverParams, lambda: serverLambda, alpha });
      } else {
        const ap = sp.agentParams as number;
        if (ap > totalParams) throw new CoquantError('E_SYSTEM', `splits[${i}].agentParams: ${ap} exceeds the model's ${totalParams} parameters`);
        agentGroups = [mk({ name: `${sp.name}.agent`, params: ap, lambda: pooledLambda })];
        serverSide = [{ params: totalParams - ap, lambda: pooledLambda, alpha }];
      }
      const serverParamsDefault = serverSide.reduce((s, g) => s + g.params, 0);
      const st = serverTerms(serverSide);
      cuts.push({ name: sp.name, groups: agentGroups, serverParams: sp.serverParams ?? serverParamsDefault, serverDU: st.du, serverDL: st.dl, featureElems: sp.featureElems });
    });
  }
  return {
    agent: device(sys.agent),
    server: device(sys.server),
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
  };
}

/** Same problem with other budgets: sweeps and the monotonicity tests vary only these. */
export function withBudgets(p: PlanProblem, T0: number, E0: number): PlanProblem {
  return { ...p, T0, E0 };
}
