/**
 * What can go wrong talking to an inference server, as distinct types so the agent can
 * decide what to retry. `retryable` marks failures where trying again may succeed.
 */
import { CoquantError } from '../../errors.ts';

export class InferenceClientError extends CoquantError {
  readonly retryable: boolean;
  constructor(code: string, message: string, retryable: boolean, hint?: string, cause?: unknown) {
    super(code, message, { hint, cause });
    this.retryable = retryable;
  }
}

/** Connection refused, reset, DNS failure: nothing answered. */
export class ServerUnreachableError extends InferenceClientError {
  constructor(url: string, detail: string, cause?: unknown) {
    super('E_UNREACHABLE', `inference server at ${url} cannot be reached: ${detail}`, true, 'is `coquant serve` (or Triton) running at that address?', cause);
  }
}

export class RequestTimeoutError extends InferenceClientError {
  constructor(url: string, ms: number) {
    super('E_TIMEOUT', `no complete answer from ${url} within ${ms} ms`, true, 'raise the client timeout or check the server load');
  }
}

/** The caller's AbortSignal fired. Not retryable: the caller asked to stop. */
export class RequestAbortedError extends InferenceClientError {
  constructor(url: string) {
    super('E_ABORTED', `request to ${url} was aborted by the caller`, false);
  }
}

/** The server answered 2xx with something that is not a valid protocol document. */
export class BadResponseError extends InferenceClientError {
  constructor(url: string, detail: string) {
    super('E_BAD_RESPONSE', `garbage answer from ${url}: ${detail}`, true);
  }
}

/** The server answered with an error status; `serverMessage` is its `{"error": ...}` text. */
export class ServerHttpError extends InferenceClientError {
  readonly status: number;
  readonly serverMessage: string;
  constructor(url: string, status: number, serverMessage: string) {
    super('E_HTTP', `${url} answered HTTP ${status}: ${serverMessage}`, status >= 500 || status === 429);
    this.status = status;
    this.serverMessage = serverMessage;
  }
}
