/**
 * The cuts of a split analysis as the executable planner sees them: which groups and weightless
 * nodes the agent runs, the feature bytes, and the tail's server time from the measured
 * per-node fp32 times plus the measured cost of the round trip on the network.
 */
import type { OptionsCut } from '../../plan/options-plan.ts';
import type { OptionsDocument } from '../../documents/options-document.ts';
import type { SplitAnalysis } from '../split/split-model.ts';

export interface NetworkCost {
  /** Measured round-trip time beyond the server's compute, seconds (protocol, copies, loopback). */
  overheadS: number;
  /** Bytes of the reply (the tail's outputs). */
  replyBytes: number;
}

export function execCuts(analysis: SplitAnalysis, doc: OptionsDocument, net: NetworkCost): OptionsCut[] {
  const server = doc.server?.nodeS ?? {};
  const groupNodes = new Set(doc.groups.map((g) => g.node ?? ''));
  const out: OptionsCut[] = [];
  const links = new Map((doc.features ?? []).map((f) => [f.cut, f.options]));
  for (const [i, c] of analysis.cuts.entries()) {
    const cand = analysis.candidates[i];
    if (cand.agentGroups.length === 0 || cand.serverParams === 0) continue;
    const head = new Set(c.head.map((j) => analysis.index.nodes[j].name ?? ''));
    let serverS = doc.server?.overheadS ?? 0;
    for (const [n, s] of Object.entries(server)) if (!head.has(n)) serverS += s;
    const up = cand.featureBytes;
    const share = up / Math.max(1, up + net.replyBytes);
    out.push({
      name: cand.name,
      groups: cand.agentGroups,
      nodes: [...head].filter((n) => !groupNodes.has(n)),
      featureBytes: up,
      // Link formats measured for this cut (options document `features`): the planner picks one.
      ...(links.has(cand.name) ? { featureOptions: links.get(cand.name) } : {}),
      serverS,
      // The network remainder of the round trip is split by bytes moved, as the agent's records split it.
      downlinkS: net.overheadS * (1 - share),
      uplinkExtraS: net.overheadS * share,
    });
  }
  return out;
}
