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
  /** Lookups per named cache (`profile`, `product`, …), and failures of any kind. */
  readonly stats = { lookups: new Map<string, { hits: number; misses: number }>(), errors: 0 };

  constructor(@Inject(CACHE_MANAGER) private readonly cache: Cache) {}

  /** A lookup counted as a hit or a miss of the cache named `cacheName`. */
  async get<T>(cacheName: string, key: string): Promise<T | undefined> {
    try {
      const value = await this.cache.get<T>(key);
      this.count(cacheName, value !== undefined && value !== null);
      return value ?? undefined;
    } catch (error) {
      this.count(cacheName, false);
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

  count(cacheName: string, hit: boolean): void {
    let counts = this.stats.lookups.get(cacheName);
    if (!counts) this.stats.lookups.set(cacheName, (counts = { hits: 0, misses: 0 }));
    if (hit) counts.hits += 1;
    else counts.misses += 1;
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
