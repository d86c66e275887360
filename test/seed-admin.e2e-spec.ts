import { Logger } from '@nestjs/common';
import { newAccount, register, startApp, TestApp, uniqueRedisPrefix } from './support/app';
import { createTestDatabase, TestDatabase } from './support/database';

/** Contract (v2): SEED_ADMIN_EMAIL promotes an existing account only if its password is SEED_ADMIN_PASSWORD. */
describe('Seed administrator', () => {
  let database: TestDatabase;
  let plain: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase();
    plain = await startApp({ DATABASE_URL: database.url, REDIS_PREFIX: uniqueRedisPrefix() });
  });

  afterAll(async () => {
    await plain?.close();
    await database?.drop();
  });

  const login = (api: TestApp, { email, password }: { email: string; password: string }) =>
    api.request({ method: 'POST', url: '/api/v1/auth/login', body: { email, password } });

  /** Starts an API process that seeds this admin, and returns the errors it logged while starting. */
  async function startSeeding(email: string, password: string): Promise<{ api: TestApp; errors: string[] }> {
    const errors: string[] = [];
    const spy = vi.spyOn(Logger.prototype, 'error').mockImplementation(function (this: Logger, message: unknown) {
      errors.push(String(message));
    });
    try {
      const api = await startApp({
        DATABASE_URL: database.url,
        REDIS_PREFIX: uniqueRedisPrefix(),
        MIGRATIONS_RUN: 'false',
        SEED_ADMIN_EMAIL: email,
        SEED_ADMIN_PASSWORD: password,
      });
      return { api, errors };
    } finally {
      spy.mockRestore();
    }
  }

  it("leaves a squatter's account a customer, logs an error, and the admin password does not sign in", async () => {
    const squatter = await register(plain, newAccount({ password: 'the squatter password' }));
    const { api, errors } = await startSeeding(squatter.email.toUpperCase(), 'the real admin password');
    try {
      expect(errors.some((error) => error.includes('SEED_ADMIN_EMAIL') && error.includes('left a customer'))).toBe(true);
      expect(errors.join('\n')).not.toContain('the real admin password');
      const asSquatter = await login(api, squatter);
      expect(asSquatter.status).toBe(200);
      expect(asSquatter.body.user.role).toBe('customer');
      expect((await login(api, { email: squatter.email, password: 'the real admin password' })).status).toBe(401);
    } finally {
      await api.close();
    }
  });

  it('promotes an existing account whose password is SEED_ADMIN_PASSWORD, keeping that password', async () => {
    const owner = await register(plain, newAccount({ password: 'the real admin password' }));
    const { api, errors } = await startSeeding(owner.email, 'the real admin password');
    try {
      expect(errors).toEqual([]);
      const asAdmin = await login(api, owner);
      expect(asAdmin.status).toBe(200);
      expect(asAdmin.body.user.role).toBe('admin');
      expect(asAdmin.body.user.id).toBe(owner.user.id);
    } finally {
      await api.close();
    }
  });

  it('creates the admin when no account holds the e-mail', async () => {
    const seeded = newAccount({ password: 'a fresh admin password' });
    const { api } = await startSeeding(seeded.email, seeded.password);
    try {
      const asAdmin = await login(api, seeded);
      expect(asAdmin.status).toBe(200);
      expect(asAdmin.body.user.role).toBe('admin');
    } finally {
      await api.close();
    }
  });
});
