/**
 * The `split` pipeline: load a model, find its cut points, measure the feature that would
 * cross the link at each one with a real forward pass, and write the two halves of a chosen
 * cut. The CLI and the demo both call these.
 */
import { CoquantError, UsageError } from '../../errors.ts';
import { loadOnnxModel, type OnnxModel } from '../../io/onnx-model.ts';
import { randomInputs, type InputSpec } from '../../data/random-inputs.ts';
import { createSession, inputSpecs, releaseSession, toOrtFeed } from '../../ort/session.ts';
import { cutAt, findCuts, indexGraph, weightsUsed, type Cut, type GraphIndex } from '../../graph/cuts.ts';
import { extractHalves, type SplitModels } from '../../graph/extract.ts';
import { onnxElemType, probeTensors, type ProbedTensor } from './probe.ts';

export interface CutCandidate {
  /** The tensor that crosses the link; `coquant split --at` takes this name. */
  name: string;
  /** Position of the cut in the graph, 0 = first. */
  index: number;
  agentParams: number;
  serverParams: number;
  /** Weight groups (profile group names) the agent runs at this cut. */
  agentGroups: string[];
  featureElems: number;
  featureBytes: number;
  featureDims: number[];
  featureType: string;
}

export interface SplitAnalysis {
  model: OnnxModel;
  index: GraphIndex;
  cuts: Cut[];
  candidates: CutCandidate[];
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

export async function analyzeSplit(path: string, dims: ReadonlyMap<string, number>, seed = 1): Promise<SplitAnalysis> {
  const model = await loadOnnxModel(path);
  const index = indexGraph(model.proto);
  const cuts = findCuts(index);
  if (cuts.length === 0) {
    throw new CoquantError('E_NO_CUT', `${path}: no single tensor separates this graph into a head and a tail`, {
      hint: 'coquant splits at one tensor; models with skip connections around every layer have no such point',
    });
  }
  const session = await createSession(model.bytes, { label: path });
  const specs = inputSpecs(session);
  await releaseSession(session);
  const feed = randomInputs(specs, { count: 1, seed, dims: sampleDims(specs, dims) })[0];
  const ortFeed = toOrtFeed(feed);
  const sampleShapes = Object.fromEntries(Object.entries(feed).map(([k, t]) => [k, [...t.dims]]));
  let probed: Map<string, ProbedTensor>;
  try {
    probed = await probeTensors(model.proto, cuts.map((c) => c.tensor), ortFeed);
  } catch (e) {
    throw new CoquantError('E_ORT_RUN', `${path}: running the model to measure cut sizes failed: ${(e as Error).message.split('\n')[0]}`, {
      hint: 'check the --dim values: they must be shapes the model accepts',
    });
  }
  const candidates = cuts.map((c, i) => {
    const p = probed.get(c.tensor)!;
    return {
      name: c.tensor,
      index: i,
      agentParams: c.headParams,
      serverParams: c.tailParams,
      agentGroups: weightsUsed(index, c.head),
      featureElems: p.elems,
      featureBytes: p.bytes,
      featureDims: p.dims,
      featureType: p.type,
    };
  });
  return { model, index, cuts, candidates, sampleShapes };
}

export function splitAt(analysis: SplitAnalysis, tensor: string): SplitModels & { candidate: CutCandidate } {
  const i = analysis.candidates.findIndex((c) => c.name === tensor);
  if (i < 0) {
    const exists = analysis.index.producer.has(tensor);
    throw new UsageError(
      exists ? `tensor '${tensor}' is not a cut point: other tensors would have to cross the link too` : `no tensor named '${tensor}' in ${analysis.model.path}`,
      'run `coquant split MODEL` to list the valid cut points',
    );
  }
  const cand = analysis.candidates[i];
  const cut = cutAt(analysis.index, tensor)!;
  return { ...extractHalves(analysis.model.proto, analysis.index, cut, { elemType: onnxElemType(cand.featureType), rank: cand.featureDims.length }), candidate: cand };
}
