import { Global, Module } from '@nestjs/common';
import { ENVIRONMENT } from '../config/config.module';
import type { Environment } from '../config/environment';
import { AppCache } from './app-cache';
import { CacheStore } from './cache-store';
import { MemoryCacheStore } from './memory-cache-store';
import { RedisCacheStore } from './redis-cache-store';
import { VersionedCache } from './versioned-cache';

/** The cache: Redis when `CACHE_REDIS_URL`/`REDIS_URL` is set, else process memory. */
@Global()
@Module({
  providers: [
    {
      provide: CacheStore,
      inject: [ENVIRONMENT],
      useFactory: (env: Environment): CacheStore =>
        env.cacheRedisUrl ? new RedisCacheStore(env.cacheRedisUrl, env.redisPrefix) : new MemoryCacheStore(),
    },
    AppCache,
    VersionedCache,
  ],
  exports: [AppCache, VersionedCache],
})
export class CacheModule {}
