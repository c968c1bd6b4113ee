/**
 * Optional bearer-token check. Both sides are hashed to equal-length SHA-256 digests and
 * compared with timingSafeEqual, so neither the token's content nor its length leaks through
 * response timing. This is a convenience for a lab network; production auth and TLS belong to a proxy.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export function makeTokenCheck(token: string): (authorization: string | undefined) => boolean {
  const want = createHash('sha256').update(token, 'utf8').digest();
  return (authorization) => {
    const m = /^Bearer[ ]+(.+)$/i.exec(authorization ?? '');
    const got = createHash('sha256').update(m ? m[1]!.trim() : '', 'utf8').digest();
    return timingSafeEqual(want, got) && m !== null;
  };
}
