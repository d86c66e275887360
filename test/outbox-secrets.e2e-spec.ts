import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { register, startApp, TestApp, uniqueRedisPrefix } from './support/app';
import { createTestDatabase, TestDatabase } from './support/database';
import { TEST_REDIS_URL } from './support/services';
import { SmtpSink } from './support/smtp-sink';
import { startWorker, stopWorker, WorkerProcess } from './support/worker';

/** Every key under `prefix` with its value, whatever the type, as text. */
async function dumpRedis(redis: Redis, prefix: string): Promise<string[]> {
  const entries: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      let value: unknown;
      if (type === 'string') value = await redis.get(key);
      else if (type === 'hash') value = await redis.hgetall(key);
      else if (type === 'list') value = await redis.lrange(key, 0, -1);
      else if (type === 'set') value = await redis.smembers(key);
      else if (type === 'zset') value = await redis.zrange(key, 0, -1, 'WITHSCORES');
      else if (type === 'stream') value = await redis.xrange(key, '-', '+');
      else value = `<${type}>`;
      entries.push(`${key} ${JSON.stringify(value)}`);
    }
  } while (cursor !== '0');
  return entries;
}

/** Contract (v2): no secret rests in Redis; a reset token exists only in PostgreSQL (hashed) and in the e-mail. */
describe('Secrets and the job queue', () => {
  let database: TestDatabase;
  let smtp: SmtpSink;
  let api: TestApp;
  let worker: WorkerProcess | undefined;
  let redis: Redis;
  const redisPrefix = uniqueRedisPrefix();
  const shared = () => ({ DATABASE_URL: database.url, REDIS_PREFIX: redisPrefix, SMTP_URL: smtp.url, OUTBOX_SWEEP_INTERVAL_MS: '200' });
  const forgot = (email: string) => api.request({ method: 'POST', url: '/api/v1/auth/password/forgot', body: { email } });
  const tokenFrom = (text: string) => /^([A-Za-z0-9_-]{43})$/m.exec(text)![1];

  beforeAll(async () => {
    database = await createTestDatabase();
    smtp = await SmtpSink.start();
    api = await startApp(shared());
    worker = await startWorker({ ...shared(), REDIS_URL: TEST_REDIS_URL });
    redis = new Redis(TEST_REDIS_URL);
  });

  afterAll(async () => {
    redis?.disconnect();
    await stopWorker(worker);
    await api?.close();
    await smtp?.close();
    await database?.drop();
  });

  it('leaves no reset token anywhere under the Redis prefix once the mail is sent (and the scan finds a planted canary)', async () => {
    const canary = `canary-${randomBytes(16).toString('base64url')}`;
    await redis.hset(`${redisPrefix}:planted-canary`, 'value', canary);

    const account = await register(api);
    expect((await forgot(account.email)).status).toBe(202);
    await smtp.waitFor(() => smtp.to(account.email).some((mail) => mail.subject.includes('Reset your password')));
    const token = tokenFrom(smtp.to(account.email).find((mail) => mail.subject.includes('Reset'))!.text);

    const dataSource = api.app.get(DataSource);
    const resetRow = async () =>
      (
        (await dataSource.query(`SELECT id, status, payload FROM outbox WHERE name = 'password-reset-mail'`)) as {
          id: string;
          status: string;
          payload: Record<string, unknown>;
        }[]
      )[0];
    await expect.poll(async () => (await resetRow()).status, { timeout: 15_000, interval: 100 }).toBe('done');

    const dump = (await dumpRedis(redis, redisPrefix)).join('\n');
    expect(dump).toContain(canary);
    expect(dump).not.toContain(token);
    // The job itself is there, carrying only a reference to its outbox row.
    const row = await resetRow();
    expect(JSON.parse((await redis.hget(`${redisPrefix}:bull:mail:${row.id}`, 'data'))!)).toEqual({ outboxId: row.id });

    // In PostgreSQL the token is cleared from the outbox once sent, and stored only as a digest.
    expect(JSON.stringify(row.payload)).not.toContain(token);
    const stored = JSON.stringify(await dataSource.query(`SELECT * FROM password_reset_tokens WHERE user_id = $1`, [account.user.id]));
    expect(stored).not.toContain(token);
    expect(
      (await api.request({ method: 'POST', url: '/api/v1/auth/password/reset', body: { token, password: 'a new password 1' } })).status,
    ).toBe(204);
  });

  it('clears the token from the outbox row of a reset mail that failed for good', async () => {
    const account = await register(api);
    await smtp.waitFor(() => smtp.to(account.email).length === 1);
    smtp.rejectRecipients.add(account.email.toLowerCase());
    expect((await forgot(account.email)).status).toBe(202);
    const dataSource = api.app.get(DataSource);
    await expect
      .poll(
        async () =>
          (
            (await dataSource.query(`SELECT status, payload FROM outbox WHERE name = 'password-reset-mail' AND payload->>'to' = $1`, [
              account.email,
            ])) as { status: string; payload: Record<string, unknown> }[]
          )[0],
        { timeout: 15_000, interval: 100 },
      )
      .toEqual({ status: 'failed', payload: { to: account.email, name: account.name } });
  });
});
