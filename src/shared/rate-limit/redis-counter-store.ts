import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { CounterStore, WindowCount } from './counter-store';

// One round trip: increment, open the window on the first hit, report the time left.
const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return { count, redis.call('PTTL', KEYS[1]) }`;

// Only an open window is decremented: DECR on an expired key would create one that never expires.
const UNDO_SCRIPT = `
if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then return redis.call('DECR', KEYS[1]) end
return 0`;

type RedisWithHit = Redis & {
  rateLimitHit(key: string, windowMs: number): Promise<[number, number]>;
  rateLimitUndo(key: string): Promise<number>;
};

const NOTHING_COUNTED: WindowCount = { count: 0, resetInMs: 0 };

export class RedisCounterStore extends CounterStore {
  private readonly logger = new Logger(RedisCounterStore.name);
  private readonly redis: RedisWithHit;
  private lastFailureLogged = 0;

  constructor(redis: Redis) {
    super();
    if (!('rateLimitHit' in redis)) redis.defineCommand('rateLimitHit', { numberOfKeys: 1, lua: HIT_SCRIPT });
    if (!('rateLimitUndo' in redis)) redis.defineCommand('rateLimitUndo', { numberOfKeys: 1, lua: UNDO_SCRIPT });
    this.redis = redis as RedisWithHit;
  }

  async hit(key: string, windowMs: number): Promise<WindowCount> {
    try {
      const [count, ttl] = await this.redis.rateLimitHit(key, windowMs);
      return { count, resetInMs: Math.max(ttl, 0) };
    } catch (error) {
      return this.failOpen(error);
    }
  }

  async peek(key: string): Promise<WindowCount> {
    try {
      const [count, ttl] = await Promise.all([this.redis.get(key), this.redis.pttl(key)]);
      return { count: Number(count ?? 0), resetInMs: Math.max(ttl, 0) };
    } catch (error) {
      return this.failOpen(error);
    }
  }

  async reset(key: string): Promise<void> {
    await this.redis.del(key).catch((error: unknown) => this.failOpen(error));
  }

  async undo(key: string): Promise<void> {
    await this.redis.rateLimitUndo(key).catch((error: unknown) => this.failOpen(error));
  }

  private failOpen(error: unknown): WindowCount {
    if (Date.now() - this.lastFailureLogged > 10_000) {
      this.lastFailureLogged = Date.now();
      this.logger.warn(`Rate limits not enforced while Redis is unreachable: ${(error as Error).message}`);
    }
    return NOTHING_COUNTED;
  }
}
