import { CacheStore } from './cache-store';

/** Enough for an embedded catalogue; beyond it the oldest entries go first. */
const MAX_ENTRIES = 10_000;

/** The cache of an embedded (single-process) API: a bounded map whose entries expire like Redis keys. */
export class MemoryCacheStore extends CacheStore {
  private readonly entries = new Map<string, { value: string; expiresAt: number }>();

  get(key: string): Promise<string | null> {
    return Promise.resolve(this.read(key));
  }

  getMany(keys: string[]): Promise<(string | null)[]> {
    return Promise.resolve(keys.map((key) => this.read(key)));
  }

  set(key: string, value: string, ttlMs: number): Promise<void> {
    // Re-inserted, so that the map's order stays oldest write first.
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: Date.now() + ttlMs });
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    return Promise.resolve();
  }

  delete(keys: string[]): Promise<void> {
    for (const key of keys) this.entries.delete(key);
    return Promise.resolve();
  }

  private read(key: string): string | null {
    const entry = this.entries.get(key);
    if (!entry) return null;
    if (entry.expiresAt > Date.now()) return entry.value;
    this.entries.delete(key);
    return null;
  }
}
