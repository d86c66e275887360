import { Client } from 'pg';
import { migrations } from '../src/shared/database/migrations';
// @ts-expect-error -- plain ESM helper shared with `npm run cluster`
import { startCluster } from '../scripts/cluster/cluster.mjs';
import { TEST_ADMIN, TEST_JWT_SECRET, uniqueRedisPrefix, withAdmin } from './support/app';
import { createTestDatabase, TestDatabase } from './support/database';
import { TEST_REDIS_URL } from './support/services';
import { SmtpSink } from './support/smtp-sink';

interface Cluster {
  url: string;
  apis: { port: number; child: import('node:child_process').ChildProcess; exited: Promise<{ code: number | null }>; output(): string }[];
  stop(): Promise<void>;
}

const POOL_SIZE = 4;

/** Real processes: 2 API processes + 2 workers behind the local load balancer, all started at once on an empty database. */
describe('Several processes behave as one API', () => {
  let database: TestDatabase;
  let smtp: SmtpSink;
  let cluster: Cluster;
  let admin: string;

  const call = async (
    base: string,
    path: string,
    options: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ) => {
    const response = await fetch(`${base}${path}`, {
      method: options.method ?? 'GET',
      headers: {
        ...(options.body !== undefined && { 'content-type': 'application/json' }),
        ...(options.token && { authorization: `Bearer ${options.token}` }),
        ...options.headers,
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  };
  const api = (index: number) => `http://127.0.0.1:${cluster.apis[index].port}`;
  let sequence = 0;
  const account = () => ({ email: `cluster-${Date.now()}-${(sequence += 1)}@example.com`, password: 'cluster password', name: 'Cluster' });

  beforeAll(async () => {
    database = await createTestDatabase();
    smtp = await SmtpSink.start();
    cluster = await startCluster({
      api: 2,
      workers: 2,
      env: {
        NODE_ENV: 'production',
        LOG_LEVEL: 'warn',
        DATABASE_URL: database.url,
        DATABASE_POOL_SIZE: String(POOL_SIZE),
        REDIS_URL: TEST_REDIS_URL,
        REDIS_PREFIX: uniqueRedisPrefix(),
        SMTP_URL: smtp.url,
        JWT_SECRET: TEST_JWT_SECRET,
        PAYMENT_WEBHOOK_SECRET: 'cluster-webhook-secret',
        ORDER_PAYMENT_TIMEOUT: '3',
        ORDER_SWEEP_INTERVAL_MS: '300',
        OUTBOX_SWEEP_INTERVAL_MS: '300',
        SHUTDOWN_DRAIN_MS: '1000',
        RATE_LIMIT_PER_IP: '0',
        ...withAdmin,
      },
    });
    admin = (await call(cluster.url, '/api/v1/auth/login', { method: 'POST', body: TEST_ADMIN })).body.accessToken;
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    await smtp?.close();
    await database?.drop();
  });

  it('migrated and seeded the admin once although every process started at the same moment', async () => {
    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      expect((await client.query(`SELECT count(*)::int AS n FROM migrations`)).rows[0].n).toBe(migrations.length);
      expect((await client.query(`SELECT count(*)::int AS n FROM users WHERE role = 'admin'`)).rows[0].n).toBe(1);
    } finally {
      await client.end();
    }
  });

  it('accepts on one API process a token issued by the other, and shares refresh rotation', async () => {
    const registered = (await call(api(0), '/api/v1/auth/register', { method: 'POST', body: account() })).body;
    expect((await call(api(1), '/api/v1/users/me', { token: registered.accessToken })).status).toBe(200);
    const rotated = await call(api(1), '/api/v1/auth/refresh', { method: 'POST', body: { refreshToken: registered.refreshToken } });
    expect(rotated.status).toBe(200);
    expect((await call(api(0), '/api/v1/auth/refresh', { method: 'POST', body: { refreshToken: registered.refreshToken } })).status).toBe(
      401,
    );
    expect((await call(api(1), '/api/v1/auth/refresh', { method: 'POST', body: { refreshToken: rotated.body.refreshToken } })).status).toBe(
      401,
    );
  });

  it('shares the failed-login limit', async () => {
    const person = account();
    await call(api(0), '/api/v1/auth/register', { method: 'POST', body: person });
    for (let i = 0; i < 5; i += 1) {
      expect(
        (await call(api(i % 2), '/api/v1/auth/login', { method: 'POST', body: { email: person.email, password: 'wrong password' } }))
          .status,
      ).toBe(401);
    }
    expect(
      (await call(api(1), '/api/v1/auth/login', { method: 'POST', body: { email: person.email, password: person.password } })).status,
    ).toBe(429);
  });

  it('shares idempotency keys, cache invalidation and the stock fence', async () => {
    const product = (
      await call(api(0), '/api/v1/products', {
        method: 'POST',
        token: admin,
        body: { sku: `C-${Date.now()}`, name: 'Cluster lamp', priceCents: 500, stock: 30 },
      })
    ).body;
    expect((await call(api(1), `/api/v1/products/${product.id}`)).body.name).toBe('Cluster lamp');
    await call(api(0), `/api/v1/products/${product.id}`, { method: 'PATCH', token: admin, body: { name: 'Cluster lamp v2' } });
    expect((await call(api(1), `/api/v1/products/${product.id}`)).body.name).toBe('Cluster lamp v2');

    const buyer = (await call(api(0), '/api/v1/auth/register', { method: 'POST', body: account() })).body;
    const items = [{ productId: product.id, quantity: 1 }];
    const same = await Promise.all(
      [0, 1, 0, 1].map((index) =>
        call(api(index), '/api/v1/orders', {
          method: 'POST',
          token: buyer.accessToken,
          body: { items },
          headers: { 'idempotency-key': 'cluster-key' },
        }),
      ),
    );
    expect(new Set(same.filter((response) => response.status === 201).map((response) => response.body.id)).size).toBe(1);
    expect((await call(api(1), `/api/v1/products/${product.id}`)).body.stock).toBe(29);

    const race = await Promise.all(
      Array.from({ length: 80 }, () => call(cluster.url, '/api/v1/orders', { method: 'POST', token: buyer.accessToken, body: { items } })),
    );
    expect(race.filter((response) => response.status === 201)).toHaveLength(29);
    expect(race.filter((response) => response.status === 409)).toHaveLength(51);
    expect((await call(api(0), `/api/v1/products/${product.id}`)).body.stock).toBe(0);

    // ORDER_PAYMENT_TIMEOUT is 3 s: the sweep (one process at a time) returns every unit exactly once.
    await expect
      .poll(async () => (await call(api(1), `/api/v1/products/${product.id}`)).body.stock, { timeout: 15_000, interval: 300 })
      .toBe(30);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await call(api(0), `/api/v1/products/${product.id}`)).body.stock).toBe(30);
  });

  it('sends every registration exactly one welcome mail', async () => {
    const people = Array.from({ length: 10 }, account);
    await Promise.all(people.map((person, i) => call(api(i % 2), '/api/v1/auth/register', { method: 'POST', body: person })));
    await smtp.waitFor(() => people.every((person) => smtp.to(person.email).length >= 1), 30_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    for (const person of people) expect(smtp.to(person.email).filter((mail) => mail.subject.includes('Welcome'))).toHaveLength(1);
  });

  it('keeps database connections within processes × DATABASE_POOL_SIZE', async () => {
    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
      );
      expect(rows[0].n).toBeGreaterThan(0);
      expect(rows[0].n).toBeLessThanOrEqual(4 * POOL_SIZE);
    } finally {
      await client.end();
    }
  });

  it('loses no request behind the load balancer when one API process gets SIGTERM under load', async () => {
    const product = (
      await call(api(0), '/api/v1/products', {
        method: 'POST',
        token: admin,
        body: { sku: `D-${Date.now()}`, name: 'Drain', priceCents: 1, stock: 1 },
      })
    ).body;
    const statuses: number[] = [];
    let running = true;
    const clients = Array.from({ length: 8 }, async () => {
      while (running) {
        try {
          statuses.push((await call(cluster.url, `/api/v1/products/${product.id}`)).status);
        } catch {
          statuses.push(0);
        }
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const victim = cluster.apis[0];
    victim.child.kill('SIGTERM');
    const exit = await victim.exited;
    await new Promise((resolve) => setTimeout(resolve, 500));
    running = false;
    await Promise.all(clients);
    expect(exit.code).toBe(0);
    expect(statuses.length).toBeGreaterThan(50);
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
  });
});
