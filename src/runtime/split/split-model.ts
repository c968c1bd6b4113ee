/**
 * The `split` pipeline: load a model, find its cuts (single tensors, and sets of tensors by
 * exact min-cut for each head-size target: src/graph/set-cuts.ts), measure every tensor that
 * could cross the link with a real forward pass, and write the two halves of a chosen cut.
 * The CLI, the demo and library users (`analyzeSplit`, `splitAt` from 'coquant') call these.
 */
import { sortNodesTopologically } from '../../graph/topo-order.ts';
import { CoquantError, UsageError } from '../../errors.ts';
import { loadOnnxModel, type OnnxModel } from '../../io/onnx-model.ts';
import { randomInputs, type InputSpec } from '../../data/random-inputs.ts';
import type { Feed } from '../../data/tensor.ts';
import { createSession, inputSpecs, releaseSession } from '../../ort/session.ts';
import { findCuts, indexGraph, weightsUsed, type Cut, type GraphIndex } from '../../graph/cuts.ts';
import { cutFromTensors, findSetCuts, tensorReaders, type SetCutOptions, type WindowResult } from '../../graph/set-cuts.ts';
import { extractHalves, type CutTensorType, type SplitModels } from '../../graph/extract.ts';
import type { FeatureFormat } from '../../formats/feature-format.ts';
import { tailWithFeatureFormats } from '../../formats/feature-tail.ts';
import { onnxElemType, probeTensors, type ProbedTensor } from './probe.ts';

/** One tensor that crosses the link at a cut, as measured. */
export interface CrossingTensor {
  name: string;
  /** onnxruntime type name, e.g. `float32`. */
  type: string;
  dims: number[];
  elems: number;
  bytes: number;
}

export interface CutCandidate {
  /** How `coquant split --at` names the cut: the tensor of a single-tensor cut, `mincut-<cell>` for a set. */
  name: string;
  /** 'tensor': one tensor crosses (the head is its ancestors); 'set': several may cross. */
  kind: 'tensor' | 'set';
  /** Position in its list (single-tensor cuts: topological order, 0 = first). */
  index: number;
  agentParams: number;
  serverParams: number;
  /** Weight groups (profile group names) the agent runs at this cut. */
  agentGroups: string[];
  /** Every crossing tensor, each counted once; a graph input the tail reads is among them. */
  tensors: CrossingTensor[];
  /** Sums over `tensors`. */
  featureElems: number;
  featureBytes: number;
  /** Shape and type of the first crossing tensor (the only one for a single-tensor cut). */
  featureDims: number[];
  featureType: string;
}

export interface SplitAnalysis {
  model: OnnxModel;
  index: GraphIndex;
  /** Single-tensor cuts, parallel to `candidates`. */
  cuts: Cut[];
  candidates: CutCandidate[];
  /** Set cuts (min-cut per head-size cell) that are not single-tensor cuts, parallel to `setCandidates`. */
  setCuts: Cut[];
  setCandidates: CutCandidate[];
  /** For each head-size cell, which cut has the fewest bytes (a name from either list). */
  windows: WindowResult[];
  /** Measured type, shape and bytes of every tensor a node reads. */
  tensorInfo: Map<string, ProbedTensor>;
  /** The input shapes the feature sizes were measured with. */
  sampleShapes: Record<string, number[]>;
}

/** Sample shapes: dynamic batch axes default to 1; every other dynamic dim must be given. */
export function sampleDims(specs: readonly InputSpec[], dims: ReadonlyMap<string, number>): Map<string, number> {
  const out = new Map(dims);
  for (const s of specs) {
    const d0 = s.shape[0];
    if (s.shape.length > 0 && typeof d0 !== 'number' && !out.has(`${s.name}:0`) && !(typeof d0 === 'string' && out.has(d0))) out.set(`${s.name}:0`, 1);
  }
  return out;
}

