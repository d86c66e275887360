import { Redlock } from '@sesamecare-oss/redlock';
import type { Redis } from 'ioredis';
import { ExclusiveRunner } from './exclusive-runner';

/**
 * Redlock on the shared Redis: the lock is taken without retrying (the next tick will try again)
 * and extended automatically while the work runs. Correctness never depends on it alone: the work
 * it guards must stay idempotent (the database fences each change), the lock only saves effort.
 */
export class RedlockExclusiveRunner extends ExclusiveRunner {
  private readonly redlock: Redlock;

  constructor(redis: Redis) {
    super();
    this.redlock = new Redlock([redis], { retryCount: 0, automaticExtensionThreshold: 500 });
    this.redlock.on('error', () => undefined);
  }

  async run(name: string, ttlMs: number, work: () => Promise<void>): Promise<boolean> {
    let lock;
    try {
      lock = await this.redlock.acquire([`lock:${name}`], ttlMs);
    } catch {
      return false;
    }
    try {
      await work();
      return true;
    } finally {
      await lock.release().catch(() => undefined);
    }
  }
}
