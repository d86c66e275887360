import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { sessionKey } from '../src/admin/admin-sessions';
import { QueueDashboard } from '../src/admin/queue-dashboard';
import { PasswordHasher } from '../src/auth/password-hasher';
import {
  adminToken,
  register,
  startApp,
  TEST_ADMIN,
  TestApp,
  TestResponse,
  uniqueRedisPrefix,
  useTestApp,
  Variables,
  withAdmin,
} from './support/app';
import { createTestDatabase, TestDatabase } from './support/database';
import { TEST_REDIS_URL } from './support/services';

/** `inject` sends `Host: localhost:80`; a browser on that page sends this Origin. */
const OWN_ORIGIN = 'http://localhost';
const BROWSER = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
const FORM = 'application/x-www-form-urlencoded';

type Credentials = { email: string; password: string };

const setCookieOf = (response: TestResponse): string => {
  const header = response.headers['set-cookie'];
  const cookies = Array.isArray(header) ? header : header === undefined ? [] : [String(header)];
  expect(cookies).toHaveLength(1);
  return cookies[0];
};
/** The `name=value` a browser sends back for a Set-Cookie header. */
const cookieOf = (response: TestResponse) => setCookieOf(response).split(';')[0];
const attributesOf = (setCookie: string) =>
  setCookie
    .split(';')
    .slice(1)
    .map((attribute) => attribute.trim().toLowerCase());
const tokenOf = (cookie: string) => decodeURIComponent(cookie.split('=')[1]);

const signIn = (api: TestApp, fields: Record<string, string>, headers: Record<string, string> = { origin: OWN_ORIGIN }) =>
  api.request({
    method: 'POST',
    url: '/admin/sign-in',
    body: new URLSearchParams(fields).toString(),
    headers: { ...BROWSER, 'content-type': FORM, ...headers },
  });

/** Signs in through the form and returns the session cookie to send back. */
async function sessionCookie(api: TestApp, credentials: Credentials): Promise<string> {
  const response = await signIn(api, credentials);
  expect(response.status).toBe(303);
  return cookieOf(response);
}

const dashboardApi = (api: TestApp, cookie: string, headers: Record<string, string> = {}) =>
  api.request({ url: '/admin/queues/api/queues', headers: { cookie, accept: 'application/json', ...headers } });

const expectProblem = (response: TestResponse, status: number) => {
  expect(response.status).toBe(status);
  expect(response.headers['content-type']).toContain('application/problem+json');
  expect(response.body).toMatchObject({ status });
};

/** Whether any Bull Board package has been loaded into this process. */
const bullBoardLoaded = () => Object.keys(createRequire(__filename).cache).some((path) => path.includes('/@bull-board/'));

// First in the file: the other blocks open the dashboard, and a loaded module stays loaded.
describe('Queue dashboard loading', () => {
  const context = useTestApp(withAdmin);

  it('loads Bull Board on first use, not at start-up, and builds it once however many first requests race', async () => {
    const { api } = context;
    expect(bullBoardLoaded()).toBe(false);
    const builds = vi.spyOn(api.app.get(QueueDashboard) as unknown as { build: () => Promise<unknown> }, 'build');
    const token = await adminToken(api);
    const responses = await Promise.all(Array.from({ length: 10 }, () => api.request({ url: '/admin/queues/api/queues', token })));
    expect(responses.map((response) => response.status)).toEqual(Array(10).fill(200));
    expect(bullBoardLoaded()).toBe(true);
    expect(builds).toHaveBeenCalledTimes(1);
  });
});

