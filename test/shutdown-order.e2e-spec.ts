import { Agent, request } from 'node:http';
import { Client } from 'pg';
import { adminToken, createProduct, register, startApp, TestApp, uniqueRedisPrefix, withAdmin } from './support/app';
import { createTestDatabase, TestDatabase } from './support/database';
import { freePort } from './support/private-redis';
import { apiProcessEnvironment, RunningProcess, startProcess, waitForHttp } from './support/process';
import { SmtpSink } from './support/smtp-sink';
import { startWorker } from './support/worker';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request; `agent: false` opens a connection of its own, a keep-alive agent reuses one. */
function send(url: string, options: { method?: string; token?: string; body?: unknown; key?: string; agent?: Agent | false } = {}) {
  return new Promise<Answer>((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const outgoing = request(
      url,
      {
        method: options.method ?? 'GET',
        agent: options.agent ?? false,
        headers: {
          ...(payload && { 'content-type': 'application/json' }),
          ...(options.token && { authorization: `Bearer ${options.token}` }),
          ...(options.key && { 'idempotency-key': options.key }),
        },
      },
      (incoming) => {
        let body = '';
        incoming.on('data', (chunk: Buffer) => (body += chunk.toString()));
        incoming.on('end', () => resolve({ status: incoming.statusCode!, headers: incoming.headers, body }));
      },
    );
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

describe('shutdown order of an API process', () => {
  let database: TestDatabase;
  let sql: Client;
  let observer: TestApp;
  let api: RunningProcess;
  let url: string;
  const redisPrefix = uniqueRedisPrefix();

  const waitingOnLock = async () =>
    (
      await sql.query(
        `SELECT 1 FROM pg_stat_activity
         WHERE datname = current_database() AND application_name = 'orderly' AND wait_event_type = 'Lock'`,
      )
    ).rowCount ?? 0;

  beforeAll(async () => {
    database = await createTestDatabase();
    // Another app on the same database and Redis prefix: it sees what the process under test left in the cache.
    observer = await startApp({ DATABASE_URL: database.url, REDIS_PREFIX: redisPrefix, ...withAdmin });
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    api = startProcess(
      'dist/main.js',
      apiProcessEnvironment({
        DATABASE_URL: database.url,
        REDIS_PREFIX: redisPrefix,
        PORT: String(port),
        LOG_LEVEL: 'info',
        SHUTDOWN_DRAIN_MS: '300',
        RATE_LIMIT_PER_IP: '0',
      }),
    );
    await waitForHttp(`${url}/health/ready`);
    sql = new Client({ connectionString: database.url });
    await sql.connect();
  });

  afterAll(async () => {
    await sql?.end();
    if (api?.child.exitCode === null && api.child.signalCode === null) api.child.kill('SIGKILL');
    await observer?.close();
    await database?.drop();
  });

  it('closes the HTTP server first, answers the requests in flight, then closes the pools and exits 0', async () => {
    const admin = await adminToken(observer);
    const product = await createProduct(observer, admin, { stock: 10 });
    const buyer = await register(observer);
    // The process under test caches the product (stock 10); its orders invalidate that entry after commit.
    expect(JSON.parse((await send(`${url}/api/v1/products/${product.id}`)).body).stock).toBe(10);

    // Orders that wait on a row lock are in flight, each on a pooled connection, when SIGTERM arrives.
    const holder = new Client({ connectionString: database.url });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('SELECT 1 FROM products WHERE id = $1 FOR UPDATE', [product.id]);
    const keepAlive = new Agent({ keepAlive: true });
    const inFlight = ['a', 'b', 'c'].map((key) =>
      send(`${url}/api/v1/orders`, {
        method: 'POST',
        token: buyer.accessToken,
        body: { items: [{ productId: product.id, quantity: 1 }] },
        key: `in-flight-${key}`,
        agent: keepAlive,
      }),
    );
    await expect.poll(waitingOnLock, { timeout: 10_000 }).toBe(3);
    api.child.kill('SIGTERM');

    // Draining: not ready, still serving.
    await expect.poll(async () => (await send(`${url}/health/ready`)).status).toBe(503);
    // Then the server stops accepting connections while the orders still wait, on pooled connections still open.
    await expect
      .poll(
        () =>
          send(`${url}/health/live`).then(
            () => 'accepted',
            (error: NodeJS.ErrnoException) => error.code,
          ),
        { timeout: 10_000 },
      )
      .toBe('ECONNREFUSED');
    expect(await waitingOnLock()).toBe(3);
    expect(api.child.exitCode).toBeNull();

    await holder.query('COMMIT');
    await holder.end();
    const answers = await Promise.all(inFlight);
    keepAlive.destroy();
    expect(answers.map((answer) => answer.status)).toEqual([201, 201, 201]);
    // Each answer closes its kept-alive connection, so none holds the server's close open.
    expect(answers.map((answer) => answer.headers.connection)).toEqual(['close', 'close', 'close']);
    expect(await api.exited).toBe(0);

    const log = api.output();
    // By each line's own time: under load, the lines written just before exit were seen to reach the pipe out of order.
    const shutdownSteps = [...log.matchAll(/"time":(\d+),[^\n]*"context":"Shutdown","msg":"([^:"]+)/g)]
      .map((match) => ({ at: Number(match[1]), step: match[2] }))
      .sort((first, second) => first.at - second.at)
      .map(({ step }) => step);
    expect(shutdownSteps).toEqual(['SIGTERM received', 'HTTP server closed', 'Pools, Redis and background work closed']);
    expect(log).not.toMatch(/"level":50/);
    expect(log).not.toContain('Cache unavailable');
    // The orders' after-commit invalidation reached Redis: no stale stock is left behind.
    expect((await observer.request({ url: `/api/v1/products/${product.id}` })).body.stock).toBe(7);
    expect((await sql.query(`SELECT count(*)::int AS n FROM orders WHERE user_id = $1`, [buyer.user.id])).rows[0].n).toBe(3);
  });
});

describe('shutdown order of a worker', () => {
  let database: TestDatabase;
  let smtp: SmtpSink;
  let api: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase();
    smtp = await SmtpSink.start();
    api = await startApp({ DATABASE_URL: database.url, REDIS_PREFIX: uniqueRedisPrefix(), SMTP_URL: smtp.url });
  });

  afterAll(async () => {
    await api?.close();
    await smtp?.close();
    await database?.drop();
  });

  it('finishes the mail it is sending, records it done, then closes its pools and exits 0', async () => {
    const worker = await startWorker({
      DATABASE_URL: database.url,
      REDIS_URL: api.env.redisUrl,
      REDIS_PREFIX: api.env.redisPrefix,
      SMTP_URL: smtp.url,
    });
    smtp.delayMs = 1_500; // the mail is still being accepted when SIGTERM arrives
    const account = await register(api);
    await expect.poll(() => smtp.inFlight, { timeout: 10_000 }).toBe(1);
    worker.child.kill('SIGTERM');

    expect(await worker.exited).toBe(0);
    expect(smtp.to(account.email).map((mail) => mail.subject)).toEqual(['Welcome to Orderly']);
    const sql = new Client({ connectionString: database.url });
    await sql.connect();
    try {
      const { rows } = await sql.query(`SELECT status FROM outbox WHERE name = 'welcome-mail'`);
      expect(rows).toEqual([{ status: 'done' }]);
    } finally {
      await sql.end();
    }
    expect(worker.output()).not.toMatch(/"level":50/);
  });
});
