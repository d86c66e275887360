import { newAccount, register, startApp, TestApp, uniqueRedisPrefix, useTestApp } from './support/app';

describe('HTTP conventions', () => {
  const context = useTestApp();
  let api: TestApp;
  beforeAll(() => (api = context.api));

  it("echoes the caller's X-Request-Id and makes one up otherwise", async () => {
    const echoed = await api.request({ url: '/health/live', headers: { 'x-request-id': 'trace-123' } });
    expect(echoed.headers['x-request-id']).toBe('trace-123');
    const made = await api.request({ url: '/api/v1/nothing-here' });
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const unsafe = await api.request({ url: '/health/live', headers: { 'x-request-id': 'bad id\nwith newline' } });
    expect(unsafe.headers['x-request-id']).not.toContain('bad id');
  });

  it('answers unknown routes with a problem+json 404', async () => {
    const response = await api.request({ url: '/api/v1/nothing-here' });
    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.body).toMatchObject({ type: 'about:blank', title: 'Not Found', status: 404, detail: expect.any(String) });
  });

  it('returns 413 for a body over 100 kB', async () => {
    const response = await api.request({
      method: 'POST',
      url: '/api/v1/auth/register',
      body: { ...newAccount(), name: 'x'.repeat(110 * 1024) },
    });
    expect(response.status).toBe(413);
    expect(response.headers['content-type']).toContain('application/problem+json');
  });

  it('returns 400, not 500, for malformed JSON and wrong JSON types', async () => {
    const malformed = await api.request({
      method: 'POST',
      url: '/api/v1/auth/login',
      body: '{"email":',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
    for (const body of [[], 'text', 42, { email: 5, password: {} }, { email: ['a'], password: null }]) {
      const response = await api.request({
        method: 'POST',
        url: '/api/v1/auth/login',
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      });
      expect(response.status, JSON.stringify(body)).toBe(400);
    }
  });

  it("sends JSON API responses the OWASP REST header set and documents helmet's full set", async () => {
    const json = await api.request({ url: '/api/v1/products' });
    expect(json.headers['x-frame-options']).toBe('DENY');
    expect(json.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(json.headers['cross-origin-opener-policy']).toBeUndefined();
    const page = await api.request({ url: '/docs' });
    expect(page.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect(page.headers['cross-origin-opener-policy']).toBe('same-origin');
    for (const response of [json, page]) {
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['strict-transport-security']).toMatch(/^max-age=\d+/);
    }
  });

  it('sends security headers and no stack traces', async () => {
    const response = await api.request({ url: '/api/v1/users/not-a-uuid', token: 'x' });
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['strict-transport-security']).toBeDefined();
    expect(response.text).not.toMatch(/at .*\.(ts|js):\d+/);
  });

  it('does not allow cross-origin requests unless CORS_ORIGINS lists the origin', async () => {
    const response = await api.request({ url: '/health/live', headers: { origin: 'https://evil.example' } });
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('serves the OpenAPI document with every route, and Swagger UI', async () => {
    const document = await api.request({ url: '/docs-json' });
    expect(document.status).toBe(200);
    expect(document.body.openapi).toMatch(/^3\./);
    expect(Object.keys(document.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/auth/register',
        '/api/v1/auth/login',
        '/api/v1/auth/refresh',
        '/api/v1/auth/logout',
        '/api/v1/users/me',
        '/api/v1/users',
        '/api/v1/users/{id}',
        '/health/live',
        '/health/ready',
      ]),
    );
    expect((await api.request({ url: '/docs' })).status).toBe(200);
  });

  it('GET /health/live and /health/ready answer 200 with database and Redis up', async () => {
    expect((await api.request({ url: '/health/live' })).status).toBe(200);
    const ready = await api.request({ url: '/health/ready' });
    expect(ready.status).toBe(200);
    expect(ready.body.details).toMatchObject({ database: { status: 'up' }, redis: { status: 'up' } });
  });

  it('GET /metrics exposes request counts by route template, latency, pool, cache, queue and outbox series', async () => {
    await api.request({ url: '/api/v1/users/00000000-0000-4000-8000-000000000000' });
    await api.request({ url: '/api/v1/products/00000000-0000-4000-8000-000000000000' });
    const response = await api.request({ url: '/metrics' });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toContain('text/plain');
    expect(response.text).toMatch(/http_requests_total\{method="GET",route="\/api\/v1\/users\/:id",status="401"\} \d+/);
    expect(response.text).toContain('http_request_duration_seconds_bucket');
    for (const series of [
      'db_pool_connections{state="in_use"}',
      'cache_requests{cache="product",result="miss"}',
      'cache_errors',
      'queue_jobs{queue="mail",state="waiting"}',
      'outbox_jobs',
      'process_cpu_seconds_total',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(response.text).toContain(series);
    }
  });

  describe('with the per-IP limit on', () => {
    let first: TestApp;
    let second: TestApp;
    const redisPrefix = uniqueRedisPrefix();

    beforeAll(async () => {
      const variables = { DATABASE_URL: context.database.url, REDIS_PREFIX: redisPrefix, RATE_LIMIT_PER_IP: '20', MIGRATIONS_RUN: 'false' };
      first = await startApp(variables);
      second = await startApp({ ...variables, TRUST_PROXY: '1' });
    });

    afterAll(async () => {
      await first?.close();
      await second?.close();
    });

    it('counts one client across API processes and answers 429 with Retry-After beyond the limit', async () => {
      // 60 requests from one client, alternating between the processes. Even if the burst straddles
      // two one-second windows, at least 60 - 2 × 20 = 20 of them must be refused.
      const responses = await Promise.all(
        Array.from({ length: 60 }, (_, i) => (i % 2 ? first : second).request({ url: '/api/v1/nothing', remoteAddress: '10.1.1.1' })),
      );
      const limited = responses.filter((response) => response.status === 429);
      expect(limited.length).toBeGreaterThanOrEqual(20);
      expect(limited[0].headers['retry-after']).toBe('1');
      expect(limited[0].headers['content-type']).toContain('application/problem+json');
    });

    it('honours X-Forwarded-For only when TRUST_PROXY is set', async () => {
      // Behind a trusted proxy, different forwarded clients have separate budgets.
      const trusted = await Promise.all(
        Array.from({ length: 25 }, (_, i) =>
          second.request({ url: '/api/v1/nothing', remoteAddress: '10.9.9.9', headers: { 'x-forwarded-for': `203.0.113.${i}` } }),
        ),
      );
      expect(trusted.filter((response) => response.status === 429)).toHaveLength(0);
      // Without trust, a spoofed header does not buy a fresh budget.
      // 50 requests: even split across two one-second windows, one window holds more than 20.
      const untrusted = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          first.request({ url: '/api/v1/nothing', remoteAddress: '10.8.8.8', headers: { 'x-forwarded-for': `198.51.100.${i}` } }),
        ),
      );
      expect(untrusted.filter((response) => response.status === 429).length).toBeGreaterThan(0);
    });

    it('never limits health probes', async () => {
      const responses = await Promise.all(
        Array.from({ length: 40 }, () => first.request({ url: '/health/live', remoteAddress: '10.7.7.7' })),
      );
      expect(responses.every((response) => response.status === 200)).toBe(true);
    });
  });

  describe('failed-login limit', () => {
    it('answers 429 with Retry-After after 5 failures for one e-mail, counted across two API processes', async () => {
      const redisPrefix = uniqueRedisPrefix();
      const variables = { DATABASE_URL: context.database.url, REDIS_PREFIX: redisPrefix, MIGRATIONS_RUN: 'false' };
      const [first, second] = await Promise.all([startApp(variables), startApp(variables)]);
      try {
        const account = await register(first);
        const wrong = { email: account.email, password: 'not the password' };
        const statuses: number[] = [];
        for (let i = 0; i < 5; i += 1) {
          statuses.push((await (i % 2 ? first : second).request({ method: 'POST', url: '/api/v1/auth/login', body: wrong })).status);
        }
        expect(statuses).toEqual([401, 401, 401, 401, 401]);
        const limited = await first.request({
          method: 'POST',
          url: '/api/v1/auth/login',
          body: { email: account.email, password: account.password },
        });
        expect(limited.status).toBe(429);
        expect(Number(limited.headers['retry-after'])).toBeGreaterThan(800);
        expect((await second.request({ method: 'POST', url: '/api/v1/auth/login', body: wrong })).status).toBe(429);
        const otherAccount = await register(second);
        const unaffected = await second.request({
          method: 'POST',
          url: '/api/v1/auth/login',
          body: { email: otherAccount.email, password: otherAccount.password },
        });
        expect(unaffected.status).toBe(200);
      } finally {
        await first.close();
        await second.close();
      }
    });
  });
});
