/**
 * The checks every request passes before its route runs, in one place for both of the server's
 * request paths (fastify's routes and the inference route on node:http, infer-route.ts).
 */
import type { IncomingHttpHeaders } from 'node:http';

/** Why a request is turned away: its status, the message for `{"error": …}` and extra headers. */
export interface Refusal {
  status: number;
  message: string;
  headers?: Record<string, string>;
}

/**
 * `checkToken` is makeTokenCheck's result, or undefined when the server has no token;
 * /v2/health/* stays open either way, so a load balancer can probe without the token.
 */
export function admissionRefusal(
  url: string, headers: IncomingHttpHeaders, checkToken: ((authorization: string | undefined) => boolean) | undefined,
): Refusal | undefined {
  const enc = headers['content-encoding'];
  if (enc && enc !== 'identity') return { status: 501, message: `Content-Encoding '${enc}' is not supported; send the body uncompressed` };
  if (checkToken && !url.startsWith('/v2/health/') && !checkToken(headers.authorization)) {
    return { status: 401, message: 'missing or wrong bearer token (send "Authorization: Bearer <token>")', headers: { 'WWW-Authenticate': 'Bearer' } };
  }
  return undefined;
}
