/**
 * Every failure a user can cause (bad file, impossible constraint, malformed request)
 * is a CoquantError. The CLI prints `message` and `hint` on one or two lines and exits
 * with `exitCode`, never with a stack trace. Anything that is not a CoquantError is a bug.
 */
export class CoquantError extends Error {
  /** Stable machine-readable code, e.g. `E_TRUNCATED`. Scripts may match on it. */
  readonly code: string;
  /** What the user can do about it. */
  readonly hint?: string;
  readonly exitCode: number;

  constructor(code: string, message: string, opts: { hint?: string; exitCode?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = opts.hint;
    this.exitCode = opts.exitCode ?? 1;
  }
}

/** Bad command-line usage or configuration: exit code 2, like most Unix tools. */
export class UsageError extends CoquantError {
  constructor(message: string, hint?: string) {
    super('E_USAGE', message, { hint, exitCode: 2 });
  }
}

export function isCoquantError(e: unknown): e is CoquantError {
  return e instanceof CoquantError;
}
