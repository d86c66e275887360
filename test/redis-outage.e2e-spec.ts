import { createTestDatabase, TestDatabase } from './support/database';
import { register, startApp, TestApp, uniqueRedisPrefix } from './support/app';
import { PrivateRedis } from './support/private-redis';

describe('Redis outage', () => {
  let database: TestDatabase;
  let redis: PrivateRedis;
  let api: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase();
    redis = await PrivateRedis.start();
    api = await startApp({
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      REDIS_PREFIX: uniqueRedisPrefix(),
      RATE_LIMIT_PER_IP: '1000',
    });
  });

  afterAll(async () => {
    await api?.close();
    await redis?.stop();
    await database?.drop();
  });

  it('keeps serving what the database can answer, reports not-ready, and recovers when Redis returns', async () => {
    const account = await register(api);
    expect((await api.request({ url: '/api/v1/users/me', token: account.accessToken })).status).toBe(200);

    await redis.stop();
    const me = await api.request({ url: '/api/v1/users/me', token: account.accessToken });
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(account.user.id);
    const login = await api.request({
      method: 'POST',
      url: '/api/v1/auth/login',
      body: { email: account.email, password: account.password },
    });
    expect(login.status).toBe(200);
    expect((await register(api)).user.id).toBeDefined();
    expect((await api.request({ url: '/health/ready' })).status).toBe(503);
    expect((await api.request({ url: '/health/live' })).status).toBe(200);

    await redis.start();
    await expect.poll(async () => (await api.request({ url: '/health/ready' })).status, { timeout: 10_000, interval: 200 }).toBe(200);
    expect((await api.request({ url: '/api/v1/users/me', token: account.accessToken })).status).toBe(200);
  });
});
