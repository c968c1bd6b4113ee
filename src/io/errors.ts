/**
 * Typed errors for everything a model file can do wrong. Each carries a stable code so
 * scripts and tests can match on it, and a one-line message naming the tensor or byte offset.
 */
import { CoquantError } from '../errors.ts';

export type ModelErrorCode =
  | 'E_NOT_ONNX'
  | 'E_NOT_SAFETENSORS'
  | 'E_TRUNCATED'
  | 'E_HEADER_TOO_LARGE'
  | 'E_BAD_HEADER'
  | 'E_OVERLAP'
  | 'E_OUT_OF_RANGE'
  | 'E_SHAPE_MISMATCH'
  | 'E_UNKNOWN_DTYPE'
  | 'E_UNSUPPORTED'
  | 'E_PATH_ESCAPE'
  | 'E_EMPTY_MODEL'
  | 'E_NON_FINITE'
  | 'E_DUPLICATE_NAME'
  | 'E_NO_SUCH_TENSOR'
  | 'E_NOT_FOUND'
  | 'E_TOO_LARGE'
  | 'E_EXTERNAL_DATA';

/** A model or checkpoint file that cannot be read as what it claims to be. */
export class ModelFormatError extends CoquantError {
  declare readonly code: ModelErrorCode;
  constructor(code: ModelErrorCode, message: string, hint?: string, cause?: unknown) {
    super(code, message, { hint, cause, exitCode: 3 });
  }
}

/** A tensor holds NaN or Inf: quantization statistics would be meaningless. */
export class NonFiniteWeightError extends ModelFormatError {
  constructor(message: string) {
    super('E_NON_FINITE', message, 'the checkpoint is corrupt or was saved mid-divergence; re-export it');
  }
}
