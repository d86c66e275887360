import { createTestDatabase, TestDatabase } from './support/database';
import { register, startApp, TestApp, uniqueRedisPrefix } from './support/app';

const ADMIN = { email: 'Admin@Orderly.test', password: 'admin password 1' };

describe('Users', () => {
  let database: TestDatabase;
  let api: TestApp;
  let adminToken: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await startApp({
      DATABASE_URL: database.url,
      REDIS_PREFIX: uniqueRedisPrefix(),
      SEED_ADMIN_EMAIL: ADMIN.email,
      SEED_ADMIN_PASSWORD: ADMIN.password,
    });
    const login = await api.request({ method: 'POST', url: '/api/v1/auth/login', body: ADMIN });
    expect(login.status).toBe(200);
    expect(login.body.user.role).toBe('admin');
    adminToken = login.body.accessToken;
  });

  afterAll(async () => {
    await api?.close();
    await database?.drop();
  });

  it('GET /users/me returns the caller profile with Cache-Control: no-store', async () => {
    const account = await register(api);
    const response = await api.request({ url: '/api/v1/users/me', token: account.accessToken });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      id: account.user.id,
      email: account.email,
      name: account.name,
      role: 'customer',
      createdAt: expect.any(String),
    });
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('PATCH /users/me changes the name, and the next read shows it (no stale cache)', async () => {
    const account = await register(api);
    await api.request({ url: '/api/v1/users/me', token: account.accessToken });
    const patch = await api.request({ method: 'PATCH', url: '/api/v1/users/me', token: account.accessToken, body: { name: 'Grace' } });
    expect(patch.status).toBe(200);
    expect(patch.body.name).toBe('Grace');
    const me = await api.request({ url: '/api/v1/users/me', token: account.accessToken });
    expect(me.body.name).toBe('Grace');
  });

  it('PATCH /users/me refuses role, email and unknown fields', async () => {
    const account = await register(api);
    for (const body of [{ role: 'admin' }, { name: 'x', role: 'admin' }, { email: 'new@example.com' }]) {
      const response = await api.request({ method: 'PATCH', url: '/api/v1/users/me', token: account.accessToken, body });
      expect(response.status).toBe(400);
    }
    const me = await api.request({ url: '/api/v1/users/me', token: account.accessToken });
    expect(me.body.role).toBe('customer');
  });

  it('never shows one user the profile of another, cache warm', async () => {
    const alice = await register(api);
    const bob = await register(api);
    for (let round = 0; round < 3; round += 1) {
      const [a, b] = await Promise.all([
        api.request({ url: '/api/v1/users/me', token: alice.accessToken }),
        api.request({ url: '/api/v1/users/me', token: bob.accessToken }),
      ]);
      expect(a.body.id).toBe(alice.user.id);
      expect(b.body.id).toBe(bob.user.id);
    }
  });

  it('GET /users and GET /users/:id are 403 for customers', async () => {
    const account = await register(api);
    expect((await api.request({ url: '/api/v1/users', token: account.accessToken })).status).toBe(403);
    expect((await api.request({ url: `/api/v1/users/${account.user.id}`, token: account.accessToken })).status).toBe(403);
  });

  it('GET /users pages newest first with an opaque cursor, for admins', async () => {
    for (let i = 0; i < 3; i += 1) await register(api);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await api.request({
        url: `/api/v1/users?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        token: adminToken,
      });
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map((user: { id: string; createdAt: string }) => user.createdAt + user.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort().reverse()).toEqual(seen);
    expect(seen.length).toBeGreaterThanOrEqual(4);
    for (const row of seen) expect(row).not.toContain('argon2');
  });

  it('GET /users/:id returns a user for admins, 404 for an unknown id and 400 for a malformed one', async () => {
    const account = await register(api);
    const found = await api.request({ url: `/api/v1/users/${account.user.id}`, token: adminToken });
    expect(found.status).toBe(200);
    expect(found.body.email).toBe(account.email);
    expect((await api.request({ url: '/api/v1/users/00000000-0000-4000-8000-000000000000', token: adminToken })).status).toBe(404);
    expect((await api.request({ url: '/api/v1/users/not-a-uuid', token: adminToken })).status).toBe(400);
  });

  it('rejects bad paging input with 400, never 500', async () => {
    for (const query of ['limit=0', 'limit=101', 'limit=abc', 'cursor=%%%', 'cursor=bm9wZQ', `cursor=${'a'.repeat(500)}`]) {
      const response = await api.request({ url: `/api/v1/users?${query}`, token: adminToken });
      expect(response.status, query).toBe(400);
    }
  });

  it('seeds the admin idempotently when several instances start together', async () => {
    const others = await Promise.all(
      [1, 2].map(() =>
        startApp({
          DATABASE_URL: database.url,
          REDIS_PREFIX: uniqueRedisPrefix(),
          SEED_ADMIN_EMAIL: ADMIN.email,
          SEED_ADMIN_PASSWORD: 'a different password',
        }),
      ),
    );
    await Promise.all(others.map((other) => other.close()));
    const login = await api.request({ method: 'POST', url: '/api/v1/auth/login', body: ADMIN });
    expect(login.status).toBe(200);
    const page = await api.request({ url: '/api/v1/users?limit=100', token: adminToken });
    expect(page.body.data.filter((user: { role: string }) => user.role === 'admin')).toHaveLength(1);
  });

  it('serves the queue dashboard at /admin/queues to admins only', async () => {
    const customer = await register(api);
    expect((await api.request({ url: '/admin/queues' })).status).toBe(401);
    expect((await api.request({ url: '/admin/queues', token: customer.accessToken })).status).toBe(403);
    const page = await api.request({ url: '/admin/queues', token: adminToken });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    const queues = await api.request({ url: '/admin/queues/api/queues', token: adminToken });
    expect(queues.status).toBe(200);
    expect(queues.text).toContain('mail');
  });
});
