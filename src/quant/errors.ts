/**
 * Typed errors a user can trigger through quantizer flags or inputs. Config mistakes are
 * usage errors (exit 2); non-finite inputs mean the data, not the command, is wrong (exit 3).
 */
import { CoquantError } from '../errors.ts';

export class QuantConfigError extends CoquantError {
  constructor(message: string, hint?: string) {
    super('E_QUANT_CONFIG', message, { hint, exitCode: 2 });
  }
}

/** NaN or ±Inf among the values handed to a quantizer: scales and errors would be meaningless. */
export class NonFiniteValueError extends CoquantError {
  constructor(message: string) {
    super('E_NON_FINITE', message, { hint: 'the weights are corrupt; re-export the model', exitCode: 3 });
  }
}