describe('Queue dashboard sign-in (browser sessions)', () => {
  const context = useTestApp(withAdmin);
  let api: TestApp;
  let redis: Redis;
  let mail: Queue;

  /** A fresh admin per test, so one test's lockout never blocks another's. */
  async function newAdmin(): Promise<Credentials> {
    const account = await register(api);
    await api.app.get(DataSource).query(`UPDATE users SET role = 'admin' WHERE email = $1`, [account.email.toLowerCase()]);
    return { email: account.email, password: account.password };
  }

  beforeAll(() => {
    api = context.api;
    redis = new Redis(TEST_REDIS_URL, { keyPrefix: `${api.env.redisPrefix}:`, maxRetriesPerRequest: null });
    mail = new Queue('mail', {
      connection: new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null }),
      prefix: `${api.env.redisPrefix}:bull`,
    });
  });

  afterAll(async () => {
    await mail?.close();
    redis?.disconnect();
  });

  it('sends an anonymous browser to a sign-in page, and an admin who signs in to the dashboard', async () => {
    const visit = await api.request({ url: '/admin/queues/queue/mail?status=completed', headers: BROWSER });
    expect(visit.status).toBe(303);
    const signInUrl = String(visit.headers.location);
    expect(signInUrl).toBe(`/admin/sign-in?next=${encodeURIComponent('/admin/queues/queue/mail?status=completed')}`);

    const page = await api.request({ url: signInUrl, headers: BROWSER });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.text).toContain('<form method="post" action="/admin/sign-in">');
    expect(page.text).toContain('value="/admin/queues/queue/mail?status=completed"');
    expect(page.text).not.toContain('<script');

    const signedIn = await signIn(api, { ...TEST_ADMIN, next: '/admin/queues/queue/mail?status=completed' });
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.location).toBe('/admin/queues/queue/mail?status=completed');
    const cookie = cookieOf(signedIn);

    const board = await api.request({ url: '/admin/queues', headers: { ...BROWSER, cookie } });
    expect(board.status).toBe(200);
    expect(board.headers['content-type']).toContain('text/html');
    expect(board.text).toContain('Orderly queues');
    const queues = await dashboardApi(api, cookie);
    expect(queues.status).toBe(200);
    expect(queues.body.queues.map((queue: { name: string }) => queue.name)).toContain('mail');
    expect(queues.headers['cache-control']).toBe('no-store');
    // Headers set before the hand-over to Bull Board survive it.
    expect(queues.headers['x-request-id']).toEqual(expect.any(String));
    expect(queues.headers['content-security-policy']).toContain("default-src 'self'");
  });

  it('holds the session in an HttpOnly, SameSite=Strict cookie for /admin, for at most 8 hours, Secure outside development', async () => {
    const setCookie = setCookieOf(await signIn(api, TEST_ADMIN));
    const attributes = attributesOf(setCookie);
    expect(attributes).toEqual(expect.arrayContaining(['httponly', 'samesite=strict', 'path=/admin', 'secure']));
    const maxAge = Number(attributes.find((attribute) => attribute.startsWith('max-age='))?.split('=')[1]);
    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThanOrEqual(8 * 60 * 60);
    expect(attributes.find((attribute) => attribute.startsWith('domain='))).toBeUndefined();

    // The token itself is not stored: Redis holds its SHA-256 digest, expiring with the cookie.
    const token = tokenOf(setCookie.split(';')[0]);
    expect(await redis.exists(`admin-session:${token}`)).toBe(0);
    const ttl = await redis.pttl(sessionKey(token));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(8 * 60 * 60 * 1000);
  });

  it('sends the browser back to the sign-in page once the session expired on the server', async () => {
    const cookie = await sessionCookie(api, TEST_ADMIN);
    expect((await dashboardApi(api, cookie)).status).toBe(200);

    // The clock moved on: the session's key outlived its expiry by a moment.
    expect(await redis.pexpire(sessionKey(tokenOf(cookie)), 1)).toBe(1);
    await expect.poll(() => redis.exists(sessionKey(tokenOf(cookie)))).toBe(0);

    const visit = await api.request({ url: '/admin/queues', headers: { ...BROWSER, cookie } });
    expect(visit.status).toBe(303);
    expect(visit.headers.location).toMatch(/^\/admin\/sign-in\?/);
    expectProblem(await dashboardApi(api, cookie), 401);
  });

  it('ends the session on the server when signing out: the old cookie no longer opens anything', async () => {
    const cookie = await sessionCookie(api, TEST_ADMIN);
    const other = await sessionCookie(api, TEST_ADMIN);

    const confirm = await api.request({ url: '/admin/sign-out', headers: { ...BROWSER, cookie } });
    expect(confirm.status).toBe(200);
    expect(confirm.text).toContain('<form method="post" action="/admin/sign-out">');

    const signedOut = await api.request({ method: 'POST', url: '/admin/sign-out', headers: { ...BROWSER, cookie, origin: OWN_ORIGIN } });
    expect(signedOut.status).toBe(303);
    expect(signedOut.headers.location).toBe('/admin/sign-in');
    const cleared = attributesOf(setCookieOf(signedOut));
    expect(setCookieOf(signedOut).startsWith('orderly_admin_session=;')).toBe(true);
    expect(cleared).toEqual(expect.arrayContaining(['max-age=0', 'path=/admin', 'httponly', 'samesite=strict']));

    // A browser that kept the cookie anyway (or a thief who copied it) is refused.
    expect(await redis.exists(sessionKey(tokenOf(cookie)))).toBe(0);
    expectProblem(await dashboardApi(api, cookie), 401);
    const visit = await api.request({ url: '/admin/queues', headers: { ...BROWSER, cookie } });
    expect(visit.status).toBe(303);
    // Positive control: only that session ended.
    expect((await dashboardApi(api, other)).status).toBe(200);
  });

  it('refuses a customer with a readable page and no session', async () => {
    const customer = await register(api);
    const response = await signIn(api, { email: customer.email, password: customer.password });
    expect(response.status).toBe(403);
    expect(response.headers['content-type']).toContain('text/html');
    expect(response.text).toContain('not an admin');
    expect(response.headers['set-cookie']).toBeUndefined();
  });

  it('refuses a wrong password with a readable page, echoing the e-mail inertly', async () => {
    const email = '"><script>alert(1)</script>@example.com';
    const response = await signIn(api, { email, password: 'not the password' });
    expect(response.status).toBe(401);
    expect(response.headers['content-type']).toContain('text/html');
    expect(response.text).toContain('The e-mail or password is wrong.');
    expect(response.text).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;@example.com"');
    expect(response.text).not.toContain('<script>');
    expect(response.headers['set-cookie']).toBeUndefined();
  });

  it('refuses a malformed form (missing, repeated or NUL-bearing fields) with the sign-in page', async () => {
    for (const body of [
      'email=a%40example.com',
      `email=${encodeURIComponent(TEST_ADMIN.email)}&password=x%00`,
      'email=a&email=b&password=p',
    ]) {
      const response = await api.request({
        method: 'POST',
        url: '/admin/sign-in',
        body,
        headers: { ...BROWSER, 'content-type': FORM, origin: OWN_ORIGIN },
      });
      expect(response.status, body).toBe(400);
      expect(response.text).toContain('Enter an e-mail and a password.');
      expect(response.headers['set-cookie']).toBeUndefined();
    }
  });

  it('takes sign-in as a small HTML form only', async () => {
    const json = await api.request({ method: 'POST', url: '/admin/sign-in', body: TEST_ADMIN, headers: { origin: OWN_ORIGIN } });
    expectProblem(json, 415);
    const huge = await signIn(api, { ...TEST_ADMIN, next: `/admin/queues/${'x'.repeat(10_000)}` });
    expectProblem(huge, 413);
    expect(huge.headers['set-cookie']).toBeUndefined();
  });

  it('shares the lockout with POST /auth/login: 5 wrong API logins lock the form', async () => {
    const account = await newAdmin();
    for (let i = 0; i < 5; i += 1) {
      const login = await api.request({
        method: 'POST',
        url: '/api/v1/auth/login',
        body: { email: account.email, password: `wrong ${i}` },
      });
      expect(login.status).toBe(401);
    }
    const locked = await signIn(api, account);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    expect(locked.headers['content-type']).toContain('text/html');
    expect(locked.text).toContain('Too many failed sign-ins');
    expect(locked.headers['set-cookie']).toBeUndefined();
  });

  it('shares the lockout the other way: of 10 concurrent wrong form sign-ins at most 5 are checked, then the API login is locked', async () => {
    const account = await newAdmin();
    const hasher = api.app.get(PasswordHasher);
    const verify = hasher.verify.bind(hasher);
    const checked: string[] = [];
    hasher.verify = (hash, password) => {
      checked.push(password);
      return verify(hash, password);
    };
    try {
      const responses = await Promise.all(
        Array.from({ length: 10 }, (_, i) => signIn(api, { email: account.email, password: `wrong ${i}` })),
      );
      const statuses = responses.map((response) => response.status);
      expect(checked.filter((password) => password.startsWith('wrong ')).length).toBeLessThanOrEqual(5);
      expect(statuses.filter((status) => status === 401)).toHaveLength(checked.length);
      expect(statuses.filter((status) => status === 429)).toHaveLength(10 - checked.length);
    } finally {
      hasher.verify = verify;
    }
    const login = await api.request({ method: 'POST', url: '/api/v1/auth/login', body: account });
    expect(login.status).toBe(429);
    expect((await signIn(api, account)).status).toBe(429);
  });

  it('refuses a state-changing dashboard call from a foreign Origin, and makes the same call from its own', async () => {
    const cookie = await sessionCookie(api, TEST_ADMIN);
    const pause = (headers: Record<string, string>) =>
      api.request({
        method: 'PUT',
        url: '/admin/queues/api/queues/mail/pause',
        headers: { cookie, accept: 'application/json', ...headers },
      });

    for (const origin of ['https://evil.example', 'http://localhost.evil.example', 'http://localhost:8080', 'null', 'http://localhost/']) {
      expectProblem(await pause({ origin }), 403);
    }
    expectProblem(await pause({}), 403);
    // A same-site request that claims a foreign Origin is just as refused.
    expectProblem(await pause({ origin: 'https://evil.example', 'sec-fetch-site': 'same-origin' }), 403);
    expect(await mail.isPaused()).toBe(false);

    expect((await pause({ origin: OWN_ORIGIN })).status).toBe(200);
    expect(await mail.isPaused()).toBe(true);

    // A body reaches Bull Board intact (the API's own parsers leave it alone).
    const added = await api.request({
      method: 'POST',
      url: '/admin/queues/api/queues/mail/add',
      headers: { cookie, origin: OWN_ORIGIN },
      body: { name: 'dashboard-probe', data: { note: 'added from the dashboard' } },
    });
    expect(added.status).toBe(200);
    const probe = (await mail.getJobs(['wait'])).find((job) => job.name === 'dashboard-probe');
    expect(probe?.data).toEqual({ note: 'added from the dashboard' });
    await probe?.remove();

    // Scripts with an admin bearer token need no Origin.
    const token = await adminToken(api);
    const resumed = await api.request({ method: 'PUT', url: '/admin/queues/api/queues/mail/resume', token });
    expect(resumed.status).toBe(200);
    expect(await mail.isPaused()).toBe(false);
  });

  it('refuses sign-in and sign-out posted from a foreign Origin', async () => {
    expectProblem(await signIn(api, TEST_ADMIN, { origin: 'https://evil.example' }), 403);
    expectProblem(await signIn(api, TEST_ADMIN, {}), 403);

    const cookie = await sessionCookie(api, TEST_ADMIN);
    const forged = await api.request({ method: 'POST', url: '/admin/sign-out', headers: { cookie, origin: 'https://evil.example' } });
    expectProblem(forged, 403);
    expect((await dashboardApi(api, cookie)).status).toBe(200);
  });

  it('answers API clients with problem+json, never HTML or a redirect', async () => {
    const customer = await register(api);
    const cookie = await sessionCookie(api, TEST_ADMIN);
    expectProblem(await api.request({ url: '/admin/queues', headers: { accept: 'application/json' } }), 401);
    expectProblem(await api.request({ url: '/admin/queues' }), 401);
    expectProblem(await api.request({ url: '/admin/queues/api/queues' }), 401);
    // Any Authorization header makes a script of the caller: the header decides, not the cookie.
    expectProblem(await api.request({ url: '/admin/queues', token: customer.accessToken, headers: BROWSER }), 403);
    expectProblem(await api.request({ url: '/admin/queues', headers: { ...BROWSER, cookie, authorization: 'Bearer forged' } }), 401);
    expectProblem(await api.request({ url: '/admin/queues', headers: { ...BROWSER, cookie, authorization: 'Basic YTpi' } }), 401);
    // Hostile cookies are no session.
    for (const forged of [
      'orderly_admin_session=',
      `orderly_admin_session=${'A'.repeat(43)}`,
      `orderly_admin_session=${'%'.repeat(5000)}`,
    ]) {
      expectProblem(await dashboardApi(api, forged), 401);
    }
    const page = await api.request({ url: '/admin/queues', token: await adminToken(api), headers: BROWSER });
    expect(page.status).toBe(200);
  });

  it('sends a browser only to dashboard pages after sign-in, never to another site', async () => {
    for (const next of [
      'https://evil.example/',
      '//evil.example/admin/queues',
      '/admin/queues\\@evil.example',
      '/api/v1/users',
      '/admin/queuesx',
    ]) {
      const response = await signIn(api, { ...TEST_ADMIN, next });
      expect(response.status, next).toBe(303);
      expect(response.headers.location, next).toBe('/admin/queues');
    }
  });

  it('ends the sessions opened with a password that a reset replaced, as it ends refresh tokens', async () => {
    const account = await newAdmin();
    const cookie = await sessionCookie(api, account);
    expect((await dashboardApi(api, cookie)).status).toBe(200);

    const forgot = await api.request({ method: 'POST', url: '/api/v1/auth/password/forgot', body: { email: account.email } });
    expect(forgot.status).toBe(202);
    // No worker here: the reset mail's token waits in its outbox row.
    const [{ token }] = (await api.app
      .get(DataSource)
      .query(`SELECT payload->>'token' AS token FROM outbox WHERE payload->>'to' = $1 AND payload ? 'token'`, [
        account.email.toLowerCase(),
      ])) as { token: string }[];
    const password = 'a brand new password';
    expect((await api.request({ method: 'POST', url: '/api/v1/auth/password/reset', body: { token, password } })).status).toBe(204);

    expectProblem(await dashboardApi(api, cookie), 401);
    expect(await redis.exists(sessionKey(tokenOf(cookie)))).toBe(0);
    // Positive control: the new password opens a new session.
    expect((await dashboardApi(api, await sessionCookie(api, { email: account.email, password }))).status).toBe(200);
  });

  it('closes the sessions of an admin who is no longer one', async () => {
    const account = await newAdmin();
    const cookie = await sessionCookie(api, account);
    expect((await dashboardApi(api, cookie)).status).toBe(200);
    await api.app.get(DataSource).query(`UPDATE users SET role = 'customer' WHERE email = $1`, [account.email.toLowerCase()]);
    expectProblem(await dashboardApi(api, cookie), 401);
    expect(await redis.exists(sessionKey(tokenOf(cookie)))).toBe(0);
  });
});

