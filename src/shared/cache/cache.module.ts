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
      useFactory: async (env: Environment): Promise<CacheStore> => {
        if (!env.cacheRedisUrl) return new MemoryCacheStore();
        const store = new RedisCacheStore(env.cacheRedisUrl, env.redisPrefix);
        await store.connected();
        return store;
      },
    },
    AppCache,
    VersionedCache,
  ],
  exports: [AppCache, VersionedCache],
})
export class CacheModule {}
