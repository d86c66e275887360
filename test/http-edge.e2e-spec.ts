import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac, randomUUID } from 'node:crypto';
import { newAccount, register, startApp, TestApp, uniqueRedisPrefix, useTestApp } from './support/app';
import { createTestDatabase, TestDatabase } from './support/database';
import { freePort } from './support/private-redis';
import { apiProcessEnvironment, RunningProcess, startProcess, waitForHttp } from './support/process';

interface ProxiedResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
}

/**
 * The first hop of a two-hop chain (client → this proxy → API), like scripts/cluster/load-balancer.mjs:
 * it appends the address of the peer that connected to it to `X-Forwarded-For`, whatever the client sent.
 */
async function startForwardingProxy(target: string): Promise<{ port: number; close(): Promise<void> }> {
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((request, response) => {
    const given = request.headers['x-forwarded-for'];
    const forwardedFor = [given, request.socket.remoteAddress].filter(Boolean).join(', ');
    const forwarded = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: request.method,
        path: request.url,
        agent,
        headers: { ...request.headers, 'x-forwarded-for': forwardedFor, connection: 'keep-alive' },
      },
      (reply) => {
        response.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(response);
      },
    );
    forwarded.on('error', () => response.writeHead(502).end());
    request.pipe(forwarded);
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      agent.destroy();
      server.closeAllConnections();
      await new Promise((closed) => server.close(closed));
    },
  };
}

/** A GET from a chosen loopback address (Linux routes all of 127.0.0.0/8 to lo), so the proxy sees distinct peers. */
function getFrom(localAddress: string, port: number, path: string, headers: Record<string, string> = {}): Promise<ProxiedResponse> {
  return new Promise((done, fail) => {
    const request = http.get({ host: '127.0.0.1', port, path, localAddress, headers, agent: false }, (response) => {
      response.resume();
      response.on('end', () => done({ status: response.statusCode ?? 0, headers: response.headers }));
    });
    request.on('error', fail);
  });
}

describe('Client IPs behind a proxy (TRUST_PROXY) and the per-IP limit', () => {
  const LIMIT = 5;
  let database: TestDatabase;
  const processes: RunningProcess[] = [];

  const apiEnvironment = (overrides: Record<string, string>) =>
    apiProcessEnvironment({ DATABASE_URL: database.url, REDIS_PREFIX: uniqueRedisPrefix(), ...overrides });

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    for (const running of processes) running.child.kill('SIGKILL');
    await Promise.all(processes.map((running) => running.exited));
    await database?.drop();
  });

  it('refuses TRUST_PROXY=true at start-up: the process exits non-zero naming TRUST_PROXY', async () => {
    const refused = startProcess('dist/main.js', apiEnvironment({ TRUST_PROXY: 'true', PORT: String(await freePort()) }));
    processes.push(refused);
    expect(await refused.exited).toBeGreaterThan(0);
    expect(refused.output()).toContain('TRUST_PROXY');
  });

  describe('with TRUST_PROXY=1 and a real proxy in front', () => {
    let proxy: { port: number; close(): Promise<void> };

    beforeAll(async () => {
      const port = await freePort();
      const api = startProcess('dist/main.js', apiEnvironment({ TRUST_PROXY: '1', RATE_LIMIT_PER_IP: String(LIMIT), PORT: String(port) }));
      processes.push(api);
      await waitForHttp(`http://127.0.0.1:${port}/health/ready`, 90_000).catch((error: Error) => {
        throw new Error(`${error.message}\n${api.output()}`);
      });
      proxy = await startForwardingProxy(`http://127.0.0.1:${port}`);
    }, 120_000);

    afterAll(async () => {
      await proxy?.close();
    });

    it('limits a client that sends a new spoofed X-Forwarded-For on every request, and not another client behind the same proxy', async () => {
      const path = '/api/v1/products?limit=1';
      const started = Date.now();
      const [spoofed, honest] = await Promise.all([
        Promise.all(
          Array.from({ length: 30 }, (_, i) =>
            getFrom('127.0.0.2', proxy.port, path, { 'x-forwarded-for': `203.0.113.${i + 1}, 198.51.100.${i + 1}` }),
          ),
        ),
        Promise.all(Array.from({ length: 3 }, () => getFrom('127.0.0.3', proxy.port, path))),
      ]);
      // Fixed one-second windows: the spoofer gets at most LIMIT per second the burst touched.
      const seconds = Math.floor(Date.now() / 1000) - Math.floor(started / 1000) + 1;
      const limited = spoofed.filter((response) => response.status === 429);
      expect(limited.length).toBeGreaterThanOrEqual(Math.max(1, 30 - LIMIT * seconds));
      expect(spoofed.every((response) => response.status === 200 || response.status === 429)).toBe(true);
      for (const response of limited) {
        expect(response.headers['retry-after']).toBe('1');
        expect(response.headers['content-type']).toContain('application/problem+json');
        expect(response.headers).toMatchObject({ 'ratelimit-limit': String(LIMIT), 'ratelimit-remaining': '0', 'ratelimit-reset': '1' });
      }

      // The positive control: the other client, through the same proxy at the same time, keeps its own budget.
      expect(honest.map((response) => response.status)).toEqual([200, 200, 200]);
      for (const response of honest) {
        expect(response.headers['ratelimit-limit']).toBe(String(LIMIT));
        expect(Number(response.headers['ratelimit-remaining'])).toBeGreaterThanOrEqual(LIMIT - 3);
        expect(response.headers['ratelimit-reset']).toBe('1');
        expect(response.headers['retry-after']).toBeUndefined();
      }
    });

    it('does not count health probes', async () => {
      const probes = await Promise.all(Array.from({ length: 20 }, () => getFrom('127.0.0.4', proxy.port, '/health/live')));
      expect(probes.map((response) => response.status)).toEqual(Array(20).fill(200));
      expect(probes[0].headers['ratelimit-limit']).toBeUndefined();
    });
  });
});

