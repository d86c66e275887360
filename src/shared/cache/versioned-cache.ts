import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppCache } from './app-cache';

/** How a cached value is written as text and read back. */
export interface Codec<T> {
  encode(value: T): string;
  decode(text: string): T;
}

export const jsonCodec = <T>(): Codec<T> => ({ encode: (value) => JSON.stringify(value), decode: (text) => JSON.parse(text) as T });

export interface VersionedRead<T> {
  value?: T;
  /** Store a freshly computed value under this version. */
  version: string;
  /** This read created the version (none existed): {@link VersionedCache.forget} undoes that. */
  created: boolean;
}

export interface VersionedEntry<T> {
  key: string;
  versionKey: string;
  codec: Codec<T>;
}

const VERSION_TTL_MS = 7 * 24 * 3600 * 1000;

/**
 * Cached values that writers invalidate without a race. A reader settles the version of its group
 * BEFORE it reads the database, and stores what it read under that version; a writer commits to
 * the database first and then replaces the version. Whatever the interleaving, a value read before
 * a write committed ends up under a version the write has replaced, which no later reader accepts.
 * Value and version are read in one round trip; a missing version (never set, or evicted) never
 * validates anything.
 *
 * An entry is stored as `<version>\n<encoded value>`. A version is whatever text the version key
 * holds (ours are UUIDs; a process of an earlier release may have written a JSON envelope there);
 * neither contains a line break, so the first one ends it.
 */
@Injectable()
export class VersionedCache {
  constructor(private readonly cache: AppCache) {}

  /**
   * One entry; with `cacheName`, the lookup is counted as a hit or a miss of that cache. Chained
   * rather than awaited: every cached read by id comes through here, and each `async` frame is two
   * more promises for Node 20's async hooks (AsyncLocalStorage) to track.
   */
  read<T>(entry: VersionedEntry<T>, cacheName?: string): Promise<VersionedRead<T>> {
    return this.cache.getMany([entry.key, entry.versionKey]).then(([stored, version]) => {
      const read = this.settle(entry, stored, version);
      if (cacheName) this.cache.count(cacheName, read.value !== undefined);
      return read.created ? this.createVersions([entry], [read]).then(() => read) : read;
    });
  }

  /** Counts a lookup of the cache named `cacheName` (`cache_requests` in the metrics). */
  count(cacheName: string, hit: boolean): void {
    this.cache.count(cacheName, hit);
  }

  /** Several entries in one round trip (plus one more if some versions must be created). */
  async readMany<T>(entries: VersionedEntry<T>[]): Promise<VersionedRead<T>[]> {
    const found = await this.cache.getMany([...entries.map((e) => e.key), ...entries.map((e) => e.versionKey)]);
    const reads = entries.map((entry, index) => this.settle(entry, found[index], found[entries.length + index]));
    await this.createVersions(entries, reads);
    return reads;
  }

  private settle<T>({ codec }: VersionedEntry<T>, stored: string | undefined, version: string | undefined): VersionedRead<T> {
    if (version === undefined) return { version: randomUUID(), created: true };
    const current = stored !== undefined && stored.charCodeAt(version.length) === 10 && stored.startsWith(version);
    return current ? { value: codec.decode(stored.slice(version.length + 1)), version, created: false } : { version, created: false };
  }

  private async createVersions(entries: VersionedEntry<unknown>[], reads: VersionedRead<unknown>[]): Promise<void> {
    await Promise.all(
      reads.map((read, index) => (read.created ? this.cache.set(entries[index].versionKey, read.version, VERSION_TTL_MS) : undefined)),
    );
  }

  async write<T>(entry: VersionedEntry<T>, version: string, value: T, ttlMs: number): Promise<void> {
    await this.cache.set(entry.key, `${version}\n${entry.codec.encode(value)}`, ttlMs);
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
