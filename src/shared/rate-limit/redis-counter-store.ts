import { Logger, OnApplicationShutdown } from '@nestjs/common';
import { CommandParser, defineScript } from '@redis/client';
import { closeRequestPathClient, createRequestPathClient, firstConnection } from '../redis/request-path-client';
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

const scripts = {
  rateLimitHit: defineScript({
    SCRIPT: HIT_SCRIPT,
    NUMBER_OF_KEYS: 1,
    parseCommand(parser: CommandParser, key: string, windowMs: number) {
      parser.pushKey(key);
      parser.push(String(windowMs));
    },
    transformReply: (reply: unknown) => reply as [number, number],
  }),
  rateLimitUndo: defineScript({
    SCRIPT: UNDO_SCRIPT,
    NUMBER_OF_KEYS: 1,
    parseCommand(parser: CommandParser, key: string) {
      parser.pushKey(key);
    },
    transformReply: (reply: unknown) => reply as number,
  }),
};

const NOTHING_COUNTED: WindowCount = { count: 0, resetInMs: 0 };

/**
 * Counters in Redis, shared by every API process. The per-IP limit hits one on every request, so
 * it runs on a request-path node-redis connection (see request-path-client.ts: with ioredis the
 * limit cost ~20 µs a request, about half a cached read). Keys are `<REDIS_PREFIX>:<key>` as before,
 * so processes of the previous release count into the same windows during a rolling deploy.
 */
export class RedisCounterStore extends CounterStore implements OnApplicationShutdown {
  private readonly logger = new Logger(RedisCounterStore.name);
  private readonly client;
  private lastFailureLogged = 0;

  constructor(
    url: string,
    private readonly prefix: string,
  ) {
    super();
    this.client = createRequestPathClient(url, 'RateLimits', scripts);
  }

  connected(): Promise<void> {
    return firstConnection(this.client);
  }

  async hit(key: string, windowMs: number): Promise<WindowCount> {
    try {
      const [count, ttl] = await this.client.rateLimitHit(this.prefix + key, windowMs);
      return { count, resetInMs: Math.max(ttl, 0) };
    } catch (error) {
      return this.failOpen(error);
    }
  }

  async peek(key: string): Promise<WindowCount> {
    try {
      const [count, ttl] = await Promise.all([this.client.get(this.prefix + key), this.client.pTTL(this.prefix + key)]);
      return { count: Number(count ?? 0), resetInMs: Math.max(ttl, 0) };
    } catch (error) {
      return this.failOpen(error);
    }
  }

  async reset(key: string): Promise<void> {
    await this.client.del(this.prefix + key).catch((error: unknown) => this.failOpen(error));
  }

  async undo(key: string): Promise<void> {
    await this.client.rateLimitUndo(this.prefix + key).catch((error: unknown) => this.failOpen(error));
  }

  async onApplicationShutdown(): Promise<void> {
    await closeRequestPathClient(this.client);
  }

  private failOpen(error: unknown): WindowCount {
    if (Date.now() - this.lastFailureLogged > 10_000) {
      this.lastFailureLogged = Date.now();
      this.logger.warn(`Rate limits not enforced while Redis is unreachable: ${(error as Error).message}`);
    }
    return NOTHING_COUNTED;
  }
}
