import { OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { createRequestPathRedis } from '../redis/redis.module';
import { CacheStore } from './cache-store';

/**
 * The cache in Redis, one `GET`/`MGET`/`SET` per call and nothing in between: on the hot reads this
 * replaced cache-manager + Keyv + `@keyv/redis`, whose layers and JSON envelope were ~10 % of a
 * cached read (BENCHMARKS.md, issue 11). Its own ioredis connection (the cache may live on another
 * Redis, `CACHE_REDIS_URL`), with the request-path settings: while Redis is unreachable, commands
 * fail at once and the client reconnects on its own, so reads fall through to the database.
 *
 * Keys are `<REDIS_PREFIX>:cache::<key>`, the layout the Keyv store used, so version keys stay shared
 * with processes of the previous release during a rolling deploy (see ProductCache).
 */
export class RedisCacheStore extends CacheStore implements OnApplicationShutdown {
  private readonly client: Redis;

  constructor(url: string, redisPrefix: string) {
    super();
    this.client = createRequestPathRedis(url, `${redisPrefix}:cache::`, 'orderly-cache');
  }

  get(key: string): Promise<string | null> {
    return this.client.get(key);
  }

  getMany(keys: string[]): Promise<(string | null)[]> {
    return this.client.mget(keys);
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.client.set(key, value, 'PX', ttlMs);
  }

  async delete(keys: string[]): Promise<void> {
    await this.client.del(keys);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
