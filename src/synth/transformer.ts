/**
 * Generator of transformer ONNX models with synthetic (not pretrained) weights: a pre-LN ViT
 * encoder and a GPT-style decoder, built from standard ONNX ops only (MatMul, Add, Mul,
 * LayerNormalization, Softmax, Erf-form GELU, Reshape/Transpose attention, Gather, Concat), so
 * the split, quantize, serve and agent paths can be exercised on real transformer shapes up to
 * 1 B parameters.
 *
 * Weights are drawn per tensor from a Laplace law (|w| exponential with rate λ = 1/b, the shape
 * the paper's Fig. 2 reports for real transformers), with λ set per layer type. Each tensor has
 * its own seed derived from the model seed and its index, so the model is deterministic and each
 * tensor is drawn, written to the external-data file and dropped before the next one: a 1 B
 * parameter model never holds more than its largest tensor in memory. The model carries the
 * metadata entry `coquant.weights = synthetic` that every report built from it repeats.
 */
import { resolve } from 'node:path';
import { CoquantError } from '../errors.ts';
import { ExternalDataWriter, setExternalRef } from '../io/external-data.ts';
import { onnx, type ModelProto, type TensorProto } from '../io/onnx-model.ts';
import { SYNTHETIC_KEY } from '../io/synthetic-marker.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { laplace, mulberry32 } from '../util/rng.ts';

export type TransformerKind = 'vit' | 'decoder';

export interface TransformerSpec {
  kind: TransformerKind;
  /** Blocks. */
  depth: number;
  /** Model width D. */
  width: number;
  heads: number;
  /** MLP hidden width (default 4·D). */
  mlp?: number;
  /** vit: patches per image (the sequence is patches + 1 class token); decoder: tokens per call. */
  seq: number;
  /** vit: values per flattened patch (3·p·p); decoder: ignored. */
  patchDim?: number;
  /** vit: classes of the classifier on the class token (0 = no classifier); decoder: vocabulary. */
  vocab: number;
  /** decoder: past length of the optional KV-cache inputs (0 = no KV inputs). */
  past?: number;
  /** decoder: position-embedding table rows (default max(1024, past + seq)). */
  maxPositions?: number;
  seed?: number;
}

/** Shapes of named models (weights are synthetic; only the shapes follow the named model). */
export const TRANSFORMER_PRESETS: Readonly<Record<string, TransformerSpec>> = {
  /** ViT-B/16 at 224 px: 196 patches of 16×16×3. */
  'vit-b16': { kind: 'vit', depth: 12, width: 768, heads: 12, seq: 196, patchDim: 768, vocab: 1000 },
  /** ViT-L/14 at 224 px: 256 patches of 14×14×3 (the CLIP / BLIP-2 vision tower shape). */
  'vit-l14': { kind: 'vit', depth: 24, width: 1024, heads: 16, seq: 256, patchDim: 588, vocab: 1000 },
  /** ViT-g/14-like (EVA/BLIP-2 vision encoder shape): 40 blocks of width 1408, MLP 6144, ≈1.0 B parameters. */
  'vit-g14': { kind: 'vit', depth: 40, width: 1408, heads: 16, mlp: 6144, seq: 256, patchDim: 588, vocab: 0 },
  /** GPT-2-medium-like decoder: 24 blocks of width 1024, vocabulary 50257, 128 tokens per call. */
  'gpt2-medium': { kind: 'decoder', depth: 24, width: 1024, heads: 16, seq: 128, vocab: 50257, maxPositions: 1024 },
};

/** Laplace λ (= 1/b) per layer type as a function of the fan-in; biases and norms get fixed scales. */
export interface LayerLaw {
  type: string;
  /** Laplace scale b (λ = 1/b). */
  b: number;
}

