import { Redlock } from '@sesamecare-oss/redlock';
import type { Redis } from 'ioredis';
import { ExclusiveRunner } from './exclusive-runner';

/** The shortest TTL Redlock can extend in time (it refuses a threshold within 100 ms of the TTL). */
const MIN_TTL_MS = 300;

/**
 * Redlock on the shared Redis: the lock is taken without retrying (the next tick will try again)
 * and, through `Redlock.using`, extended by `ttlMs` whenever a third of it is left, for as long as
 * the work runs. If an extension fails until the lock has expired, the signal passed to the work
 * aborts. Correctness never depends on the lock alone: the work it guards must stay idempotent
 * (the database fences each change), the lock only saves effort.
 */
export class RedlockExclusiveRunner extends ExclusiveRunner {
  private readonly redlock: Redlock;

  constructor(redis: Redis) {
    super();
    this.redlock = new Redlock([redis], { retryCount: 0 });
    this.redlock.on('error', () => undefined);
  }

  async run(name: string, ttlMs: number, work: (signal: AbortSignal) => Promise<void>): Promise<boolean> {
    const duration = Math.max(Math.round(ttlMs), MIN_TTL_MS);
    let started = false;
    let finished = false;
    try {
      await this.redlock.using([`lock:${name}`], duration, { automaticExtensionThreshold: Math.floor(duration / 3) }, async (signal) => {
        started = true;
        await work(signal);
        finished = true;
      });
      return true;
    } catch (error) {
      // Not acquired: another process holds the lock (or Redis is unreachable); the next tick tries again.
      if (!started) return false;
      // Only the release failed: the lock expires on its own.
      if (finished) return true;
      throw error;
    }
  }
}