export interface AnalyzeSplitOptions extends Pick<SetCutOptions, 'cells' | 'by'> {
  /** Seed of the random input the sizes are measured with (default 1). */
  seed?: number;
  /** Probe this feed instead of a random one. */
  feed?: Feed;
  /**
   * Bytes of intermediate tensors one probe run may hold (default 512 MiB). Every tensor is
   * measured, in as many runs as this budget needs: raise it for a large fixed-size input
   * (fewer runs), lower it on a small machine.
   */
  probeBudgetBytes?: number;
}

function candidate(index: GraphIndex, c: Cut, i: number, kind: CutCandidate['kind'], info: ReadonlyMap<string, ProbedTensor>): CutCandidate {
  const tensors = c.tensors.map((name) => ({ name, ...info.get(name)! }));
  return {
    name: c.name,
    kind,
    index: i,
    agentParams: c.headParams,
    serverParams: c.tailParams,
    agentGroups: weightsUsed(index, c.head),
    tensors,
    featureElems: tensors.reduce((a, t) => a + t.elems, 0),
    featureBytes: tensors.reduce((a, t) => a + t.bytes, 0),
    featureDims: tensors[0].dims,
    featureType: tensors[0].type,
  };
}

export async function analyzeSplit(path: string, dims: ReadonlyMap<string, number>, options: number | AnalyzeSplitOptions = {}): Promise<SplitAnalysis> {
  const o = typeof options === 'number' ? { seed: options } : options;
  const model = await loadOnnxModel(path);
  // The cut search reads the node list as a topological order; some files list nodes out of order.
  sortNodesTopologically(model.proto);
  const index = indexGraph(model.proto);
  let feed = o.feed;
  if (!feed) {
    const session = await createSession(model.bytes, { label: path, externalDataDir: model.dir });
    const specs = inputSpecs(session);
    await releaseSession(session);
    feed = randomInputs(specs, { count: 1, seed: o.seed ?? 1, dims: sampleDims(specs, dims) })[0];
  }
  const sampleShapes = Object.fromEntries(Object.entries(feed).map(([k, t]) => [k, [...t.dims]]));
  const readers = tensorReaders(index);
  const inner = [...readers.keys()].filter((t) => index.producer.has(t));
  let tensorInfo: Map<string, ProbedTensor>;
  try {
    tensorInfo = await probeTensors(model.proto, inner, feed, undefined, model.dir, o.probeBudgetBytes);
  } catch (e) {
    throw new CoquantError('E_ORT_RUN', `${path}: running the model to measure cut sizes failed: ${(e as Error).message.split('\n')[0]}`, {
      hint: 'check the --dim values: they must be shapes the model accepts',
    });
  }
  for (const [k, t] of Object.entries(feed)) {
    const elems = t.dims.reduce((a, b) => a * b, 1);
    tensorInfo.set(k, { type: t.type, dims: [...t.dims], elems, bytes: elems * t.data.BYTES_PER_ELEMENT });
  }
  const cuts = findCuts(index);
  const bytes = new Map([...tensorInfo].map(([k, v]) => [k, v.bytes]));
  const sets = findSetCuts(index, bytes, { cells: o.cells, by: o.by, known: cuts });
  if (cuts.length === 0 && sets.cuts.length === 0) {
    throw new CoquantError('E_NO_CUT', `${path}: the graph cannot be split into a head and a tail`, {
      hint: 'a cut needs at least one computation node before the first graph output',
    });
  }
  return {
    model,
    index,
    cuts,
    candidates: cuts.map((c, i) => candidate(index, c, i, 'tensor', tensorInfo)),
    setCuts: sets.cuts,
    setCandidates: sets.cuts.map((c, i) => candidate(index, c, i, 'set', tensorInfo)),
    windows: sets.windows,
    tensorInfo,
    sampleShapes,
  };
}

/** Every cut of an analysis, single-tensor first, with its candidate. */
export function allCuts(a: SplitAnalysis): { cut: Cut; candidate: CutCandidate }[] {
  return [...a.cuts.map((cut, i) => ({ cut, candidate: a.candidates[i] })), ...a.setCuts.map((cut, i) => ({ cut, candidate: a.setCandidates[i] }))];
}

