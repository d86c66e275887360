import { CACHE_MANAGER } from '@nestjs/cache-manager';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Cache } from 'cache-manager';

/**
 * The cache as domain services use it: never throws (a cache outage is a miss, logged), and counts
 * hits and misses. Entries carry a TTL as a backstop only; writers invalidate explicitly.
 */
@Injectable()
export class AppCache {
  private readonly logger = new Logger(AppCache.name);
  private lastFailureLogged = 0;
  readonly stats = { hits: 0, misses: 0, errors: 0 };

  constructor(@Inject(CACHE_MANAGER) private readonly cache: Cache) {}

  async get<T>(key: string): Promise<T | undefined> {
    try {
      const value = await this.cache.get<T>(key);
      if (value === undefined || value === null) {
        this.stats.misses += 1;
        return undefined;
      }
      this.stats.hits += 1;
      return value;
    } catch (error) {
      this.stats.misses += 1;
      this.failed(error);
      return undefined;
    }
  }

  /** One round trip for several keys; an outage reads as all misses. Not counted: callers decide what a hit is. */
  async getMany<T>(keys: string[]): Promise<(T | undefined)[]> {
    try {
      return (await this.cache.mget<T>(keys)).map((value) => value ?? undefined);
    } catch (error) {
      this.failed(error);
      return keys.map(() => undefined);
    }
  }

  count(hit: boolean): void {
    if (hit) this.stats.hits += 1;
    else this.stats.misses += 1;
  }

  async set<T>(key: string, value: T, ttlMs: number): Promise<void> {
    await this.cache.set(key, value, ttlMs).catch((error: unknown) => this.failed(error));
  }

  async delete(...keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.cache.mdel(keys).catch((error: unknown) => this.failed(error));
  }

  private failed(error: unknown): void {
    this.stats.errors += 1;
    if (Date.now() - this.lastFailureLogged < 10_000) return;
    this.lastFailureLogged = Date.now();
    this.logger.warn(`Cache unavailable, falling through to the database: ${(error as Error).message}`);
  }
}
