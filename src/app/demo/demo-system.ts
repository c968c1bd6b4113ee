/**
 * The system the demo plans for: a robot reading signs with the PP-OCRv4 recognizer, an edge
 * server beside it, Wi-Fi between them. The device numbers are ILLUSTRATIVE, with one
 * exception: the agent's cycles per parameter-bit are calibrated so that the full-precision
 * model at the agent's top clock takes as long as it measured on this machine. Everything
 * here is plain data; the demo prints it in the report so nobody mistakes it for a datasheet.
 */
import type { SystemInput } from '../../plan/system.ts';
import type { CutCandidate } from '../../runtime/split/split-model.ts';

export interface DemoSystemInput {
  groups: Array<{ name: string; params: number; lambda: number }>;
  alpha: number;
  /** Cut candidates from `split` (agentGroups name profile groups). */
  cuts: CutCandidate[];
  /** Measured full-precision latency of the whole model, seconds. */
  fpSeconds: number;
  totalParams: number;
  T0: number;
  E0: number;
  linkMbps: number;
}

export const DEMO_AGENT_FMAX = 1.5e9;

export function demoSystem(i: DemoSystemInput): SystemInput {
  // fp32 run = 32 bits per parameter: c = T·f / (32·N).
  const c = (i.fpSeconds * DEMO_AGENT_FMAX) / (32 * i.totalParams);
  return {
    label: 'demo: a robot reading signs (illustrative devices; agent cycles calibrated on this machine)',
    illustrative: true,
    agent: {
      name: 'robot SoC CPU (illustrative clock range and kappa)',
      source: `cyclesPerParamBit calibrated: full-precision model measured ${(i.fpSeconds * 1000).toFixed(1)} ms here, taken as the time at fMax`,
      fMin: 0.2e9,
      fMax: DEMO_AGENT_FMAX,
      kappa: 1e-27,
      cyclesPerParamBit: c,
    },
    server: { name: 'edge server CPU (illustrative)', fMin: 0.8e9, fMax: 3e9, kappa: 1e-28, cyclesPerParamBit: c / 2, quantized: false, bits: 32 },
    link: { name: 'Wi-Fi uplink (illustrative)', rateBps: i.linkMbps * 1e6, txPowerW: 0.8, featureElems: 0, featureBits: 32 },
    constraints: { T0: i.T0, E0: i.E0 },
    bits: [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16],
    agentBits: 'per-group',
    model: { name: 'PP-OCRv4 rec', alpha: i.alpha, groups: i.groups },
    splits: i.cuts
      .filter((c) => c.agentGroups.length > 0 && c.serverParams > 0)
      .map((c) => ({ name: c.name, agentGroups: c.agentGroups, serverParams: c.serverParams, featureElems: c.featureElems })),
  };
}