describe('Cache-Control on token responses, the webhook raw body, and TRUST_PROXY as addresses', () => {
  const WEBHOOK_SECRET = 'webhook-secret-for-http-edge-tests';
  const context = useTestApp({ PAYMENT_WEBHOOK_SECRET: WEBHOOK_SECRET });

  describe('with TRUST_PROXY listing the proxy addresses', () => {
    let api: TestApp;
    beforeAll(async () => {
      api = await startApp({
        DATABASE_URL: context.database.url,
        REDIS_PREFIX: uniqueRedisPrefix(),
        MIGRATIONS_RUN: 'false',
        RATE_LIMIT_PER_IP: '5',
        TRUST_PROXY: '10.0.0.0/8, 192.0.2.1',
      });
    });
    afterAll(() => api?.close());

    const burst = (remoteAddress: string, forwardedFor: (i: number) => string) =>
      Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          api.request({ url: '/api/v1/nothing-here', remoteAddress, headers: { 'x-forwarded-for': forwardedFor(i) } }),
        ),
      );

    it('believes X-Forwarded-For from a listed proxy, and not from anyone else', async () => {
      // Through two listed proxies (192.0.2.1 in front of 10.1.2.3), each client keeps its own budget.
      const proxied = await burst('10.1.2.3', (i) => `198.51.100.${i + 1}, 192.0.2.1`);
      expect(proxied.filter((response) => response.status === 429)).toHaveLength(0);
      // A direct client naming a listed proxy and a fresh "client" each time is still counted as itself.
      const direct = await burst('203.0.113.50', (i) => `198.51.100.${i + 1}, 10.0.0.1`);
      expect(direct.filter((response) => response.status === 429).length).toBeGreaterThan(0);
    });
  });

  it('sends Cache-Control: no-store on register, login and refresh, and not on an anonymous public read', async () => {
    const account = newAccount();
    const registered = await context.api.request({ method: 'POST', url: '/api/v1/auth/register', body: account });
    expect(registered.status).toBe(201);
    expect(registered.headers['cache-control']).toBe('no-store');

    const login = await context.api.request({
      method: 'POST',
      url: '/api/v1/auth/login',
      body: { email: account.email, password: account.password },
    });
    expect(login.status).toBe(200);
    expect(login.headers['cache-control']).toBe('no-store');

    const refreshed = await context.api.request({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      body: { refreshToken: login.body.refreshToken },
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.accessToken).toEqual(expect.any(String));
    expect(refreshed.headers['cache-control']).toBe('no-store');

    const publicRead = await context.api.request({ url: '/api/v1/products?limit=1' });
    expect(publicRead.status).toBe(200);
    expect(publicRead.headers['cache-control']).not.toBe('no-store');
  });

  it('keeps no-store on every response to a signed-in caller', async () => {
    const caller = await register(context.api);
    const me = await context.api.request({ url: '/api/v1/users/me', token: caller.accessToken });
    expect(me.status).toBe(200);
    expect(me.headers['cache-control']).toBe('no-store');
  });

  describe('payments webhook', () => {
    const sign = (raw: string) => `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(raw).digest('hex')}`;
    const deliver = (url: string, raw: string, signature: string) =>
      context.api.request({ method: 'POST', url, body: raw, headers: { 'content-type': 'application/json', 'x-signature': signature } });
    const event = () =>
      JSON.stringify({ eventId: `evt-${randomUUID()}`, type: 'payment.succeeded', orderId: randomUUID(), amountCents: 100 });

    it('accepts a correctly signed delivery whatever the query string', async () => {
      for (const url of ['/api/v1/payments/webhook', '/api/v1/payments/webhook?x=1', '/api/v1/payments/webhook?retry=2&x=y%20z']) {
        const raw = event();
        const response = await deliver(url, raw, sign(raw));
        expect(response.status, url).toBe(200);
        expect(response.body).toMatchObject({ status: 'processed' });
      }
    });

    it('still refuses a bad signature when the URL has a query string', async () => {
      const raw = event();
      const response = await deliver('/api/v1/payments/webhook?x=1', raw, sign(`${raw} `));
      expect(response.status).toBe(401);
      expect(response.headers['content-type']).toContain('application/problem+json');
    });
  });
});
