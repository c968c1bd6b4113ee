/**
 * Flags several commands share, each defined once with its checks: the input flags (`--inputs`,
 * `--dim`), the emulated robot (`--slowdown`, `--clocks-ghz`, `--clock-emulation`) and
 * `--quantizer`. A builder adds its flags to a command and returns it, so a command reads
 * `inputFlags(robotFlags(cmd, …), …).option(…)`. Light on purpose: `--help` loads this file and
 * nothing below the CLI layer.
 */
import type { Command } from 'commander';
import { UsageError } from '../errors.ts';
import { numberFlag } from './number-flag.ts';

const collect = (v: string, prev: string[]) => [...prev, v];

/** The tensor files every `--inputs` takes (src/data/input-files.ts reads them). */
export const TENSOR_FILES = 'a .npz per sample with an array per input, .npy for a one-input model, or ONNX test_data_set_N folders of input_K.pb';

/** `--dim NAME=VALUE` (repeatable); `note` says what else the dimensions do on this command. */
export function dimFlag(cmd: Command, note?: string): Command {
  return cmd.option('--dim <name=value>', `value of a dynamic input dimension (repeatable)${note ? `; ${note}` : ''}`, collect, [] as string[]);
}

/**
 * `--inputs PATH…` and `--dim`. `inputs` says what the tensors are for on this command, `images`
 * the image folders it also reads, `dim` what else the dimensions do.
 */
export function inputFlags(cmd: Command, o: { inputs: string; images?: string; dim?: string }): Command {
  cmd.option('--inputs <paths...>', `${o.inputs}: tensors (${TENSOR_FILES})${o.images ? `, or ${o.images}` : ''}`);
  return dimFlag(cmd, o.dim);
}

/** The emulated robot CPU: how much slower than this machine, its clock levels, and how the clock is emulated. */
export function robotFlags(cmd: Command, clocks: string): Command {
  return cmd
    .option('--slowdown <x>', 'the robot is this many times slower than one core of this machine at its top clock', '4')
    .option('--clocks-ghz <list>', `${clocks}, GHz`, '0.5,1,1.5')
    .option('--clock-emulation <kind>', "'auto' (cgroup CPU bandwidth when root on Linux, else time dilation), 'cgroup' or 'dilation'", 'auto');
}

export interface RobotFlagValues {
  slowdown: string;
  clocksGhz: string;
  clockEmulation: string;
}

/** The robot flags, checked: the slowdown, the clocks in Hz, the emulation. */
export function robotFrom(o: RobotFlagValues): { slowdown: number; clocksHz: number[]; emulation: 'auto' | 'cgroup' | 'dilation' } {
  if (!['auto', 'cgroup', 'dilation'].includes(o.clockEmulation)) throw new UsageError(`--clock-emulation must be auto, cgroup or dilation (got '${o.clockEmulation}')`);
  return {
    slowdown: numberFlag(o.slowdown, '--slowdown', 1, 1000),
    clocksHz: o.clocksGhz.split(',').map((s) => numberFlag(s.trim(), '--clocks-ghz', 0.01, 100) * 1e9),
    emulation: o.clockEmulation as 'auto' | 'cgroup' | 'dilation',
  };
}

/** `--sensitivity-blocks N`: sensitivity measured for N blocks of consecutive layers (faster, coarser). */
export function sensitivityBlocksFlag(cmd: Command, note = ''): Command {
  return cmd.option('--sensitivity-blocks <n>', `measure sensitivity for n blocks of consecutive layers (tied, each layer taking its share by parameters) instead of each layer alone${note}`);
}

/** The checked `--sensitivity-blocks`, or undefined for a measurement per layer. */
export function sensitivityBlocksFrom(v: string | undefined): number | undefined {
  return v === undefined ? undefined : numberFlag(v, '--sensitivity-blocks', 1, 100000);
}

/** `--quantizer SPEC`: the family/granularity/range bits are applied with. */
export function quantizerFlag(cmd: Command, what = ''): Command {
  return cmd.option('--quantizer <spec>', `family/granularity/range${what ? ` ${what}` : ''}`, 'uniform-symmetric/channel/absmax');
}

/** Rendered labelled text lines (`--render N`, `--seed`) and the labels of an image folder (`--labels`). */
export function textLineFlags(cmd: Command, o: { render: string; seed: string }): Command {
  return cmd
    .option('--render <n>', o.render)
    .option('--labels <labels.json>', 'labels of an --inputs image folder, to report accuracy: {"labels": {"file.png": "text"}} or a plain map')
    .option('--seed <n>', o.seed, '1');
}
