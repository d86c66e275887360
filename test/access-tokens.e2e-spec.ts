import { createHmac } from 'node:crypto';
import { register, startApp, TEST_JWT_SECRET, TestApp, uniqueRedisPrefix, useTestApp } from './support/app';

const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

function mint(header: object, claims: object, secret = TEST_JWT_SECRET): string {
  const unsigned = `${encode(header)}.${encode(claims)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

describe('Access tokens', () => {
  const context = useTestApp();
  let api: TestApp;
  let userId: string;
  const now = () => Math.floor(Date.now() / 1000);
  const validClaims = () => ({ sub: userId, role: 'customer', iss: 'orderly', aud: 'orderly-api', iat: now(), exp: now() + 600 });

  beforeAll(async () => {
    api = context.api;
    userId = (await register(api)).user.id;
  });

  const me = (token?: string) => api.request({ url: '/api/v1/users/me', token });

  it('accepts a correctly minted token (the control for the cases below)', async () => {
    expect((await me(mint({ alg: 'HS256', typ: 'JWT' }, validClaims()))).status).toBe(200);
  });

  it('returns 401 without a token', async () => {
    const response = await me();
    expect(response.status).toBe(401);
    expect(response.headers['content-type']).toContain('application/problem+json');
  });

  it('returns 401 for a token signed with another key', async () => {
    expect((await me(mint({ alg: 'HS256', typ: 'JWT' }, validClaims(), 'another-secret-of-at-least-32-chars!!'))).status).toBe(401);
  });

  it('returns 401 for alg "none"', async () => {
    const token = `${encode({ alg: 'none', typ: 'JWT' })}.${encode(validClaims())}.`;
    expect((await me(token)).status).toBe(401);
  });

  it('returns 401 for an expired token', async () => {
    expect((await me(mint({ alg: 'HS256', typ: 'JWT' }, { ...validClaims(), iat: now() - 1000, exp: now() - 10 }))).status).toBe(401);
  });

  it('returns 401 for a wrong issuer or audience', async () => {
    expect((await me(mint({ alg: 'HS256', typ: 'JWT' }, { ...validClaims(), iss: 'someone-else' }))).status).toBe(401);
    expect((await me(mint({ alg: 'HS256', typ: 'JWT' }, { ...validClaims(), aud: 'another-api' }))).status).toBe(401);
  });

  it('returns 401 for a token without expiry and for garbage', async () => {
    const { exp: _exp, ...claims } = validClaims();
    expect((await me(mint({ alg: 'HS256', typ: 'JWT' }, claims))).status).toBe(401);
    expect((await me('not.a.token')).status).toBe(401);
  });

  it('accepts a token issued by another API process (stateless)', async () => {
    const other = await startApp({ DATABASE_URL: context.database.url, REDIS_PREFIX: uniqueRedisPrefix(), MIGRATIONS_RUN: 'false' });
    try {
      const account = await register(other);
      expect((await me(account.accessToken)).status).toBe(200);
    } finally {
      await other.close();
    }
  });
});
