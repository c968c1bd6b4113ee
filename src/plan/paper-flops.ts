/**
 * Where the agent/server FLOP split of the `paper-blip2` and `paper-git` presets comes from (issue 10):
 * the paper gives one FLOP count per model (BLIP-2-2.7b 533.66 GFLOPs, GIT-base 212.27 GFLOPs, to the
 * first token) and does not say how it divides between agent and server. OUR ESTIMATE: count the
 * FLOPs of each module from its published architecture, take each side's share of that count, and
 * apply the shares to the paper's total, so the presets keep the paper's number.
 *
 * Counting rules (2 FLOPs per multiply-add; norms, activations, softmax and biases left out):
 *   a linear layer in → out on n tokens: 2·n·in·out;  attention QKᵀ and AV on n_q × n_k tokens of width d: 4·n_q·n_k·d.
 * BLIP-2-2.7b (COCO captioning, 224 px): ViT-g/14 (39 blocks used, width 1408, MLP 6144, 257 tokens)
 * and the Q-Former (12 BERT-base blocks, 32 queries, cross-attention to the image every 2nd block)
 * with its projection to OPT's width on the agent; OPT-2.7B (32 blocks, width 2560, FFN 10240) on
 * the server, over 33 tokens (32 query embeddings + BOS), with the LM head at the last position.
 * GIT-base (VaTeX, 6 frames of 224 px): the CLIP ViT-B/16 image encoder (12 blocks, width 768,
 * 197 tokens per frame) and the visual projection on the agent; the 6-block text decoder (width 768)
 * over the 1182 image tokens + BOS on the server, with the LM head (30522 words) at the last position.
 * docs/plan.md shows the arithmetic; test/plan/paper-presets.test.ts redoes it by hand.
 */

/** 2·n·in·out: a dense layer on n tokens. */
export const linearFlops = (n: number, inF: number, outF: number) => 2 * n * inF * outF;
/** 4·nq·nk·d: the two attention matrix products (scores and mixing). */
export const attentionFlops = (nq: number, nk: number, d: number) => 4 * nq * nk * d;

/** One pre-norm transformer block (self-attention + MLP) on n tokens of width d with MLP width m. */
export function blockFlops(n: number, d: number, m: number): number {
  return linearFlops(n, d, 3 * d) + linearFlops(n, d, d) + attentionFlops(n, n, d) + linearFlops(n, d, m) + linearFlops(n, m, d);
}

export interface FlopPart {
  name: string;
  flops: number;
  side: 'agent' | 'server';
}

/** BLIP-2-2.7b, module by module (agent groups named as in the preset). */
export function blip2Parts(): FlopPart[] {
  const n = 257; // 16×16 patches of 14 px at 224 px, + CLS
  const d = 1408;
  const vit = (blocks: number) => blocks * blockFlops(n, d, 6144);
  const patch = linearFlops(256, 3 * 14 * 14, d);
  const q = 32;
  const dq = 768;
  const qSelf = linearFlops(q, dq, 3 * dq) + linearFlops(q, dq, dq) + attentionFlops(q, q, dq);
  const qFfn = linearFlops(q, dq, 3072) + linearFlops(q, 3072, dq);
  const qCross = linearFlops(q, dq, dq) + linearFlops(n, d, 2 * dq) + linearFlops(q, dq, dq) + attentionFlops(q, n, dq);
  const qformer = 12 * (qSelf + qFfn) + 6 * qCross + linearFlops(q, dq, 2560);
  const opt = 32 * blockFlops(33, 2560, 10240) + linearFlops(1, 2560, 50272);
  return [
    { name: 'vision.blocks.0-9', flops: patch + vit(10), side: 'agent' },
    { name: 'vision.blocks.10-19', flops: vit(10), side: 'agent' },
    { name: 'vision.blocks.20-29', flops: vit(10), side: 'agent' },
    { name: 'vision.blocks.30-38', flops: vit(9), side: 'agent' },
    { name: 'qformer', flops: qformer, side: 'agent' },
    { name: 'opt-2.7b', flops: opt, side: 'server' },
  ];
}

/** GIT-base on 6 video frames, module by module. */
export function gitParts(): FlopPart[] {
  const frames = 6;
  const n = 197; // 14×14 patches of 16 px at 224 px, + CLS
  const d = 768;
  const perFrame = (blocks: number) => blocks * blockFlops(n, d, 3072);
  const patch = linearFlops(196, 3 * 16 * 16, d);
  const seq = frames * n + 1;
  const decoder = 6 * blockFlops(seq, d, 3072) + linearFlops(1, d, 30522);
  return [
    { name: 'image.blocks.0-5', flops: frames * (patch + perFrame(6)), side: 'agent' },
    { name: 'image.blocks.6-11', flops: frames * perFrame(6) + linearFlops(frames * n, d, d), side: 'agent' },
    { name: 'text-decoder', flops: decoder, side: 'server' },
  ];
}

export interface FlopSplit {
  /** Our architectural count, per part and per side. */
  parts: FlopPart[];
  counted: { agent: number; server: number; total: number };
  /** The paper's total and the scale applied to our count. */
  paperTotal: number;
  scale: number;
  /** FLOPs per agent group and on the server after scaling to the paper's total. */
  agentGroups: Record<string, number>;
  agent: number;
  server: number;
}

/** Scales our per-part count to the paper's total (our estimate of the split). */
export function splitToPaperTotal(parts: FlopPart[], paperTotal: number): FlopSplit {
  const agent = parts.filter((x) => x.side === 'agent').reduce((s, x) => s + x.flops, 0);
  const server = parts.filter((x) => x.side === 'server').reduce((s, x) => s + x.flops, 0);
  const scale = paperTotal / (agent + server);
  const agentGroups: Record<string, number> = {};
  for (const x of parts) if (x.side === 'agent') agentGroups[x.name] = x.flops * scale;
  return { parts, counted: { agent, server, total: agent + server }, paperTotal, scale, agentGroups, agent: agent * scale, server: server * scale };
}

/** The paper's model totals (§VI). */
export const BLIP2_GFLOPS = 533.66;
export const GIT_GFLOPS = 212.27;
export const BLIP2_PARAMS = 3.75e9;
export const GIT_PARAMS = 176.62e6;
