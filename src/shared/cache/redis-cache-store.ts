import { Logger, OnApplicationShutdown } from '@nestjs/common';
import { createClient } from '@redis/client';
import { CacheStore } from './cache-store';

const logger = new Logger('Cache');

/**
 * The cache in Redis through node-redis, one `GET`/`MGET`/`SET` per call and nothing in between: on
 * the hot reads this replaced cache-manager + Keyv + `@keyv/redis`, whose layers and JSON envelope
 * were ~10 % of a cached read (BENCHMARKS.md, issue 11). node-redis rather than the ioredis client
 * the rest of the request path uses: in the same run a cached read cost ~15 µs less CPU with it than
 * with ioredis, with or without auto-pipelining (fewer promises, no timer per command), for ~13 MB
 * more memory (it loads every command module). While Redis is unreachable, commands fail at once
 * (no offline queue) and the client keeps reconnecting, so reads fall through to the database.
 *
 * Keys are `<REDIS_PREFIX>:cache::<key>`, the layout the Keyv store used, so version keys stay shared
 * with processes of the previous release during a rolling deploy (see ProductCache).
 */
export class RedisCacheStore extends CacheStore implements OnApplicationShutdown {
  private readonly client;
  private readonly prefix: string;
  private lastReported = 0;

  constructor(url: string, redisPrefix: string) {
    super();
    this.prefix = `${redisPrefix}:cache::`;
    this.client = createClient({
      url,
      disableOfflineQueue: true,
      socket: { connectTimeout: 1_000, reconnectStrategy: (attempt: number) => Math.min(attempt * 200, 2_000) },
    });
    this.client.on('error', (error: Error) => this.report(error));
    // Connect now rather than on the first request, which would otherwise miss while connecting.
    this.client.connect().catch((error: Error) => this.report(error));
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
    if (this.client.isOpen) await this.client.close();
  }

  private report(error: Error): void {
    if (Date.now() - this.lastReported < 10_000) return;
    this.lastReported = Date.now();
    logger.warn(`Cache Redis unavailable, serving from the database: ${error.message}`);
  }
}
