import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import { AppModule } from '../../src/app.module';
import { Environment, loadEnvironment } from '../../src/shared/config/environment';
import { createHttpApp } from '../../src/shared/http/create-http-app';
import { createTestDatabase, TestDatabase } from './database';
import { TEST_REDIS_URL } from './services';

export type Variables = Record<string, string | undefined>;

export interface TestApp {
  app: NestFastifyApplication;
  env: Environment;
  request(options: RequestOptions): Promise<TestResponse>;
  close(): Promise<void>;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';
  url: string;
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  remoteAddress?: string;
}

export interface TestResponse {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: any;
  text: string;
}

/** A Redis key prefix private to one test file (or one group of instances that must share state). */
export const uniqueRedisPrefix = () => `orderly-test-${randomBytes(4).toString('hex')}`;

export const TEST_JWT_SECRET = 'test-secret-that-is-at-least-32-characters-long';

/**
 * Boots the real application — Fastify, global guards, pipes and filters — against the given
 * database and (by default) the local Redis. Requests go through Fastify's `inject`, which runs
 * the full HTTP pipeline without a socket.
 */
export async function startApp(variables: Variables): Promise<TestApp> {
  const env = loadEnvironment({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    JWT_SECRET: TEST_JWT_SECRET,
    REDIS_URL: TEST_REDIS_URL,
    RATE_LIMIT_PER_IP: '0',
    ...variables,
  });
  const app = await createHttpApp(AppModule.register(env), env);
  await app.init();
  const fastify = app.getHttpAdapter().getInstance();
  await fastify.ready();
  return {
    app,
    env,
    async request({ method = 'GET', url, token, body, headers = {}, remoteAddress }) {
      const response = await fastify.inject({
        method,
        url,
        remoteAddress,
        headers: {
          ...(token && { authorization: `Bearer ${token}` }),
          ...(body !== undefined && typeof body !== 'string' && { 'content-type': 'application/json' }),
          ...headers,
        },
        payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      let parsed: unknown = undefined;
      try {
        parsed = response.body ? JSON.parse(response.body) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: response.statusCode, headers: response.headers, body: parsed, text: response.body };
    },
    close: () => app.close(),
  };
}

let sequence = 0;

/** A unique, valid registration body. */
export function newAccount(overrides: Partial<{ email: string; password: string; name: string }> = {}) {
  sequence += 1;
  return {
    email: `user-${Date.now()}-${sequence}-${randomBytes(3).toString('hex')}@example.com`,
    password: 'correct horse battery',
    name: `User ${sequence}`,
    ...overrides,
  };
}

export async function register(app: TestApp, account = newAccount()) {
  const response = await app.request({ method: 'POST', url: '/api/v1/auth/register', body: account });
  if (response.status !== 201) throw new Error(`register failed: ${response.status} ${response.text}`);
  return { ...account, ...(response.body as { accessToken: string; refreshToken: string; user: { id: string } }) };
}

export const TEST_ADMIN = { email: 'admin@orderly.test', password: 'admin password 1' };

/** Variables that make the seeded test admin exist. */
export const withAdmin = { SEED_ADMIN_EMAIL: TEST_ADMIN.email, SEED_ADMIN_PASSWORD: TEST_ADMIN.password };

export async function adminToken(app: TestApp): Promise<string> {
  const response = await app.request({ method: 'POST', url: '/api/v1/auth/login', body: TEST_ADMIN });
  if (response.status !== 200) throw new Error(`admin login failed: ${response.status} ${response.text}`);
  return response.body.accessToken as string;
}

export async function createProduct(app: TestApp, token: string, overrides: Record<string, unknown> = {}) {
  sequence += 1;
  const response = await app.request({
    method: 'POST',
    url: '/api/v1/products',
    token,
    body: {
      sku: `SKU-${Date.now()}-${sequence}-${randomBytes(2).toString('hex')}`,
      name: `Product ${sequence}`,
      priceCents: 1250,
      stock: 10,
      ...overrides,
    },
  });
  if (response.status !== 201) throw new Error(`create product failed: ${response.status} ${response.text}`);
  return response.body as { id: string; sku: string; name: string; priceCents: number; stock: number };
}

/**
 * For a describe block: a fresh database and a running app before its tests, both gone after.
 * The returned object is filled in by the time the block's own hooks and tests run.
 */
export function useTestApp(variables: Variables = {}): { api: TestApp; database: TestDatabase } {
  const context = {} as { api: TestApp; database: TestDatabase };
  beforeAll(async () => {
    context.database = await createTestDatabase();
    context.api = await startApp({ DATABASE_URL: context.database.url, REDIS_PREFIX: uniqueRedisPrefix(), ...variables });
  });
  afterAll(async () => {
    await context.api?.close();
    await context.database?.drop();
  });
  return context;
}
