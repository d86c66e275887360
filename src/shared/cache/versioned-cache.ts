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
}

const VERSION_TTL_MS = 7 * 24 * 3600 * 1000;

/**
 * Cached values that writers invalidate without a race. Each value is stored with the version of
 * its group that was current when the reader started; a writer commits to the database first and
 * then replaces the version. A reader that raced a write stores its (possibly old) value under the
 * old version, which no later reader accepts. Value and version are read in one round trip.
 * A missing version (never set, or evicted) never validates anything.
 */
@Injectable()
export class VersionedCache {
  constructor(private readonly cache: AppCache) {}

  async read<T>(key: string, versionKey: string): Promise<VersionedRead<T>> {
    const [entry, version] = await this.cache.getMany<Versioned<T> | string>([key, versionKey]);
    if (typeof version === 'string' && typeof entry === 'object' && entry.version === version) {
      this.cache.count(true);
      return { value: entry.value, version };
    }
    this.cache.count(false);
    if (typeof version === 'string') return { version };
    const fresh = randomUUID();
    await this.cache.set(versionKey, fresh, VERSION_TTL_MS);
    return { version: fresh };
  }

  async write<T>(key: string, version: string, value: T, ttlMs: number): Promise<void> {
    await this.cache.set<Versioned<T>>(key, { version, value }, ttlMs);
  }

  /** Call after the database change has committed. */
  async invalidate(...versionKeys: string[]): Promise<void> {
    await Promise.all(versionKeys.map((versionKey) => this.cache.set(versionKey, randomUUID(), VERSION_TTL_MS)));
  }
}
