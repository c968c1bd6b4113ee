/** Options and defaults of `coquant bounds`, light enough for the CLI to read at start-up. */

export const DEFAULT_BOUNDS_SPECS = [
  'uniform-symmetric/tensor/absmax',
  'uniform-symmetric/channel/absmax',
  'uniform-symmetric/channel/clip-l1',
  'pot/tensor/absmax',
];

export interface BoundsOptions {
  distortion?: string;
  /** Headline upper bound: `ours` (default) or `paper`. */
  bound?: string;
  /** Which α scales the output columns: `lsq` (default, least squares) or `max` (the paper's largest D_o/D_p). */
  alpha?: string;
  quant?: string[];
  bits?: string;
  allFloat?: boolean;
  out?: string;
  plot?: boolean;
  quiet?: boolean;
}