/**
 * "Send the input": when `names` are exactly the graph inputs the nodes read, the cut with an
 * empty head (the head model passes the inputs through) and the whole model as the tail. Not a
 * cut the search lists (its head has no node), but the one to compare every split against.
 */
function inputCut(analysis: SplitAnalysis, names: readonly string[]): Cut | undefined {
  const { index } = analysis;
  const read = new Set(index.nodes.flatMap((n) => n.input ?? []));
  const inputs = [...index.graphInputs].filter((t) => read.has(t));
  if (names.length !== inputs.length || !inputs.every((t) => names.includes(t))) return undefined;
  const tailParams = analysis.cuts[0] ? analysis.cuts[0].headParams + analysis.cuts[0].tailParams : (analysis.setCuts[0]?.headParams ?? 0) + (analysis.setCuts[0]?.tailParams ?? 0);
  return { name: names.join(','), tensors: inputs, head: [], tail: index.nodes.map((_, i) => i), headParams: 0, tailParams };
}

/** The cut `at` names: a cut's name from the analysis, or a comma-separated list of the tensors that should cross. */
export function resolveCut(analysis: SplitAnalysis, at: string): { cut: Cut; candidate: CutCandidate } {
  const known = allCuts(analysis).find((c) => c.cut.name === at);
  if (known) return known;
  const names = at.split(',').map((s) => s.trim()).filter(Boolean);
  const input = inputCut(analysis, names);
  if (input) return { cut: input, candidate: candidate(analysis.index, input, 0, 'tensor', analysis.tensorInfo) };
  const r = cutFromTensors(analysis.index, names);
  if ('problem' in r) {
    throw new UsageError(`cannot split ${analysis.model.path} at '${at}': ${r.problem}`, 'run `coquant split MODEL` to list the cuts, or give every tensor that crosses, comma-separated');
  }
  for (const t of r.tensors) if (!analysis.tensorInfo.has(t)) throw new UsageError(`tensor '${t}' was not measured`, 'name tensors that graph nodes read');
  return { cut: r, candidate: candidate(analysis.index, r, 0, r.tensors.length === 1 ? 'tensor' : 'set', analysis.tensorInfo) };
}

export interface SplitAtOptions {
  /**
   * Link format of the crossing tensors: one format for every float32 one, or one per tensor.
   * The tail then takes them in that format (formats/feature-tail.ts); default fp32.
   */
  link?: FeatureFormat | Readonly<Record<string, FeatureFormat>>;
}

/** The per-tensor link formats of a cut: a single format applies to each float32 crossing tensor. */
export function linkFormatsFor(cand: CutCandidate, link: SplitAtOptions['link']): Record<string, FeatureFormat> {
  if (link === undefined) return {};
  if (typeof link !== 'string') return { ...link };
  if (link === 'fp32') return {};
  return Object.fromEntries(cand.tensors.filter((t) => t.type === 'float32').map((t) => [t.name, link]));
}

/** The head and tail at a cut (by name, or as a comma-separated tensor list), the tail taking the link formats. */
export function splitAt(analysis: SplitAnalysis, at: string, o: SplitAtOptions = {}): SplitModels & { candidate: CutCandidate; cut: Cut; linkFormats: Record<string, FeatureFormat> } {
  const { cut, candidate: cand } = resolveCut(analysis, at);
  const types: Record<string, CutTensorType> = {};
  for (const t of cand.tensors) types[t.name] = { elemType: onnxElemType(t.type), rank: t.dims.length };
  const halves = extractHalves(analysis.model.proto, analysis.index, cut, types);
  const linkFormats = linkFormatsFor(cand, o.link);
  const tail = Object.keys(linkFormats).length ? tailWithFeatureFormats(halves.tail, linkFormats) : halves.tail;
  return { head: halves.head, tail, candidate: cand, cut, linkFormats };
}
