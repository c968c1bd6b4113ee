/**
 * The cuts of a split analysis as the executable planner sees them: which groups and weightless
 * nodes the agent runs, the tensors that cross (one, or several for a set cut), the link formats
 * measured for them, and the tail's server time from the measured per-node fp32 times plus the
 * measured cost of the round trip on the network.
 *
 * `cutEntries` turns an analysis into the options document's `cuts` (what `plan --options`
 * plans from without the model); `execCuts` turns either into the planner's cuts.
 */
import type { OptionsCut } from '../../plan/options-plan.ts';
import type { CutEntry, OptionsDocument } from '../../documents/options-document.ts';
import { allCuts, resolveCut, type CutCandidate, type SplitAnalysis } from '../split/split-model.ts';

export interface NetworkCost {
  /** Measured round-trip time beyond the server's compute, seconds (protocol, copies, loopback). */
  overheadS: number;
  /** Bytes of the reply (the tail's outputs). */
  replyBytes: number;
}

export interface CutSelection {
  /** Also the set cuts (min-cut per head-size cell; default true). */
  sets?: boolean;
  /**
   * Also "send the input": no head, the graph inputs cross (in a link format if the document
   * measured one) and the server runs the whole model. Default false.
   */
  input?: boolean;
  /** Only these cut names (after the above). */
  only?: readonly string[];
}

/** Name of the cut that sends the graph inputs (the comma-separated input names, as `split --at` takes them). */
export function inputCutName(analysis: SplitAnalysis): string {
  return Object.keys(analysis.sampleShapes).join(',');
}

/** The cut candidates a selection names, in the analysis's order (single-tensor, set, then the input cut). */
export function selectedCuts(analysis: SplitAnalysis, sel: CutSelection = {}): { candidate: CutCandidate; head: number[]; kind: CutEntry['kind'] }[] {
  const out: { candidate: CutCandidate; head: number[]; kind: CutEntry['kind'] }[] = [];
  for (const { cut, candidate } of sel.sets === false ? allCuts(analysis).filter((c) => c.candidate.kind === 'tensor') : allCuts(analysis)) {
    if (candidate.agentGroups.length === 0 || candidate.serverParams === 0) continue;
    out.push({ candidate, head: cut.head, kind: candidate.kind });
  }
  if (sel.input) {
    const r = resolveCut(analysis, inputCutName(analysis));
    out.push({ candidate: { ...r.candidate, name: inputCutName(analysis) }, head: r.cut.head, kind: 'input' });
  }
  return sel.only ? out.filter((c) => sel.only!.includes(c.candidate.name)) : out;
}

/** The options document's `cuts` for a selection: crossing tensors, agent groups and nodes, and the tail's server time. */
export function cutEntries(analysis: SplitAnalysis, doc: Pick<OptionsDocument, 'groups' | 'server'>, sel: CutSelection = {}): CutEntry[] {
  const server = doc.server?.nodeS ?? {};
  const groupNodes = new Set(doc.groups.map((g) => g.node ?? ''));
  return selectedCuts(analysis, sel).map(({ candidate: cand, head: idx, kind }) => {
    const head = new Set(idx.map((j) => analysis.index.nodes[j].name ?? ''));
    let serverS = doc.server?.overheadS ?? 0;
    for (const [n, s] of Object.entries(server)) if (!head.has(n)) serverS += s;
    return {
      name: cand.name,
      kind,
      tensors: cand.tensors.map((t) => ({ name: t.name, type: t.type, dims: [...t.dims], bytes: t.bytes })),
      groups: [...cand.agentGroups],
      nodes: [...head].filter((n) => !groupNodes.has(n)),
      serverS,
    };
  });
}

/** The planner's cuts: from an analysis (every single-tensor and set cut, optionally the input), or from the document's own `cuts`. */
export function execCuts(source: SplitAnalysis | readonly CutEntry[], doc: OptionsDocument, net: NetworkCost, sel: CutSelection = {}): OptionsCut[] {
  const entries = Array.isArray(source) ? (source as readonly CutEntry[]).filter((c) => !sel.only || sel.only.includes(c.name)) : cutEntries(source as SplitAnalysis, doc, sel);
  const links = new Map((doc.features ?? []).map((f) => [f.cut, f.options]));
  return entries.map((c) => {
    const up = c.tensors.reduce((s, t) => s + t.bytes, 0);
    const share = up / Math.max(1, up + net.replyBytes);
    return {
      name: c.name,
      groups: c.groups,
      nodes: c.nodes,
      featureBytes: up,
      tensors: c.tensors,
      // Link formats measured for this cut (options document `features`): the planner picks one.
      ...(links.has(c.name) ? { featureOptions: links.get(c.name) } : {}),
      serverS: c.serverS,
      // The network remainder of the round trip is split by bytes moved, as the agent's records split it.
      downlinkS: net.overheadS * (1 - share),
      uplinkExtraS: net.overheadS * share,
    };
  });
}
