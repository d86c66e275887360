import type { TrustProxy } from '../config/environment';

type TrustFunction = (address: string, hop: number) => boolean;

/**
 * Fastify's `trustProxy` for `TRUST_PROXY`. Recent Fastify 5 (5.12.8 here) reads a plain number as "trust
 * nothing", so a hop count is passed as a function: hops `0..n-1` from the socket inwards are our
 * proxies, and `request.ip` is the right-most `X-Forwarded-For` entry they did not add. A list of
 * addresses/CIDRs is passed as is (proxy-addr compiles it). Either way `request.ip` is the right-most
 * address not trusted, never the left-most one a client wrote. A hop count trusts whoever connects
 * directly, so it fits only where clients reach the process solely through those proxies; where
 * they can bypass them, list the proxies' addresses instead.
 */
export function fastifyTrustProxy(setting: TrustProxy): false | string[] | TrustFunction {
  if (typeof setting !== 'number') return setting;
  const hops = setting;
  return (_address, hop) => hop < hops;
}