/** Weight standard deviation per layer type (Laplace std = b·√2), following common transformer initialisations. */
function lawFor(type: string, spec: TransformerSpec): number {
  const d = spec.width;
  const mlp = spec.mlp ?? 4 * d;
  const residual = 1 / Math.sqrt(2 * spec.depth);
  const std: Record<string, number> = {
    patch_embed: 1 / Math.sqrt(spec.patchDim ?? d),
    token_embed: 0.02,
    pos_embed: 0.02,
    cls_token: 0.02,
    attn_qkv: 1 / Math.sqrt(d),
    attn_out: residual / Math.sqrt(d),
    mlp_fc1: 1 / Math.sqrt(d),
    mlp_fc2: residual / Math.sqrt(mlp),
    head: 1 / Math.sqrt(d),
    bias: 0.01,
    norm_gain: 0.05,
    norm_bias: 0.02,
  };
  const s = std[type];
  if (s === undefined) throw new Error(`no weight law for layer type '${type}'`);
  return s / Math.SQRT2;
}

interface WeightSpec {
  name: string;
  dims: number[];
  type: string;
  /** Value added to every draw (1 for LayerNorm gains). */
  mean?: number;
}

const FLOAT = 1;
const INT64 = 7;

class Builder {
  readonly nodes: onnxProto_Node[] = [];
  readonly weights: WeightSpec[] = [];
  readonly consts: TensorProto[] = [];
  private k = 0;

  weight(name: string, dims: number[], type: string, mean?: number): string {
    this.weights.push({ name, dims, type, mean });
    return name;
  }

  ints(name: string, values: number[]): string {
    this.consts.push({ name, dims: [values.length], dataType: INT64, rawData: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer) });
    return name;
  }

  floats(name: string, dims: number[], values: Float32Array): string {
    this.consts.push({ name, dims, dataType: FLOAT, rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) });
    return name;
  }

  op(opType: string, inputs: string[], out: string, attrs: onnxProto_Attr[] = []): string {
    this.nodes.push({ opType, input: inputs, output: [out], name: `${opType}_${this.k++}`, attribute: attrs });
    return out;
  }
}

type onnxProto_Node = { opType: string; input: string[]; output: string[]; name: string; attribute: onnxProto_Attr[] };
type onnxProto_Attr = { name: string; type: number; i?: number; f?: number; ints?: number[] };
const A = onnx.AttributeProto.AttributeType;
const aInt = (name: string, i: number): onnxProto_Attr => ({ name, type: A.INT, i });
const aFloat = (name: string, f: number): onnxProto_Attr => ({ name, type: A.FLOAT, f });
const aInts = (name: string, ints: number[]): onnxProto_Attr => ({ name, type: A.INTS, ints });

function check(spec: TransformerSpec): void {
  const bad = (m: string) => {
    throw new CoquantError('E_USAGE', `synth ${spec.kind}: ${m}`, { hint: 'see coquant synth --help for the flags and presets' });
  };
  for (const [k, v] of Object.entries({ depth: spec.depth, width: spec.width, heads: spec.heads, seq: spec.seq })) {
    if (!Number.isInteger(v) || v < 1) bad(`--${k} must be a positive integer, got ${v}`);
  }
  if (spec.width % spec.heads !== 0) bad(`width ${spec.width} is not divisible by heads ${spec.heads}`);
  if (!Number.isInteger(spec.vocab) || spec.vocab < (spec.kind === 'decoder' ? 2 : 0)) bad(`--vocab must be an integer ≥ ${spec.kind === 'decoder' ? 2 : 0}, got ${spec.vocab}`);
  if (spec.past !== undefined && (!Number.isInteger(spec.past) || spec.past < 0)) bad(`--past must be a non-negative integer, got ${spec.past}`);
  if (spec.mlp !== undefined && (!Number.isInteger(spec.mlp) || spec.mlp < 1)) bad(`--mlp must be a positive integer, got ${spec.mlp}`);
}

/** LayerNormalization over the last axis with its own gain and bias. */
function layerNorm(b: Builder, x: string, prefix: string, d: number): string {
  const g = b.weight(`${prefix}.weight`, [d], 'norm_gain', 1);
  const bb = b.weight(`${prefix}.bias`, [d], 'norm_bias');
  return b.op('LayerNormalization', [x, g, bb], `${prefix}.out`, [aInt('axis', -1), aFloat('epsilon', 1e-5)]);
}

