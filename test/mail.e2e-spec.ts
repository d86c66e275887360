import { DataSource } from 'typeorm';
import { Outbox } from '../src/shared/queue/outbox';
import { newAccount, register, startApp, TestApp, uniqueRedisPrefix } from './support/app';
import { createTestDatabase, TestDatabase } from './support/database';
import { SmtpSink } from './support/smtp-sink';
import { startWorker, stopWorker, WorkerProcess } from './support/worker';

describe('E-mail through the outbox and a separate worker process', () => {
  let database: TestDatabase;
  let smtp: SmtpSink;
  let api: TestApp;
  let worker: WorkerProcess | undefined;
  const redisPrefix = uniqueRedisPrefix();
  const shared = () => ({ DATABASE_URL: database.url, REDIS_PREFIX: redisPrefix, SMTP_URL: smtp.url, OUTBOX_SWEEP_INTERVAL_MS: '200' });

  beforeAll(async () => {
    database = await createTestDatabase();
    smtp = await SmtpSink.start();
    api = await startApp(shared());
  });

  afterAll(async () => {
    await stopWorker(worker);
    await api?.close();
    await smtp?.close();
    await database?.drop();
  });

  it('sends exactly one welcome mail per registration, from the worker process', async () => {
    const account = newAccount();
    await register(api, account);
    // The API process itself never sends: nothing arrives until a worker runs.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(smtp.to(account.email)).toHaveLength(0);

    worker = await startWorker({ ...shared(), REDIS_URL: 'redis://127.0.0.1:6379' });
    await smtp.waitFor(() => smtp.to(account.email).length > 0);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const [welcome, ...duplicates] = smtp.to(account.email);
    expect(duplicates).toHaveLength(0);
    expect(welcome.subject).toContain('Welcome');
    expect(welcome.text).toContain(account.name);
    expect(welcome.html).toContain('<p>');
    expect(welcome.messageId).toMatch(/^<[0-9a-f-]{36}@orderly\.mail>$/);
    const metrics = await (await fetch(`http://127.0.0.1:${worker.port}/metrics`)).text();
    expect(metrics).toMatch(/job_duration_seconds_count\{queue="mail",name="welcome-mail",outcome="completed"\} [1-9]/);
  });

  it('sends nothing for a transaction that rolls back after recording a job', async () => {
    const outbox = api.app.get(Outbox);
    const dataSource = api.app.get(DataSource);
    await expect(
      dataSource.transaction(async (manager) => {
        await outbox.add(manager, 'welcome-mail', { to: 'rolled-back@example.com', name: 'Nobody' });
        throw new Error('business rule failed after the outbox write');
      }),
    ).rejects.toThrow('business rule failed');
    const control = await register(api);
    await smtp.waitFor(() => smtp.to(control.email).length === 1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(smtp.to('rolled-back@example.com')).toHaveLength(0);
  });

  it('treats an SMTP 5xx as permanent: one attempt, the outbox row marked failed', async () => {
    const account = newAccount();
    smtp.rejectRecipients.add(account.email.toLowerCase());
    await register(api, account);
    const dataSource = api.app.get(DataSource);
    await expect
      .poll(
        async () => {
          const [row] = await dataSource.query(`SELECT status, attempts, last_error FROM outbox WHERE payload->>'to' = $1`, [
            account.email,
          ]);
          return row;
        },
        { timeout: 15_000, interval: 200 },
      )
      .toMatchObject({ status: 'failed', attempts: 1, last_error: expect.stringContaining('550') });
  });

  describe('password reset', () => {
    const forgot = (email: string) => api.request({ method: 'POST', url: '/api/v1/auth/password/forgot', body: { email } });
    const reset = (token: string, password: string) =>
      api.request({ method: 'POST', url: '/api/v1/auth/password/reset', body: { token, password } });
    const tokenFrom = (text: string) => /^([A-Za-z0-9_-]{43})$/m.exec(text)![1];

    it('mails a single-use token; reset sets the password and signs out every session', async () => {
      const account = await register(api);
      expect((await forgot(account.email.toUpperCase())).status).toBe(202);
      await smtp.waitFor(() => smtp.to(account.email).some((mail) => mail.subject.includes('Reset your password')));
      const mail = smtp.to(account.email).find((message) => message.subject.includes('Reset your password'))!;
      const token = tokenFrom(mail.text);
      expect(mail.html).toContain(token);

      expect((await reset(token, 'a brand new password')).status).toBe(204);
      const oldLogin = await api.request({
        method: 'POST',
        url: '/api/v1/auth/login',
        body: { email: account.email, password: account.password },
      });
      expect(oldLogin.status).toBe(401);
      const newLogin = await api.request({
        method: 'POST',
        url: '/api/v1/auth/login',
        body: { email: account.email, password: 'a brand new password' },
      });
      expect(newLogin.status).toBe(200);
      const refresh = await api.request({ method: 'POST', url: '/api/v1/auth/refresh', body: { refreshToken: account.refreshToken } });
      expect(refresh.status).toBe(401);

      expect((await reset(token, 'yet another password')).status).toBe(400);
    });

    it('refuses an expired token and a made-up one with 400', async () => {
      const account = await register(api);
      await forgot(account.email);
      await smtp.waitFor(() => smtp.to(account.email).some((mail) => mail.subject.includes('Reset your password')));
      const token = tokenFrom(smtp.to(account.email).find((mail) => mail.subject.includes('Reset'))!.text);
      await api.app
        .get(DataSource)
        .query(`UPDATE password_reset_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [account.user.id]);
      expect((await reset(token, 'a brand new password')).status).toBe(400);
      expect((await reset('made-up-token', 'a brand new password')).status).toBe(400);
      expect((await api.request({ method: 'POST', url: '/api/v1/auth/login', body: account })).status).not.toBe(401);
    });

    it('answers 202 for an unknown e-mail and sends nothing', async () => {
      const unknown = newAccount().email;
      expect((await forgot(unknown)).status).toBe(202);
      const control = await register(api);
      await smtp.waitFor(() => smtp.to(control.email).length === 1);
      expect(smtp.to(unknown)).toHaveLength(0);
    });

    it('limits requests per e-mail with 429, known or not', async () => {
      const unknown = newAccount().email;
      const statuses = [];
      for (let i = 0; i < 4; i += 1) statuses.push((await forgot(unknown)).status);
      expect(statuses).toEqual([202, 202, 202, 429]);
    });
  });

  it('on SIGTERM finishes the jobs it is running and exits 0', async () => {
    await stopWorker(worker);
    const slowWorker = await startWorker({ ...shared(), REDIS_URL: 'redis://127.0.0.1:6379' });
    smtp.delayMs = 1_500;
    try {
      const accounts = await Promise.all([1, 2, 3].map(() => register(api)));
      await expect.poll(() => smtp.inFlight, { timeout: 10_000, interval: 20 }).toBeGreaterThan(0);
      const exitCode = await stopWorker(slowWorker);
      expect(exitCode).toBe(0);
      const delivered = accounts.filter((account) => smtp.to(account.email).length === 1);
      expect(delivered.length).toBeGreaterThan(0);
      expect(slowWorker.output()).toContain('SIGTERM');
    } finally {
      smtp.delayMs = 0;
      worker = await startWorker({ ...shared(), REDIS_URL: 'redis://127.0.0.1:6379' });
    }
  });
});
