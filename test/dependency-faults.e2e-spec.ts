import type { ArgumentsHost } from '@nestjs/common';
import { createHmac, randomUUID } from 'node:crypto';
import { Client, Pool } from 'pg';
import { QueryFailedError, QueryRunnerAlreadyReleasedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';
import { isDependencyFault } from '../src/shared/database/dependency-faults';
import { ProblemDetailsFilter } from '../src/shared/http/problem-details.filter';
import { createRequestPathRedis } from '../src/shared/redis/redis.module';
import { createRequestPathClient } from '../src/shared/redis/request-path-client';
import { adminToken, createProduct, register, startApp, TestApp, TestResponse, uniqueRedisPrefix, withAdmin } from './support/app';
import { createTestDatabase, TestDatabase } from './support/database';
import { freePort, PrivateRedis } from './support/private-redis';
import { apiProcessEnvironment, RunningProcess, startProcess, waitForHttp } from './support/process';

const WEBHOOK_SECRET = 'webhook-secret-for-dependency-faults';

/** A 503 a client knows to retry: problem+json with `Retry-After` (CONTRACT §3). */
function expectRetryable503(response: TestResponse): void {
  expect(response.status).toBe(503);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  expect(response.body).toMatchObject({ type: 'about:blank', title: 'Service Unavailable', status: 503 });
}

/** A request a dependency failed under: a retryable 503 that says nothing of the driver's error. */
function expectRetryableFault(response: TestResponse): void {
  expectRetryable503(response);
  expect(response.text).not.toMatch(/terminat|ECONN|pool|postgres|redis/i);
}

describe('dependency faults', () => {
  let database: TestDatabase;
  let sql: Client;
  let api: TestApp;
  let admin: string;

  /** The app's own PostgreSQL sessions (`application_name` orderly) on this file's database. */
  const appSessions = `datname = current_database() AND application_name = 'orderly' AND pid <> pg_backend_pid()`;
  const terminateAppSessions = async (where = 'true') =>
    (await sql.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE ${appSessions} AND ${where}`)).rowCount;

  /** Holds a row lock in a transaction of its own until `release()`: a request needing the row waits on it. */
  async function holdRowLock(table: 'products' | 'orders', id: string) {
    const holder = new Client({ connectionString: database.url });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query(`SELECT 1 FROM ${table} WHERE id = $1 FOR UPDATE`, [id]);
    return {
      release: async () => {
        await holder.query('COMMIT');
        await holder.end();
      },
    };
  }

  /** Terminates the app's session once it waits on a lock: the request's connection dies under it. */
  async function terminateWhenWaiting(): Promise<void> {
    await expect
      .poll(async () => (await sql.query(`SELECT 1 FROM pg_stat_activity WHERE ${appSessions} AND wait_event_type = 'Lock'`)).rowCount, {
        timeout: 10_000,
        interval: 20,
      })
      .toBeGreaterThan(0);
    expect(await terminateAppSessions(`wait_event_type = 'Lock'`)).toBeGreaterThan(0);
  }

  const order = (token: string, productId: string, key?: string) =>
    api.request({
      method: 'POST',
      url: '/api/v1/orders',
      token,
      body: { items: [{ productId, quantity: 1 }] },
      headers: key ? { 'idempotency-key': key } : {},
    });

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await startApp({
      DATABASE_URL: database.url,
      REDIS_PREFIX: uniqueRedisPrefix(),
      PAYMENT_WEBHOOK_SECRET: WEBHOOK_SECRET,
      ...withAdmin,
    });
    admin = await adminToken(api);
    sql = new Client({ connectionString: database.url });
    await sql.connect();
  });

  afterAll(async () => {
    await sql?.end();
    await api?.close();
    await database?.drop();
  });

  it('answers 503 with Retry-After when the order’s connection is terminated mid-request, and the retry with the same key makes one order', async () => {
    const buyer = await register(api);
    const product = await createProduct(api, admin, { stock: 5 });
    const lock = await holdRowLock('products', product.id);
    const pending = order(buyer.accessToken, product.id, 'cut-mid-order');
    await terminateWhenWaiting();
    await lock.release();
    expectRetryableFault(await pending);

    const retried = await order(buyer.accessToken, product.id, 'cut-mid-order');
    expect(retried.status).toBe(201);
    expect((await order(buyer.accessToken, product.id, 'cut-mid-order')).headers['idempotent-replayed']).toBe('true');
    const orders = await sql.query(`SELECT id FROM orders WHERE user_id = $1`, [buyer.user.id]);
    expect(orders.rows.map((row) => row.id as string)).toEqual([retried.body.id]);
    expect((await sql.query(`SELECT stock FROM products WHERE id = $1`, [product.id])).rows[0].stock).toBe(4);
  });

  it('does not answer the webhook 200 when its event could not be recorded; the provider’s retry is applied once', async () => {
    const buyer = await register(api);
    const product = await createProduct(api, admin, { priceCents: 700 });
    const placed = await order(buyer.accessToken, product.id);
    const raw = JSON.stringify({ eventId: `evt-${randomUUID()}`, type: 'payment.succeeded', orderId: placed.body.id, amountCents: 700 });
    const deliver = () =>
      api.request({
        method: 'POST',
        url: '/api/v1/payments/webhook',
        body: raw,
        headers: {
          'content-type': 'application/json',
          'x-signature': `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(raw).digest('hex')}`,
        },
      });
    const lock = await holdRowLock('orders', placed.body.id);
    const pending = deliver();
    await terminateWhenWaiting();
    await lock.release();
    expectRetryableFault(await pending);
    expect((await sql.query(`SELECT 1 FROM payment_ledger WHERE order_id = $1`, [placed.body.id])).rowCount).toBe(0);

    const redelivered = await deliver();
    expect(redelivered.status).toBe(200);
    expect(redelivered.body).toMatchObject({ status: 'processed', outcome: 'applied' });
    expect((await deliver()).body).toMatchObject({ status: 'duplicate', outcome: 'applied' });
    expect((await sql.query(`SELECT 1 FROM payment_ledger WHERE order_id = $1`, [placed.body.id])).rowCount).toBe(1);
  });

  it('never answers 500 when every connection is terminated between requests, and serves again at once', async () => {
    const buyer = await register(api);
    const product = await createProduct(api, admin, { stock: 100 });
    // Fill the pool with idle connections, then cut them all.
    await Promise.all(Array.from({ length: 10 }, () => api.request({ url: `/api/v1/orders`, token: buyer.accessToken })));
    expect(await terminateAppSessions()).toBeGreaterThan(0);

    const burst = await Promise.all([
      ...Array.from({ length: 5 }, (_, index) => order(buyer.accessToken, product.id, `burst-${index}`)),
      ...Array.from({ length: 5 }, () => api.request({ url: '/api/v1/orders', token: buyer.accessToken })),
    ]);
    for (const response of burst) {
      if (response.status === 503) expectRetryableFault(response);
      else expect(response.status).toBeLessThan(300);
    }
    for (let index = 0; index < 5; index += 1) expect((await order(buyer.accessToken, product.id, `burst-${index}`)).status).toBe(201);
    expect((await sql.query(`SELECT 1 FROM orders WHERE user_id = $1`, [buyer.user.id])).rowCount).toBe(5);
  });

  it('documents a 503 with Retry-After, as problem+json, on every operation', async () => {
    const document = (await api.request({ url: '/docs-json' })).body as {
      paths: Record<string, Record<string, { responses: Record<string, { headers?: object; content?: object }> }>>;
    };
    const operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, operation]) => ({ name: `${method} ${path}`, fault: operation.responses['503'] })),
    );
    expect(operations.length).toBeGreaterThan(20);
    for (const { name, fault } of operations) {
      expect(fault?.headers, name).toHaveProperty('Retry-After');
      expect(fault?.content, name).toHaveProperty(['application/problem+json']);
    }
  });

  describe('with a pool that cannot hand out a connection', () => {
    let small: TestApp;

    beforeAll(async () => {
      small = await startApp({ DATABASE_URL: database.url, REDIS_PREFIX: uniqueRedisPrefix(), DATABASE_POOL_SIZE: '1' });
    });
    afterAll(async () => small?.close());

    /**
     * The pool's only connection waits on a row lock inside an order's transaction, so the next
     * request cannot get one; `release()` lets the order through and returns its response.
     */
    async function holdTheOnlyConnection(idempotencyKey: string) {
      const buyer = await register(small);
      const product = await createProduct(api, admin);
      const lock = await holdRowLock('products', product.id);
      const holding = small.request({
        method: 'POST',
        url: '/api/v1/orders',
        token: buyer.accessToken,
        body: { items: [{ productId: product.id, quantity: 1 }] },
        headers: { 'idempotency-key': idempotencyKey },
      });
      await expect
        .poll(async () => (await sql.query(`SELECT 1 FROM pg_stat_activity WHERE ${appSessions} AND wait_event_type = 'Lock'`)).rowCount)
        .toBeGreaterThan(0);
      return {
        buyer,
        release: async () => {
          await lock.release();
          return holding;
        },
      };
    }

    it('answers 503 with Retry-After once the wait for a connection times out', async () => {
      const held = await holdTheOnlyConnection('holds-the-pool');
      const starved = await small.request({ url: '/api/v1/orders', token: held.buyer.accessToken });
      const order = await held.release();
      expectRetryableFault(starved);
      expect(order.status).toBe(201);
    });

    it('reports not ready, naming the database, when PostgreSQL gives no connection within the ping’s second', async () => {
      const held = await holdTheOnlyConnection('holds-the-pool-for-readiness');
      // The pool would hand out a connection after 5 s; the readiness ping gives up after one.
      const notReady = await small.request({ url: '/health/ready' });
      const order = await held.release();
      expectRetryable503(notReady);
      expect(notReady.body.detail).toBe('Not ready: database did not answer.');
      expect(order.status).toBe(201);
      await expect.poll(async () => (await small.request({ url: '/health/ready' })).status).toBe(200);
    });
  });

  describe('with Redis stopped', () => {
    let redis: PrivateRedis;
    let onRedis: TestApp;

    beforeAll(async () => {
      redis = await PrivateRedis.start();
      onRedis = await startApp({
        DATABASE_URL: database.url,
        REDIS_URL: redis.url,
        REDIS_PREFIX: uniqueRedisPrefix(),
        RATE_LIMIT_PER_IP: '1000',
      });
    });
    afterAll(async () => {
      console.log('closing app', new Date().toISOString());
      await onRedis?.close();
      console.log('closed app', new Date().toISOString());
      await redis?.stop();
      console.log('stopped redis', new Date().toISOString());
    });

    it('serves what PostgreSQL can answer (limits and the cache fail open) and reports not-ready as a 503 with Retry-After', async () => {
      const buyer = await register(onRedis);
      const product = await createProduct(api, admin);
      expect((await onRedis.request({ url: `/api/v1/products/${product.id}` })).status).toBe(200);
      await redis.stop();
      try {
        const responses = [
          await onRedis.request({ url: `/api/v1/products/${product.id}` }),
          await onRedis.request({ method: 'POST', url: '/api/v1/auth/login', body: { email: buyer.email, password: buyer.password } }),
          await onRedis.request({
            method: 'POST',
            url: '/api/v1/orders',
            token: buyer.accessToken,
            body: { items: [{ productId: product.id, quantity: 1 }] },
            headers: { 'idempotency-key': 'redis-down' },
          }),
          await onRedis.request({ url: '/api/v1/users/me', token: buyer.accessToken }),
        ];
        expect(responses.map((response) => response.status)).toEqual([200, 200, 201, 200]);
        expectRetryable503(await onRedis.request({ url: '/health/ready' }));
      } finally {
        await redis.start();
      }
      await expect.poll(async () => (await onRedis.request({ url: '/health/ready' })).status, { timeout: 10_000, interval: 200 }).toBe(200);
    });

    it('classifies what the app’s Redis clients (ioredis, node-redis) say once Redis went away as dependency faults', async () => {
      // A Redis of its own: the app's stays up, so the app closes with every connection ready.
      const doomed = await PrivateRedis.start();
      let stopped = false;
      const requestPath = createRequestPathRedis(doomed.url, 'faults:', 'dependency-faults-test');
      const cacheClient = createRequestPathClient(doomed.url, 'dependency-faults-test');
      try {
        await expect.poll(() => requestPath.status === 'ready' && cacheClient.isReady).toBe(true);
        await doomed.stop();
        stopped = true;
        await expect.poll(() => requestPath.status).not.toBe('ready');
        const ioredisError = await requestPath.get('any').catch((error: unknown) => error);
        const nodeRedisError = await cacheClient.get('any').catch((error: unknown) => error);
        expect(ioredisError).toBeInstanceOf(Error);
        expect(nodeRedisError).toBeInstanceOf(Error);
        expect(isDependencyFault(ioredisError)).toBe(true);
        expect(isDependencyFault(nodeRedisError)).toBe(true);
      } finally {
        requestPath.disconnect();
        cacheClient.destroy();
        // PrivateRedis.stop() waits for an exit event, which a second call would never see.
        if (!stopped) await doomed.stop();
      }
    });
  });

  it('classifies what pg says of a refused connection and of a pool that cannot connect as dependency faults', async () => {
    const closed = new Client({ host: '127.0.0.1', port: await freePort(), user: 'postgres', connectionTimeoutMillis: 1_000 });
    const refused = await closed.connect().catch((error: unknown) => error);
    expect(isDependencyFault(refused)).toBe(true);

    const pool = new Pool({ connectionString: database.url, max: 1, connectionTimeoutMillis: 100 });
    const held = await pool.connect();
    try {
      const timedOut = await pool.query('SELECT 1').catch((error: unknown) => error);
      expect(isDependencyFault(timedOut)).toBe(true);
    } finally {
      held.release();
      await pool.end();
    }
    const ended = await pool.query('SELECT 1').catch((error: unknown) => error);
    expect(isDependencyFault(ended)).toBe(true);
  });
});

describe('the exception filter', () => {
  /** Runs the filter on `error` as it would for a request, and returns what it answered. */
  function answer(error: unknown) {
    const sent: { status?: number; headers: Record<string, string>; body?: { status: number; detail: string } } = { headers: {} };
    const reply = {
      status(code: number) {
        sent.status = code;
        return this;
      },
      header(name: string, value: string) {
        sent.headers[name.toLowerCase()] = value;
        return this;
      },
      hasHeader: (name: string) => name.toLowerCase() in sent.headers,
      send(body: { status: number; detail: string }) {
        sent.body = body;
        return this;
      },
    };
    const host = { switchToHttp: () => ({ getResponse: () => reply, getRequest: () => ({ id: 'unit' }) }) } as unknown as ArgumentsHost;
    new ProblemDetailsFilter().catch(error, host);
    return sent;
  }
  const driverError = (code: string, message: string) => Object.assign(new Error(message), { code });
  const wrapped = (error: Error) => new QueryFailedError('SELECT 1', [], error);

  it.each([
    [
      'a terminated backend (57P01) wrapped by TypeORM',
      wrapped(driverError('57P01', 'terminating connection due to administrator command')),
    ],
    ['a crash shutdown (57P02)', wrapped(driverError('57P02', 'terminating connection because of crash of another server process'))],
    ['a server still starting (57P03)', driverError('57P03', 'the database system is starting up')],
    ['a read-only primary after failover (25006)', wrapped(driverError('25006', 'cannot execute INSERT in a read-only transaction'))],
    ['too many connections (53300)', driverError('53300', 'sorry, too many clients already')],
    ['a connection ended under a query', wrapped(new Error('Connection terminated unexpectedly'))],
    ['a reset socket', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ['a refusal on every address', new AggregateError([Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })])],
    ['a pool timeout chained as a cause', new Error('Connection terminated due to connection timeout', { cause: new Error('timeout') })],
    ['a closed TypeORM data source', new Error('Driver not Connected')],
    ['a statement after TypeORM released a runner whose connection failed', new QueryRunnerAlreadyReleasedError()],
    ['a manager whose runner TypeORM released after its connection failed', new QueryRunnerProviderAlreadyReleasedError()],
    ['ioredis without a connection', new Error("Stream isn't writeable and enableOfflineQueue options is false")],
    ['a Redis replica after failover', new Error("READONLY You can't write against a read only replica.")],
  ])('answers %s with 503, Retry-After and problem+json', (_case, error) => {
    const sent = answer(error);
    expect(sent.status).toBe(503);
    expect(sent.headers['retry-after']).toBe('1');
    expect(sent.headers['content-type']).toBe('application/problem+json');
    expect(sent.body).toMatchObject({ status: 503, detail: 'A service this request needs is unavailable; retry shortly.' });
  });

  it.each([
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a unique violation that reached the filter', wrapped(driverError('23505', 'duplicate key value violates unique constraint'))],
    ['an exception raised by a trigger', wrapped(driverError('P0001', 'injected'))],
    ['a deadlock', wrapped(driverError('40P01', 'deadlock detected'))],
    ['a thrown string', 'Connection terminated'],
  ])('answers %s with a bare 500', (_case, error) => {
    const sent = answer(error);
    expect(sent.status).toBe(500);
    expect(sent.headers['retry-after']).toBeUndefined();
    expect(sent.body).toMatchObject({ status: 500, detail: 'An unexpected error occurred.' });
  });
});

describe('a bug in a real API process', () => {
  let database: TestDatabase;
  let sql: Client;
  let api: RunningProcess;
  let url: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    api = startProcess(
      'dist/main.js',
      apiProcessEnvironment({ DATABASE_URL: database.url, REDIS_PREFIX: uniqueRedisPrefix(), PORT: String(port), LOG_LEVEL: 'info' }),
    );
    await waitForHttp(`${url}/health/ready`);
    sql = new Client({ connectionString: database.url });
    await sql.connect();
  });

  afterAll(async () => {
    await sql?.end();
    api?.child.kill('SIGTERM');
    await api?.exited;
    await database?.drop();
  });

  it('is still a 500, logged with the request id, with nothing of the cause in the answer', async () => {
    // A trigger that raises: PostgreSQL answered, so this is not a dependency fault.
    await sql.query(`CREATE FUNCTION refuse_users() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected bug'; END $$`);
    await sql.query(`CREATE TRIGGER refuse_users BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION refuse_users()`);
    const requestId = `bug-${randomUUID()}`;
    const response = await fetch(`${url}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': requestId },
      body: JSON.stringify({ email: `bug-${randomUUID()}@example.com`, password: 'correct horse battery', name: 'Bug' }),
    });
    expect(response.status).toBe(500);
    expect(response.headers.get('retry-after')).toBeNull();
    expect(await response.text()).not.toContain('injected');
    await expect
      .poll(() =>
        api
          .output()
          .split('\n')
          .some((line) => line.includes('"level":50') && line.includes(`"requestId":"${requestId}"`) && line.includes('injected bug')),
      )
      .toBe(true);
  });
});
