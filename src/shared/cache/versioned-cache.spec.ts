import { describe, expect, it, vi } from 'vitest';
import { AppCache } from './app-cache';
import { MemoryCacheStore } from './memory-cache-store';
import { jsonCodec, VersionedCache, VersionedEntry } from './versioned-cache';

const entry: VersionedEntry<{ name: string }> = { key: 'thing:1', versionKey: 'thing:1:version', codec: jsonCodec() };

function cacheOn(store = new MemoryCacheStore()) {
  return { store, cache: new VersionedCache(new AppCache(store)) };
}

describe('VersionedCache', () => {
  it('serves what was written under the current version, and nothing once the version moves', async () => {
    const { cache } = cacheOn();
    const first = await cache.read(entry);
    expect(first.value).toBeUndefined();
    expect(first.created).toBe(true);
    await cache.write(entry, first.version, { name: 'kept' }, 60_000);
    expect((await cache.read(entry)).value).toEqual({ name: 'kept' });
    await cache.invalidate(entry.versionKey);
    expect((await cache.read(entry)).value).toBeUndefined();
  });

  it('never accepts a value stored under a version a writer has since replaced', async () => {
    const { cache } = cacheOn();
    const before = await cache.read(entry);
    await cache.invalidate(entry.versionKey); // a write commits while the reader was at the database
    await cache.write(entry, before.version, { name: 'stale' }, 60_000);
    expect((await cache.read(entry)).value).toBeUndefined();
  });

  it('takes whatever text the version key holds as the version, as an earlier release wrote it', async () => {
    const { store, cache } = cacheOn();
    await store.set(entry.versionKey, '{"value":"3f2c","expires":null}', 60_000);
    const read = await cache.read(entry);
    expect(read).toMatchObject({ version: '{"value":"3f2c","expires":null}', created: false });
    await cache.write(entry, read.version, { name: 'shared' }, 60_000);
    expect((await cache.read(entry)).value).toEqual({ name: 'shared' });
    await store.set(entry.versionKey, '{"value":"9ab1","expires":null}', 60_000); // that release invalidates
    expect((await cache.read(entry)).value).toBeUndefined();
  });

  it('counts hits and misses of a named cache, and reads an outage as a miss', async () => {
    const store = new MemoryCacheStore();
    const app = new AppCache(store);
    const cache = new VersionedCache(app);
    const first = await cache.read(entry, 'thing');
    await cache.write(entry, first.version, { name: 'x' }, 60_000);
    await cache.read(entry, 'thing');
    vi.spyOn(store, 'getMany').mockRejectedValueOnce(new Error('connection reset'));
    expect((await cache.read(entry, 'thing')).value).toBeUndefined();
    expect(app.stats.lookups.get('thing')).toEqual({ hits: 1, misses: 2 });
    expect(app.stats.errors).toBe(1);
  });
});

describe('AppCache', () => {
  it('answers a read of no keys without asking the store (Redis refuses an MGET of none)', async () => {
    const store = new MemoryCacheStore();
    const getMany = vi.spyOn(store, 'getMany');
    const app = new AppCache(store);
    expect(await app.getMany([])).toEqual([]);
    expect(getMany).not.toHaveBeenCalled();
    expect(app.stats.errors).toBe(0);
  });
});

describe('MemoryCacheStore', () => {
  it('expires entries like Redis keys', async () => {
    vi.useFakeTimers();
    try {
      const store = new MemoryCacheStore();
      await store.set('k', 'v', 1_000);
      expect(await store.get('k')).toBe('v');
      vi.advanceTimersByTime(1_001);
      expect(await store.get('k')).toBeNull();
    } finally {
      vi.useRealTimers();
    }
  });

  it('stays bounded, dropping the oldest write first', async () => {
    const store = new MemoryCacheStore();
    for (let index = 0; index <= 10_000; index += 1) await store.set(`k${index}`, 'v', 60_000);
    expect(await store.getMany(['k0', 'k1', 'k10000'])).toEqual([null, 'v', 'v']);
  });
});
