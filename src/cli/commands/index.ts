import type { Command } from 'commander';
import { register as agent } from './agent.ts';
import { register as bounds } from './bounds.ts';
import { register as calibrate } from './calibrate.ts';
import { register as demo } from './demo.ts';
import { register as distortion } from './distortion.ts';
import { register as options } from './options.ts';
import { register as plan } from './plan.ts';
import { register as profile } from './profile.ts';
import { register as quantize } from './quantize.ts';
import { register as serve } from './serve.ts';
import { register as split } from './split.ts';
import { register as sweep } from './sweep.ts';
import { register as synth } from './synth.ts';

/** Order here is the order `coquant --help` lists them: the SPEC §6 workflow. */
export const commands: Array<(p: Command) => void> = [
  profile, bounds, distortion, options, plan, sweep, split, quantize, serve, agent, synth, calibrate, demo,
];
