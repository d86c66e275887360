/**
 * Where cached text lives: Redis when several API processes share it, process memory when the API
 * runs embedded. Values are opaque strings, so a hit is handed on as stored — never parsed here —
 * and each caller chooses its own encoding. Failures reject; {@link AppCache} decides what they mean.
 */
export abstract class CacheStore {
  abstract get(key: string): Promise<string | null>;
  /** One round trip for all of `keys`. */
  abstract getMany(keys: string[]): Promise<(string | null)[]>;
  abstract set(key: string, value: string, ttlMs: number): Promise<void>;
  abstract delete(keys: string[]): Promise<void>;
}
