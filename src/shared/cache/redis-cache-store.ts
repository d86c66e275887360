import { OnApplicationShutdown } from '@nestjs/common';
import { closeRequestPathClient, createRequestPathClient, firstConnection } from '../redis/request-path-client';
import { CacheStore } from './cache-store';

/**
 * The cache in Redis, one `GET`/`MGET`/`SET` per call and nothing in between: on the hot reads this
 * replaced cache-manager + Keyv + `@keyv/redis`, whose layers and JSON envelope were ~10 % of a
 * cached read (BENCHMARKS.md, issue 11). Its own request-path connection: the cache may live on
 * another Redis (`CACHE_REDIS_URL`).
 *
 * Keys are `<REDIS_PREFIX>:cache::<key>`, the layout the Keyv store used, so version keys stay shared
 * with processes of the previous release during a rolling deploy (see ProductCache).
 */
export class RedisCacheStore extends CacheStore implements OnApplicationShutdown {
  private readonly client;
  private readonly prefix: string;

  constructor(url: string, redisPrefix: string) {
    super();
    this.prefix = `${redisPrefix}:cache::`;
    this.client = createRequestPathClient(url, 'Cache');
  }

  connected(): Promise<void> {
    return firstConnection(this.client);
  }

  get(key: string): Promise<string | null> {
    return this.client.get(this.prefix + key);
  }

  getMany(keys: string[]): Promise<(string | null)[]> {
    return this.client.mGet(keys.map((key) => this.prefix + key));
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.client.set(this.prefix + key, value, { expiration: { type: 'PX', value: ttlMs } });
  }

  async delete(keys: string[]): Promise<void> {
    await this.client.del(keys.map((key) => this.prefix + key));
  }

  async onApplicationShutdown(): Promise<void> {
    await closeRequestPathClient(this.client);
  }
}
