import { CoquantError } from '../../errors.ts';

/**
 * A request the protocol rejects. `status` follows Triton's mapping of error codes to HTTP
 * (invalid argument 400, not found 404, unavailable 503, unsupported 501, …) and `reason` is
 * the low-cardinality label the failure metric is counted under.
 */
export class ProtocolError extends CoquantError {
  readonly status: number;
  readonly reason: string;

  constructor(status: number, reason: string, message: string, hint?: string) {
    super(`E_PROTOCOL_${reason.toUpperCase()}`, message, { hint });
    this.status = status;
    this.reason = reason;
  }
}

export const invalidArg = (msg: string, reason = 'invalid_argument'): ProtocolError => new ProtocolError(400, reason, msg);
export const notFound = (msg: string): ProtocolError => new ProtocolError(404, 'not_found', msg);
export const unavailable = (msg: string, reason = 'unavailable'): ProtocolError => new ProtocolError(503, reason, msg);
export const unsupported = (msg: string): ProtocolError => new ProtocolError(501, 'unsupported', msg);
