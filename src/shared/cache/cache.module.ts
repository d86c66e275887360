import { CacheModule as NestCacheModule } from '@nestjs/cache-manager';
import { Global, Logger, Module } from '@nestjs/common';
import KeyvRedis, { createKeyv } from '@keyv/redis';
import { Keyv } from 'keyv';
import { ENVIRONMENT } from '../config/config.module';
import type { Environment } from '../config/environment';
import { AppCache } from './app-cache';
import { VersionedCache } from './versioned-cache';

const logger = new Logger('Cache');

/**
 * Redis through Keyv when `CACHE_REDIS_URL`/`REDIS_URL` is set, else process memory. While Redis is
 * unreachable, commands fail at once (no offline queue) and the client keeps reconnecting, so
 * reads fall through to the database instead of waiting.
 */
function createStore(env: Environment): Keyv {
  if (!env.cacheRedisUrl) return new Keyv({ namespace: env.redisPrefix });
  const store = createKeyv(
    {
      url: env.cacheRedisUrl,
      disableOfflineQueue: true,
      socket: { connectTimeout: 1_000, reconnectStrategy: (attempt: number) => Math.min(attempt * 200, 2_000) },
    },
    { namespace: `${env.redisPrefix}:cache`, throwOnConnectError: false, throwOnErrors: true },
  );
  let lastReported = 0;
  const report = (error: Error) => {
    if (Date.now() - lastReported < 10_000) return;
    lastReported = Date.now();
    logger.warn(`Cache Redis unavailable, serving from the database: ${error.message}`);
  };
  store.on('error', report);
  // Connect now rather than on the first request, which would otherwise miss while connecting.
  void (store.store as KeyvRedis<unknown>).getClient().catch(report);
  (store.store as Keyv['store'] & { on(event: string, listener: (error: Error) => void): void }).on('error', report);
  return store;
}

@Global()
@Module({
  imports: [
    NestCacheModule.registerAsync({
      inject: [ENVIRONMENT],
      useFactory: (env: Environment) => ({ stores: [createStore(env)], ttl: 60_000 }),
    }),
  ],
  providers: [AppCache, VersionedCache],
  exports: [AppCache, VersionedCache, NestCacheModule],
})
export class CacheModule {}