function linear(b: Builder, x: string, prefix: string, k: number, n: number, type: string): string {
  const w = b.weight(`${prefix}.weight`, [k, n], type);
  const bias = b.weight(`${prefix}.bias`, [n], 'bias');
  const mm = b.op('MatMul', [x, w], `${prefix}.matmul`);
  return b.op('Add', [mm, bias], `${prefix}.out`);
}

/** Multi-head self-attention on x [1, S, D]; with `past` [1, H, P, dh] K and V inputs it also returns the presents. */
function attention(b: Builder, x: string, p: string, spec: TransformerSpec, mask?: string, kv?: { pastK: string; pastV: string }): { out: string; presentK?: string; presentV?: string } {
  const d = spec.width;
  const h = spec.heads;
  const dh = d / h;
  const heads = b.ints(`${p}.heads_shape`, [0, 0, h, dh]);
  const split = (name: string) => {
    const y = linear(b, x, `${p}.${name}`, d, d, 'attn_qkv');
    const r = b.op('Reshape', [y, heads], `${p}.${name}.heads`);
    return b.op('Transpose', [r], `${p}.${name}.bhsd`, [aInts('perm', [0, 2, 1, 3])]);
  };
  const q = split('q');
  let k = split('k');
  let v = split('v');
  let presentK: string | undefined;
  let presentV: string | undefined;
  if (kv) {
    k = presentK = b.op('Concat', [kv.pastK, k], `${p}.present_key`, [aInt('axis', 2)]);
    v = presentV = b.op('Concat', [kv.pastV, v], `${p}.present_value`, [aInt('axis', 2)]);
  }
  const kt = b.op('Transpose', [k], `${p}.k.bhds`, [aInts('perm', [0, 1, 3, 2])]);
  const scores = b.op('MatMul', [q, kt], `${p}.scores`);
  const scale = b.floats(`${p}.scale`, [], Float32Array.of(1 / Math.sqrt(dh)));
  let s = b.op('Mul', [scores, scale], `${p}.scores_scaled`);
  if (mask) s = b.op('Add', [s, mask], `${p}.scores_masked`);
  const probs = b.op('Softmax', [s], `${p}.probs`, [aInt('axis', -1)]);
  const ctx = b.op('MatMul', [probs, v], `${p}.context`);
  const ctxT = b.op('Transpose', [ctx], `${p}.context.bshd`, [aInts('perm', [0, 2, 1, 3])]);
  const merged = b.op('Reshape', [ctxT, b.ints(`${p}.merge_shape`, [0, 0, d])], `${p}.context.merged`);
  return { out: linear(b, merged, `${p}.out`, d, d, 'attn_out'), presentK, presentV };
}

/** GELU in its exact Erf form, (x · (1 + erf(x / √2))) · 0.5: the pattern onnxruntime's Gelu fusion matches. */
function gelu(b: Builder, x: string, p: string): string {
  const e = b.op('Erf', [b.op('Div', [x, b.floats(`${p}.sqrt2`, [], Float32Array.of(Math.SQRT2))], `${p}.scaled`)], `${p}.erf`);
  const one = b.op('Add', [e, b.floats(`${p}.one`, [], Float32Array.of(1))], `${p}.erf1`);
  const prod = b.op('Mul', [x, one], `${p}.xerf`);
  return b.op('Mul', [prod, b.floats(`${p}.half`, [], Float32Array.of(0.5))], `${p}.out`);
}

export interface BuiltTransformer {
  model: ModelProto;
  weights: WeightSpec[];
  /** Every weight's law, for the report. */
  laws: LayerLaw[];
  params: number;
  /** Names of the block-boundary tensors (the residual stream after each block): the natural cut points. */
  blockOutputs: string[];
  inputs: { name: string; type: string; dims: number[] }[];
  outputs: string[];
}

