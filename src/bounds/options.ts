/** Options and defaults of `coquant bounds`, light enough for the CLI to read at start-up. */

export const DEFAULT_BOUNDS_SPECS = [
  'uniform-symmetric/tensor/absmax',
  'uniform-symmetric/channel/absmax',
  'uniform-symmetric/channel/clip-l1',
  'pot/tensor/absmax',
];

export interface BoundsOptions {
  distortion?: string;
  quant?: string[];
  bits?: string;
  allFloat?: boolean;
  out?: string;
  plot?: boolean;
  quiet?: boolean;
}
