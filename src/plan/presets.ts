/**
 * Named system descriptions. `paper` is a complete, illustrative system (SPEC §5); the
 * device presets replace one section of it, so `--agent jetson-orin-agent --server
 * edge-gpu-server` composes. Every number says where it comes from in docs/plan.md.
 */
import type { SystemInput } from './system.ts';

/** Sections a preset may provide; a preset applied on top replaces those sections whole. */
export type PresetPart = Partial<Pick<SystemInput, 'agent' | 'server' | 'link' | 'constraints' | 'model' | 'bits' | 'agentBits' | 'label' | 'illustrative'>>;

/** BLIP-2's agent-side groups (ViT-g in four stages and the Q-Former) with our estimated λ; a fresh copy per preset. */
function blip2Groups(): { name: string; params: number; lambda: number }[] {
  return [
    { name: 'vision.blocks.0-9', params: 253e6, lambda: 45 },
    { name: 'vision.blocks.10-19', params: 253e6, lambda: 55 },
    { name: 'vision.blocks.20-29', params: 253e6, lambda: 60 },
    { name: 'vision.blocks.30-38', params: 227e6, lambda: 70 },
    { name: 'qformer', params: 107e6, lambda: 35 },
  ];
}

/**
 * Illustrative BLIP-2-scale system (SPEC §5): the agent runs the ViT-g image encoder and the
 * Q-Former (~1.09 B parameters), the server runs the OPT-2.7B language model. Clock ranges are the
 * paper's (agent 2 GHz, server 10 GHz), kappa = 1e-28; cycle coefficients are chosen so the
 * on-device part takes seconds (0.5 cycle per parameter-bit: 8-bit agent part ≈ 2.2 s at 2 GHz).
 * Group lambdas are typical transformer values (mean |w| ≈ 0.014-0.029), not measured.
 * S = 0: the paper's formulation leaves communication out.
 */
export const paperPreset: SystemInput = {
  label: 'paper: illustrative BLIP-2-scale simulation of SPEC §5 (not measured numbers)',
  illustrative: true,
  agent: { name: 'illustrative agent', fMin: 0, fMax: 2e9, kappa: 1e-28, cyclesPerParamBit: 0.5 },
  server: { name: 'illustrative edge server', fMin: 0, fMax: 10e9, kappa: 1e-28, cyclesPerParamBit: 0.1, quantized: false, bits: 16 },
  link: { name: 'left out (S = 0), as in the paper', rateBps: 100e6, txPowerW: 1, featureElems: 0, featureBits: 16 },
  constraints: { T0: 3.5, E0: 2 },
  bits: [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16],
  agentBits: 'shared',
  model: {
    name: 'BLIP-2 OPT-2.7b scale (illustrative groups)',
    alpha: 1,
    groups: blip2Groups(),
    serverParams: 2.657e9,
  },
};

/**
 * NVIDIA Jetson AGX Orin 64GB as the agent, running on its GPU.
 * - levels: the GPU clock caps of the four nvpmodel power modes (15 W, 30 W, 50 W, MAXN) as listed in
 *   the "Platform Power and Performance" page of the Jetson Linux Developer Guide (r35/r36);
 *   check a board with /sys/class/devfreq/17000000.ga10b/available_frequencies (finer steps exist).
 * - kappa (ESTIMATE): P = kappa·f³ fitted to ≈ 40 W on the GPU rail at 1300.5 MHz (a public forum
 *   stress measurement in MAXN; the module datasheet gives up to 60 W for the whole 64GB module).
 * - cyclesPerParamBit (ESTIMATE): ≈ 0.1 s for a 1.1 B-parameter FP16 vision encoder at 1.3 GHz.
 * Replace both estimates with `coquant calibrate` figures measured on the device.
 */
export const jetsonOrinAgent: PresetPart = {
  agent: {
    name: 'Jetson AGX Orin 64GB GPU (levels: nvpmodel caps; kappa, cycles: estimates)',
    source: 'NVIDIA Jetson Linux Developer Guide, Platform Power and Performance (AGX Orin power modes); kappa and cycles estimated',
    levels: [420.75e6, 624.75e6, 828.75e6, 1300.5e6],
    kappa: 1.84e-26,
    cyclesPerParamBit: 0.0075,
  },
  link: {
    name: '5 GHz Wi-Fi (802.11ac), estimated',
    source: 'ESTIMATE: 200 Mbit/s achieved throughput, 1.5 W radio power draw while transmitting',
    rateBps: 200e6,
    txPowerW: 1.5,
    // BLIP-2's Q-Former output: 32 query tokens x 768 features, sent in FP16.
    featureElems: 32 * 768,
    featureBits: 16,
  },
};

/**
 * An NVIDIA A100 40GB PCIe as the edge server: boost clock 1410 MHz and 250 W board power from the
 * NVIDIA A100 datasheet; fMin 210 MHz (lowest application clock, ESTIMATE); kappa fitted to 250 W at
 * 1410 MHz (ESTIMATE); cycles per parameter-bit from memory-bound decoding of 20 tokens of OPT-2.7B
 * (≈ 72 ms, ESTIMATE).
 */
export const edgeGpuServer: PresetPart = {
  server: {
    name: 'NVIDIA A100 40GB PCIe (clock, power: datasheet; kappa, cycles: estimates)',
    source: 'NVIDIA A100 Tensor Core GPU datasheet (1410 MHz boost, 250 W PCIe); kappa and cycles estimated',
    fMin: 210e6,
    fMax: 1410e6,
    kappa: 8.9e-26,
    cyclesPerParamBit: 0.00235,
    quantized: false,
    bits: 16,
  },
};

