// Types for malloc-tuning.mjs (plain JavaScript, so bin/coquant.mjs loads it before tsx).
/** The GLIBC_TUNABLES value coquant's serving commands run with. */
export const MALLOC_TUNABLES: string;
/** The commands that get the tuned allocator. */
export const TUNED_COMMANDS: readonly string[];
/** `env` with the tunables added: for harnesses that start `coquant serve` and need its own pid. */
export function withMallocTuning(env?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
/** Whether `coquant <args>` should start again with the tunables (`args` excludes node and the script). */
export function wantsRelaunch(args: readonly string[], env?: NodeJS.ProcessEnv, platform?: NodeJS.Platform): boolean;
/** Runs this command line again with the tunables, relaying signals and the exit status. */
export function relaunchTuned(): void;
/** In the relaunched child: die with the parent. */
export function followParent(): void;
