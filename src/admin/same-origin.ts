import type { FastifyRequest } from 'fastify';

/**
 * Whether a browser says this request comes from a page of this very site: its `Origin` names the
 * host the request was sent to (cross-site request forgery check for cookie-authenticated calls).
 *
 * - No `Origin` is refused: every browser that honours `SameSite` sends it on POST, PUT, PATCH and
 *   DELETE, so only a non-browser client omits it, and those authenticate with a bearer token.
 * - The scheme must be the request's own, or `https`: behind a TLS-terminating proxy not listed in
 *   `TRUST_PROXY` the request looks like `http` while the browser's page was `https` on the same
 *   host, which is the same site. An `http` page never passes for an `https` one.
 */
export function comesFromOwnSite(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (typeof origin !== 'string') return false;
  try {
    const claimed = new URL(origin);
    // "null", paths, credentials, trailing slashes: not the bare origin a browser sends.
    if (claimed.origin !== origin) return false;
    const ownHost = new URL(`${claimed.protocol}//${request.host}`).host;
    return claimed.host === ownHost && (claimed.protocol === 'https:' || claimed.protocol === `${request.protocol}:`);
  } catch {
    return false;
  }
}
