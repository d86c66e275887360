import type { FastifyInstance } from 'fastify';
import type { CounterStore } from '../rate-limit/counter-store';
import { problem } from './problem-details.filter';

/** Probes and scrapes come from the platform, not from clients. */
const EXEMPT_PATHS = new Set(['/health/live', '/health/ready', '/metrics']);

/**
 * The per-client-IP limit (`RATE_LIMIT_PER_IP` requests per second, all API processes together).
 * It runs as Fastify's first hook, before routing and Nest's pipeline, so a flood of unknown URLs
 * or bad tokens is counted too and costs one Redis round trip per request. `request.ip` honours
 * `X-Forwarded-For` only when Fastify's `trustProxy` is on (`TRUST_PROXY`).
 */
export function registerClientRateLimit(fastify: FastifyInstance, counters: CounterStore, perSecond: number): void {
  if (perSecond === 0) return;
  fastify.addHook('onRequest', async (request, reply) => {
    if (EXEMPT_PATHS.has(request.url.split('?', 1)[0])) return;
    const second = Math.floor(Date.now() / 1000);
    const { count } = await counters.hit(`rl:ip:${request.ip}:${second}`, 1_000);
    if (count <= perSecond) return;
    return reply
      .status(429)
      .header('retry-after', '1')
      .header('content-type', 'application/problem+json')
      .send(problem(429, `More than ${perSecond} requests per second from this client.`));
  });
}
