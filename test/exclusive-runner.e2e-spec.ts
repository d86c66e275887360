import { Redlock } from '@sesamecare-oss/redlock';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { ExclusiveRunner } from '../src/shared/locks/exclusive-runner';
import { LocalExclusiveRunner } from '../src/shared/locks/local-exclusive-runner';
import { RedlockExclusiveRunner } from '../src/shared/locks/redlock-exclusive-runner';
import { TEST_REDIS_URL } from './support/services';

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const TTL_MS = 2_500;
/** Several times the lock’s TTL. */
const LONG_WORK_MS = 7_500;

/**
 * While `work` of `holder` runs for LONG_WORK_MS, `contender` tries the same lock every TTL/2:
 * every try must be refused. Returns what the tries saw and the signal the work got.
 */
async function holdLongerThanTtl(holder: ExclusiveRunner, contender: ExclusiveRunner, name: string) {
  const contenderRan: boolean[] = [];
  let signal: AbortSignal | undefined;
  const ran = await holder.run(name, TTL_MS, async (received) => {
    signal = received;
    const end = Date.now() + LONG_WORK_MS;
    while (Date.now() < end) {
      await sleep(TTL_MS / 2);
      contenderRan.push(await contender.run(name, TTL_MS, async () => undefined));
    }
  });
  return { ran, contenderRan, aborted: signal?.aborted };
}

describe('Exclusive runners', () => {
  describe('Redlock (real Redis)', () => {
    const clients: Redis[] = [];
    const runner = () => {
      const client = new Redis(TEST_REDIS_URL);
      clients.push(client);
      return new RedlockExclusiveRunner(client);
    };
    const name = () => `test-exclusive-${randomBytes(4).toString('hex')}`;

    afterAll(() => clients.forEach((client) => client.disconnect()));

    it('extends the lock while work runs longer than its TTL: another process cannot take it meanwhile', async () => {
      const lockName = name();
      const observer = clients[clients.push(new Redis(TEST_REDIS_URL)) - 1];
      const ttls: number[] = [];
      const holder = runner();
      const watching = (async () => {
        await sleep(TTL_MS * 2);
        ttls.push(await observer.pttl(`lock:${lockName}`));
      })();
      const result = await holdLongerThanTtl(holder, runner(), lockName);
      await watching;
      expect(result.ran).toBe(true);
      expect(result.contenderRan.length).toBeGreaterThanOrEqual(4);
      expect(result.contenderRan.every((ran) => ran === false)).toBe(true);
      expect(result.aborted).toBe(false);
      // Past its first TTL the key still exists with time left: it was extended, not re-created.
      expect(ttls[0]).toBeGreaterThan(0);
    });

    it('releases the lock when the work ends, and after a failure (the error reaches the caller)', async () => {
      const lockName = name();
      const [first, second] = [runner(), runner()];
      expect(await first.run(lockName, TTL_MS, async () => undefined)).toBe(true);
      expect(await second.run(lockName, TTL_MS, async () => undefined)).toBe(true);
      await expect(first.run(lockName, TTL_MS, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
      expect(await second.run(lockName, TTL_MS, async () => undefined)).toBe(true);
    });

    it('(control) the same check catches a lock that is acquired and never extended, as before', async () => {
      /** v1's runner: Redlock's acquire and release around the work, nothing in between. */
      class UnextendedRunner extends ExclusiveRunner {
        private readonly redlock: Redlock;
        constructor(client: Redis) {
          super();
          this.redlock = new Redlock([client], { retryCount: 0 });
          this.redlock.on('error', () => undefined);
        }
        async run(lockName: string, ttlMs: number, work: (signal: AbortSignal) => Promise<void>): Promise<boolean> {
          const lock = await this.redlock.acquire([`lock:${lockName}`], ttlMs).catch(() => undefined);
          if (!lock) return false;
          try {
            await work(new AbortController().signal);
            return true;
          } finally {
            await lock.release().catch(() => undefined);
          }
        }
      }
      const client = clients[clients.push(new Redis(TEST_REDIS_URL)) - 1];
      const result = await holdLongerThanTtl(new UnextendedRunner(client), runner(), name());
      expect(result.contenderRan).toContain(true);
    });
  });

  describe('local (embedded mode)', () => {
    it('holds the lock as long as the work runs, whatever the TTL, and frees it afterwards', async () => {
      const runner = new LocalExclusiveRunner();
      const result = await holdLongerThanTtl(runner, runner, 'local');
      expect(result.ran).toBe(true);
      expect(result.contenderRan.every((ran) => ran === false)).toBe(true);
      expect(result.aborted).toBe(false);
      expect(await runner.run('local', TTL_MS, async () => undefined)).toBe(true);
    });
  });
});
