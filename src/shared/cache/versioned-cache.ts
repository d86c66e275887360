import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppCache } from './app-cache';

interface Versioned<T> {
  version: string;
  value: T;
}

export interface VersionedRead<T> {
  value?: T;
  /** Store a freshly computed value under this version. */
  version: string;
  /** This read created the version (none existed): {@link VersionedCache.forget} undoes that. */
  created: boolean;
}

const VERSION_TTL_MS = 7 * 24 * 3600 * 1000;

/**
 * Cached values that writers invalidate without a race. A reader settles the version of its group
 * BEFORE it reads the database, and stores what it read under that version; a writer commits to
 * the database first and then replaces the version. Whatever the interleaving, a value read before
 * a write committed ends up under a version the write has replaced, which no later reader accepts.
 * Value and version are read in one round trip; a missing version (never set, or evicted) never
 * validates anything.
 */
@Injectable()
export class VersionedCache {
  constructor(private readonly cache: AppCache) {}

  async read<T>(key: string, versionKey: string): Promise<VersionedRead<T>> {
    const [read] = await this.readMany<T>([{ key, versionKey }]);
    return read;
  }

  /** Counts a lookup of the cache named `cacheName` (`cache_requests` in the metrics). */
  count(cacheName: string, hit: boolean): void {
    this.cache.count(cacheName, hit);
  }

  /** Several entries in one round trip (plus one more if some versions must be created). */
  async readMany<T>(entries: { key: string; versionKey: string }[]): Promise<VersionedRead<T>[]> {
    const found = await this.cache.getMany<Versioned<T> | string>([...entries.map((e) => e.key), ...entries.map((e) => e.versionKey)]);
    const reads = entries.map((_entry, index): VersionedRead<T> => {
      const entry = found[index];
      const version = found[entries.length + index];
      if (typeof version !== 'string') return { version: randomUUID(), created: true };
      if (typeof entry === 'object' && entry.version === version) return { value: entry.value, version, created: false };
      return { version, created: false };
    });
    await Promise.all(
      reads.map((read, index) => (read.created ? this.cache.set(entries[index].versionKey, read.version, VERSION_TTL_MS) : undefined)),
    );
    return reads;
  }

  async write<T>(key: string, version: string, value: T, ttlMs: number): Promise<void> {
    await this.cache.set<Versioned<T>>(key, { version, value }, ttlMs);
  }

  /** Call after the database change has committed. */
  async invalidate(...versionKeys: string[]): Promise<void> {
    await Promise.all(versionKeys.map((versionKey) => this.cache.set(versionKey, randomUUID(), VERSION_TTL_MS)));
  }

  /** The read found nothing to cache (the row does not exist): leave nothing behind. */
  async forget(versionKey: string, read: VersionedRead<unknown>): Promise<void> {
    if (read.created) await this.cache.delete(versionKey);
  }
}