describe('Queue dashboard session cookie by NODE_ENV', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database?.drop());

  const cookieAttributes = async (variables: Variables) => {
    const api = await startApp({ DATABASE_URL: database.url, REDIS_PREFIX: uniqueRedisPrefix(), ...withAdmin, ...variables });
    try {
      return attributesOf(setCookieOf(await signIn(api, TEST_ADMIN)));
    } finally {
      await api.close();
    }
  };

  it('is Secure in production and not in development', async () => {
    const production = await cookieAttributes({ NODE_ENV: 'production', PAYMENT_WEBHOOK_SECRET: 'p'.repeat(32) });
    expect(production).toEqual(expect.arrayContaining(['secure', 'httponly', 'samesite=strict', 'path=/admin']));
    const development = await cookieAttributes({ NODE_ENV: 'development' });
    expect(development).toEqual(expect.arrayContaining(['httponly', 'samesite=strict', 'path=/admin']));
    expect(development).not.toContain('secure');
  });
});

describe('Queue dashboard in embedded mode (no REDIS_URL)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'orderly-admin-embedded-'));
  const context = useTestApp({ REDIS_URL: '', DATA_DIR: dataDir });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('says the dashboard needs Redis and BullMQ, as a page for browsers and problem+json for scripts', async () => {
    const { api } = context;
    for (const url of ['/admin/queues', '/admin/queues/queue/mail', '/admin/sign-in']) {
      const page = await api.request({ url, headers: BROWSER });
      expect(page.status, url).toBe(503);
      expect(page.headers['content-type']).toContain('text/html');
      expect(page.text).toContain('REDIS_URL');
    }
    expectProblem(await api.request({ url: '/admin/queues/api/queues', headers: { accept: 'application/json' } }), 503);
    expectProblem(
      await api.request({ method: 'POST', url: '/admin/sign-in', body: 'email=a&password=b', headers: { 'content-type': FORM } }),
      503,
    );
  });
});