/** Builds the graph (no weight values yet) of a transformer described by `spec`. */
export function buildTransformer(spec: TransformerSpec): BuiltTransformer {
  check(spec);
  const b = new Builder();
  const d = spec.width;
  const mlp = spec.mlp ?? 4 * d;
  const dh = d / spec.heads;
  const inputs: BuiltTransformer['inputs'] = [];
  const outputs: string[] = [];
  const kvInputs: { pastK: string; pastV: string }[] = [];
  let x: string;
  let S: number;
  let mask: string | undefined;
  const past = spec.kind === 'decoder' ? (spec.past ?? 0) : 0;
  if (spec.kind === 'vit') {
    const pd = spec.patchDim ?? d;
    inputs.push({ name: 'patches', type: 'float32', dims: [1, spec.seq, pd] });
    S = spec.seq + 1;
    const emb = linear(b, 'patches', 'patch_embed', pd, d, 'patch_embed');
    const cls = b.weight('cls_token', [1, 1, d], 'cls_token');
    const seq = b.op('Concat', [cls, emb], 'tokens', [aInt('axis', 1)]);
    x = b.op('Add', [seq, b.weight('pos_embed', [1, S, d], 'pos_embed')], 'embeddings');
  } else {
    inputs.push({ name: 'input_ids', type: 'int64', dims: [1, spec.seq] });
    S = spec.seq;
    const maxPos = spec.maxPositions ?? Math.max(1024, past + S);
    if (past + S > maxPos) throw new CoquantError('E_USAGE', `synth decoder: past ${past} + seq ${S} exceeds the ${maxPos} positions`);
    const tok = b.op('Gather', [b.weight('wte', [spec.vocab, d], 'token_embed'), 'input_ids'], 'token_embeddings', [aInt('axis', 0)]);
    const posIds = b.ints('position_ids', Array.from({ length: S }, (_, i) => past + i));
    const pos = b.op('Gather', [b.weight('wpe', [maxPos, d], 'pos_embed'), posIds], 'position_embeddings', [aInt('axis', 0)]);
    x = b.op('Add', [tok, pos], 'embeddings');
    // Causal mask over past + current positions: query i sees keys 0 .. past + i.
    const T = past + S;
    const m = new Float32Array(S * T);
    for (let i = 0; i < S; i++) for (let j = past + i + 1; j < T; j++) m[i * T + j] = -1e9;
    mask = b.floats('causal_mask', [1, 1, S, T], m);
    if (spec.past !== undefined && spec.past > 0) {
      for (let l = 0; l < spec.depth; l++) {
        const pastK = `past_key.${l}`;
        const pastV = `past_value.${l}`;
        inputs.push({ name: pastK, type: 'float32', dims: [1, spec.heads, past, dh] }, { name: pastV, type: 'float32', dims: [1, spec.heads, past, dh] });
        kvInputs.push({ pastK, pastV });
      }
    }
  }
  const blockOutputs: string[] = [];
  const presents: string[] = [];
  for (let l = 0; l < spec.depth; l++) {
    const p = `blocks.${l}`;
    const a = attention(b, layerNorm(b, x, `${p}.ln1`, d), `${p}.attn`, spec, mask, kvInputs[l]);
    if (a.presentK) presents.push(a.presentK, a.presentV!);
    const h = b.op('Add', [x, a.out], `${p}.attn_residual`);
    const f1 = linear(b, layerNorm(b, h, `${p}.ln2`, d), `${p}.mlp.fc1`, d, mlp, 'mlp_fc1');
    const f2 = linear(b, gelu(b, f1, `${p}.mlp.gelu`), `${p}.mlp.fc2`, mlp, d, 'mlp_fc2');
    x = b.op('Add', [h, f2], `${p}.out`);
    blockOutputs.push(x);
  }
  const final = layerNorm(b, x, 'ln_f', d);
  if (spec.kind === 'vit') {
    outputs.push(final);
    if (spec.vocab > 0) {
      const clsOut = b.op('Gather', [final, b.ints('cls_index', [0])], 'cls_features', [aInt('axis', 1)]);
      const w = b.weight('head.weight', [d, spec.vocab], 'head');
      const logits = b.op('Add', [b.op('MatMul', [clsOut, w], 'head.matmul'), b.weight('head.bias', [spec.vocab], 'bias')], 'logits');
      outputs.push(logits);
    }
  } else {
    outputs.push(b.op('MatMul', [final, b.weight('lm_head.weight', [d, spec.vocab], 'head')], 'logits'), ...presents);
  }

  // Typed outputs: onnxruntime reports an untyped graph output as type 'unknown'.
  const outputDims = (o: string): number[] => {
    if (o === 'logits') return spec.kind === 'vit' ? [1, 1, spec.vocab] : [1, S, spec.vocab];
    if (o.includes('present_')) return [1, spec.heads, past + S, dh];
    return [1, S, d];
  };
  const vi = (name: string, dims: number[], elemType = FLOAT) => ({ name, type: { tensorType: { elemType, shape: { dim: dims.map((v) => ({ dimValue: v })) } } } });
  const laws = [...new Set(b.weights.map((w) => w.type))].map((type) => ({ type, b: lawFor(type, spec) }));
  const params = b.weights.reduce((s, w) => s + w.dims.reduce((a, c) => a * c, 1), 0);
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'coquant synth',
    opsetImport: [{ domain: '', version: 17 }],
    metadataProps: [
      { key: SYNTHETIC_KEY, value: 'synthetic' },
      { key: 'coquant.synth', value: JSON.stringify({ ...spec, seed: spec.seed ?? 1, params, laws: Object.fromEntries(laws.map((l) => [l.type, { lambda: 1 / l.b }])) }) },
    ],
    graph: {
      name: `${spec.kind}-synthetic`,
      node: b.nodes,
      initializer: b.consts,
      input: inputs.map((i) => vi(i.name, i.dims, i.type === 'int64' ? INT64 : FLOAT)),
      output: outputs.map((o) => vi(o, outputDims(o))),
      docString: 'synthetic weights: drawn from Laplace laws, not pretrained',
    },
  });
  return { model, weights: b.weights, laws, params, blockOutputs, inputs, outputs };
}

