/** Failures a user can cause when writing a low-bit model format (bad options, unsupported graphs). */
import { CoquantError } from '../errors.ts';

export class FormatError extends CoquantError {
  constructor(code: string, message: string, hint?: string, cause?: unknown) {
    super(code, message, { hint, cause, exitCode: 3 });
  }
}
