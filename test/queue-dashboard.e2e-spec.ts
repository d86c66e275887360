import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { newAccount, register, startApp, TEST_ADMIN, TestApp, TestResponse, uniqueRedisPrefix, withAdmin } from './support/app';
import { createTestDatabase, TestDatabase } from './support/database';
import { TEST_REDIS_URL } from './support/services';
import { SmtpSink } from './support/smtp-sink';
import { startWorker, stopWorker, WorkerProcess } from './support/worker';

/**
 * Bull Board's "Retry" and "Remove" call BullMQ's `job.retry()` and `job.remove()`; these tests
 * call them directly, and through the dashboard's HTTP API as a signed-in browser would, against
 * real BullMQ, and check the outbox agrees.
 */
describe('Queue dashboard actions and the outbox', () => {
  let database: TestDatabase;
  let smtp: SmtpSink;
  let api: TestApp;
  let worker: WorkerProcess | undefined;
  let queue: Queue;
  let connection: Redis;
  const redisPrefix = uniqueRedisPrefix();
  const shared = () => ({
    DATABASE_URL: database.url,
    REDIS_PREFIX: redisPrefix,
    SMTP_URL: smtp.url,
    OUTBOX_SWEEP_INTERVAL_MS: '200',
    OUTBOX_REDELIVER_AFTER_MS: '1000',
  });
  type Row = { id: string; status: string; attempts: number; last_error: string | null };
  // By recipient while the row has its payload (it is cleared once the mail is sent), then by id.
  const rowOf = async (email: string) =>
    (
      (await api.app
        .get(DataSource)
        .query(`SELECT id, status, attempts, last_error FROM outbox WHERE payload->>'to' = $1`, [email])) as Row[]
    )[0];
  const rowById = async (id: string) =>
    ((await api.app.get(DataSource).query(`SELECT id, status, attempts, last_error FROM outbox WHERE id = $1`, [id])) as Row[])[0];

  beforeAll(async () => {
    database = await createTestDatabase();
    smtp = await SmtpSink.start();
    api = await startApp({ ...shared(), ...withAdmin });
    connection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    queue = new Queue('mail', { connection, prefix: `${redisPrefix}:bull` });
  });

  afterAll(async () => {
    await stopWorker(worker);
    await queue?.close();
    connection?.disconnect();
    await api?.close();
    await smtp?.close();
    await database?.drop();
  });

  it('keeps a removed job removed: its row is failed with the reason, and the relay never offers it again', async () => {
    // No worker yet, so both jobs wait in the queue.
    const removed = await register(api);
    const kept = await register(api);
    await expect.poll(async () => (await rowOf(removed.email))?.status, { timeout: 10_000, interval: 100 }).toBe('enqueued');
    await expect.poll(async () => (await rowOf(kept.email))?.status, { timeout: 10_000, interval: 100 }).toBe('enqueued');
    const { id } = await rowOf(removed.email);

    await (await queue.getJob(id))!.remove();

    await expect
      .poll(async () => rowOf(removed.email), { timeout: 10_000, interval: 100 })
      .toMatchObject({ status: 'failed', last_error: 'removed from the queue dashboard' });
    // Well past OUTBOX_REDELIVER_AFTER_MS and several sweeps: nothing was re-offered.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await queue.getJob(id)).toBeUndefined();
    expect((await rowById(id)).status).toBe('failed');

    worker = await startWorker({ ...shared(), REDIS_URL: TEST_REDIS_URL });
    await smtp.waitFor(() => smtp.to(kept.email).length === 1);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(smtp.to(removed.email)).toHaveLength(0);
  });

  it('runs a failed job again on retry: the mail is sent and the row ends done', async () => {
    worker ??= await startWorker({ ...shared(), REDIS_URL: TEST_REDIS_URL });
    const account = newAccount();
    smtp.rejectRecipients.add(account.email.toLowerCase());
    await register(api, account);
    await expect
      .poll(async () => rowOf(account.email), { timeout: 15_000, interval: 100 })
      .toMatchObject({ status: 'failed', attempts: 1, last_error: expect.stringContaining('550') });
    const { id } = await rowOf(account.email);
    const job = (await queue.getJob(id))!;
    expect(await job.getState()).toBe('failed');

    smtp.rejectRecipients.delete(account.email.toLowerCase());
    await job.retry();

    await smtp.waitFor(() => smtp.to(account.email).length === 1);
    expect(smtp.to(account.email)[0].subject).toContain('Welcome');
    await expect.poll(async () => (await rowById(id)).status, { timeout: 10_000, interval: 100 }).toBe('done');
    await expect.poll(async () => (await queue.getJob(id))?.getState(), { timeout: 10_000, interval: 100 }).toBe('completed');
  });

  it('retries a failed job from a browser session on its own origin only, and the mail is sent', async () => {
    worker ??= await startWorker({ ...shared(), REDIS_URL: TEST_REDIS_URL });
    const account = newAccount();
    smtp.rejectRecipients.add(account.email.toLowerCase());
    await register(api, account);
    await expect.poll(async () => (await rowOf(account.email))?.status, { timeout: 15_000, interval: 100 }).toBe('failed');
    const { id } = await rowOf(account.email);
    smtp.rejectRecipients.delete(account.email.toLowerCase());

    const signedIn = await api.request({
      method: 'POST',
      url: '/admin/sign-in',
      body: new URLSearchParams(TEST_ADMIN).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost' },
    });
    expect(signedIn.status).toBe(303);
    const cookie = String(signedIn.headers['set-cookie']).split(';')[0];
    const retry = (origin: string) =>
      api.request({ method: 'PUT', url: `/admin/queues/api/queues/mail/${id}/retry`, headers: { cookie, origin } });
    const expectRefused = (response: TestResponse) => {
      expect(response.status).toBe(403);
      expect(response.headers['content-type']).toContain('application/problem+json');
    };

    expectRefused(await retry('https://attacker.example'));
    expect(await (await queue.getJob(id))!.getState()).toBe('failed');
    expect(smtp.to(account.email)).toHaveLength(0);

    expect((await retry('http://localhost')).status).toBe(204);
    await smtp.waitFor(() => smtp.to(account.email).length === 1);
    await expect.poll(async () => (await rowById(id)).status, { timeout: 10_000, interval: 100 }).toBe('done');

    // The job view the browser reads next, through the same session.
    const job = await api.request({ url: `/admin/queues/api/queues/mail/${id}`, headers: { cookie } });
    expect(job.status).toBe(200);
    expect(job.body.job.id).toBe(id);
  });
});