/** 32-bit mix of the model seed and a tensor index (so each tensor has its own stream). */
function tensorSeed(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** The values of weight `index` of a built model: deterministic in (seed, index). */
export function drawWeight(built: BuiltTransformer, index: number, seed: number): Float32Array {
  const w = built.weights[index];
  const law = built.laws.find((l) => l.type === w.type)!;
  const n = w.dims.reduce((a, c) => a * c, 1);
  const out = new Float32Array(n);
  const draw = laplace(mulberry32(tensorSeed(seed, index)), law.b);
  const mean = w.mean ?? 0;
  for (let i = 0; i < n; i++) out[i] = mean + draw();
  return out;
}

export interface SynthResult {
  modelPath: string;
  dataPath: string;
  params: number;
  modelBytes: number;
  dataBytes: number;
  blockOutputs: string[];
  inputs: BuiltTransformer['inputs'];
  outputs: string[];
  laws: LayerLaw[];
  seconds: number;
}

/** Writes the model to `path` and its weights, drawn one tensor at a time, to `path.data`. */
export async function writeTransformer(spec: TransformerSpec, path: string, onProgress?: (done: number, total: number) => void): Promise<SynthResult> {
  const t0 = performance.now();
  const built = buildTransformer(spec);
  const seed = spec.seed ?? 1;
  const modelPath = resolve(path);
  const writer = new ExternalDataWriter(`${modelPath}.data`);
  const inits: TensorProto[] = [...(built.model.graph!.initializer ?? [])];
  let done = 0;
  try {
    for (let i = 0; i < built.weights.length; i++) {
      const w = built.weights[i];
      const values = drawWeight(built, i, seed);
      const ref = await writer.append(new Uint8Array(values.buffer));
      const t: TensorProto = { name: w.name, dims: w.dims, dataType: FLOAT };
      setExternalRef(t, ref);
      inits.push(t);
      done += values.length;
      onProgress?.(done, built.params);
    }
    built.model.graph!.initializer = inits;
    const bytes = onnx.ModelProto.encode(built.model).finish();
    await writer.commit();
    await writeFileAtomic(modelPath, bytes);
    return {
      modelPath,
      dataPath: writer.path,
      params: built.params,
      modelBytes: bytes.length,
      dataBytes: writer.bytesWritten,
      blockOutputs: built.blockOutputs,
      inputs: built.inputs,
      outputs: built.outputs,
      laws: built.laws,
      seconds: (performance.now() - t0) / 1000,
    };
  } catch (e) {
    await writer.abort();
    throw e;
  }
}
