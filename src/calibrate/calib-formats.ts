/** Formats and default bit-widths `coquant calibrate` can run; kept free of onnxruntime so the CLI can list them at start-up. */

export type CalibFormat = 'fp32' | 'fake' | 'qdq-int8' | 'int4';
export const CALIB_FORMATS: readonly CalibFormat[] = ['fp32', 'fake', 'qdq-int8', 'int4'];
export const DEFAULT_FAKE_BITS: readonly number[] = [2, 3, 4, 6, 8, 12, 16];
