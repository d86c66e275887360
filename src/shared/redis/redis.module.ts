import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { ENVIRONMENT } from '../config/config.module';
import type { Environment } from '../config/environment';

/** The shared ioredis client for limits, locks and idempotency, or `null` when `REDIS_URL` is unset. */
export const REDIS = Symbol('REDIS');

const logger = new Logger('Redis');

/**
 * Request-path Redis: commands fail fast while disconnected (no offline queue, one retry, a short
 * command timeout) so callers can fail open instead of hanging; the client reconnects on its own.
 */
export function createRequestPathRedis(url: string, keyPrefix: string, name: string): Redis {
  const client = new Redis(url, {
    keyPrefix,
    connectionName: name,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 1_000,
    enableAutoPipelining: true,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  let lastReported = 0;
  client.on('error', (error: Error) => {
    // A down Redis emits an error per reconnect attempt; one line per 10 s is enough to act on.
    if (Date.now() - lastReported < 10_000) return;
    lastReported = Date.now();
    logger.warn(`${name}: ${error.message}`);
  });
  return client;
}

/** Waits briefly for the first connection so a healthy start is ready at once; a down Redis does not block start-up. */
async function waitUntilReady(client: Redis, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    client.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [ENVIRONMENT],
      useFactory: async (env: Environment) => {
        if (!env.redisUrl) return null;
        const client = createRequestPathRedis(env.redisUrl, `${env.redisPrefix}:`, 'orderly');
        await waitUntilReady(client, 3_000);
        return client;
      },
    },
  ],
  exports: [REDIS],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis | null) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis?.quit().catch(() => this.redis?.disconnect());
  }
}