/**
 * The paper's simulation constants (§VI): agent f_max 2 GHz, c = 32 FLOPs/cycle, η = 1, ψ = 2e-29;
 * server f̃_max 10 GHz, c̃ = 128, η̃ = 2, ψ̃ = 1e-28; clocks from 0; no link term (S = 0); weights
 * stored at 16 bits. Delay and energy follow its Eqs. 4-7 (flopsPerCycle, eta, psi).
 */
const paperDevices = {
  agent: { name: "agent (the paper's simulation constants)", source: 'Lyu et al., arXiv 2602.13052, §VI', fMin: 0, fMax: 2e9, flopsPerCycle: 32, eta: 1, psi: 2e-29 },
  server: { name: "edge server (the paper's simulation constants)", source: 'Lyu et al., arXiv 2602.13052, §VI', fMin: 0, fMax: 10e9, flopsPerCycle: 128, eta: 2, psi: 1e-28, quantized: false, bits: 16 },
  link: { name: 'left out (S = 0), as in the paper', rateBps: 100e6, txPowerW: 1, featureElems: 0, featureBits: 16 },
  bits: [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16],
  agentBits: 'shared' as const,
};

/**
 * The agent/server FLOP split (OUR ESTIMATE): the paper's totals divided in the shares of our
 * architectural count, `splitToPaperTotal(blip2Parts(), 533.66e9)` and `(gitParts(), 212.27e9)` in
 * paper-flops.ts, written out so `coquant --help` need not load that module
 * (test/plan/paper-presets.test.ts checks they agree).
 */
const blip2Split = {
  agentGroups: { 'vision.blocks.0-9': 101986476597.36539, 'vision.blocks.10-19': 101663456564.81287, 'vision.blocks.20-29': 101663456564.81287, 'vision.blocks.30-38': 91497110908.33157, qformer: 9810310163.036484 },
  server: 127039189201.64084,
};
const gitSplit = {
  agentGroups: { 'image.blocks.0-5': 66522391581.632835, 'image.blocks.6-11': 66526830435.07301 },
  server: 79220777983.29417,
};

/** A paper model on the paper's devices: 16-bit stored weights, α = 1, each group's FLOPs from the split. */
function paperModelPreset(m: {
  label: string;
  constraints: { T0: number; E0: number };
  name: string;
  groups: { name: string; params: number; lambda: number }[];
  serverParams: number;
  split: { agentGroups: Record<string, number>; server: number };
}): SystemInput {
  return {
    label: m.label,
    illustrative: true,
    ...paperDevices,
    constraints: m.constraints,
    model: {
      name: m.name,
      alpha: 1,
      storedBits: 16,
      groups: m.groups.map((g) => ({ ...g, flops: m.split.agentGroups[g.name] })),
      serverParams: m.serverParams,
      serverFlops: m.split.server,
    },
  };
}

/**
 * BLIP-2-2.7b with the paper's constants (T0 = 3.5 s, E0 = 2 J: the BLIP-2 axes of its Figs. 5-8). The agent
 * runs ViT-g and the Q-Former, the server OPT-2.7B. ESTIMATES: the FLOP split (paper-flops.ts;
 * 76.2 % agent), the parameter split (1.093 B of the paper's 3.75 B on the agent) and the group λ
 * (typical transformer values, as in `paper`).
 */
export const paperBlip2Preset: SystemInput = paperModelPreset({
  label: "paper-blip2: the paper's simulation constants, BLIP-2-2.7b (533.66 GFLOPs); agent/server FLOP split and group λ are our estimates",
  constraints: { T0: 3.5, E0: 2 },
  name: 'BLIP-2 OPT-2.7b (3.75 B parameters, 533.66 GFLOPs to the first token)',
  groups: blip2Groups(),
  serverParams: 3.75e9 - 1.093e9,
  split: blip2Split,
});

/**
 * GIT-base with the paper's constants (T0 = 2 s, E0 = 2 J: the GIT axes of its Figs. 5-8). The agent runs
 * the image encoder (CLIP ViT-B/16 on 6 frames) and the visual projection, the server the text
 * decoder. ESTIMATES: the FLOP split (62.7 % agent), the parameter split (86.39 M of 176.62 M on
 * the agent: encoder 85.80 M + projection 0.59 M) and the group λ.
 */
export const paperGitPreset: SystemInput = paperModelPreset({
  label: "paper-git: the paper's simulation constants, GIT-base (212.27 GFLOPs); agent/server FLOP split and group λ are our estimates",
  constraints: { T0: 2, E0: 2 },
  name: 'GIT-base (176.62 M parameters, 212.27 GFLOPs to the first token)',
  groups: [
    { name: 'image.blocks.0-5', params: 43.27e6, lambda: 40 },
    { name: 'image.blocks.6-11', params: 43.12e6, lambda: 50 },
  ],
  serverParams: 176.62e6 - 86.39e6,
  split: gitSplit,
});

export const PRESETS: Record<string, PresetPart> = {
  paper: paperPreset,
  // The same SPEC §5 illustrative system under a name that cannot be mistaken for the paper's constants.
  'spec-illustrative': paperPreset,
  'paper-blip2': paperBlip2Preset,
  'paper-git': paperGitPreset,
  'jetson-orin-agent': jetsonOrinAgent,
  'edge-gpu-server': edgeGpuServer,
};

export const PRESET_NAMES = Object.keys(PRESETS);

/** Applies `over` on top of `base`: the sections `over` provides replace the base's, except
 * `constraints` and `link`, which merge field by field so `--T0` alone keeps `E0`. */
export function composeSystem(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const prev = out[k];
    if ((k === 'constraints' || k === 'link') && isPlainObject(prev) && isPlainObject(v)) out[k] = { ...prev, ...v };
    else out[k] = v;
  }
  return out;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
