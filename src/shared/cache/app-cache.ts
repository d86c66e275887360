import { Injectable, Logger } from '@nestjs/common';
import { CacheStore } from './cache-store';

/**
 * The cache as domain services use it: never throws (a cache outage is a miss, logged), and counts
 * hits and misses. Values are text the caller encoded (usually JSON it will send as it is).
 * Entries carry a TTL as a backstop only; writers invalidate explicitly.
 */
@Injectable()
export class AppCache {
  private readonly logger = new Logger(AppCache.name);
  private lastFailureLogged = 0;
  /** Lookups per named cache (`profile`, `product`, …), and failures of any kind. */
  readonly stats = { lookups: new Map<string, { hits: number; misses: number }>(), errors: 0 };

  constructor(private readonly store: CacheStore) {}

  /** A lookup counted as a hit or a miss of the cache named `cacheName` (chained, like {@link getMany}). */
  get(cacheName: string, key: string): Promise<string | undefined> {
    return this.store.get(key).then(
      (value) => {
        this.count(cacheName, value !== null);
        return value ?? undefined;
      },
      (error: unknown) => {
        this.count(cacheName, false);
        this.failed(error);
        return undefined;
      },
    );
  }

  /**
   * One round trip for several keys; an outage reads as all misses. Not counted: callers decide
   * what a hit is. Chained, not `async`: it is on every cached read (see VersionedCache.read).
   */
  getMany(keys: string[]): Promise<(string | undefined)[]> {
    // Redis refuses an MGET of no keys (an empty page asks for none).
    if (keys.length === 0) return Promise.resolve([]);
    return this.store.getMany(keys).then(
      (values) => values.map((value) => value ?? undefined),
      (error: unknown) => {
        this.failed(error);
        return keys.map(() => undefined);
      },
    );
  }

  count(cacheName: string, hit: boolean): void {
    let counts = this.stats.lookups.get(cacheName);
    if (!counts) this.stats.lookups.set(cacheName, (counts = { hits: 0, misses: 0 }));
    if (hit) counts.hits += 1;
    else counts.misses += 1;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.store.set(key, value, ttlMs).catch((error: unknown) => this.failed(error));
  }

  async delete(...keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.store.delete(keys).catch((error: unknown) => this.failed(error));
  }

  private failed(error: unknown): void {
    this.stats.errors += 1;
    if (Date.now() - this.lastFailureLogged < 10_000) return;
    this.lastFailureLogged = Date.now();
    this.logger.warn(`Cache unavailable, falling through to the database: ${(error as Error).message}`);
  }
}
